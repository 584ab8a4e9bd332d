//! "How fast is it here?": the worker times the loaded model on one image, 200 times.

use crate::core_worker::use_core;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::agent::{CoreReply, CoreRequest, SpeedReport};

/// Timed runs per measurement.
pub const RUNS: usize = 200;
/// Untimed runs first: enough for the browser to finish optimising the hot wasm functions
/// (Chromium starts wasm in its baseline compiler and tiers up in the background; with
/// 20 warm-up runs the first measurement of a page was twice as slow as the next ones).
pub const WARMUP: usize = 1000;

/// Props of [`SpeedCheck`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct SpeedCheckProps {
    /// The worker's name of the loaded model.
    pub model: AttrValue,
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    Idle,
    Running,
    Done(String, Result<SpeedReport, String>),
}

fn describe(r: &SpeedReport) -> String {
    let how = if r.isolated {
        "each run timed alone".to_owned()
    } else {
        format!(
            "coarse clock: each sample is the mean of {} runs",
            r.per_sample
        )
    };
    format!(
        "median {:.0} µs per image (10th–90th percentile {:.0}–{:.0} µs) over {} runs after {} warm-up, in this browser's web worker; {how}",
        r.median_micros, r.p10_micros, r.p90_micros, r.runs, r.warmup
    )
}

/// A button that measures one-image inference in the worker, and its result.
#[component]
pub fn SpeedCheck(props: &SpeedCheckProps) -> Html {
    let runner = use_core();
    let state = use_state(|| State::Idle);
    let onclick = {
        let (state, model) = (state.clone(), props.model.to_string());
        Callback::from(move |_: MouseEvent| {
            if *state == State::Running {
                return;
            }
            state.set(State::Running);
            let (runner, state, model) = (runner.clone(), state.clone(), model.clone());
            spawn_local(async move {
                let reply = runner
                    .run(CoreRequest::Speed {
                        model: model.clone(),
                        runs: RUNS,
                        warmup: WARMUP,
                    })
                    .await;
                let result = match reply {
                    CoreReply::Speed(r) => r,
                    other => Err(crate::agent::unexpected(other, "a speed check")),
                };
                state.set(State::Done(model, result));
            });
        })
    };
    let running = *state == State::Running;
    let result = match &*state {
        State::Idle => html! {},
        State::Running => html! { <span class="muted small">{"measuring…"}</span> },
        // A measurement of another model than the one shown is not shown.
        State::Done(model, _) if model.as_str() != props.model.as_str() => html! {},
        State::Done(_, Ok(r)) => html! {
            <span class="small" data-testid="speed-result" data-median={format!("{:.1}", r.median_micros)}>
                { describe(r) }
            </span>
        },
        State::Done(_, Err(e)) => {
            html! { <span class="error small" role="alert">{ e.clone() }</span> }
        }
    };
    html! {
        <div class="speed-check">
            <button type="button" {onclick} disabled={running} data-testid="speed-button">
                { format!("Measure speed ({RUNS} runs)") }
            </button>
            { result }
        </div>
    }
}
