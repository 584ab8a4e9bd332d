//! A feature map on a canvas — the one every page draws its maps with: the Convolution and
//! Pooling steppers' grids (a padding ring, the window's taps, a focused cell, only the
//! cells computed so far, numbers in big cells), the Classify page's small maps and images
//! (a width in CSS pixels, gray without a scale, a framed rectangle), and the drawing grid.
//!
//! **Sharp on any screen.** The backing store has one canvas pixel per device pixel (the
//! device pixel ratio honoured); cells get whole device pixels in the grid sizing, and
//! small cells are drawn as one `ImageData` pixel each, scaled up without smoothing.
//!
//! **Drawn only when what it draws changes**, before the browser paints the render that
//! changed it (`use_committed`). The draw is keyed on a [`Picture`]:
//! the values and taps by `Rc` identity (never their contents), the dimensions, the scale,
//! the sizes and the outlines. A parent re-rendering with the same `Rc`s, the hover
//! readout, new callbacks: none redraws. Each draw increments the canvas's `data-draws`
//! (read by the end-to-end tests).
//!
//! **Keyboard and pointer.** A map that can be clicked (`on_cell`) or painted (`on_paint`)
//! is a button in the tab order: the arrows move an outlined cursor cell (starting at the
//! focused cell, else the centre), Enter or Space choose it (`on_cell`) or toggle it
//! (`on_paint`), Page Up / Page Down (or `[` / `]`) ask for the previous / next map
//! (`on_switch`). With `follow`, the arrows choose as they move. Pressing a paint pad and
//! dragging paints every cell crossed (mouse, pen or touch: Pointer Events).

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

use convscope_core::arch::ReceptiveField;

use crate::lab::{ColorScale, fmt_num};
use convscope_core::colour::{self, rgb_of};

/// Props of [`MatrixCanvas`]. Equal props are props that draw and behave the same: the
/// `Rc`s are compared by identity (see [`PartialEq`] below), callbacks by pointer.
#[derive(Debug, Clone, Properties)]
pub struct MatrixCanvasProps {
    /// `rows · cols` values, row-major.
    pub values: Rc<Vec<f32>>,
    /// Rows of the map.
    pub rows: usize,
    /// Columns of the map.
    pub cols: usize,
    /// Zero-padding ring drawn around the map.
    #[prop_or_default]
    pub pad: usize,
    /// Cells of the current window `[y, x]` (unpadded coordinates, may lie in the padding).
    #[prop_or_default]
    pub taps: Rc<Vec<[isize; 2]>>,
    /// A cell outlined strongly (the output cell being computed, the max's winner, the
    /// pixel being explained).
    #[prop_or_default]
    pub focus: Option<[usize; 2]>,
    /// Only the first `n` cells (row-major) are filled in; the others are blank.
    #[prop_or_default]
    pub filled: Option<usize>,
    /// The colour scale; `None` draws `[0, 1]` as black to white (an image).
    #[prop_or_default]
    pub scale: Option<ColorScale>,
    /// An image in `[0, 1]` (as long as `values`) under the values: each cell is its gray
    /// with the value's colour laid over it, as opaque as the value is strong (a saliency
    /// map over the input). Needs a scale.
    #[prop_or_default]
    pub under: Option<Rc<Vec<f32>>>,
    /// Largest cell side in CSS pixels (grid sizing).
    #[prop_or(52.0)]
    pub max_cell: f64,
    /// Largest canvas side in CSS pixels (grid sizing).
    #[prop_or(300.0)]
    pub max_size: f64,
    /// A compact picture instead of a grid: the displayed width in CSS pixels (the height
    /// follows the aspect), no gaps, no numbers, no readout line (the value under the
    /// pointer is in the tooltip). `max_cell` and `max_size` are then unused.
    #[prop_or_default]
    pub size: Option<f64>,
    /// A rectangle outlined, `[x0, y0, x1, y1)` in map cells (a bounding box).
    #[prop_or_default]
    pub frame: Option<[u32; 4]>,
    /// Clicking a map cell, or Enter on the cursor, emits its `[y, x]`.
    #[prop_or_default]
    pub on_cell: Option<Callback<[usize; 2]>>,
    /// The arrows choose as they move (`on_cell` on every move), not only Enter.
    #[prop_or_default]
    pub follow: bool,
    /// A drawing pad: pressing a cell (or Enter on the cursor) emits `(cell, on)` with `on`
    /// the opposite of the cell's value, and dragging paints the same value over every cell
    /// it crosses.
    #[prop_or_default]
    pub on_paint: Option<Callback<([usize; 2], bool)>>,
    /// Page Up / `[` emits −1, Page Down / `]` +1: switch to a neighbouring map.
    #[prop_or_default]
    pub on_switch: Option<Callback<isize>>,
    /// Whether a clickable map is in the tab order (`tabindex` 0) or only focusable from
    /// its layer (−1): one tab stop per layer.
    #[prop_or(true)]
    pub tab_stop: bool,
    /// The canvas, for a layer that moves the focus between its maps.
    #[prop_or_default]
    pub node: Option<NodeRef>,
    /// Accessible name.
    pub label: AttrValue,
    /// `data-testid`.
    #[prop_or_default]
    pub testid: Option<AttrValue>,
    /// Extra state for tests (`data-window`).
    #[prop_or_default]
    pub window: Option<AttrValue>,
}

/// Two tap lists are the same taps: one `Rc`, or equal lists (a window's taps are at most a
/// few hundred cells, rebuilt on every render of the stage: compared by identity alone, the
/// input was redrawn whenever the page rendered, twice for every kernel edit).
fn same_taps(a: &Rc<Vec<[isize; 2]>>, b: &Rc<Vec<[isize; 2]>>) -> bool {
    Rc::ptr_eq(a, b) || a == b
}

