//! The network picker and the input-size field.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::state::{groups, label};

/// Props of [`NetControls`].
#[derive(Debug, Properties, PartialEq)]
pub struct NetControlsProps {
    /// The zoo name of the shown network.
    pub net: &'static str,
    /// The input size as typed.
    pub input_text: String,
    /// The network's own input size (for the reset button).
    pub default_input: String,
    /// Whether the typed size cannot be shown.
    pub invalid: bool,
    /// A network was picked (its zoo name).
    pub on_pick: Callback<String>,
    /// The input text changed.
    pub on_input: Callback<String>,
    /// Back to the network's own size.
    pub on_reset: Callback<()>,
}

/// Picks a network (grouped by family) and edits its input size `HxWxC`.
#[component]
pub fn NetControls(props: &NetControlsProps) -> Html {
    let on_change = {
        let on_pick = props.on_pick.clone();
        Callback::from(move |e: Event| {
            on_pick.emit(e.target_unchecked_into::<HtmlSelectElement>().value());
        })
    };
    let on_input = {
        let cb = props.on_input.clone();
        Callback::from(move |e: InputEvent| {
            cb.emit(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let on_reset = {
        let cb = props.on_reset.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    // Keep the select's shown value in step when the network changes from elsewhere (a link,
    // the comparison), which an option's `selected` attribute alone does not do.
    let select = use_node_ref();
    {
        let select = select.clone();
        use_effect_with(props.net, move |net| {
            if let Some(el) = select.cast::<HtmlSelectElement>() {
                el.set_value(net);
            }
        });
    }
    let is_default = props.input_text == props.default_input;
    html! {
        <div class="arch-controls">
            <label class="arch-field">
                <span>{"Network"}</span>
                <select data-testid="arch-net" onchange={on_change} ref={select}>
                    { for groups().into_iter().map(|(family, nets)| html! {
                        <optgroup label={family}>
                            { for nets.into_iter().map(|net| html! {
                                <option value={net} selected={net == props.net}>{ label(net) }</option>
                            }) }
                        </optgroup>
                    }) }
                </select>
            </label>
            <label class="arch-field">
                <span>{"Input size "}<small>{"H×W×C"}</small></span>
                <input
                    type="text"
                    data-testid="arch-input"
                    class={classes!("arch-input", props.invalid.then_some("invalid"))}
                    value={props.input_text.clone()}
                    oninput={on_input}
                    spellcheck="false"
                    autocomplete="off"
                    aria-invalid={props.invalid.then_some("true")}
                    aria-describedby={props.invalid.then_some("arch-error")}
                    placeholder={props.default_input.clone()} />
            </label>
            <button type="button" class="arch-reset" onclick={on_reset} disabled={is_default}
                data-testid="arch-reset">
                { format!("Reset to {}", props.default_input) }
            </button>
        </div>
    }
}
