//! The output-size calculator: W, F, S, P (and dilation) typed freely, independent of the
//! animated image; the lecture's formula with the numbers substituted, an explanation when
//! the setting is invalid, and the same size computed by the core in the web worker.

use crate::core_worker::use_core;
use convscope_core::OutputSize;
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::agent::{CoreReply, CoreRequest};
use crate::lab::{CALC_NAMES, CalcInputs, CalcResult};

/// Props of [`Calculator`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct CalculatorProps {
    /// The fields as typed.
    pub calc: CalcInputs,
    /// A field changed: `(index into [W, F, S, P, D], text)`.
    pub on_change: Callback<(usize, String)>,
}

const HINTS: [&str; 5] = [
    "input width",
    "filter size",
    "stride",
    "padding",
    "dilation",
];

/// The formula with the numbers substituted.
fn formula(n: [usize; 5], o: &OutputSize) -> String {
    let [w, f, s, p, d] = n;
    let head = if d == 1 {
        format!("(W − F + 2P)/S + 1 = ({w} − {f} + 2·{p})/{s} + 1")
    } else {
        format!("(W + 2P − D·(F − 1) − 1)/S + 1 = ({w} + 2·{p} − {d}·({f} − 1) − 1)/{s} + 1")
    };
    if o.remainder == 0 {
        format!(
            "{head} = {}/{s} + 1 = {} + 1 = {}",
            o.numerator,
            o.size - 1,
            o.size
        )
    } else {
        format!(
            "{head} = ⌊{}/{s}⌋ + 1 = {} + 1 = {}",
            o.numerator,
            o.size - 1,
            o.size
        )
    }
}

/// The calculator panel.
#[component]
pub fn Calculator(props: &CalculatorProps) -> Html {
    let runner = use_core();
    // The reply with the numbers it answers: a late reply for older numbers is not shown.
    let reply = use_state(|| None::<([usize; 5], CoreReply)>);
    let numbers = props.calc.numbers().ok();
    {
        let reply = reply.clone();
        use_effect_with(numbers, move |numbers| {
            reply.set(None);
            if let Some([input, kernel, stride, padding, dilation]) = *numbers {
                let reply = reply.clone();
                spawn_local(async move {
                    let answer = runner
                        .run(CoreRequest::OutputSize {
                            input,
                            kernel,
                            stride,
                            padding,
                            dilation,
                        })
                        .await;
                    reply.set(Some(([input, kernel, stride, padding, dilation], answer)));
                });
            }
        });
    }
    let field = |i: usize| {
        let on_change = props.on_change.clone();
        let oninput = Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            on_change.emit((i, input.value()));
        });
        html! {
            <label class="field">
                <span class="field-label"><strong>{ CALC_NAMES[i] }</strong><span class="muted">{" "}{ HINTS[i] }</span></span>
                <input type="number" inputmode="numeric" min="0" step="1"
                    value={props.calc.fields[i].clone()}
                    data-testid={format!("calc-{}", CALC_NAMES[i].to_ascii_lowercase())} {oninput} />
            </label>
        }
    };
    let suggest = |i: usize, v: usize| {
        let on_change = props.on_change.clone();
        html! {
            <button type="button" class="chip" data-testid={format!("calc-suggest-{}-{v}", CALC_NAMES[i].to_ascii_lowercase())}
                onclick={move |_| on_change.emit((i, v.to_string()))}>
                { format!("{} = {v}", CALC_NAMES[i]) }
            </button>
        }
    };
    let body = match props.calc.result() {
        CalcResult::Missing(name) => html! {
            <p class="error" role="alert" data-testid="calc-error">{ format!("Type a whole number for {name}.") }</p>
        },
        CalcResult::Invalid(e) => html! {
            <div class="calc-invalid" role="alert" data-testid="calc-error">
                <p class="error">{ format!("Invalid: {e}.") }</p>
                if let Some(a) = e.advice() { <p>{ a }</p> }
            </div>
        },
        CalcResult::Size(o) => {
            let n = numbers.unwrap_or([0; 5]);
            let note = o.note.as_ref().map(|note| {
                let strides = [note.smaller_stride, note.larger_stride];
                let paddings = [note.smaller_padding, note.larger_padding];
                html! {
                    <div class="calc-note" role="status" data-testid="calc-note">
                        <p><strong>{"Not a whole number: "}</strong>{ format!(
                            "which term: (W − F + 2P) = {} is not divisible by S = {}; remainder {}: the last {} input column(s) are never covered, and the size is floored (PyTorch's rule).",
                            note.numerator, note.stride, note.remainder, note.remainder) }</p>
                        <p>{"Nearest valid values: "}
                            { for strides.iter().flatten().map(|&s| suggest(2, s)) }
                            { for paddings.iter().flatten().map(|&p| suggest(3, p)) }
                        </p>
                    </div>
                }
            });
            html! {
                <>
                    <p class="calc-formula" data-testid="calc-formula">
                        { formula(n, &o) }
                    </p>
                    <p class="calc-size">{"output width/height = "}<output data-testid="calc-result">{ o.size }</output></p>
                    { note }
                </>
            }
        }
    };
    let current = reply
        .as_ref()
        .filter(|(asked, _)| Some(*asked) == numbers)
        .map(|(_, answer)| answer);
    let worker = match current {
        None if numbers.is_some() => {
            html! { <span class="pending">{"computing in the web worker…"}</span> }
        }
        None => html! {},
        Some(CoreReply::OutputSize(Ok(size))) => {
            html! { <output data-testid="worker-result">{ size }</output> }
        }
        Some(CoreReply::OutputSize(Err(message))) => {
            html! { <span class="error" data-testid="worker-error">{ message }</span> }
        }
        Some(_) => html! {},
    };
    html! {
        <section class="panel calculator" aria-labelledby="calc-title" data-testid="calculator">
            <h3 id="calc-title">{"Output-size calculator"}</h3>
            <p class="muted">{"Any layer, independent of the image above: the lecture's AlexNet CONV1 is W = 227, F = 11, S = 4, P = 0."}</p>
            <div class="row">{ for (0..5).map(field) }</div>
            { body }
            <p class="worker-check">{"the same, computed by the Rust core in a web worker: "}{ worker }</p>
        </section>
    }
}
