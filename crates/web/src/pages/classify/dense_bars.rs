//! A dense layer's units as bars on a canvas: up for positive, down for negative.

use std::rc::Rc;

use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use crate::lab::fmt_num;

/// Props of [`DenseBars`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct DenseBarsProps {
    /// Heading.
    pub title: AttrValue,
    /// One value per unit.
    pub values: Rc<Vec<f32>>,
    /// `data-testid`.
    pub testid: AttrValue,
}

const HEIGHT: f64 = 90.0;

fn draw(el: &HtmlCanvasElement, values: &[f32], width: f64) -> Result<(), String> {
    let dpr = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    el.set_width((width * dpr).round() as u32);
    el.set_height((HEIGHT * dpr).round() as u32);
    let ctx = crate::canvas::context_2d(el).ok_or("no 2d context")?;
    ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0)
        .map_err(|e| format!("{e:?}"))?;
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
    Ok(())
}

/// A dense layer as bars.
#[component]
pub fn DenseBars(props: &DenseBarsProps) -> Html {
    let canvas = use_node_ref();
    let width = (props.values.len() as f64 * 4.0).clamp(120.0, 480.0);
    {
        let canvas = canvas.clone();
        use_effect_with(props.values.clone(), move |values| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>()
                && let Err(e) = draw(&el, values, width)
            {
                web_sys::console::warn_1(&format!("dense bars: {e}").into());
            }
        });
    }
    let (lo, hi) = props
        .values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    html! {
        <figure class="dense" data-testid={props.testid.clone()}>
            <figcaption><strong>{ props.title.clone() }</strong>
                <span class="muted small">{ format!(" {} units, {} … {}", props.values.len(), fmt_num(lo), fmt_num(hi)) }</span>
            </figcaption>
            <canvas ref={canvas} role="img" aria-label={format!("{}: {} values as bars", props.title, props.values.len())}
                style={format!("width:{width}px;height:{HEIGHT}px")} />
        </figure>
    }
}
