//! The loss and accuracy charts (plotters on a canvas): the training curve point by point
//! as it arrives, the test figures after each epoch as marked points; their key, once for
//! both, is text beside them ([`chart_key`]), not drawn on the canvas, where it covered the
//! curves and a screen reader could not read it (and where plotters' legend box brought in
//! Unicode lower-casing for its font name: 6 KB of the app's wasm, gzipped).

use convscope_core::nn::run::History;
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use crate::by_ptr::ByPtr;

/// Which chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Cross-entropy.
    Loss,
    /// Fraction correct.
    Accuracy,
}

/// Props of [`HistoryChart`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct HistoryChartProps {
    /// What to draw.
    pub metric: Metric,
    /// The run's history.
    pub history: ByPtr<History>,
    /// Epochs asked for (the x axis' end).
    pub epochs: u32,
}

const WIDTH: u32 = 420;
const HEIGHT: u32 = 240;
const TRAIN: RGBColor = RGBColor(69, 123, 157);
const TEST: RGBColor = RGBColor(230, 57, 70);

/// The CSS colour of `c`.
fn css(c: RGBColor) -> String {
    format!("background:rgb({},{},{})", c.0, c.1, c.2)
}

/// The key of both charts: the training curve's line and the test figures' dot.
pub fn chart_key() -> Html {
    html! {
        <p class="chart-key" data-testid="chart-key">
            <span class="key-line" style={css(TRAIN)}></span>{"training"}{" "}
            <span class="key-dot" style={css(TEST)}></span>{"test, after each epoch"}
        </p>
    }
}

fn draw(el: HtmlCanvasElement, p: &HistoryChartProps) -> Result<(), String> {
    let root = crate::canvas::plot_area(el, [WIDTH, HEIGHT])?;
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let h = &p.history;
    let value = |loss: f64, acc: f64| match p.metric {
        Metric::Loss => loss,
        Metric::Accuracy => acc * 100.0,
    };
    let train: Vec<(f64, f64)> = h
        .points
        .iter()
        .map(|q| (q.epoch, value(q.loss, q.accuracy)))
        .filter(|(_, v)| v.is_finite())
        .collect();
    let test: Vec<(f64, f64)> = h
        .epochs
        .iter()
        .map(|e| (f64::from(e.epoch), value(e.test_loss, e.test_accuracy)))
        .filter(|(_, v)| v.is_finite())
        .collect();
    let x_end = f64::from(p.epochs.max(1));
    let y_range = match p.metric {
        Metric::Loss => {
            let top = train
                .iter()
                .chain(&test)
                .map(|(_, v)| *v)
                .fold(0.5f64, f64::max);
            0.0..(top * 1.05)
        }
        Metric::Accuracy => 0.0..100.0,
    };
    let (caption, unit) = match p.metric {
        Metric::Loss => ("loss (cross-entropy)", ""),
        Metric::Accuracy => ("accuracy", " %"),
    };
    // Enough decimals that the ticks (about ten over the range) read as different numbers:
    // a loss axis up to 0.5 has ticks 0.05 apart.
    let decimals = if y_range.end - y_range.start < 2.0 {
        2
    } else {
        1
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, (FontFamily::SansSerif, 15))
        .margin(8)
        // Room for the ticks' numbers and, below them, the axis' name.
        .x_label_area_size(42)
        .y_label_area_size(44)
        .build_cartesian_2d(0.0..x_end, y_range)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_labels(p.epochs.clamp(2, 10) as usize + 1)
        .y_label_formatter(&|y: &f64| format!("{y:.decimals$}{unit}"))
        .light_line_style(RGBColor(238, 240, 243))
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(LineSeries::new(train, TRAIN.stroke_width(2)))
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(LineSeries::new(test.clone(), TEST.stroke_width(1)))
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(
            test.iter()
                .map(|&(x, y)| Circle::new((x, y), 4, TEST.filled())),
        )
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}

/// The loss or accuracy over the run.
#[component]
pub fn HistoryChart(props: &HistoryChartProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        crate::hooks::use_committed(props.clone(), move |p| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>()
                && let Err(e) = draw(el, p)
            {
                web_sys::console::warn_1(&format!("history chart: {e}").into());
            }
        });
    }
    let h = &props.history;
    let label = match (props.metric, h.epochs.last(), h.points.last()) {
        (Metric::Loss, Some(e), _) => format!(
            "loss chart: test loss {:.4} after epoch {}",
            e.test_loss, e.epoch
        ),
        (Metric::Accuracy, Some(e), _) => format!(
            "accuracy chart: test accuracy {:.2} % after epoch {}",
            e.test_accuracy * 100.0,
            e.epoch
        ),
        (_, None, Some(q)) => format!(
            "training loss {:.4}, accuracy {:.2} %",
            q.loss,
            q.accuracy * 100.0
        ),
        _ => "no training yet".to_owned(),
    };
    let testid = match props.metric {
        Metric::Loss => "loss-chart",
        Metric::Accuracy => "accuracy-chart",
    };
    html! {
        <canvas ref={canvas} class="train-chart" style={crate::canvas::chart_style([WIDTH, HEIGHT])}
            role="img" aria-label={label} data-testid={testid} />
    }
}
