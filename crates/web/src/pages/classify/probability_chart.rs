//! The softmax probabilities as a plotters bar chart (plotters-canvas), one bar per class
//! with its name, the top class highlighted.

use plotters::prelude::*;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use crate::by_ptr::ByPtr;

/// Props of [`ProbabilityChart`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct ProbabilityChartProps {
    /// One probability per class.
    pub probabilities: ByPtr<Vec<f32>>,
    /// The class names, in label order.
    pub classes: ByPtr<Vec<String>>,
}

const WIDTH: u32 = 380;
const HEIGHT: u32 = 290;

fn draw(el: HtmlCanvasElement, p: &ProbabilityChartProps) -> Result<(), String> {
    let root = crate::canvas::plot_area(el, [WIDTH, HEIGHT])?;
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let n = p.probabilities.len();
    let top = p
        .probabilities
        .iter()
        .enumerate()
        .fold(
            (0, f32::NEG_INFINITY),
            |b, (i, v)| if *v > b.1 { (i, *v) } else { b },
        )
        .0;
    let names = p.classes.clone();
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .margin_right(26)
        .x_label_area_size(28)
        .y_label_area_size(96)
        .build_cartesian_2d(0f32..1f32, -0.5f32..(n as f32 - 0.5))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n.max(1))
        .y_label_formatter(&|y: &f32| {
            // Class 0 is drawn at the top: row y holds class n − 1 − y.
            let r = y.round();
            if (y - r).abs() < 0.01 && r >= 0.0 && (r as usize) < n {
                names.get(n - 1 - r as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_labels(6)
        .x_label_formatter(&|x: &f32| format!("{:.0} %", x * 100.0))
        .light_line_style(RGBColor(238, 240, 243))
        .draw()
        .map_err(|e| e.to_string())?;
    let bars = p.probabilities.iter().enumerate().map(|(i, &v)| {
        let y = (n - 1 - i) as f32;
        let color = if i == top {
            RGBColor(230, 57, 70)
        } else {
            RGBColor(69, 123, 157)
        };
        let v = if v.is_finite() {
            v.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Rectangle::new([(0.0, y - 0.36), (v, y + 0.36)], color.filled())
    });
    chart.draw_series(bars).map_err(|e| e.to_string())?;
    let labels = p.probabilities.iter().enumerate().map(|(i, &v)| {
        let v = if v.is_finite() {
            v.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let x = if v > 0.8 { v - 0.17 } else { v + 0.01 };
        Text::new(
            format!("{:.1} %", v * 100.0),
            (x, (n - 1 - i) as f32 + 0.2),
            (FontFamily::SansSerif, 13)
                .into_font()
                .color(&RGBColor(27, 31, 36)),
        )
    });
    chart.draw_series(labels).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}

/// The class probabilities as bars.
#[component]
pub fn ProbabilityChart(props: &ProbabilityChartProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        crate::hooks::use_committed(props.clone(), move |p| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>()
                && let Err(e) = draw(el, p)
            {
                web_sys::console::warn_1(&format!("probability chart: {e}").into());
            }
        });
    }
    let summary: Vec<String> = props
        .classes
        .iter()
        .zip(props.probabilities.iter())
        .map(|(c, p)| format!("{c} {:.1} %", p * 100.0))
        .collect();
    html! {
        <canvas ref={canvas} class="prob-chart" style={crate::canvas::chart_style([WIDTH, HEIGHT])}
            role="img" aria-label={format!("class probabilities: {}", summary.join(", "))}
            data-testid="probability-chart" />
    }
}
