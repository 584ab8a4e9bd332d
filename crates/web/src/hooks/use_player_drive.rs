//! A stepper's player driven by the lab keys and, while playing, by a timer: the wiring
//! the convolution and pooling pages share.

use yew::prelude::*;

use super::{LabKey, use_interval, use_lab_keys};
use crate::lab::{Player, PlayerAction};

impl From<LabKey> for PlayerAction {
    fn from(k: LabKey) -> Self {
        match k {
            LabKey::Back => PlayerAction::Back,
            LabKey::Forward => PlayerAction::Forward,
            LabKey::TogglePlay => PlayerAction::TogglePlay,
            LabKey::First => PlayerAction::First,
            LabKey::Last => PlayerAction::Last,
        }
    }
}

/// Sends ←/→, space, Home/End to `on_player` as player actions, and a `Tick` every
/// `player.period_ms()` while `player.playing`.
#[hook]
pub fn use_player_drive(player: Player, on_player: Callback<PlayerAction>) {
    {
        let on_player = on_player.clone();
        use_lab_keys(Callback::from(move |k: LabKey| on_player.emit(k.into())));
    }
    use_interval(
        player.playing,
        player.period_ms(),
        Callback::from(move |()| on_player.emit(PlayerAction::Tick)),
    );
}
