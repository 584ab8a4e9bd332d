//! The pooling lab's settings and what they compute (through the core).

use convscope_core::{
    Conv2dParams, CoreError, Pool2dGeometry, Pool2dParams, PoolKind, PoolTrace, conv2d_reference,
};
use ndarray::{Array3, Array4, Axis};

use super::ActivationChoice;
use super::images::{LECTURE_IMAGE, rgb_pattern};
use super::kernel::Preset;
use super::player::{Player, PlayerAction};
use crate::url::Query;

/// A 4×4 feature map with distinct values (the classic max-pooling example).
pub const EXAMPLE: [[f32; 4]; 4] = [
    [1.0, 1.0, 2.0, 4.0],
    [5.0, 6.0, 7.0, 8.0],
    [3.0, 2.0, 1.0, 0.0],
    [1.0, 2.0, 3.0, 4.0],
];

/// What the pooling lab pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolSource {
    /// [`EXAMPLE`].
    Example,
    /// The lecture's image convolved with the lecture's kernel, padding 1 (5×5, by the core).
    LectureFeature,
    /// The RGB pattern: three depth slices.
    Rgb,
}

impl PoolSource {
    /// Every source, in menu order.
    pub const ALL: [PoolSource; 3] = [Self::Example, Self::LectureFeature, Self::Rgb];

    /// URL key.
    pub fn key(self) -> &'static str {
        match self {
            Self::Example => "example",
            Self::LectureFeature => "feature",
            Self::Rgb => "rgb",
        }
    }

    /// Parses [`PoolSource::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Menu label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Example => "4×4 feature map",
            Self::LectureFeature => "Lecture image ∗ lecture kernel, P = 1 (5×5)",
            Self::Rgb => "RGB pattern: 3 depth slices",
        }
    }
}

/// The pooling kinds, in menu order, with keys and labels.
pub const KINDS: [(PoolKind, &str, &str); 3] = [
    (PoolKind::Max, "max", "max pooling"),
    (PoolKind::Average, "avg", "average pooling"),
    (PoolKind::Sum, "sum", "sum pooling"),
];

/// Everything the pooling lab's controls set.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSettings {
    /// The input.
    pub source: PoolSource,
    /// Max, average or sum.
    pub kind: PoolKind,
    /// F.
    pub window: usize,
    /// S (smaller than F: overlapping).
    pub stride: usize,
    /// P.
    pub padding: usize,
    /// The stepper's transport.
    pub player: Player,
    /// The activation explorer's function (the lecture's sigmoid).
    pub activation: ActivationChoice,
    /// The activation explorer's x (the lecture's 4).
    pub x: f32,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            source: PoolSource::Example,
            kind: PoolKind::Max,
            window: 2,
            stride: 2,
            padding: 0,
            player: Player::default(),
            activation: ActivationChoice::Sigmoid,
            x: 4.0,
        }
    }
}

/// What the pooling controls ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum PoolAction {
    /// Another input.
    Source(PoolSource),
    /// Another pooling.
    Kind(PoolKind),
    /// F.
    Window(usize),
    /// S.
    Stride(usize),
    /// P.
    Padding(usize),
    /// The stepper.
    Player(PlayerAction),
    /// Jump to the step of output cell `[c, y, x]`.
    JumpTo([usize; 3]),
    /// The URL's query changed (a pasted or followed link): every setting is re-read.
    Query(Query),
    /// The activation explorer's function.
    Activation(ActivationChoice),
    /// The activation explorer's x (a finite number).
    X(f32),
}

/// The computed pooling lab.
#[derive(Debug, Clone)]
pub struct PoolLab {
    /// The input `[1, C, H, W]`.
    pub input: Array4<f32>,
    /// The trace the stepper walks.
    pub trace: PoolTrace,
    /// The pooled output `[C, H2, W2]`.
    pub output: Array3<f32>,
}

