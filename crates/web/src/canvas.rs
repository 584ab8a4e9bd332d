//! The canvas helpers every drawing component shares: the 2-D context, the device pixel
//! ratio, and a canvas sized for it (one canvas pixel per device pixel, so that lines and
//! text stay sharp on high-DPI screens).

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, IntoDrawingArea};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// The canvas's 2-D context, if the browser gives one.
pub fn context_2d(el: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    el.get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
}

/// Device pixels per CSS pixel (at least 1; 1 when the browser says nothing sensible).
pub fn device_pixel_ratio() -> f64 {
    ratio_or_one(web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()))
}

fn ratio_or_one(dpr: f64) -> f64 {
    if dpr.is_finite() { dpr.max(1.0) } else { 1.0 }
}

/// The backing store for a canvas of `css` CSS pixels at `dpr`: whole device pixels.
fn device_size(css: [f64; 2], dpr: f64) -> [u32; 2] {
    css.map(|v| (v * dpr).round().max(1.0) as u32)
}

/// Sizes `el`'s backing store to `css` × the device pixel ratio and scales its context so
/// that the caller draws in CSS pixels. The element's CSS size is the caller's (its style
/// or stylesheet). Returns the context, ready to draw on (the canvas is cleared only when
/// its size changes).
pub fn fit(el: &HtmlCanvasElement, css: [f64; 2]) -> Option<CanvasRenderingContext2d> {
    let dpr = device_pixel_ratio();
    let [w, h] = device_size(css, dpr);
    if el.width() != w {
        el.set_width(w);
    }
    if el.height() != h {
        el.set_height(h);
    }
    let ctx = context_2d(el)?;
    ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0).ok()?;
    Some(ctx)
}

/// A plotters drawing area of `css` CSS pixels on `el`, drawn at the device pixel ratio:
/// the canvas is [`fit`] and plotters draws, in CSS pixels, on the top-left `css` of a
/// backend it believes is the canvas's device size (the context's scale maps that corner
/// onto the whole canvas).
pub fn plot_area(
    el: HtmlCanvasElement,
    css: [u32; 2],
) -> Result<DrawingArea<CanvasBackend, Shift>, String> {
    fit(&el, css.map(f64::from)).ok_or("no 2d context")?;
    let backend = CanvasBackend::with_canvas_object(el).ok_or("no 2d context")?;
    Ok(backend.into_drawing_area().shrink((0, 0), (css[0], css[1])))
}

/// The inline style that gives a chart canvas its CSS size: `width` CSS pixels wide (at
/// most its container's width) and the chart's proportions.
pub fn chart_style(css: [u32; 2]) -> String {
    let [w, h] = css;
    format!("width:{w}px;max-width:100%;height:auto;aspect-ratio:{w}/{h}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_ratios_fall_back_to_one() {
        assert_eq!(ratio_or_one(2.0), 2.0);
        assert_eq!(ratio_or_one(0.5), 1.0);
        assert_eq!(ratio_or_one(f64::NAN), 1.0);
        assert_eq!(ratio_or_one(f64::INFINITY), 1.0);
    }

    #[test]
    fn the_backing_store_is_whole_device_pixels() {
        assert_eq!(device_size([420.0, 240.0], 2.0), [840, 480]);
        assert_eq!(device_size([420.0, 240.0], 1.5), [630, 360]);
        assert_eq!(device_size([380.0, 290.0], 1.25), [475, 363]);
        assert_eq!(device_size([0.1, 0.0], 1.0), [1, 1]);
    }
}
