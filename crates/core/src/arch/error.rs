//! Why an architecture cannot be evaluated for an input.

use thiserror::Error;

use super::Volume;
use crate::shape::ShapeError;

/// A layer that cannot be evaluated, and why. Displays as `POOL3: 3×3 window is larger than
/// its 2×2 input`.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{layer}: {reason}")]
pub struct ArchError {
    /// The layer's path: `CONV1`, or `layer2.0.conv1` inside a residual block. `INPUT` for
    /// problems with the input volume itself.
    pub layer: String,
    /// What went wrong.
    pub reason: LayerError,
}

/// What went wrong in one layer. Every message names the values involved.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LayerError {
    /// The input volume has a zero side.
    #[error("the input volume {volume} is empty; every side must be at least 1")]
    EmptyInput {
        /// The volume given.
        volume: Volume,
    },
    /// The (padded, dilated) window does not fit in the input.
    #[error("{}", window_too_large(*kernel, *dilation, *padding, *height, *width))]
    WindowTooLarge {
        /// F.
        kernel: usize,
        /// D.
        dilation: usize,
        /// P.
        padding: usize,
        /// Input height.
        height: usize,
        /// Input width.
        width: usize,
    },
    /// Another shape error from [`crate::shape::conv_output_size`] (zero stride or kernel,
    /// overflow).
    #[error(transparent)]
    Shape(ShapeError),
    /// A size in the description is zero.
    #[error("{what} must be at least 1 (got 0)")]
    ZeroSize {
        /// Which size.
        what: &'static str,
    },
    /// The channel groups do not divide the input or output channels.
    #[error(
        "{groups} groups must divide both the {in_channels} input channels and the {out_channels} filters"
    )]
    Groups {
        /// G.
        groups: usize,
        /// D1.
        in_channels: usize,
        /// K.
        out_channels: usize,
    },
    /// A dropout probability outside `[0, 1)`.
    #[error("dropout probability must be in [0, 1) (got {p})")]
    Probability {
        /// The probability given.
        p: f64,
    },
    /// Checked arithmetic overflowed.
    #[error("the {what} overflows 64-bit arithmetic; the input is too large")]
    Overflow {
        /// What was being computed.
        what: &'static str,
    },
    /// The two paths of a residual block produce different volumes.
    #[error(
        "the main path gives {main} but the shortcut gives {shortcut}; a residual block adds them, so they must match"
    )]
    ShortcutMismatch {
        /// The main path's output.
        main: Volume,
        /// The shortcut's output.
        shortcut: Volume,
    },
}

fn window_too_large(kernel: usize, dilation: usize, padding: usize, h: usize, w: usize) -> String {
    let mut s = format!("{kernel}×{kernel} window");
    if dilation > 1 {
        let span = dilation
            .saturating_mul(kernel.saturating_sub(1))
            .saturating_add(1);
        s.push_str(&format!(" (dilation {dilation}, spanning {span}×{span})"));
    }
    s.push_str(&format!(" is larger than its {h}×{w} input"));
    if padding > 0 {
        s.push_str(&format!(" even with padding {padding} on each side"));
    }
    s
}
