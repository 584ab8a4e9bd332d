//! The top class in large type, with its confidence and the forward pass's time.

use yew::prelude::*;

/// Props of [`Prediction`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct PredictionProps {
    /// The class name.
    pub label: AttrValue,
    /// Its probability in `[0, 1]`.
    pub confidence: f32,
    /// Microseconds the forward pass took in the worker.
    #[prop_or_default]
    pub micros: Option<f64>,
    /// What was classified ("your drawing", "sample 12 (true label 3)", a file name).
    pub source: AttrValue,
}

/// The top class.
#[component]
pub fn Prediction(props: &PredictionProps) -> Html {
    html! {
        <div class="prediction" data-testid="top-class" aria-live="polite"
            data-label={props.label.clone()} data-confidence={format!("{:.4}", props.confidence)}>
            <span class="prediction-label" data-testid="top-label">{ props.label.clone() }</span>
            <span class="prediction-confidence" data-testid="top-confidence">
                { format!("{:.1} %", props.confidence * 100.0) }
            </span>
            <span class="muted small prediction-source">{ props.source.clone() }</span>
            if let Some(us) = props.micros {
                <span class="muted small" data-testid="forward-micros">
                    { format!("forward pass in the worker: {us:.0} µs") }
                </span>
            }
        </div>
    }
}
