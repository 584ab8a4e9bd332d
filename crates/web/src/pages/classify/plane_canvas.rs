//! One map drawn pixel for pixel: the RGBA buffer is computed in Rust and put on the canvas
//! with a single `putImageData`; CSS scales it up without smoothing. Hovering shows the
//! value under the pointer, clicking emits the pixel.
//!
//! A clickable map is a button for the keyboard: Enter or Space chooses the outlined pixel
//! (the centre when none), the arrows move it, and Page Up / Page Down (or `[` / `]`) ask
//! for the previous / next map of the layer ([`PlaneCanvasProps::on_switch`]); the layer
//! decides which of its maps is the tab stop ([`PlaneCanvasProps::tab_stop`]).

use std::rc::Rc;

use wasm_bindgen::Clamped;
use web_sys::{HtmlCanvasElement, ImageData, KeyboardEvent, MouseEvent};
use yew::prelude::*;

use crate::lab::classify::layers::{gray_rgba, rgba};
use crate::lab::{ColorScale, fmt_num};

/// Props of [`PlaneCanvas`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct PlaneCanvasProps {
    /// `rows · cols` values, row-major.
    pub values: Rc<Vec<f32>>,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// The colour scale; `None` draws `[0, 1]` as black to white.
    #[prop_or_default]
    pub scale: Option<ColorScale>,
    /// Displayed width in CSS pixels (the height follows the aspect).
    #[prop_or(84.0)]
    pub size: f64,
    /// A pixel outlined (the one being explained).
    #[prop_or_default]
    pub focus: Option<[usize; 2]>,
    /// A rectangle outlined, `[x0, y0, x1, y1)` in pixels (a bounding box).
    #[prop_or_default]
    pub frame: Option<[u32; 4]>,
    /// Clicking a pixel emits its `[y, x]`.
    #[prop_or_default]
    pub on_cell: Option<Callback<[usize; 2]>>,
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
}

fn cell_at(
    e: &MouseEvent,
    canvas: &HtmlCanvasElement,
    rows: usize,
    cols: usize,
) -> Option<[usize; 2]> {
    let rect = canvas.get_bounding_client_rect();
    if rect.width() <= 0.0 || rect.height() <= 0.0 {
        return None;
    }
    let x = (f64::from(e.client_x()) - rect.left()) / rect.width() * cols as f64;
    let y = (f64::from(e.client_y()) - rect.top()) / rect.height() * rows as f64;
    (x >= 0.0 && y >= 0.0 && (x as usize) < cols && (y as usize) < rows)
        .then_some([y as usize, x as usize])
}

fn draw(el: &HtmlCanvasElement, p: &PlaneCanvasProps) -> Result<(), String> {
    let (w, h) = (p.cols as u32, p.rows as u32);
    if w == 0 || h == 0 || p.values.len() != p.rows * p.cols {
        return Err(format!(
            "{}×{} map with {} values",
            p.rows,
            p.cols,
            p.values.len()
        ));
    }
    el.set_width(w);
    el.set_height(h);
    let ctx = crate::canvas::context_2d(el).ok_or("no 2d context")?;
    let data = match &p.scale {
        Some(s) => rgba(&p.values, s),
        None => gray_rgba(&p.values),
    };
    let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&data), w, h)
        .map_err(|e| format!("{e:?}"))?;
    ctx.put_image_data(&image, 0.0, 0.0)
        .map_err(|e| format!("{e:?}"))
}

