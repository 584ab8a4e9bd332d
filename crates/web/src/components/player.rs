//! The stepper's transport: first, back, play/pause, forward, last, speed and a scrubber.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::lab::PlayerAction;
use crate::lab::player::{Player, SPEEDS};

/// Props of [`PlayerControls`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct PlayerControlsProps {
    /// The transport state.
    pub player: Player,
    /// Number of steps.
    pub len: usize,
    /// Asks for a transport action.
    pub on_action: Callback<PlayerAction>,
    /// What one step is, for the position text ("output cell", "window").
    #[prop_or(AttrValue::Static("step"))]
    pub noun: AttrValue,
}

/// Buttons, scrubber and speed of a stepper.
#[component]
pub fn PlayerControls(props: &PlayerControlsProps) -> Html {
    let p = props.player;
    let last = props.len.saturating_sub(1);
    let button =
        |label: &'static str, text: &'static str, action: PlayerAction, testid: &'static str| {
            let on_action = props.on_action.clone();
            html! {
                <button type="button" aria-label={label} title={label} data-testid={testid}
                    disabled={props.len == 0}
                    onclick={move |_| on_action.emit(action)}>{ text }</button>
            }
        };
    let on_scrub = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = input.value().parse::<usize>() {
                on_action.emit(PlayerAction::To(v));
            }
        })
    };
    let on_speed = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = input.value().parse::<u32>() {
                on_action.emit(PlayerAction::Speed(v));
            }
        })
    };
    html! {
        <div class="player" role="group" aria-label="Stepper">
            <div class="player-buttons">
                { button("First step (Home)", "|◀", PlayerAction::First, "step-first") }
                { button("Step back (←)", "◀", PlayerAction::Back, "step-back") }
                if p.playing {
                    { button("Pause (space)", "⏸ Pause", PlayerAction::TogglePlay, "play") }
                } else {
                    { button("Play (space)", "▶ Play", PlayerAction::TogglePlay, "play") }
                }
                { button("Step forward (→)", "▶", PlayerAction::Forward, "step-forward") }
                { button("Last step (End)", "▶|", PlayerAction::Last, "step-last") }
            </div>
            <label class="scrubber">
                <span>{ format!("{} {} of {}", props.noun, (p.step + 1).min(props.len), props.len) }</span>
                <input type="range" min="0" max={last.to_string()} value={p.step.to_string()}
                    data-testid="scrubber" disabled={props.len == 0}
                    aria-label={format!("{} position", props.noun)} oninput={on_scrub} />
            </label>
            <label class="speed">
                <span>{"speed"}</span>
                <select data-testid="speed" onchange={on_speed} aria-label="Steps per second">
                    { for SPEEDS.iter().map(|&s| html! {
                        <option value={s.to_string()} selected={s == p.speed}>{ format!("{s} / s") }</option>
                    }) }
                </select>
            </label>
            <p class="keys muted">{"keys: ← → step · space play/pause · Home/End"}</p>
        </div>
    }
}