/// Two images under the values are the same image: one `Rc`, or none.
fn same_under(a: &Option<Rc<Vec<f32>>>, b: &Option<Rc<Vec<f32>>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Rc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

impl PartialEq for MatrixCanvasProps {
    fn eq(&self, o: &Self) -> bool {
        // Destructured: a new field must be added here to compile.
        let Self {
            values,
            rows,
            cols,
            pad,
            taps,
            focus,
            filled,
            scale,
            under,
            max_cell,
            max_size,
            size,
            frame,
            on_cell,
            follow,
            on_paint,
            on_switch,
            tab_stop,
            node,
            label,
            testid,
            window,
        } = self;
        Rc::ptr_eq(values, &o.values)
            && same_taps(taps, &o.taps)
            && *rows == o.rows
            && *cols == o.cols
            && *pad == o.pad
            && *focus == o.focus
            && *filled == o.filled
            && *scale == o.scale
            && same_under(under, &o.under)
            && *max_cell == o.max_cell
            && *max_size == o.max_size
            && *size == o.size
            && *frame == o.frame
            && *on_cell == o.on_cell
            && *follow == o.follow
            && *on_paint == o.on_paint
            && *on_switch == o.on_switch
            && *tab_stop == o.tab_stop
            && *node == o.node
            && *label == o.label
            && *testid == o.testid
            && *window == o.window
    }
}

/// Cells smaller than this (CSS px) are drawn through an `ImageData`, without gaps or
/// numbers.
const SMALL_CELL: f64 = 6.0;

/// How the map is sized.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sizing {
    /// Whole CSS pixels per cell: the largest that keeps the canvas within `max_size` and
    /// the cell within `max_cell` (at least 2).
    Grid {
        /// Largest cell side.
        max_cell: f64,
        /// Largest canvas side.
        max_size: f64,
    },
    /// A displayed width; the height follows the aspect.
    Width(f64),
}

/// The canvas's size on the page and in its backing store.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Rows with the padding ring.
    pub prows: usize,
    /// Columns with the padding ring.
    pub pcols: usize,
    /// A cell's side in CSS pixels.
    pub cell: f64,
    /// Displayed `[width, height]` in CSS pixels.
    pub css: [f64; 2],
    /// Backing store `[width, height]` in device pixels.
    pub device: [u32; 2],
    /// Device pixels per CSS pixel (at least 1).
    pub dpr: f64,
    /// Cells drawn as a grid (gaps, numbers where they fit), else as one image.
    pub grid: bool,
}

impl Geometry {
    /// The geometry of a `rows × cols` map with a `pad` ring.
    pub fn new(rows: usize, cols: usize, pad: usize, sizing: Sizing, dpr: f64) -> Self {
        let dpr = if dpr.is_finite() { dpr.max(1.0) } else { 1.0 };
        let (prows, pcols) = (rows + 2 * pad, cols + 2 * pad);
        let (r, c) = (prows.max(1) as f64, pcols.max(1) as f64);
        match sizing {
            Sizing::Grid { max_cell, max_size } => {
                let cell = (max_size / r.max(c)).min(max_cell).floor().max(2.0);
                // Whole device pixels per cell: every cell edge falls on a device pixel.
                let dev = (cell * dpr).round().max(1.0);
                let device = [(c * dev) as u32, (r * dev) as u32];
                Self {
                    prows,
                    pcols,
                    cell,
                    css: [c * dev / dpr, r * dev / dpr],
                    device,
                    dpr,
                    grid: cell >= SMALL_CELL,
                }
            }
            Sizing::Width(width) => {
                let width = if width.is_finite() {
                    width.max(1.0)
                } else {
                    1.0
                };
                let cell = width / c;
                let css = [width, cell * r];
                Self {
                    prows,
                    pcols,
                    cell,
                    css,
                    device: css.map(|v| (v * dpr).round().max(1.0) as u32),
                    dpr,
                    grid: false,
                }
            }
        }
    }

    /// The device-pixel edge before column `i` (`i = pcols`: the right edge).
    fn x(&self, i: usize) -> f64 {
        edge(i, self.pcols, self.device[0])
    }

    /// The device-pixel edge above row `i`.
    fn y(&self, i: usize) -> f64 {
        edge(i, self.prows, self.device[1])
    }

    /// The padded cell at a point `(x, y)` in CSS pixels from the canvas's top-left corner
    /// on a canvas displayed `width × height`.
    pub fn cell_at(&self, x: f64, y: f64, width: f64, height: f64) -> Option<[usize; 2]> {
        if width <= 0.0 || height <= 0.0 || x < 0.0 || y < 0.0 {
            return None;
        }
        let (cx, cy) = (
            (x / width * self.pcols as f64) as usize,
            (y / height * self.prows as f64) as usize,
        );
        (cx < self.pcols && cy < self.prows).then_some([cy, cx])
    }
}

/// Edge `i` of `n` equal parts of `total` device pixels, on a whole pixel.
fn edge(i: usize, n: usize, total: u32) -> f64 {
    (i as f64 * f64::from(total) / n.max(1) as f64).round()
}

/// What a key does on an interactive map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    /// Move the cursor to this cell (the same cell at an edge).
    Move([usize; 2]),
    /// Choose (or toggle) the cursor's cell.
    Activate,
    /// Switch to the previous (−1) or next (+1) map.
    Switch(isize),
}

/// The cell an arrow key moves `cell` to on a `rows × cols` map (staying at the edges);
/// `None` for any other key.
pub fn next_cell(key: &str, [y, x]: [usize; 2], rows: usize, cols: usize) -> Option<[usize; 2]> {
    let (last_y, last_x) = (rows.saturating_sub(1), cols.saturating_sub(1));
    let (y, x) = (y.min(last_y), x.min(last_x));
    match key {
        "ArrowUp" => Some([y.saturating_sub(1), x]),
        "ArrowDown" => Some([(y + 1).min(last_y), x]),
        "ArrowLeft" => Some([y, x.saturating_sub(1)]),
        "ArrowRight" => Some([y, (x + 1).min(last_x)]),
        _ => None,
    }
}

/// What `key` does with the cursor at `cell`.
pub fn key_action(key: &str, cell: [usize; 2], rows: usize, cols: usize) -> Option<KeyAction> {
    match key {
        "Enter" | " " | "Spacebar" => Some(KeyAction::Activate),
        "PageUp" | "[" => Some(KeyAction::Switch(-1)),
        "PageDown" | "]" => Some(KeyAction::Switch(1)),
        _ => next_cell(key, cell, rows, cols).map(KeyAction::Move),
    }
}

/// Where the keyboard cursor was moved to, and the focused cell it was moved from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Moved {
    cell: [usize; 2],
    focus: Option<[usize; 2]>,
}

