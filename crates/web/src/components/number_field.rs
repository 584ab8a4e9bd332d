//! A labelled whole-number input.

use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`NumberField`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct NumberFieldProps {
    /// The label (a symbol like "S").
    pub label: AttrValue,
    /// What the symbol means ("stride").
    #[prop_or_default]
    pub hint: AttrValue,
    /// The value.
    pub value: usize,
    /// Smallest value offered.
    #[prop_or(0)]
    pub min: usize,
    /// Largest value offered.
    #[prop_or(16)]
    pub max: usize,
    /// `data-testid`.
    pub testid: AttrValue,
    /// A new value.
    pub on_change: Callback<usize>,
}

/// A labelled number input. A whole number from `min` to `max` is taken as typed; anything
/// else (a fraction, a sign, an empty box, a value past the range) is not, and the field
/// says so beside it — the box and the page never disagree unseen. Leaving the box puts
/// the value in force back in it.
#[component]
pub fn NumberField(props: &NumberFieldProps) -> Html {
    // What was typed when it is not a value the field takes.
    let refused = use_state(|| None::<String>);
    let oninput = {
        let (on_change, refused) = (props.on_change.clone(), refused.clone());
        let range = props.min..=props.max;
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let typed = input.value();
            match typed.trim().parse::<usize>() {
                Ok(v) if range.contains(&v) => {
                    refused.set(None);
                    on_change.emit(v);
                }
                _ => refused.set(Some(typed)),
            }
        })
    };
    let onblur = {
        let (value, refused) = (props.value, refused.clone());
        Callback::from(move |e: FocusEvent| {
            if refused.is_some() {
                let input: HtmlInputElement = e.target_unchecked_into();
                input.set_value(&value.to_string());
            }
        })
    };
    let message = (*refused).as_ref().map(|typed| {
        let typed = if typed.trim().is_empty() {
            "an empty box".to_owned()
        } else {
            format!("'{}'", typed.trim())
        };
        format!(
            "{} takes a whole number from {} to {}, not {typed}: it stays {}.",
            props.label, props.min, props.max, props.value
        )
    });
    html! {
        <label class="field">
            <span class="field-label"><strong>{ props.label.clone() }</strong>
                if !props.hint.is_empty() { <span class="muted">{" "}{ props.hint.clone() }</span> }
            </span>
            <input type="number" inputmode="numeric" min={props.min.to_string()} max={props.max.to_string()} step="1"
                value={props.value.to_string()} data-testid={props.testid.clone()}
                aria-invalid={if message.is_some() { "true" } else { "false" }} {oninput} {onblur} />
            if let Some(m) = message {
                <span class="error field-error" role="alert" data-testid={format!("{}-error", props.testid)}>{ m }</span>
            }
        </label>
    }
}
