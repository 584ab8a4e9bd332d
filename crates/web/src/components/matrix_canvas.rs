//! A feature map drawn on a canvas: one `fillRect` per cell, the padding ring hatched, the
//! current window's taps outlined, a focused cell, a hover readout, and click-to-select.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, MouseEvent};
use yew::prelude::*;

use crate::lab::{ColorScale, fmt_num};

/// Props of [`MatrixCanvas`].
#[derive(Debug, Clone, Properties, PartialEq)]
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
    /// A cell outlined strongly (the output cell being computed, the max's winner).
    #[prop_or_default]
    pub focus: Option<[usize; 2]>,
    /// Only the first `n` cells (row-major) are filled in; the others are blank.
    #[prop_or_default]
    pub filled: Option<usize>,
    /// The colour scale.
    pub scale: ColorScale,
    /// Largest cell side in CSS pixels.
    #[prop_or(52.0)]
    pub max_cell: f64,
    /// Largest canvas side in CSS pixels.
    #[prop_or(300.0)]
    pub max_size: f64,
    /// Clicking a map cell emits its `[y, x]`.
    #[prop_or_default]
    pub on_cell: Option<Callback<[usize; 2]>>,
    /// Accessible name.
    pub label: AttrValue,
    /// `data-testid`.
    pub testid: AttrValue,
    /// A drawing pad: pressing a cell emits `(cell, on)` with `on` the opposite of the
    /// cell's value, and dragging paints the same value over every cell it crosses.
    #[prop_or_default]
    pub on_paint: Option<Callback<([usize; 2], bool)>>,
    /// Extra state for tests (`data-window`).
    #[prop_or_default]
    pub window: Option<AttrValue>,
}

fn cell_size(p: &MatrixCanvasProps) -> f64 {
    let n = (p.rows.max(p.cols) + 2 * p.pad).max(1) as f64;
    (p.max_size / n).min(p.max_cell).floor().max(2.0)
}

/// The `[y, x]` (padded coordinates) under a mouse event.
fn cell_at(e: &MouseEvent, canvas: &HtmlCanvasElement, cell: f64) -> Option<[usize; 2]> {
    let rect = canvas.get_bounding_client_rect();
    let x = (f64::from(e.client_x()) - rect.left()) / cell;
    let y = (f64::from(e.client_y()) - rect.top()) / cell;
    (x >= 0.0 && y >= 0.0).then(|| [y.floor() as usize, x.floor() as usize])
}