/// The keyboard cursor: where it was moved, until the focused cell changes (the stepper
/// moved on, the map switched); else the focused cell; else the centre.
fn cursor_of(
    moved: Option<Moved>,
    focus: Option<[usize; 2]>,
    rows: usize,
    cols: usize,
) -> [usize; 2] {
    let inside = |[y, x]: [usize; 2]| y < rows && x < cols;
    moved
        .filter(|m| m.focus == focus && inside(m.cell))
        .map(|m| m.cell)
        .or(focus.filter(|&c| inside(c)))
        .unwrap_or([rows / 2, cols / 2])
}

/// The readout of padded cell `[py, px]`: `(y, x) = v`, `(y, x) padding: 0`, or
/// `(y, x) not computed yet` (coordinates unpadded).
pub fn readout(
    values: &[f32],
    [rows, cols, pad]: [usize; 3],
    filled: Option<usize>,
    [py, px]: [usize; 2],
) -> Option<String> {
    if py >= rows + 2 * pad || px >= cols + 2 * pad {
        return None;
    }
    let (y, x) = (py as isize - pad as isize, px as isize - pad as isize);
    if y < 0 || x < 0 || y as usize >= rows || x as usize >= cols {
        return Some(format!("({y}, {x}) padding: 0"));
    }
    let i = y as usize * cols + x as usize;
    if filled.is_some_and(|n| i >= n) {
        return Some(format!("({y}, {x}) not computed yet"));
    }
    values
        .get(i)
        .map(|v| format!("({y}, {x}) = {}", fmt_num(*v)))
}

/// Everything a draw depends on — the draw's key. The `Rc`s compare by identity.
#[derive(Debug, Clone)]
pub struct Picture {
    /// The values.
    pub values: Rc<Vec<f32>>,
    /// `[rows, cols, pad]`.
    pub dims: [usize; 3],
    /// The window's taps.
    pub taps: Rc<Vec<[isize; 2]>>,
    /// The focused cell.
    pub focus: Option<[usize; 2]>,
    /// Cells filled in.
    pub filled: Option<usize>,
    /// The scale (`None`: gray).
    pub scale: Option<ColorScale>,
    /// The image under the values.
    pub under: Option<Rc<Vec<f32>>>,
    /// The framed rectangle.
    pub frame: Option<[u32; 4]>,
    /// The keyboard cursor, when shown.
    pub cursor: Option<[usize; 2]>,
    /// Sizes.
    pub geometry: Geometry,
}

impl PartialEq for Picture {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.values, &o.values)
            && same_taps(&self.taps, &o.taps)
            && self.dims == o.dims
            && self.focus == o.focus
            && self.filled == o.filled
            && self.scale == o.scale
            && same_under(&self.under, &o.under)
            && self.frame == o.frame
            && self.cursor == o.cursor
            && self.geometry == o.geometry
    }
}

impl Picture {
    /// Whether padded cell `[py, px]` is in the map (not the padding ring), and its index.
    #[inline(always)]
    fn index(&self, py: usize, px: usize) -> Option<usize> {
        let [rows, cols, pad] = self.dims;
        let (y, x) = (py.checked_sub(pad)?, px.checked_sub(pad)?);
        (y < rows && x < cols).then_some(y * cols + x)
    }

    /// The colour of padded cell `[py, px]`: padding grey, not yet computed white, else the
    /// value's.
    #[inline(always)]
    fn rgb(&self, py: usize, px: usize) -> [u8; 3] {
        match self.index(py, px) {
            None => PAD_RGB,
            Some(i) if self.filled.is_some_and(|n| i >= n) => BLANK_RGB,
            Some(i) => {
                let v = self.values.get(i).copied().unwrap_or(f32::NAN);
                match (&self.under, &self.scale) {
                    (Some(under), Some(scale)) => {
                        scale.over(v, under.get(i).copied().unwrap_or(0.0))
                    }
                    _ => rgb_of(self.scale.as_ref(), v),
                }
            }
        }
    }

    /// Every padded cell as one opaque RGBA pixel, row-major.
    pub fn cells_rgba(&self) -> Vec<u8> {
        let g = &self.geometry;
        let [rows, cols, pad] = self.dims;
        let mut out = vec![255; g.prows * g.pcols * 4];
        if g.pcols == 0 {
            return out;
        }
        let filled = self.filled.unwrap_or(usize::MAX);
        let fill = |px: &mut [u8], rgb: [u8; 3]| {
            px.chunks_exact_mut(4)
                .for_each(|p| p[..3].copy_from_slice(&rgb));
        };
        for (py, row) in out.chunks_exact_mut(g.pcols * 4).enumerate() {
            let Some(y) = py.checked_sub(pad).filter(|&y| y < rows) else {
                fill(row, PAD_RGB);
                continue;
            };
            // The padding ring, the map's cells of this row computed up to `filled` (painted
            // by the core), blank after them, the padding ring.
            let shown = filled.saturating_sub(y * cols).min(cols);
            let (left, rest) = row.split_at_mut(pad * 4);
            let (cells, right) = rest.split_at_mut(cols * 4);
            let (painted, blank) = cells.split_at_mut(shown * 4);
            fill(left, PAD_RGB);
            fill(right, PAD_RGB);
            fill(blank, BLANK_RGB);
            // The cells the core paints: those with a value (and an image under it, when
            // there is one). Any others (none when the props agree) take each cell's own colour.
            let start = y * cols;
            let values = self.values.get(start..).unwrap_or(&[]);
            let values = &values[..shown.min(values.len())];
            let (painted_n, rest) = match (&self.under, &self.scale) {
                (Some(under), Some(scale)) => {
                    let under = under.get(start..).unwrap_or(&[]);
                    let n = values.len().min(under.len());
                    let (head, rest) = painted.split_at_mut(n * 4);
                    colour::paint_over(scale, &values[..n], &under[..n], head);
                    (n, rest)
                }
                (_, scale) => {
                    let (head, rest) = painted.split_at_mut(values.len() * 4);
                    colour::paint(scale.as_ref(), values, head);
                    (values.len(), rest)
                }
            };
            for (j, px) in rest.chunks_exact_mut(4).enumerate() {
                px[..3].copy_from_slice(&self.rgb(py, pad + painted_n + j));
            }
        }
        out
    }
}

const PAD_RGB: [u8; 3] = [0xd9, 0xdd, 0xe3];
const BLANK_RGB: [u8; 3] = [0xff, 0xff, 0xff];

fn css_rgb([r, g, b]: [u8; 3]) -> String {
    format!("rgb({r},{g},{b})")
}

