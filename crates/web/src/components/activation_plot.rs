//! ReLU, leaky ReLU, sigmoid and tanh drawn with plotters on a canvas, the chosen one bold
//! and the current value marked on it. Curves are sampled from the core's activations.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;
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

/// The four activations, the chosen one bold, `x` marked.
#[component]
pub fn ActivationPlot(props: &ActivationPlotProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with(props.clone(), move |p| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>()
                && let Err(e) = draw(el, p)
            {
                web_sys::console::warn_1(&format!("activation plot: {e}").into());
            }
        });
    }
    let label = format!(
        "{} plotted with ReLU, leaky ReLU, sigmoid and tanh",
        props.activation.label()
    );
    html! {
        <canvas ref={canvas} class="activation-plot" width={WIDTH.to_string()} height={HEIGHT.to_string()}
            role="img" aria-label={label} data-testid="activation-plot" />
    }
}

fn draw(el: HtmlCanvasElement, p: &ActivationPlotProps) -> Result<(), String> {
    let backend = CanvasBackend::with_canvas_object(el).ok_or("no 2d context")?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let x = p.x.filter(|v| v.is_finite());
    let r = x.map_or(6.0, |x| (x.abs() * 1.25).max(6.0)).min(1000.0);
    let chosen = p.activation.activation();
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
        let bold = choice == p.activation;
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
            .map_err(|e| e.to_string())?
            .label(choice.label())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3))
            });
    }
    if let Some(x) = x {
        let y = chosen.apply(x);
        let red = RGBColor(230, 57, 70);
        chart
            .draw_series(std::iter::once(Circle::new((x, y), 7, red.filled())))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x, lo), (x, y)],
                red.mix(0.5).stroke_width(1),
            )))
            .map_err(|e| e.to_string())?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(221, 225, 230))
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}
