//! Transposed mode: why it may show no stage, the size it draws at most, and its steps in the
//! forward stepper's shape.

use convscope_core::format::thousands;
use convscope_core::{
    Activation, ConvStep, ConvTap, ConvTranspose2dGeometry, ConvTransposeStep, ConvTransposeTrace,
    CoreError,
};
use ndarray::Array3;

/// The most values transposed mode computes and draws, over all output maps (and again
/// over all upsampled input maps). The largest settings the controls accept would give
/// 16 maps of 1169×1169 (64×64 upload, S = D = K = 16, F = 11): about 22 million values,
/// canvases too large to read. The web worker computes 1.7 million values (8 maps of
/// 465×465) in about 19 ms and 3.5 million in 42–60 ms (Chromium, AMD EPYC Zen 4;
/// `tests/e2e/lab-perf.test.mjs` prints the figures of every run). The cap leaves room for
/// machines three times as slow to answer within 100 ms, and for the page, which draws
/// every map up to the stepper's: all 8 of 465×465 in about 130 ms.
///
/// The forward mode needs no such cap: its output shrinks. At most 16 maps of
/// (64 + 2·16)² = 96² cells (an upload, P = 16, F = 1), 147,456 values. Nor, under this cap,
/// does the upsampled input reach it from the controls (at most one 1009×1009 map: a 64×64
/// upload, S = 16); it is checked all the same.
pub const MAX_TRANSPOSED_VALUES: usize = 2_000_000;

/// Why transposed mode shows no stage.
#[derive(Debug, Clone, PartialEq)]
pub enum TransposedError {
    /// The core refuses the settings.
    Core(CoreError),
    /// Valid settings whose pictures would be too large to compute and draw.
    TooLarge {
        /// "output" or "upsampled input".
        what: &'static str,
        /// How many maps.
        maps: usize,
        /// `[H, W]` of each map.
        size: [usize; 2],
        /// What to lower.
        advice: &'static str,
    },
}

impl From<CoreError> for TransposedError {
    fn from(e: CoreError) -> Self {
        Self::Core(e)
    }
}

impl std::fmt::Display for TransposedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Core(e) => e.fmt(f),
            Self::TooLarge {
                what,
                maps,
                size: [h, w],
                advice,
            } => write!(
                f,
                "the {what} would be {maps} map{} of {h}×{w} = {} values; at most {} are drawn — {advice}",
                if *maps == 1 { "" } else { "s" },
                thousands(maps.saturating_mul(*h).saturating_mul(*w) as u64),
                thousands(MAX_TRANSPOSED_VALUES as u64),
            ),
        }
    }
}

/// Refuses a transposed layer whose output or upsampled input would hold more than
/// [`MAX_TRANSPOSED_VALUES`] values (both are computed and drawn).
///
/// # Errors
/// [`TransposedError::TooLarge`], naming the picture and its size.
pub fn transposed_size_check(g: &ConvTranspose2dGeometry) -> Result<(), TransposedError> {
    let check = |what, maps: usize, [h, w]: [usize; 2], advice| {
        if maps.saturating_mul(h).saturating_mul(w) > MAX_TRANSPOSED_VALUES {
            Err(TransposedError::TooLarge {
                what,
                maps,
                size: [h, w],
                advice,
            })
        } else {
            Ok(())
        }
    };
    let [_, k, h2, w2] = g.output_shape();
    check("output", k, [h2, w2], "lower the stride, dilation or K")?;
    check(
        "upsampled input",
        g.in_channels(),
        g.upsampled_size(),
        "lower the stride or use a smaller image",
    )
}

/// A transposed step in the forward stepper's shape, for the products grid and the written
/// sum: a tap's `input` is its cell of the upsampled input, and a stride hole or padding is
/// a skipped tap (`padding: true`, no product).
pub fn transposed_display_step(step: &ConvTransposeStep) -> ConvStep {
    ConvStep {
        index: step.index,
        output: step.output,
        window_origin: step.window_origin,
        taps: step
            .taps
            .iter()
            .map(|t| ConvTap {
                channel: t.channel,
                kernel: t.kernel,
                input: t.upsampled,
                padding: t.source.is_none(),
                value: t.value,
                weight: t.weight,
                product: t.product,
            })
            .collect(),
        channel_sums: step.channel_sums.clone(),
        sum: step.sum,
        bias: step.bias,
        pre_activation: step.value,
        activation: Activation::Identity,
        value: step.value,
    }
}

/// The transposed stepper: the input and the core's trace (the maps are the worker's).
#[derive(Debug, Clone)]
pub struct TransposedLab {
    /// The input `[D1, H, W]`.
    pub input: Array3<f32>,
    /// The trace the stepper walks.
    pub trace: ConvTransposeTrace,
}