/// Whether text over `rgb` should be white.
fn dark([r, g, b]: [u8; 3]) -> bool {
    0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b) < 140.0
}

/// The padded cell under a pointer event, from the canvas's content box.
fn cell_at(e: &MouseEvent, canvas: &HtmlCanvasElement, g: &Geometry) -> Option<[usize; 2]> {
    let rect = canvas.get_bounding_client_rect();
    let x = f64::from(e.client_x()) - rect.left() - f64::from(canvas.client_left());
    let y = f64::from(e.client_y()) - rect.top() - f64::from(canvas.client_top());
    g.cell_at(
        x,
        y,
        f64::from(canvas.client_width()),
        f64::from(canvas.client_height()),
    )
}

/// A feature map on a canvas.
#[component]
pub fn MatrixCanvas(props: &MatrixCanvasProps) -> Html {
    let own = use_node_ref();
    let canvas = props.node.clone().unwrap_or(own);
    // The padded cell under the pointer.
    let hover = use_state_eq(|| None::<[usize; 2]>);
    let moved = use_state_eq(|| None::<Moved>);
    // The keyboard cursor is shown: focus came from the keyboard, or a key was used.
    let keyboard = use_state_eq(|| false);
    // While painting: the value being painted and the last cell painted.
    let stroke = use_mut_ref(|| None::<(bool, [usize; 2])>);
    // The off-screen canvas small cells are drawn through, made once per component.
    let scratch = use_mut_ref(|| None::<Scratch>);
    let draws = use_mut_ref(|| 0_u64);

    let (rows, cols, pad) = (props.rows, props.cols, props.pad);
    let sizing = props.size.map_or(
        Sizing::Grid {
            max_cell: props.max_cell,
            max_size: props.max_size,
        },
        Sizing::Width,
    );
    let geometry = Geometry::new(rows, cols, pad, sizing, crate::canvas::device_pixel_ratio());
    let interactive = props.on_cell.is_some() || props.on_paint.is_some();
    let cursor = cursor_of(*moved, props.focus, rows, cols);
    let show_cursor = interactive && *keyboard && rows > 0 && cols > 0;

    {
        let canvas = canvas.clone();
        let picture = Picture {
            values: props.values.clone(),
            dims: [rows, cols, pad],
            taps: props.taps.clone(),
            focus: props.focus,
            filled: props.filled,
            scale: props.scale,
            under: props.under.clone(),
            frame: props.frame,
            cursor: show_cursor.then_some(cursor),
            geometry,
        };
        crate::hooks::use_committed(picture, move |p| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>() {
                if let Err(e) = draw(&el, p, &scratch) {
                    web_sys::console::warn_1(&format!("matrix canvas: {e:?}").into());
                }
                let mut n = draws.borrow_mut();
                *n += 1;
                let _ = el.set_attribute("data-draws", &n.to_string());
                crate::perf::mark_once(crate::perf::FIRST_CANVAS);
            }
        });
    }

    let dims = [rows, cols, pad];
    let readout_cell =
        (*hover).or_else(|| show_cursor.then_some([cursor[0] + pad, cursor[1] + pad]));
    let readout = readout_cell.and_then(|c| readout(&props.values, dims, props.filled, c));

    // A map cell `[y, x]` (unpadded) under the pointer, if any.
    let map_cell = {
        let canvas = canvas.clone();
        move |e: &MouseEvent| {
            let el = canvas.cast::<HtmlCanvasElement>()?;
            let [py, px] = cell_at(e, &el, &geometry)?;
            let (y, x) = (py.checked_sub(pad)?, px.checked_sub(pad)?);
            (y < rows && x < cols).then_some([y, x])
        }
    };
    let onpointermove = {
        let hover = hover.clone();
        let canvas = canvas.clone();
        let stroke = stroke.clone();
        let on_paint = props.on_paint.clone();
        let map_cell = map_cell.clone();
        Callback::from(move |e: PointerEvent| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>() {
                hover.set(cell_at(&e, &el, &geometry));
            }
            let painting = *stroke.borrow();
            if let (Some(on_paint), Some((on, last))) = (&on_paint, painting) {
                if e.buttons() & 1 == 0 {
                    *stroke.borrow_mut() = None;
                } else if let Some(c) = map_cell(&e)
                    && c != last
                {
                    *stroke.borrow_mut() = Some((on, c));
                    on_paint.emit((c, on));
                }
            }
        })
    };
    // A stroke is the pointer's until it lifts (mouse, finger or pen alike): captured, its
    // moves stay the canvas's even when they leave it, and `touch-action: none` (style.css)
    // keeps a finger's drag from scrolling the page.
    let onpointerdown = interactive.then(|| {
        let stroke = stroke.clone();
        let keyboard = keyboard.clone();
        let values = props.values.clone();
        let on_paint = props.on_paint.clone();
        let map_cell = map_cell.clone();
        let canvas = canvas.clone();
        Callback::from(move |e: PointerEvent| {
            keyboard.set(false);
            if let Some(on_paint) = &on_paint
                && e.button() == 0
                && let Some(c @ [y, x]) = map_cell(&e)
            {
                if let Some(el) = canvas.cast::<HtmlCanvasElement>() {
                    let _ = el.set_pointer_capture(e.pointer_id());
                }
                let on = values.get(y * cols + x).is_none_or(|v| *v == 0.0);
                *stroke.borrow_mut() = Some((on, c));
                on_paint.emit((c, on));
            }
        })
    });
    // A click does not take the focus (nor starts a text selection while painting): the
    // page's keyboard shortcuts (a stepper's arrows and space) stay the page's. Tab
    // focuses the map.
    let onmousedown = interactive.then(|| Callback::from(|e: MouseEvent| e.prevent_default()));
    let end_stroke = {
        let stroke = stroke.clone();
        Callback::from(move |_: PointerEvent| *stroke.borrow_mut() = None)
    };
    let onpointerleave = {
        let hover = hover.clone();
        let stroke = stroke.clone();
        Callback::from(move |_: PointerEvent| {
            hover.set(None);
            *stroke.borrow_mut() = None;
        })
    };
    let onclick = props.on_cell.clone().map(|on_cell| {
        Callback::from(move |e: MouseEvent| {
            if let Some(c) = map_cell(&e) {
                on_cell.emit(c);
            }
        })
    });
    let onkeydown = interactive.then(|| {
        let (moved, keyboard) = (moved.clone(), keyboard.clone());
        let (on_cell, on_paint, on_switch) = (
            props.on_cell.clone(),
            props.on_paint.clone(),
            props.on_switch.clone(),
        );
        let (focus, follow, values) = (props.focus, props.follow, props.values.clone());
        Callback::from(move |e: KeyboardEvent| {
            if e.ctrl_key() || e.meta_key() || e.alt_key() || rows == 0 || cols == 0 {
                return;
            }
            match key_action(&e.key(), cursor, rows, cols) {
                None => return,
                Some(KeyAction::Switch(step)) => {
                    let Some(on_switch) = &on_switch else {
                        return;
                    };
                    on_switch.emit(step);
                }
                Some(KeyAction::Move(cell)) => {
                    keyboard.set(true);
                    moved.set(Some(Moved { cell, focus }));
                    if let (true, Some(on_cell)) = (follow, &on_cell) {
                        on_cell.emit(cell);
                    }
                }
                Some(KeyAction::Activate) => {
                    keyboard.set(true);
                    let [y, x] = cursor;
                    if let Some(on_paint) = &on_paint {
                        let on = values.get(y * cols + x).is_none_or(|v| *v == 0.0);
                        on_paint.emit((cursor, on));
                    } else if let Some(on_cell) = &on_cell {
                        on_cell.emit(cursor);
                    }
                }
            }
            // The key is the map's: not the page's stepper shortcuts, not a scroll.
            e.prevent_default();
            e.stop_propagation();
        })
    });
    let onfocus = interactive.then(|| {
        let keyboard = keyboard.clone();
        Callback::from(move |e: FocusEvent| {
            let visible = e
                .target_dyn_into::<web_sys::Element>()
                .and_then(|el| el.matches(":focus-visible").ok())
                .unwrap_or(false);
            keyboard.set(visible);
        })
    });
    let onblur = interactive.then(|| {
        let keyboard = keyboard.clone();
        Callback::from(move |_: FocusEvent| keyboard.set(false))
    });

    let tabindex = interactive.then_some(if props.tab_stop { "0" } else { "-1" });
    let role = if interactive { "button" } else { "img" };
    let [width, height] = geometry.css;
    let class = classes!(
        "matrix",
        props.size.is_some().then_some("compact"),
        interactive.then_some("clickable"),
        props.on_paint.is_some().then_some("paint"),
    );
    let canvas_html = html! {
        <canvas ref={canvas}
            data-testid={props.testid.clone()}
            data-window={props.window.clone()}
            data-rows={rows.to_string()}
            data-cols={cols.to_string()}
            data-pad={pad.to_string()}
            data-cell={geometry.cell.to_string()}
            role={role}
            aria-label={props.label.clone()}
            tabindex={tabindex}
            title={readout.clone().unwrap_or_else(|| props.label.to_string())}
            style={format!("width:{width}px;height:{height}px")}
            {onpointermove} {onpointerleave} {onpointerdown} {onmousedown} {onclick}
            {onkeydown} {onfocus} {onblur}
            onpointerup={end_stroke.clone()} onpointercancel={end_stroke} />
    };
    if props.size.is_some() {
        return html! { <span {class}>{ canvas_html }</span> };
    }
    html! {
        <figure {class}>
            { canvas_html }
            <figcaption class="readout" aria-live="off">
                { readout.unwrap_or_else(|| "\u{a0}".into()) }
            </figcaption>
        </figure>
    }
}

