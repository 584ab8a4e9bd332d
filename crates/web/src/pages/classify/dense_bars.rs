//! A dense layer's units as bars on a canvas: up for positive, down for negative. A unit can
//! be chosen by a click, or from the keyboard (the canvas is a tab stop; the arrows, Home
//! and End move the choice).

use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use crate::by_ptr::ByPtr;
use crate::lab::fmt_num;

/// Props of [`DenseBars`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct DenseBarsProps {
    /// Heading.
    pub title: AttrValue,
    /// One value per unit.
    pub values: ByPtr<Vec<f32>>,
    /// `data-testid`.
    pub testid: AttrValue,
    /// Choosing unit `k` emits `k`.
    #[prop_or_default]
    pub on_unit: Option<Callback<usize>>,
    /// The chosen unit, outlined.
    #[prop_or_default]
    pub selected: Option<usize>,
}

const HEIGHT: f64 = 90.0;

fn draw(
    el: &HtmlCanvasElement,
    values: &[f32],
    width: f64,
    selected: Option<usize>,
) -> Result<(), String> {
    let ctx = crate::canvas::fit(el, [width, HEIGHT]).ok_or("no 2d context")?;
    ctx.set_fill_style_str("#f7f8fa");
    ctx.fill_rect(0.0, 0.0, width, HEIGHT);
    let max = values
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f32, |m, v| m.max(v.abs()))
        .max(f32::EPSILON);
    let any_negative = values.iter().any(|v| *v < 0.0);
    let zero = if any_negative {
        HEIGHT / 2.0
    } else {
        HEIGHT - 1.0
    };
    let span = if any_negative {
        HEIGHT / 2.0 - 2.0
    } else {
        HEIGHT - 4.0
    };
    let bar = width / values.len().max(1) as f64;
    for (i, v) in values.iter().enumerate() {
        let v = if v.is_finite() { *v } else { 0.0 };
        let h = f64::from(v / max) * span;
        ctx.set_fill_style_str(if v >= 0.0 { "#b2182b" } else { "#2166ac" });
        let x = i as f64 * bar;
        let w = (bar - 1.0).max(1.0);
        if h >= 0.0 {
            ctx.fill_rect(x, zero - h, w, h);
        } else {
            ctx.fill_rect(x, zero, w, -h);
        }
    }
    ctx.set_fill_style_str("#5b6470");
    ctx.fill_rect(0.0, zero, width, 1.0);
    if let Some(k) = selected.filter(|&k| k < values.len()) {
        ctx.set_stroke_style_str("#111");
        ctx.set_line_width(2.0);
        ctx.stroke_rect(k as f64 * bar, 1.0, bar.max(2.0), HEIGHT - 2.0);
    }
    Ok(())
}

/// A dense layer as bars.
#[component]
pub fn DenseBars(props: &DenseBarsProps) -> Html {
    let canvas = use_node_ref();
    let width = (props.values.len() as f64 * 4.0).clamp(120.0, 480.0);
    {
        let canvas = canvas.clone();
        crate::hooks::use_committed(
            (props.values.clone(), props.selected),
            move |(values, selected)| {
                if let Some(el) = canvas.cast::<HtmlCanvasElement>()
                    && let Err(e) = draw(&el, values, width, *selected)
                {
                    web_sys::console::warn_1(&format!("dense bars: {e}").into());
                }
            },
        );
    }
    let (lo, hi) = props
        .values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    let n = props.values.len();
    let onclick = props.on_unit.clone().map(|f| {
        let canvas = canvas.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>() {
                let x = f64::from(e.offset_x()) / el.client_width().max(1) as f64;
                f.emit(((x * n as f64) as usize).min(n.saturating_sub(1)));
            }
        })
    });
    let onkeydown = props.on_unit.clone().map(|f| {
        let selected = props.selected;
        Callback::from(move |e: KeyboardEvent| {
            let last = n.saturating_sub(1);
            let next = match (e.key().as_str(), selected) {
                ("ArrowRight" | "ArrowUp", Some(k)) => (k + 1).min(last),
                ("ArrowLeft" | "ArrowDown", Some(k)) => k.saturating_sub(1),
                ("ArrowRight" | "ArrowUp" | "ArrowLeft" | "ArrowDown" | "Enter" | " ", None) => 0,
                ("Home", _) => 0,
                ("End", _) => last,
                _ => return,
            };
            e.prevent_default();
            f.emit(next);
        })
    });
    let label = match (&props.on_unit, props.selected) {
        (Some(_), Some(k)) => format!(
            "{}: {n} values as bars; unit {k} chosen ({}); the arrows choose another",
            props.title,
            props
                .values
                .get(k)
                .map_or_else(String::new, |v| fmt_num(*v))
        ),
        (Some(_), None) => format!(
            "{}: {n} values as bars; the arrows choose a unit",
            props.title
        ),
        (None, _) => format!("{}: {n} values as bars", props.title),
    };
    html! {
        <figure class="dense" data-testid={props.testid.clone()}>
            <figcaption><strong>{ props.title.clone() }</strong>
                <span class="muted small">{ format!(" {} units, {} … {}", props.values.len(), fmt_num(lo), fmt_num(hi)) }</span>
            </figcaption>
            <canvas ref={canvas} role={if props.on_unit.is_some() { "button" } else { "img" }} aria-label={label} onclick={onclick} onkeydown={onkeydown}
                tabindex={props.on_unit.as_ref().map(|_| "0")} class={classes!(props.on_unit.as_ref().map(|_| "clickable"))}
                data-selected={props.selected.map(|k| k.to_string())}
                style={format!("width:{width}px;height:{HEIGHT}px")} />
        </figure>
    }
}
