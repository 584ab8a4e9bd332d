//! The top class in large type, with its confidence and the forward pass's time.
//!
//! The visible block is not a live region: while a stroke goes on it changes every
//! animation frame. A visually hidden live region beside it says the class instead, only
//! when the top class changes, the stroke ends, or another input (a sample, a file) is shown.

use std::rc::Rc;

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
    /// `false` while a stroke goes on (results then come every frame).
    #[prop_or(true)]
    pub settled: bool,
}

/// What was last announced: the label and source, and whether the input was settled.
#[derive(Debug, Clone, Default, PartialEq)]
struct Said {
    label: Option<AttrValue>,
    source: Option<AttrValue>,
    settled: bool,
}

/// What the live region says, or `None` to say nothing new: a new top class, the stroke
/// just ended, or another input shown.
fn announcement(props: &PredictionProps, said: &Said) -> Option<String> {
    let new_class = said.label.as_ref() != Some(&props.label);
    let stroke_ended = props.settled && !said.settled;
    let new_input = props.settled && said.source.as_ref() != Some(&props.source);
    (new_class || stroke_ended || new_input).then(|| {
        format!(
            "prediction: {}, {:.0} %, for {}",
            props.label,
            props.confidence * 100.0,
            props.source
        )
    })
}

/// The top class.
#[component]
pub fn Prediction(props: &PredictionProps) -> Html {
    let said = use_mut_ref(Said::default);
    let message = use_state_eq(String::new);
    {
        let (said, message) = (said.clone(), message.clone());
        use_effect_with(Rc::new(props.clone()), move |p| {
            let m = announcement(p, &said.borrow());
            let mut said = said.borrow_mut();
            if let Some(m) = m {
                message.set(m);
                said.label = Some(p.label.clone());
                said.source = Some(p.source.clone());
            }
            said.settled = p.settled;
        });
    }
    html! {
        <>
        <div class="prediction" data-testid="top-class"
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
        <p class="visually-hidden" aria-live="polite" data-testid="prediction-announcement">{ (*message).clone() }</p>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(label: &str, settled: bool) -> PredictionProps {
        PredictionProps {
            label: AttrValue::from(label.to_owned()),
            confidence: 0.9,
            micros: None,
            source: "your drawing".into(),
            settled,
        }
    }

    fn said(label: &str, settled: bool) -> Said {
        Said {
            label: Some(AttrValue::from(label.to_owned())),
            source: Some("your drawing".into()),
            settled,
        }
    }

    #[test]
    fn only_a_new_class_the_stroke_end_or_a_new_input_is_announced() {
        // The first result is said.
        assert!(announcement(&props("1", true), &Said::default()).is_some());
        // During a stroke: the same class again is not said, a new one is.
        assert_eq!(announcement(&props("1", false), &said("1", true)), None);
        assert_eq!(announcement(&props("1", false), &said("1", false)), None);
        let seven = announcement(&props("7", false), &said("1", false));
        assert_eq!(
            seven.as_deref(),
            Some("prediction: 7, 90 %, for your drawing")
        );
        // The stroke ends: said once, even with the same class.
        assert!(announcement(&props("7", true), &said("7", false)).is_some());
        assert_eq!(announcement(&props("7", true), &said("7", true)), None);
        // Another input with the same class is said.
        let mut file = props("7", true);
        file.source = "seven.png".into();
        assert!(announcement(&file, &said("7", true)).is_some());
    }
}