/// The rectangle `[x0, y0, x1, y1)` that a receptive field (`rows` and `cols` as
/// [`ReceptiveField::span`] gives them) covers on a map of `[height, width]` cells, for
/// the `frame` prop: its part inside the map, `None` when it lies wholly in the padding.
pub fn field_frame(rows: [i64; 2], cols: [i64; 2], [h, w]: [usize; 2]) -> Option<[u32; 4]> {
    let [y0, y1] = ReceptiveField::inside(rows, h);
    let [x0, x1] = ReceptiveField::inside(cols, w);
    let u = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    (x0 < x1 && y0 < y1).then(|| [u(x0), u(y0), u(x1), u(y1)])
}

/// Draws `p` on `el` (sized to its backing store), in device pixels.
fn draw(
    el: &HtmlCanvasElement,
    p: &Picture,
    scratch: &RefCell<Option<Scratch>>,
) -> Result<(), JsValue> {
    let g = &p.geometry;
    let [w, h] = g.device;
    // A resize clears the canvas and resets its context; every pixel is drawn again below.
    if el.width() != w {
        el.set_width(w);
    }
    if el.height() != h {
        el.set_height(h);
    }
    let ctx = crate::canvas::context_2d(el).ok_or("no 2d context")?;
    ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0)?;
    ctx.set_image_smoothing_enabled(false);
    if g.grid {
        draw_grid(&ctx, p);
    } else {
        // Small cells (large maps, e.g. an upsampled 64×64 input): one ImageData pixel per
        // cell, scaled up in one drawImage, instead of one fillRect per cell (255k of them
        // for 505×505 took half a second a frame).
        draw_image(&ctx, p, scratch)?;
    }
    draw_overlay(&ctx, p)
}

/// The smallest font size (CSS pixels) a grid's number is drawn at.
const MIN_LABEL_PX: f64 = 7.0;