/// A map on a canvas, one canvas pixel per value.
#[component]
pub fn PlaneCanvas(props: &PlaneCanvasProps) -> Html {
    let own = use_node_ref();
    let canvas = props.node.clone().unwrap_or(own);
    let hover = use_state(|| None::<[usize; 2]>);
    {
        let canvas = canvas.clone();
        use_effect_with(props.clone(), move |p| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>()
                && let Err(e) = draw(&el, p)
            {
                web_sys::console::warn_1(&format!("plane canvas: {e}").into());
            }
        });
    }
    let (rows, cols) = (props.rows, props.cols);
    let onmousemove = {
        let hover = hover.clone();
        let canvas = canvas.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>() {
                let c = cell_at(&e, &el, rows, cols);
                if *hover != c {
                    hover.set(c);
                }
            }
        })
    };
    let onmouseleave = {
        let hover = hover.clone();
        Callback::from(move |_: MouseEvent| hover.set(None))
    };
    let onclick = props.on_cell.clone().map(|on_cell| {
        let canvas = canvas.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some(c) = canvas
                .cast::<HtmlCanvasElement>()
                .and_then(|el| cell_at(&e, &el, rows, cols))
            {
                on_cell.emit(c);
            }
        })
    });
    // Keyboard: a clickable map takes focus; the arrows move the chosen pixel (starting
    // from the focused one, else the centre), Enter chooses it again, Page Up / Page Down
    // switch maps.
    let onkeydown = props.on_cell.clone().map(|on_cell| {
        let start = props.focus.unwrap_or([rows / 2, cols / 2]);
        let on_switch = props.on_switch.clone();
        Callback::from(move |e: KeyboardEvent| {
            let [y, x] = start;
            let step = match e.key().as_str() {
                "PageUp" | "[" => Some(-1),
                "PageDown" | "]" => Some(1),
                _ => None,
            };
            if let (Some(step), Some(on_switch)) = (step, &on_switch) {
                e.prevent_default();
                on_switch.emit(step);
                return;
            }
            let next = match e.key().as_str() {
                "ArrowUp" => [y.saturating_sub(1), x],
                "ArrowDown" => [(y + 1).min(rows.saturating_sub(1)), x],
                "ArrowLeft" => [y, x.saturating_sub(1)],
                "ArrowRight" => [y, (x + 1).min(cols.saturating_sub(1))],
                "Enter" | " " => [y, x],
                _ => return,
            };
            e.prevent_default();
            on_cell.emit(next);
        })
    });
    let clickable = props.on_cell.is_some();
    let tabindex = clickable.then_some(if props.tab_stop { "0" } else { "-1" });
    let role = if clickable { "button" } else { "img" };
    let px = props.size / cols.max(1) as f64;
    let height = px * rows as f64;
    let title = hover
        .and_then(|[y, x]| {
            props
                .values
                .get(y * cols + x)
                .map(|v| format!("({y}, {x}) = {}", fmt_num(*v)))
        })
        .unwrap_or_else(|| props.label.to_string());
    let outline = |x0: f64, y0: f64, w: f64, h: f64, class: &'static str| {
        html! {
            <span class={class} aria-hidden="true"
                style={format!("left:{:.2}px;top:{:.2}px;width:{:.2}px;height:{:.2}px", x0 * px, y0 * px, w * px, h * px)} />
        }
    };
    html! {
        <span class={classes!("plane", props.on_cell.is_some().then_some("clickable"))}
            style={format!("width:{}px;height:{height}px", props.size)}>
            <canvas ref={canvas} class="plane-canvas" role={role} aria-label={props.label.clone()}
                title={title}
                data-testid={props.testid.clone()}
                data-rows={rows.to_string()} data-cols={cols.to_string()}
                style={format!("width:{}px;height:{height}px", props.size)}
                tabindex={tabindex} {onkeydown}
                {onmousemove} {onmouseleave} {onclick} />
            if let Some([y, x]) = props.focus {
                { outline(x as f64, y as f64, 1.0, 1.0, "plane-focus") }
            }
            if let Some([x0, y0, x1, y1]) = props.frame {
                { outline(f64::from(x0), f64::from(y0), f64::from(x1.saturating_sub(x0)), f64::from(y1.saturating_sub(y0)), "plane-frame") }
            }
        </span>
    }
}