impl PoolSettings {
    /// Applies an action, keeping the step inside the stepper.
    pub fn apply(&mut self, action: PoolAction) {
        match action {
            PoolAction::Source(s) => self.source = s,
            PoolAction::Kind(k) => self.kind = k,
            PoolAction::Window(v) => self.window = v.min(16),
            PoolAction::Stride(v) => self.stride = v.min(16),
            PoolAction::Padding(v) => self.padding = v.min(16),
            PoolAction::Player(a) => {
                let len = self.step_count();
                self.player.apply(a, len);
            }
            PoolAction::JumpTo([c, y, x]) => {
                if let Ok(g) = self.geometry() {
                    let [_, _, h, w] = g.output_shape();
                    let len = self.step_count();
                    self.player
                        .apply(PlayerAction::To((c * h + y) * w + x), len);
                }
            }
            PoolAction::Query(q) => *self = PoolSettings::from_query(&q),
            PoolAction::Activation(a) => self.activation = a,
            PoolAction::X(x) => {
                if x.is_finite() {
                    self.x = x;
                }
            }
        }
        let len = self.step_count();
        self.player.clamp(len);
    }

    /// The input `[1, C, H, W]` (the lecture feature map is computed by the core).
    pub fn input_tensor(&self) -> Array4<f32> {
        match self.source {
            PoolSource::Example => {
                Array4::from_shape_fn((1, 1, 4, 4), |(_, _, y, x)| EXAMPLE[y][x])
            }
            PoolSource::LectureFeature => {
                let image = Array4::from_shape_fn((1, 1, 5, 5), |(_, _, y, x)| LECTURE_IMAGE[y][x]);
                let k = Preset::Lecture.kernel();
                let weight =
                    Array4::from_shape_fn((1, 1, 3, 3), |(_, _, y, x)| k.values[y * 3 + x]);
                conv2d_reference(
                    image.view(),
                    weight.view(),
                    None,
                    Conv2dParams::default().with_padding(1),
                )
                .unwrap_or_else(|_| Array4::zeros((1, 1, 5, 5)))
            }
            PoolSource::Rgb => rgb_pattern(),
        }
    }

    /// The core's pooling parameters.
    pub fn params(&self) -> Pool2dParams {
        Pool2dParams::new(self.window)
            .with_stride(self.stride)
            .with_padding(self.padding)
    }

    /// The validated geometry.
    ///
    /// # Errors
    /// The core's reason the settings are invalid.
    pub fn geometry(&self) -> Result<Pool2dGeometry, CoreError> {
        let s = self.input_tensor();
        let dims = [s.shape()[0], s.shape()[1], s.shape()[2], s.shape()[3]];
        Ok(Pool2dGeometry::new(dims, self.params())?)
    }

    /// Steps of the stepper (0 when invalid).
    pub fn step_count(&self) -> usize {
        self.geometry()
            .map(|g| g.output_shape()[1..].iter().product())
            .unwrap_or(0)
    }

    /// Runs the core.
    ///
    /// # Errors
    /// The core's error when the settings are invalid.
    pub fn build(&self) -> Result<PoolLab, CoreError> {
        let input = self.input_tensor();
        let trace = PoolTrace::new(input.view(), 0, self.kind, self.params())?;
        let output = convscope_core::pool2d(input.view(), self.kind, self.params())?
            .index_axis_move(Axis(0), 0);
        Ok(PoolLab {
            input,
            trace,
            output,
        })
    }
}

impl PoolSettings {
    /// The query that restores these settings ("" for the defaults).
    pub fn to_query(&self) -> Query {
        let d = PoolSettings::default();
        let mut q = Query::new();
        if self.source != d.source {
            q.push("in", self.source.key());
        }
        if self.kind != d.kind {
            let key = KINDS
                .iter()
                .find(|(k, _, _)| *k == self.kind)
                .map_or("max", |(_, key, _)| *key);
            q.push("op", key);
        }
        for (k, v, dv) in [
            ("f", self.window, d.window),
            ("s", self.stride, d.stride),
            ("p", self.padding, d.padding),
            ("i", self.player.step, d.player.step),
        ] {
            if v != dv {
                q.push(k, v.to_string());
            }
        }
        self.player.speed_to_query(&mut q);
        if self.activation != d.activation {
            q.push("act", self.activation.key());
        }
        if self.x != d.x {
            q.push("x", self.x.to_string());
        }
        q
    }

