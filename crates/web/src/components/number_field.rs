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

/// A labelled number input; anything that is not a whole number is ignored.
#[component]
pub fn NumberField(props: &NumberFieldProps) -> Html {
    let oninput = {
        let on_change = props.on_change.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = input.value().trim().parse::<usize>() {
                on_change.emit(v);
            }
        })
    };
    html! {
        <label class="field">
            <span class="field-label"><strong>{ props.label.clone() }</strong>
                if !props.hint.is_empty() { <span class="muted">{" "}{ props.hint.clone() }</span> }
            </span>
            <input type="number" inputmode="numeric" min={props.min.to_string()} max={props.max.to_string()} step="1"
                value={props.value.to_string()} data-testid={props.testid.clone()} {oninput} />
        </label>
    }
}
