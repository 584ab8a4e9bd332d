//! The model: a shipped network (LeNet-5 on MNIST or Fashion-MNIST, the residual
//! Fashion-MNIST network) or a `.safetensors` file the user loads; its facts; why a file was
//! refused.

use web_sys::{Blob, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::agent::ModelSummary;
use crate::by_ptr::ByPtr;
use crate::lab::classify::{ModelChoice, facts};

/// Props of [`ModelPicker`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct ModelPickerProps {
    /// The model chosen.
    pub choice: ModelChoice,
    /// The loaded model's summary.
    pub summary: Option<ByPtr<ModelSummary>>,
    /// A model is loading.
    pub loading: bool,
    /// Why the last model was refused.
    pub error: Option<AttrValue>,
    /// A shipped model was picked.
    pub on_choose: Callback<ModelChoice>,
    /// A model file was chosen: `(name, blob)`.
    pub on_file: Callback<(String, Blob)>,
}

/// The model panel.
#[component]
pub fn ModelPicker(props: &ModelPickerProps) -> Html {
    let on_select = {
        let on_choose = props.on_choose.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(c) = ModelChoice::SHIPPED
                .into_iter()
                .find(|c| c.key() == select.value())
            {
                on_choose.emit(c);
            }
        })
    };
    let on_model_file = {
        let on_file = props.on_file.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(f) = input.files().and_then(|l| l.get(0)) {
                on_file.emit((f.name(), f.into()));
            }
            input.set_value("");
        })
    };
    let mut options: Vec<ModelChoice> = ModelChoice::SHIPPED.to_vec();
    if matches!(&props.choice, ModelChoice::File(_) | ModelChoice::Trained) {
        options.push(props.choice.clone());
    }
    let facts = props.summary.as_ref().map(|s| {
        html! {
            <dl class="facts" data-testid="model-facts">
                { for facts(s).into_iter().map(|(k, v)| html! {
                    <div class="fact">
                        <dt>{ k }</dt>
                        <dd data-testid={format!("fact-{}", k.replace(' ', "-"))}>{ v }</dd>
                    </div>
                }) }
            </dl>
        }
    });
    html! {
        <div class="model-picker">
            <label class="field">
                <span class="field-label"><strong>{"model"}</strong></span>
                <select data-testid="model" onchange={on_select} disabled={props.loading}>
                    { for options.iter().map(|c| html! {
                        <option value={c.key()} selected={*c == props.choice}>{ c.label() }</option>
                    }) }
                </select>
            </label>
            <label class="field">
                <span class="field-label"><strong>{"or your own"}</strong>
                    <span class="muted">{" any .safetensors file convscope train writes (its network travels in the file)"}</span></span>
                <input type="file" accept=".safetensors,application/octet-stream" data-testid="model-file"
                    onchange={on_model_file} />
            </label>
            if props.loading {
                <p class="pending" role="status">{"loading the model in the web worker…"}</p>
            }
            if let Some(e) = &props.error {
                <p class="error" role="alert" data-testid="model-error">{ e.clone() }</p>
            }
            { facts.unwrap_or_default() }
        </div>
    }
}
