//! The canvas helpers every drawing component shares: the 2-D context, the device pixel
//! ratio, and a canvas sized for it (one canvas pixel per device pixel, so that lines and
//! text stay sharp on high-DPI screens).

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, IntoDrawingArea};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};
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
) -> Result<DrawingArea<Canvas, Shift>, String> {
    let ctx = fit(&el, css.map(f64::from)).ok_or("no 2d context")?;
    let inner = CanvasBackend::with_canvas_object(el).ok_or("no 2d context")?;
    Ok(Canvas { inner, ctx }
        .into_drawing_area()
        .shrink((0, 0), (css[0], css[1])))
}

/// plotters' canvas backend, measuring text with the canvas's own `measureText`. plotters'
/// own measure lays a `<span>` out in the page and reads its size: a forced layout of the
/// whole page for every axis label (on the Convolution lab, the activation plot's labels
/// cost more than all its other drawing).
pub struct Canvas {
    inner: CanvasBackend,
    ctx: CanvasRenderingContext2d,
}

impl std::fmt::Debug for Canvas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Canvas").finish_non_exhaustive()
    }
}

type Failure = DrawingErrorKind<<CanvasBackend as DrawingBackend>::ErrorType>;

impl DrawingBackend for Canvas {
    type ErrorType = <CanvasBackend as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Failure> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Failure> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Failure> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Failure> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Failure> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Failure> {
        self.inner.fill_polygon(vert, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Failure> {
        self.inner.draw_text(text, style, pos)
    }

    /// The text's advance width and its font's height (ascent + descent: what a `<span>`
    /// of it measures), in whole pixels, in the font the backend draws it with.
    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), Failure> {
        let size = style.size();
        self.ctx.set_font(&format!(
            "{} {}px {}",
            style.style().as_str(),
            size,
            style.family().as_str()
        ));
        let (width, height) = self.ctx.measure_text(text).map_or((0.0, 0.0), |m| {
            (
                m.width(),
                m.font_bounding_box_ascent() + m.font_bounding_box_descent(),
            )
        });
        let height = if height > 0.0 { height } else { size * 1.2 };
        Ok((width.max(0.0).ceil() as u32, height.ceil() as u32))
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Failure> {
        self.inner.blit_bitmap(pos, size, src)
    }
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