/// One `fillRect` per cell with a gap between cells, numbers where they fit.
fn draw_grid(ctx: &CanvasRenderingContext2d, p: &Picture) {
    let g = &p.geometry;
    let [w, h] = g.device;
    ctx.set_fill_style_str("#eef0f3");
    ctx.fill_rect(0.0, 0.0, f64::from(w), f64::from(h));
    // The gap: whole device pixels, split around each cell.
    let gap = g.dpr.round().max(1.0);
    let (lo, hi) = ((gap / 2.0).floor(), gap - (gap / 2.0).floor());
    let numbers = g.cell >= 22.0;
    let font_px = (g.cell * 0.36).clamp(9.0, 16.0);
    let font = |px: f64| format!("{}px ui-monospace, monospace", px * g.dpr);
    ctx.set_font(&font(font_px));
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    // A monospace character is about 0.6 em wide: a number wider than its cell at the
    // grid's size is drawn smaller (a minus sign and four more characters in a cell of 50
    // px, say), down to MIN_LABEL_PX, so that negative values show as positive ones do.
    let size_for = |s: &str| {
        let fit = (g.cell - 3.0) / (s.chars().count() as f64 * 0.6);
        (fit >= MIN_LABEL_PX).then_some(fit.min(font_px))
    };
    for py in 0..g.prows {
        let (y0, y1) = (g.y(py), g.y(py + 1));
        for px in 0..g.pcols {
            let (x0, x1) = (g.x(px), g.x(px + 1));
            let rgb = p.rgb(py, px);
            ctx.set_fill_style_str(&css_rgb(rgb));
            ctx.fill_rect(x0 + lo, y0 + lo, x1 - x0 - lo - hi, y1 - y0 - lo - hi);
            if !numbers {
                continue;
            }
            let label = match p.index(py, px) {
                // Padding: a faint 0.
                None => Some(("0".to_owned(), "#8a93a0")),
                Some(i) if p.filled.is_some_and(|n| i >= n) => None,
                Some(i) => {
                    let v = p.values.get(i).copied().unwrap_or(f32::NAN);
                    let text = if dark(rgb) { "#ffffff" } else { "#1b1f24" };
                    Some((fmt_num(v), text))
                }
            };
            if let Some((label, colour)) = label
                && let Some(px) = size_for(&label)
            {
                ctx.set_fill_style_str(colour);
                if px < font_px {
                    ctx.set_font(&font(px));
                }
                let _ = ctx.fill_text(&label, (x0 + x1) / 2.0, (y0 + y1) / 2.0);
                if px < font_px {
                    ctx.set_font(&font(font_px));
                }
            }
        }
    }
}

/// An off-screen canvas, its context and its pixels, kept between draws (a stepper that
/// plays redraws 60 times a second; a new canvas or `ImageData` each time was garbage for the
/// browser to collect).
struct Scratch {
    canvas: HtmlCanvasElement,
    ctx: CanvasRenderingContext2d,
    /// The last `ImageData` and its pixel array (the same `Uint8ClampedArray`, written in
    /// place), made again only when the size changes.
    image: Option<(web_sys::ImageData, js_sys::Uint8ClampedArray)>,
}

impl Scratch {
    fn new() -> Result<Self, JsValue> {
        let canvas: HtmlCanvasElement = web_sys::window()
            .and_then(|w| w.document())
            .ok_or("no document")?
            .create_element("canvas")?
            .dyn_into()?;
        let ctx = canvas
            .get_context("2d")?
            .ok_or("no 2d context")?
            .dyn_into()?;
        Ok(Self {
            canvas,
            ctx,
            image: None,
        })
    }

    /// Puts `rgba` (`width`×`height` pixels) on the canvas's top-left corner through the kept
    /// `ImageData`, written in place (a new one when the size differs from the last).
    fn put(&mut self, rgba: &[u8], width: u32, height: u32) -> Result<(), JsValue> {
        let fits = self
            .image
            .as_ref()
            .is_some_and(|(image, _)| image.width() == width && image.height() == height);
        if !fits {
            // Copied out of the wasm memory: an ImageData made from a view of it keeps the
            // view, which the memory growing (even while the ImageData is handed back to
            // Rust) detaches, and the put then fails.
            let data = js_sys::Uint8ClampedArray::new_with_length(rgba.len() as u32);
            let image =
                web_sys::ImageData::new_with_js_u8_clamped_array_and_sh(&data, width, height)?;
            // The ImageData's own array (the one passed in, not a copy).
            let data: js_sys::Uint8ClampedArray =
                js_sys::Reflect::get(&image, &"data".into())?.dyn_into()?;
            self.image = Some((image, data));
        }
        let (image, data) = self.image.as_ref().ok_or("no image")?;
        if data.length() as usize != rgba.len() {
            return Err(format!("{} pixel bytes for {width}×{height}", rgba.len()).into());
        }
        data.copy_from(rgba);
        self.ctx.put_image_data(image, 0.0, 0.0)
    }

    /// Resizes the canvas, only when the size changes (a resize clears it and costs a new
    /// backing store).
    fn fit(&self, width: u32, height: u32) {
        if self.canvas.width() != width {
            self.canvas.set_width(width);
        }
        if self.canvas.height() != height {
            self.canvas.set_height(height);
        }
    }
}

/// Every cell as one pixel of an `ImageData`, put on the scratch canvas (made on first use)
/// and drawn scaled (no smoothing) over the whole canvas.
fn draw_image(
    ctx: &CanvasRenderingContext2d,
    p: &Picture,
    scratch: &RefCell<Option<Scratch>>,
) -> Result<(), JsValue> {
    let g = &p.geometry;
    let (pcols, prows) = (g.pcols as u32, g.prows as u32);
    if pcols == 0 || prows == 0 {
        return Ok(());
    }
    let mut scratch = scratch.borrow_mut();
    let scratch = match &mut *scratch {
        Some(s) => s,
        empty => empty.insert(Scratch::new()?),
    };
    scratch.fit(pcols, prows);
    let rgba = p.cells_rgba();
    // Every pixel is overwritten: no clear needed when the size is unchanged.
    scratch.put(&rgba, pcols, prows)?;
    let [w, h] = g.device;
    ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
        &scratch.canvas,
        0.0,
        0.0,
        f64::from(w),
        f64::from(h),
    )
}

/// Strokes the rectangle `[x0, x1) × [y0, y1)` (device pixels) with a line `lw` wide, inside
/// it (`inset` from its edges) when the cell is large enough, else around it.
fn outline(ctx: &CanvasRenderingContext2d, [x0, y0, x1, y1]: [f64; 4], lw: f64, inset: f64) {
    ctx.set_line_width(lw);
    let side = (x1 - x0).min(y1 - y0);
    let d = if side >= 2.0 * inset + 2.0 * lw {
        inset + lw / 2.0
    } else {
        -lw / 2.0
    };
    ctx.stroke_rect(x0 + d, y0 + d, x1 - x0 - 2.0 * d, y1 - y0 - 2.0 * d);
}

