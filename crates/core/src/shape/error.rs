//! [`ShapeError`]: why a shape cannot be computed.

use super::*;

/// Why a shape cannot be computed. Every message names the values involved.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShapeError {
    /// The stride is zero.
    #[error("stride must be at least 1 (got S = {stride})")]
    ZeroStride { stride: usize },
    /// The kernel size is zero.
    #[error("kernel size must be at least 1 (got F = {kernel})")]
    ZeroKernel { kernel: usize },
    /// The dilation is zero.
    #[error("dilation must be at least 1 (got D = {dilation})")]
    ZeroDilation { dilation: usize },
    /// The (dilated) kernel does not fit in the padded input.
    #[error(
        "the kernel spans {span} cells (F = {kernel}, dilation {dilation}) but the padded input has only {padded} (W = {input}, P = {padding})"
    )]
    KernelTooLarge {
        input: usize,
        kernel: usize,
        padding: usize,
        dilation: usize,
        span: usize,
        padded: usize,
    },
    /// An intermediate product or sum does not fit in `usize`.
    #[error("size overflow while computing {what}")]
    Overflow { what: &'static str },
    /// A tensor would exceed [`MAX_ELEMENTS`].
    #[error("{what} would have {elements} elements, more than the limit of {limit}")]
    TooLarge {
        what: &'static str,
        elements: usize,
        limit: usize,
    },
    /// Zero input channels or zero filters.
    #[error("{op}: {what} must be at least 1 (got 0)")]
    ZeroChannels {
        op: &'static str,
        what: &'static str,
    },
    /// `groups` is zero.
    #[error("{op}: groups must be at least 1 (got 0)")]
    ZeroGroups { op: &'static str },
    /// `groups` does not divide a channel count.
    #[error("{op}: groups = {groups} does not divide the {channels} {what}")]
    GroupsDoNotDivide {
        op: &'static str,
        groups: usize,
        channels: usize,
        what: &'static str,
    },
    /// The weight's channel axis does not match the input.
    #[error(
        "{op}: input has {input_channels} channels but the weight expects {weight_channels} per group × {groups} groups"
    )]
    ChannelMismatch {
        op: &'static str,
        input_channels: usize,
        weight_channels: usize,
        groups: usize,
    },
    /// Transposed convolution: output padding must be smaller than stride or dilation.
    #[error(
        "output padding {output_padding} must be smaller than the stride {stride} or the dilation {dilation}"
    )]
    OutputPaddingTooLarge {
        output_padding: usize,
        stride: usize,
        dilation: usize,
    },
    /// Transposed convolution: the padding removes the whole output.
    #[error(
        "transposed convolution output would be empty: (W − 1)·S + D·(F − 1) + output_padding + 1 = {full} but 2P = {two_p} (W = {input}, F = {kernel}, S = {stride}, P = {padding})"
    )]
    EmptyOutput {
        input: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        full: usize,
        two_p: usize,
    },
    /// Pooling: padding larger than half the window (PyTorch rejects it too).
    #[error("pooling padding {padding} must be at most half the window {kernel}")]
    PoolPaddingTooLarge { padding: usize, kernel: usize },
    /// An input axis of size zero where a window must fit.
    #[error("{op}: the input {axis} is 0")]
    EmptyAxis {
        op: &'static str,
        axis: &'static str,
    },
}
