//! ReLU, leaky ReLU, sigmoid and tanh drawn with plotters on a canvas, the chosen one bold
//! and the current value marked on it. Curves are sampled from the core's activations.

use plotters::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

use crate::lab::ActivationChoice;

/// Props of [`ActivationPlot`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct ActivationPlotProps {
    /// The curve drawn bold.
    pub activation: ActivationChoice,
    /// The point marked on it (the current sum).
    pub x: Option<f32>,
}

const WIDTH: u32 = 460;
const HEIGHT: u32 = 280;

const CURVES: [(ActivationChoice, RGBColor); 4] = [
    (ActivationChoice::Relu, RGBColor(42, 157, 143)),
    (ActivationChoice::LeakyRelu, RGBColor(233, 196, 106)),
    (ActivationChoice::Sigmoid, RGBColor(29, 53, 87)),
    (ActivationChoice::Tanh, RGBColor(131, 56, 236)),
];

/// The x ranges the plot snaps to: the axes (whose labels plotters lays out through the
/// page, a forced layout each) are redrawn only when the marked value leaves its range.
const RANGES: [f32; 9] = [6.0, 12.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 1e4];

/// The half-width of the x axis for the marked value `x`.
fn range_for(x: Option<f32>) -> f32 {
    let need = x.map_or(0.0, |x| x.abs() * 1.25);
    RANGES
        .into_iter()
        .find(|&r| r >= need)
        .unwrap_or(RANGES[RANGES.len() - 1])
}

/// Where the base plot put its axes: value → canvas pixel.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Mapping {
    /// The plotting area, canvas pixels: `[left, right)`, `[top, bottom)`.
    px: [i32; 2],
    py: [i32; 2],
    /// The x axis `[-r, r]` and the y axis `[lo, hi]`.
    r: f32,
    lo: f32,
    hi: f32,
}

impl Mapping {
    fn at(&self, x: f32, y: f32) -> (f64, f64) {
        let fx = f64::from((x + self.r) / (2.0 * self.r));
        let fy = f64::from((self.hi - y) / (self.hi - self.lo));
        (
            f64::from(self.px[0]) + fx * f64::from(self.px[1] - self.px[0]),
            f64::from(self.py[0]) + fy * f64::from(self.py[1] - self.py[0]),
        )
    }
}

/// The four activations, the chosen one bold, `x` marked. The curves and axes are drawn
/// when the activation or the range changes; the marker on a canvas of its own above them,
/// whenever `x` moves (every step of a playing stepper).
#[component]
pub fn ActivationPlot(props: &ActivationPlotProps) -> Html {
    let base = use_node_ref();
    let marker = use_node_ref();
    let mapping = use_mut_ref(|| None::<Mapping>);
    let x = props.x.filter(|v| v.is_finite());
    let r = range_for(x);
    {
        let base = base.clone();
        let mapping = mapping.clone();
        crate::hooks::use_committed((props.activation, r.to_bits()), move |&(activation, _)| {
            if let Some(el) = base.cast::<HtmlCanvasElement>() {
                match draw(el, activation, r) {
                    Ok(m) => *mapping.borrow_mut() = Some(m),
                    Err(e) => web_sys::console::warn_1(&format!("activation plot: {e}").into()),
                }
            }
        });
    }
    {
        let marker = marker.clone();
        crate::hooks::use_committed(
            (props.activation, r.to_bits(), x.map(f32::to_bits)),
            move |&(activation, _, _)| {
                if let (Some(el), Some(m)) = (marker.cast::<HtmlCanvasElement>(), *mapping.borrow())
                {
                    draw_marker(&el, &m, x.map(|x| (x, activation.activation().apply(x))));
                }
            },
        );
    }
    let label = format!(
        "{} plotted with ReLU, leaky ReLU, sigmoid and tanh",
        props.activation.label()
    );
    html! {
        <div class="activation-plot-wrap">
            <canvas ref={base} class="activation-plot" style={crate::canvas::chart_style([WIDTH, HEIGHT])}
                role="img" aria-label={label} data-testid="activation-plot" data-range={r.to_string()} />
            <canvas ref={marker} class="activation-marker"
                aria-hidden="true" />
        </div>
    }
}

/// The marker: a dot on the curve at `(x, y)` and a line down to the x axis.
fn draw_marker(el: &HtmlCanvasElement, m: &Mapping, point: Option<(f32, f32)>) {
    let Some(ctx) = crate::canvas::fit(el, [f64::from(WIDTH), f64::from(HEIGHT)]) else {
        return;
    };
    ctx.clear_rect(0.0, 0.0, f64::from(WIDTH), f64::from(HEIGHT));
    let Some((x, y)) = point else {
        return;
    };
    let (cx, cy) = m.at(x, y);
    let (_, bottom) = m.at(x, m.lo);
    ctx.set_stroke_style_str("rgba(230, 57, 70, 0.5)");
    ctx.set_line_width(1.0);
    ctx.begin_path();
    ctx.move_to(cx, bottom);
    ctx.line_to(cx, cy);
    ctx.stroke();
    ctx.set_fill_style_str("rgb(230, 57, 70)");
    ctx.begin_path();
    let _ = ctx.arc(cx, cy, 7.0, 0.0, std::f64::consts::TAU);
    ctx.fill();
}