/// A feature map on a canvas.
#[component]
pub fn MatrixCanvas(props: &MatrixCanvasProps) -> Html {
    let canvas = use_node_ref();
    let hover = use_state(|| None::<[usize; 2]>);
    // While painting: the value being painted and the last cell painted.
    let stroke = use_mut_ref(|| None::<(bool, [usize; 2])>);
    // The off-screen canvas small cells are drawn through, made once per component.
    let scratch = use_mut_ref(|| None::<Scratch>);
    let cell = cell_size(props);
    let (prows, pcols) = (props.rows + 2 * props.pad, props.cols + 2 * props.pad);
    let (width, height) = (pcols as f64 * cell, prows as f64 * cell);

    {
        let canvas = canvas.clone();
        use_effect_with(props.clone(), move |p| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>() {
                draw(&el, p, cell_size(p), &scratch);
                crate::perf::mark_once(crate::perf::FIRST_CANVAS);
            }
        });
    }

    let readout = hover.and_then(|[py, px]| {
        if py >= prows || px >= pcols {
            return None;
        }
        let (y, x) = (
            py as isize - props.pad as isize,
            px as isize - props.pad as isize,
        );
        if y < 0 || x < 0 || y as usize >= props.rows || x as usize >= props.cols {
            return Some(format!("({y}, {x}) padding: 0"));
        }
        let i = y as usize * props.cols + x as usize;
        if props.filled.is_some_and(|n| i >= n) {
            return Some(format!("({y}, {x}) not computed yet"));
        }
        props
            .values
            .get(i)
            .map(|v| format!("({y}, {x}) = {}", fmt_num(*v)))
    });

    // A map cell `[y, x]` (unpadded) under the mouse, if any.
    let map_cell = {
        let canvas = canvas.clone();
        let (pad, rows, cols) = (props.pad, props.rows, props.cols);
        move |e: &MouseEvent| {
            let el = canvas.cast::<HtmlCanvasElement>()?;
            let [py, px] = cell_at(e, &el, cell)?;
            let (y, x) = (py.wrapping_sub(pad), px.wrapping_sub(pad));
            (y < rows && x < cols).then_some([y, x])
        }
    };
    let onmousemove = {
        let hover = hover.clone();
        let canvas = canvas.clone();
        let stroke = stroke.clone();
        let on_paint = props.on_paint.clone();
        let map_cell = map_cell.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>() {
                hover.set(cell_at(&e, &el, cell));
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
    let onmousedown = props.on_paint.clone().map(|on_paint| {
        let stroke = stroke.clone();
        let values = props.values.clone();
        let cols = props.cols;
        let map_cell = map_cell.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some(c @ [y, x]) = map_cell(&e) {
                e.prevent_default();
                let on = values.get(y * cols + x).is_none_or(|v| *v == 0.0);
                *stroke.borrow_mut() = Some((on, c));
                on_paint.emit((c, on));
            }
        })
    });
    let onmouseup = {
        let stroke = stroke.clone();
        Callback::from(move |_: MouseEvent| *stroke.borrow_mut() = None)
    };
    let onmouseleave = {
        let hover = hover.clone();
        let stroke = stroke.clone();
        Callback::from(move |_: MouseEvent| {
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
    let clickable = props.on_cell.is_some() || props.on_paint.is_some();
    html! {
        <figure class={classes!("matrix", clickable.then_some("clickable"))}>
            <canvas ref={canvas}
                data-testid={props.testid.clone()}
                data-window={props.window.clone()}
                data-rows={props.rows.to_string()}
                data-cols={props.cols.to_string()}
                data-pad={props.pad.to_string()}
                data-cell={cell.to_string()}
                role="img"
                aria-label={props.label.clone()}
                title={readout.clone().unwrap_or_else(|| props.label.to_string())}
                style={format!("width:{width}px;height:{height}px")}
                {onmousemove} {onmouseleave} {onclick} {onmousedown} {onmouseup} />
            <figcaption class="readout" aria-live="off">
                { readout.unwrap_or_else(|| "\u{a0}".into()) }
            </figcaption>
        </figure>
    }
}

fn draw(
    el: &HtmlCanvasElement,
    p: &MatrixCanvasProps,
    cell: f64,
    scratch: &RefCell<Option<Scratch>>,
) {
    let dpr = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    let (prows, pcols) = (p.rows + 2 * p.pad, p.cols + 2 * p.pad);
    let (w, h) = (pcols as f64 * cell, prows as f64 * cell);
    el.set_width((w * dpr).round() as u32);
    el.set_height((h * dpr).round() as u32);
    let Some(ctx) = crate::canvas::context_2d(el) else {
        return;
    };
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    ctx.set_fill_style_str("#eef0f3");
    ctx.fill_rect(0.0, 0.0, w, h);
    // Small cells (large maps, e.g. an upsampled 64×64 input): one ImageData pixel per
    // cell, scaled up in one drawImage, instead of one fillRect per cell (255k of them
    // for 505×505 took half a second a frame).
    if cell < SMALL_CELL && draw_cells_as_image(&ctx, p, cell, scratch).is_ok() {
        draw_overlay(&ctx, p, cell);
        return;
    }
    let numbers = cell >= 22.0;
    let font_px = (cell * 0.36).clamp(9.0, 16.0);
    let font = format!("{font_px}px ui-monospace, monospace");
    // A monospace digit is about 0.6 em wide: numbers are drawn only where they fit.
    let fits = |s: &str| s.chars().count() as f64 * font_px * 0.6 <= cell - 3.0;
    ctx.set_font(&font);
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    for py in 0..prows {
        for px in 0..pcols {
            let (x0, y0) = (px as f64 * cell, py as f64 * cell);
            let inside = py >= p.pad && px >= p.pad && py - p.pad < p.rows && px - p.pad < p.cols;
            if !inside {
                // Padding: hatched grey with a faint 0.
                ctx.set_fill_style_str("#d9dde3");
                ctx.fill_rect(x0 + 0.5, y0 + 0.5, cell - 1.0, cell - 1.0);
                if numbers {
                    ctx.set_fill_style_str("#8a93a0");
                    let _ = ctx.fill_text("0", x0 + cell / 2.0, y0 + cell / 2.0);
                }
                continue;
            }
            let i = (py - p.pad) * p.cols + (px - p.pad);
            let v = p.values.get(i).copied().unwrap_or(f32::NAN);
            if p.filled.is_some_and(|n| i >= n) {
                ctx.set_fill_style_str("#ffffff");
                ctx.fill_rect(x0 + 0.5, y0 + 0.5, cell - 1.0, cell - 1.0);
                continue;
            }
            ctx.set_fill_style_str(&p.scale.css(v));
            let gap = if cell >= 6.0 { 0.5 } else { 0.0 };
            ctx.fill_rect(x0 + gap, y0 + gap, cell - 2.0 * gap, cell - 2.0 * gap);
            let label = fmt_num(v);
            if numbers && fits(&label) {
                ctx.set_fill_style_str(if p.scale.dark(v) {
                    "#ffffff"
                } else {
                    "#1b1f24"
                });
                let _ = ctx.fill_text(&label, x0 + cell / 2.0, y0 + cell / 2.0);
            }
        }
    }
    draw_overlay(&ctx, p, cell);
}

/// Cells smaller than this (CSS px) are drawn through an `ImageData`.
const SMALL_CELL: f64 = 6.0;

/// An off-screen canvas and its context, kept between draws (a stepper that plays redraws
/// 60 times a second; a new canvas each time was garbage for the browser to collect).
struct Scratch {
    canvas: HtmlCanvasElement,
    ctx: CanvasRenderingContext2d,
}

impl Scratch {
    fn new() -> Result<Self, wasm_bindgen::JsValue> {
        let canvas: HtmlCanvasElement = web_sys::window()
            .and_then(|w| w.document())
            .ok_or("no document")?
            .create_element("canvas")?
            .dyn_into()?;
        let ctx = canvas
            .get_context("2d")?
            .ok_or("no 2d context")?
            .dyn_into()?;
        Ok(Self { canvas, ctx })
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
/// and drawn scaled (no smoothing) onto `ctx`: padding grey, unfilled cells white, others
/// in the scale.
fn draw_cells_as_image(
    ctx: &CanvasRenderingContext2d,
    p: &MatrixCanvasProps,
    cell: f64,
    scratch: &RefCell<Option<Scratch>>,
) -> Result<(), wasm_bindgen::JsValue> {
    let (prows, pcols) = (p.rows + 2 * p.pad, p.cols + 2 * p.pad);
    let mut rgba = Vec::with_capacity(prows * pcols * 4);
    for py in 0..prows {
        for px in 0..pcols {
            let inside = py >= p.pad && px >= p.pad && py - p.pad < p.rows && px - p.pad < p.cols;
            let [r, g, b] = if !inside {
                [0xd9, 0xdd, 0xe3]
            } else {
                let i = (py - p.pad) * p.cols + (px - p.pad);
                if p.filled.is_some_and(|n| i >= n) {
                    [0xff, 0xff, 0xff]
                } else {
                    p.scale.rgb(p.values.get(i).copied().unwrap_or(f32::NAN))
                }
            };
            rgba.extend_from_slice(&[r, g, b, 0xff]);
        }
    }
    let image = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
        wasm_bindgen::Clamped(&rgba),
        pcols as u32,
        prows as u32,
    )?;
    let mut scratch = scratch.borrow_mut();
    let scratch = match &mut *scratch {
        Some(s) => s,
        empty => empty.insert(Scratch::new()?),
    };
    scratch.fit(pcols as u32, prows as u32);
    // Every pixel is overwritten: no clear needed when the size is unchanged.
    scratch.ctx.put_image_data(&image, 0.0, 0.0)?;
    ctx.set_image_smoothing_enabled(false);
    ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
        &scratch.canvas,
        0.0,
        0.0,
        pcols as f64 * cell,
        prows as f64 * cell,
    )
}

/// The window's taps and the focused cell, over the cells.
fn draw_overlay(ctx: &CanvasRenderingContext2d, p: &MatrixCanvasProps, cell: f64) {
    // The window: every tap outlined.
    ctx.set_stroke_style_str("#e63946");
    ctx.set_line_width((cell * 0.08).clamp(1.5, 3.0));
    for &[y, x] in p.taps.iter() {
        let (py, px) = (y + p.pad as isize, x + p.pad as isize);
        if py < 0 || px < 0 {
            continue;
        }
        let inset = 1.5;
        ctx.stroke_rect(
            px as f64 * cell + inset,
            py as f64 * cell + inset,
            cell - 2.0 * inset,
            cell - 2.0 * inset,
        );
    }
    if let Some([y, x]) = p.focus {
        ctx.set_stroke_style_str("#f4a261");
        ctx.set_line_width((cell * 0.14).clamp(2.0, 4.0));
        let (py, px) = (y + p.pad, x + p.pad);
        ctx.stroke_rect(
            px as f64 * cell + 2.0,
            py as f64 * cell + 2.0,
            cell - 4.0,
            cell - 4.0,
        );
    }
}