    /// Settings from a query; anything missing or malformed keeps its default.
    pub fn from_query(query: &Query) -> Self {
        let mut s = PoolSettings::default();
        let get = |key: &str| query.get(key);
        if let Some(src) = get("in").and_then(PoolSource::from_key) {
            s.source = src;
        }
        if let Some((kind, _, _)) =
            get("op").and_then(|v| KINDS.iter().find(|(_, key, _)| *key == v))
        {
            s.kind = *kind;
        }
        let num = |key: &str, default: usize| query.number(key, 16).unwrap_or(default);
        s.window = num("f", s.window);
        s.stride = num("s", s.stride);
        s.padding = num("p", s.padding);
        s.player.speed_from_query(query);
        if let Some(a) = get("act").and_then(ActivationChoice::from_key) {
            s.activation = a;
        }
        if let Some(x) = get("x")
            .and_then(convscope_core::format::parse_f32)
            .filter(|x| x.is_finite())
        {
            s.x = x;
        }
        let len = s.step_count();
        s.player.step = get("i").and_then(|v| v.parse().ok()).unwrap_or(0);
        s.player.clamp(len);
        s
    }
}

/// Whether `kind` is max pooling (for the argmax highlight).
pub fn is_max(kind: PoolKind) -> bool {
    kind == PoolKind::Max
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;
    use convscope_core::Stepper;

    #[test]
    fn pool_settings_round_trip_and_garbage_is_ignored() {
        assert!(PoolSettings::default().to_query().is_empty());
        let mut s = PoolSettings::default();
        s.apply(PoolAction::Kind(PoolKind::Average));
        s.apply(PoolAction::Window(3));
        s.apply(PoolAction::Stride(1));
        s.apply(PoolAction::Activation(ActivationChoice::Tanh));
        s.apply(PoolAction::X(-1.5));
        assert_eq!(PoolSettings::from_query(&s.to_query()), s);
        assert_eq!(
            PoolSettings::from_query(&Query::plain("act=nope&x=1e99")),
            PoolSettings::default()
        );
        assert_eq!(
            PoolSettings::from_query(&Query::plain("f=x&s=&op=zzz&i=-1")),
            PoolSettings::default()
        );
    }

    #[test]
    fn default_max_pool_picks_six_first() {
        let lab = PoolSettings::default().build().expect("valid");
        assert_eq!(lab.trace.output_dims(), [1, 2, 2]);
        let step = lab.trace.step(0).expect("step");
        assert_eq!(step.value, 6.0);
        assert_eq!(step.argmax, Some([1, 1]));
    }

    #[test]
    fn a_new_query_replaces_every_setting() {
        let mut s = PoolSettings::default();
        s.apply(PoolAction::Window(3));
        s.apply(PoolAction::Query(Query::plain("s=1&i=2")));
        assert_eq!(s.window, PoolSettings::default().window);
        assert_eq!(s.stride, 1);
        assert_eq!(s.player.step, 2);
    }

    #[test]
    fn overlapping_and_invalid_windows() {
        let mut s = PoolSettings::default();
        s.apply(PoolAction::Window(3));
        s.apply(PoolAction::Stride(1));
        assert_eq!(s.step_count(), 4);
        s.apply(PoolAction::Padding(3));
        assert!(s.build().is_err());
        assert_eq!(s.step_count(), 0);
    }

    #[test]
    fn the_lecture_feature_map_comes_from_the_core() {
        let s = PoolSettings {
            source: PoolSource::LectureFeature,
            ..PoolSettings::default()
        };
        let x = s.input_tensor();
        assert_eq!(x.shape(), &[1, 1, 5, 5]);
        assert_eq!(x[[0, 0, 1, 1]], 4.0);
    }
}