fn draw(el: HtmlCanvasElement, activation: ActivationChoice, r: f32) -> Result<Mapping, String> {
    let ctx = crate::canvas::context_2d(&el).ok_or("no 2d context")?;
    let root = crate::canvas::plot_area(el, [WIDTH, HEIGHT])?;
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let chosen = activation.activation();
    let (mut lo, mut hi) = (-1.2f32, 1.2f32);
    for i in 0..=200 {
        let v = chosen.apply(-r + 2.0 * r * i as f32 / 200.0);
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let pad = (hi - lo) * 0.08;
    let (lo, hi) = (lo - pad, hi + pad);
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(26)
        .y_label_area_size(36)
        .build_cartesian_2d(-r..r, lo..hi)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_labels(9)
        .y_labels(7)
        .light_line_style(RGBColor(238, 240, 243))
        .draw()
        .map_err(|e| e.to_string())?;
    for (choice, color) in CURVES {
        let f = choice.activation();
        let bold = choice == activation;
        let points: Vec<(f32, f32)> = (0..=400)
            .map(|i| {
                let x = -r + 2.0 * r * i as f32 / 400.0;
                (x, f.apply(x))
            })
            .filter(|(_, y)| (lo..=hi).contains(y))
            .collect();
        let style = if bold {
            color.stroke_width(4)
        } else {
            color.mix(0.35).stroke_width(2)
        };
        chart
            .draw_series(LineSeries::new(points, style))
            .map_err(|e| e.to_string())?;
    }
    let (px, py) = chart.plotting_area().get_pixel_range();
    root.present().map_err(|e| e.to_string())?;
    draw_legend(
        &ctx,
        (f64::from(px.start) + 8.0, f64::from(py.start) + 8.0),
        activation,
    );
    Ok(Mapping {
        px: [px.start, px.end],
        py: [py.start, py.end],
        r,
        lo,
        hi,
    })
}

/// The legend at `(x, y)` (CSS pixels, upper left), drawn with the canvas's own text:
/// plotters' series labels measure each label by laying a `<span>` out in the page, a
/// forced layout of the whole page per label, four per redraw of the axes.
fn draw_legend(ctx: &CanvasRenderingContext2d, (x, y): (f64, f64), activation: ActivationChoice) {
    const ROW: f64 = 18.0;
    const SWATCH: f64 = 18.0;
    ctx.set_font("13px sans-serif");
    let text = CURVES
        .iter()
        .map(|(c, _)| ctx.measure_text(c.label()).map_or(0.0, |m| m.width()))
        .fold(0.0, f64::max);
    let (w, h) = (
        8.0 + SWATCH + 6.0 + text.ceil() + 8.0,
        8.0 + ROW * CURVES.len() as f64,
    );
    ctx.set_fill_style_str("rgba(255, 255, 255, 0.85)");
    ctx.fill_rect(x, y, w, h);
    ctx.set_stroke_style_str("rgb(221, 225, 230)");
    ctx.set_line_width(1.0);
    ctx.stroke_rect(x + 0.5, y + 0.5, w, h);
    ctx.set_text_align("left");
    ctx.set_text_baseline("middle");
    for (i, (choice, RGBColor(r, g, b))) in CURVES.iter().enumerate() {
        let cy = y + 4.0 + ROW * (i as f64 + 0.5);
        ctx.set_stroke_style_str(&format!("rgb({r}, {g}, {b})"));
        ctx.set_line_width(if *choice == activation { 4.0 } else { 3.0 });
        ctx.begin_path();
        ctx.move_to(x + 8.0, cy);
        ctx.line_to(x + 8.0 + SWATCH, cy);
        ctx.stroke();
        ctx.set_fill_style_str("#1b1f24");
        let _ = ctx.fill_text(choice.label(), x + 8.0 + SWATCH + 6.0, cy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_snap_and_cover_the_value() {
        assert_eq!(range_for(None), 6.0);
        assert_eq!(range_for(Some(4.0)), 6.0);
        assert_eq!(range_for(Some(-9.0)), 12.0);
        assert_eq!(range_for(Some(700.0)), 1000.0);
        assert_eq!(range_for(Some(f32::MAX)), 1e4);
        let m = Mapping {
            px: [40, 440],
            py: [10, 250],
            r: 6.0,
            lo: -1.0,
            hi: 1.0,
        };
        assert_eq!(m.at(-6.0, 1.0), (40.0, 10.0));
        assert_eq!(m.at(6.0, -1.0), (440.0, 250.0));
    }
}
