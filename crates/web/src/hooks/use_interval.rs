//! A repeating timer that lives as long as the component and its settings.

use gloo_timers::callback::Interval;
use yew::prelude::*;

/// Calls `on_tick` every `period_ms` while `enabled`. The [`Interval`] handle lives in the
/// effect: turning `enabled` off, changing the period or unmounting drops (cancels) it.
#[hook]
pub fn use_interval(enabled: bool, period_ms: u32, on_tick: Callback<()>) {
    use_effect_with((enabled, period_ms), move |&(enabled, period_ms)| {
        let timer = enabled.then(|| Interval::new(period_ms.max(1), move || on_tick.emit(())));
        move || drop(timer)
    });
}
