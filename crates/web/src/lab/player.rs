//! The stepper's transport: which step, playing or not, how fast.

/// Position and playback of a step-by-step animation over `len` steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Player {
    /// The current step.
    pub step: usize,
    /// Whether the animation advances on its own.
    pub playing: bool,
    /// Steps per second while playing.
    pub speed: u32,
}

impl Default for Player {
    fn default() -> Self {
        Self {
            step: 0,
            playing: false,
            speed: 2,
        }
    }
}

/// What the transport controls and keyboard ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayerAction {
    /// One step forward (stops at the end).
    Forward,
    /// One step back.
    Back,
    /// The first step.
    First,
    /// The last step.
    Last,
    /// A given step (clamped).
    To(usize),
    /// The timer fired: forward, and stop playing at the end.
    Tick,
    /// Play or pause; playing from the last step restarts at 0.
    TogglePlay,
    /// Steps per second (at least 1, at most 60).
    Speed(u32),
}

/// The speeds offered in the UI, steps per second.
pub const SPEEDS: [u32; 7] = [1, 2, 4, 8, 15, 30, 60];

impl Player {
    /// Writes the speed (`v`) into a page's query when it is not the default.
    pub fn speed_to_query(&self, q: &mut crate::url::Query) {
        if self.speed != Player::default().speed {
            q.push("v", self.speed.to_string());
        }
    }

    /// Reads the speed (`v`) from a page's query; anything but one of [`SPEEDS`] keeps it.
    pub fn speed_from_query(&mut self, q: &crate::url::Query) {
        if let Some(v) = q
            .get("v")
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|v| SPEEDS.contains(v))
        {
            self.speed = v;
        }
    }

    /// Applies `action` over a stepper of `len` steps.
    pub fn apply(&mut self, action: PlayerAction, len: usize) {
        let last = len.saturating_sub(1);
        match action {
            PlayerAction::Forward => {
                self.step = (self.step + 1).min(last);
                self.playing = false;
            }
            PlayerAction::Back => {
                self.step = self.step.saturating_sub(1);
                self.playing = false;
            }
            PlayerAction::First => {
                self.step = 0;
                self.playing = false;
            }
            PlayerAction::Last => {
                self.step = last;
                self.playing = false;
            }
            PlayerAction::To(i) => {
                self.step = i.min(last);
                self.playing = false;
            }
            PlayerAction::Tick => {
                if self.step >= last {
                    self.playing = false;
                } else {
                    self.step += 1;
                    if self.step >= last {
                        self.playing = false;
                    }
                }
            }
            PlayerAction::TogglePlay => {
                if self.playing {
                    self.playing = false;
                } else {
                    if self.step >= last {
                        self.step = 0;
                    }
                    self.playing = len > 1;
                }
            }
            PlayerAction::Speed(s) => self.speed = s.clamp(1, 60),
        }
    }

    /// Keeps the step inside a stepper of `len` steps after the settings changed.
    pub fn clamp(&mut self, len: usize) {
        self.step = self.step.min(len.saturating_sub(1));
        if len <= 1 {
            self.playing = false;
        }
    }

    /// Milliseconds between ticks.
    pub fn period_ms(&self) -> u32 {
        1000 / self.speed.clamp(1, 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stepping_clamps_at_both_ends() {
        let mut p = Player::default();
        p.apply(PlayerAction::Back, 9);
        assert_eq!(p.step, 0);
        p.apply(PlayerAction::Last, 9);
        assert_eq!(p.step, 8);
        p.apply(PlayerAction::Forward, 9);
        assert_eq!(p.step, 8);
        p.apply(PlayerAction::To(100), 9);
        assert_eq!(p.step, 8);
    }

    #[test]
    fn playing_stops_at_the_end_and_restarts_from_zero() {
        let mut p = Player::default();
        p.apply(PlayerAction::To(7), 9);
        p.apply(PlayerAction::TogglePlay, 9);
        assert!(p.playing);
        p.apply(PlayerAction::Tick, 9);
        assert_eq!(p.step, 8);
        assert!(!p.playing);
        p.apply(PlayerAction::TogglePlay, 9);
        assert_eq!(p.step, 0);
        assert!(p.playing);
    }
}