/// The window's taps, the framed rectangle, the focused cell and the keyboard cursor, over
/// the cells.
fn draw_overlay(ctx: &CanvasRenderingContext2d, p: &Picture) -> Result<(), JsValue> {
    let g = &p.geometry;
    let [_, _, pad] = p.dims;
    let cell_rect = |py: usize, px: usize| [g.x(px), g.y(py), g.x(px + 1), g.y(py + 1)];
    let s = g.dpr;
    // The window: every tap outlined.
    ctx.set_stroke_style_str("#e63946");
    for &[y, x] in p.taps.iter() {
        let (py, px) = (y + pad as isize, x + pad as isize);
        if py < 0 || px < 0 || py as usize >= g.prows || px as usize >= g.pcols {
            continue;
        }
        let lw = (g.cell * 0.08).clamp(1.5, 3.0) * s;
        outline(ctx, cell_rect(py as usize, px as usize), lw, 1.0 * s);
    }
    if let Some([x0, y0, x1, y1]) = p.frame {
        let c = |v: u32| v as usize + pad;
        let (x1, y1) = (c(x1).min(g.pcols), c(y1).min(g.prows));
        let (x0, y0) = (c(x0).min(x1), c(y0).min(y1));
        let lw = s.round().max(1.0);
        ctx.set_stroke_style_str("#e63946");
        ctx.set_line_dash(&js_sys::Array::of2(&(3.0 * s).into(), &(2.0 * s).into()))?;
        outline(ctx, [g.x(x0), g.y(y0), g.x(x1), g.y(y1)], lw, 0.0);
        ctx.set_line_dash(&js_sys::Array::new())?;
    }
    if let Some([y, x]) = p.focus
        && y + pad < g.prows
        && x + pad < g.pcols
    {
        ctx.set_stroke_style_str("#f4a261");
        let lw = (g.cell * 0.14).clamp(2.0, 4.0) * s;
        outline(ctx, cell_rect(y + pad, x + pad), lw, 1.0 * s);
    }
    if let Some([y, x]) = p.cursor
        && y + pad < g.prows
        && x + pad < g.pcols
    {
        // Dark with a white line inside: visible on every colour of every scale.
        let r = cell_rect(y + pad, x + pad);
        ctx.set_stroke_style_str("#1b1f24");
        outline(ctx, r, 2.0 * s, 0.0);
        ctx.set_stroke_style_str("#ffffff");
        let side = (r[2] - r[0]).min(r[3] - r[1]);
        if side >= 8.0 * s {
            outline(ctx, r, s, 2.0 * s);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrows_move_within_the_map_other_keys_do_not() {
        assert_eq!(next_cell("ArrowRight", [1, 1], 3, 3), Some([1, 2]));
        assert_eq!(next_cell("ArrowRight", [1, 2], 3, 3), Some([1, 2]));
        assert_eq!(next_cell("ArrowLeft", [1, 0], 3, 3), Some([1, 0]));
        assert_eq!(next_cell("ArrowUp", [0, 2], 3, 3), Some([0, 2]));
        assert_eq!(next_cell("ArrowDown", [1, 2], 3, 3), Some([2, 2]));
        assert_eq!(next_cell("ArrowDown", [2, 2], 3, 4), Some([2, 2]));
        // A cursor outside a map that shrank comes back inside.
        assert_eq!(next_cell("ArrowUp", [9, 9], 3, 3), Some([1, 2]));
        assert_eq!(next_cell("Enter", [1, 1], 3, 3), None);
        assert_eq!(next_cell("a", [1, 1], 3, 3), None);
    }

    #[test]
    fn keys_activate_switch_and_move() {
        assert_eq!(key_action("Enter", [0, 0], 2, 2), Some(KeyAction::Activate));
        assert_eq!(key_action(" ", [0, 0], 2, 2), Some(KeyAction::Activate));
        assert_eq!(
            key_action("PageUp", [0, 0], 2, 2),
            Some(KeyAction::Switch(-1))
        );
        assert_eq!(key_action("]", [0, 0], 2, 2), Some(KeyAction::Switch(1)));
        assert_eq!(
            key_action("ArrowDown", [0, 0], 2, 2),
            Some(KeyAction::Move([1, 0]))
        );
        assert_eq!(key_action("Home", [0, 0], 2, 2), None);
        assert_eq!(key_action("Tab", [0, 0], 2, 2), None);
    }

    #[test]
    fn the_cursor_starts_at_the_focus_or_centre_and_follows_a_new_focus() {
        assert_eq!(cursor_of(None, None, 28, 28), [14, 14]);
        assert_eq!(cursor_of(None, Some([2, 3]), 28, 28), [2, 3]);
        let moved = Some(Moved {
            cell: [5, 5],
            focus: Some([2, 3]),
        });
        assert_eq!(cursor_of(moved, Some([2, 3]), 28, 28), [5, 5]);
        // The stepper moved on: the cursor goes to the new focused cell.
        assert_eq!(cursor_of(moved, Some([2, 4]), 28, 28), [2, 4]);
        // The map shrank under the cursor.
        assert_eq!(cursor_of(moved, Some([2, 3]), 4, 4), [2, 3]);
        assert_eq!(cursor_of(None, Some([9, 9]), 4, 4), [2, 2]);
    }

    #[test]
    fn readouts_name_values_padding_and_cells_not_computed() {
        let v = [1.0, 2.5, -3.0, 4.0];
        assert_eq!(
            readout(&v, [2, 2, 1], None, [1, 2]),
            Some("(0, 1) = 2.5".into())
        );
        assert_eq!(
            readout(&v, [2, 2, 1], None, [2, 1]),
            Some("(1, 0) = −3".into())
        );
        assert_eq!(
            readout(&v, [2, 2, 1], None, [0, 1]),
            Some("(-1, 0) padding: 0".into())
        );
        assert_eq!(
            readout(&v, [2, 2, 0], Some(2), [1, 1]),
            Some("(1, 1) not computed yet".into())
        );
        assert_eq!(readout(&v, [2, 2, 0], None, [2, 0]), None);
    }

    #[test]
    fn grid_cells_are_whole_device_pixels() {
        let g = Geometry::new(
            5,
            5,
            1,
            Sizing::Grid {
                max_cell: 52.0,
                max_size: 300.0,
            },
            1.0,
        );
        assert_eq!((g.prows, g.pcols, g.cell), (7, 7, 42.0));
        assert_eq!(g.device, [294, 294]);
        assert_eq!(g.css, [294.0, 294.0]);
        assert!(g.grid);
        // 1.25: 42 CSS pixels would be 52.5 device pixels; each cell gets 53.
        let g = Geometry::new(
            5,
            5,
            1,
            Sizing::Grid {
                max_cell: 52.0,
                max_size: 300.0,
            },
            1.25,
        );
        assert_eq!(g.device, [7 * 53, 7 * 53]);
        assert!((g.css[0] - 7.0 * 53.0 / 1.25).abs() < 1e-9);
        assert_eq!(g.x(3), 3.0 * 53.0);
        // Big maps: small cells, drawn as an image.
        let g = Geometry::new(
            64,
            64,
            0,
            Sizing::Grid {
                max_cell: 52.0,
                max_size: 300.0,
            },
            2.0,
        );
        assert_eq!(g.cell, 4.0);
        assert_eq!(g.device, [512, 512]);
        assert!(!g.grid);
    }

    #[test]
    fn a_width_sizes_the_picture_and_pointer_positions_find_cells() {
        let g = Geometry::new(14, 28, 0, Sizing::Width(112.0), 2.0);
        assert_eq!(g.css, [112.0, 56.0]);
        assert_eq!(g.device, [224, 112]);
        assert_eq!(g.cell, 4.0);
        assert!(!g.grid);
        assert_eq!(g.cell_at(50.0, 10.0, 112.0, 56.0), Some([2, 12]));
        assert_eq!(g.cell_at(111.9, 55.9, 112.0, 56.0), Some([13, 27]));
        assert_eq!(g.cell_at(112.0, 0.0, 112.0, 56.0), None);
        assert_eq!(g.cell_at(-1.0, 0.0, 112.0, 56.0), None);
    }

    fn picture(values: &Rc<Vec<f32>>, taps: Rc<Vec<[isize; 2]>>) -> Picture {
        Picture {
            values: values.clone(),
            dims: [2, 2, 1],
            taps,
            focus: None,
            filled: Some(3),
            scale: None,
            under: None,
            frame: None,
            cursor: None,
            geometry: Geometry::new(2, 2, 1, Sizing::Width(40.0), 1.0),
        }
    }

    #[test]
    fn pictures_compare_values_by_identity_and_taps_by_content() {
        let a = Rc::new(vec![0.0, 1.0, 0.5, 1.0]);
        let same_content = Rc::new(vec![0.0, 1.0, 0.5, 1.0]);
        // Two empty tap lists are the same (a default Rc is new every render).
        assert_eq!(picture(&a, Rc::default()), picture(&a, Rc::default()));
        assert_ne!(
            picture(&a, Rc::default()),
            picture(&same_content, Rc::default())
        );
        // Taps (a window's few cells, rebuilt every render) compare by content: the same
        // window does not redraw the image under it.
        let taps = Rc::new(vec![[0, 0]]);
        assert_eq!(picture(&a, taps.clone()), picture(&a, taps));
        assert_eq!(
            picture(&a, Rc::new(vec![[0, 0]])),
            picture(&a, Rc::new(vec![[0, 0]]))
        );
        assert_ne!(
            picture(&a, Rc::new(vec![[0, 0]])),
            picture(&a, Rc::new(vec![[0, 1]]))
        );
        let mut moved = picture(&a, Rc::default());
        moved.cursor = Some([1, 1]);
        assert_ne!(moved, picture(&a, Rc::default()));
    }

    #[test]
    fn the_image_data_is_every_cell_s_colour() {
        // Rows and columns unequal, padding, part filled, values missing, NaN, every
        // colour case (gray, a scale, a scale over an image).
        let values = Rc::new(vec![-2.0, 0.5, f32::NAN, 3.0, 1.0, -0.25, 0.0, 2.0, 1.5]);
        let under = Rc::new(vec![0.2; 12]);
        let scale = ColorScale::fit(values.iter());
        for (pad, filled, scale, under) in [
            (0, None, None, None),
            (2, Some(5), Some(scale), None),
            (1, Some(100), Some(scale), Some(under.clone())),
            (3, Some(0), None, Some(under.clone())),
            // An image shorter than the values: 0 under the rest.
            (0, None, Some(scale), Some(Rc::new(vec![0.7; 5]))),
        ] {
            let p = Picture {
                values: values.clone(),
                dims: [3, 4, pad],
                taps: Rc::default(),
                focus: None,
                filled,
                scale,
                under,
                frame: None,
                cursor: None,
                geometry: Geometry::new(3, 4, pad, Sizing::Width(80.0), 1.0),
            };
            let rgba = p.cells_rgba();
            let g = &p.geometry;
            assert_eq!(rgba.len(), g.prows * g.pcols * 4);
            for py in 0..g.prows {
                for px in 0..g.pcols {
                    let at = (py * g.pcols + px) * 4;
                    let [r, gr, b] = p.rgb(py, px);
                    assert_eq!(
                        rgba[at..at + 4],
                        [r, gr, b, 255],
                        "pad {pad} cell ({py}, {px})"
                    );
                }
            }
        }
    }

    #[test]
    fn cells_are_padding_grey_blank_or_their_value() {
        let a = Rc::new(vec![0.0, 1.0, 0.5, 1.0]);
        let rgba = picture(&a, Rc::default()).cells_rgba();
        assert_eq!(rgba.len(), 4 * 4 * 4);
        let px = |y: usize, x: usize| &rgba[(y * 4 + x) * 4..(y * 4 + x) * 4 + 4];
        assert_eq!(px(0, 0), [0xd9, 0xdd, 0xe3, 255]);
        assert_eq!(px(1, 1), [0, 0, 0, 255]);
        assert_eq!(px(1, 2), [255, 255, 255, 255]);
        assert_eq!(px(2, 1), [128, 128, 128, 255]);
        // The fourth cell is not computed yet: blank.
        assert_eq!(px(2, 2), [255, 255, 255, 255]);
        assert_eq!(px(3, 3), [0xd9, 0xdd, 0xe3, 255]);
    }

    #[test]
    fn props_compare_rcs_by_identity() {
        let values = Rc::new(vec![1.0_f32; 4]);
        let props = |values: &Rc<Vec<f32>>, on_cell: Option<Callback<[usize; 2]>>| {
            yew::props!(MatrixCanvasProps {
                values: values.clone(),
                rows: 2,
                cols: 2,
                label: "map",
                on_cell,
            })
        };
        let cb = Callback::from(|_: [usize; 2]| ());
        assert_eq!(props(&values, Some(cb.clone())), props(&values, Some(cb)));
        assert_ne!(props(&values, None), props(&Rc::new(vec![1.0; 4]), None));
        assert_ne!(
            props(&values, Some(Callback::from(|_: [usize; 2]| ()))),
            props(&values, Some(Callback::from(|_: [usize; 2]| ())))
        );
    }
}
