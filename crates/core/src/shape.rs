//! Shape arithmetic: output sizes of convolutions and pooling, parameter counts, MACs.
//!
//! The lecture's formula is W2 = (W1 − F + 2P)/S + 1; with dilation D PyTorch computes
//! ⌊(W1 + 2P − D(F − 1) − 1)/S⌋ + 1, which equals it for D = 1 whenever S divides evenly.
//! [`conv_output_size_explained`] also says when it does not divide evenly, by how much, and
//! which strides or paddings would. Every product is computed with checked arithmetic.
//!
//! The 2-D geometries ([`Conv2dGeometry`], [`ConvTranspose2dGeometry`], [`Pool2dGeometry`])
//! validate a whole layer once; the kernels index only after that validation.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The largest number of elements any tensor (or scratch buffer) the core allocates may have:
/// 2^28 `f32` values, i.e. 1 GiB. Larger requests fail with [`ShapeError::TooLarge`] instead of
/// aborting on allocation failure (a wasm32 page holds at most 4 GiB).
pub const MAX_ELEMENTS: usize = 1 << 28;

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

fn overflow(what: &'static str) -> ShapeError {
    ShapeError::Overflow { what }
}

/// `a · b` or an overflow error naming `what`.
pub(crate) fn mul(a: usize, b: usize, what: &'static str) -> Result<usize, ShapeError> {
    a.checked_mul(b).ok_or(overflow(what))
}

/// Product of `dims`, failing on overflow or when above [`MAX_ELEMENTS`].
///
/// The limit applies to the product of the non-zero axes: ndarray refuses (panics on) a
/// shape whose non-zero axes overflow even when another axis is 0, so an empty batch with
/// absurd spatial sizes is refused here too.
pub(crate) fn elements(dims: &[usize], what: &'static str) -> Result<usize, ShapeError> {
    let n = dims
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |acc, &d| mul(acc, d, what))?;
    if n > MAX_ELEMENTS {
        return Err(ShapeError::TooLarge {
            what,
            elements: n,
            limit: MAX_ELEMENTS,
        });
    }
    Ok(if dims.contains(&0) { 0 } else { n })
}

/// Output size along one axis, as PyTorch computes it:
/// ⌊(W1 + 2P − D(F − 1) − 1)/S⌋ + 1.
///
/// # Errors
/// [`ShapeError`] for a zero stride, kernel or dilation, a kernel larger than the padded
/// input, or arithmetic overflow.
pub fn conv_output_size(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
) -> Result<usize, ShapeError> {
    conv_output_size_explained(input, kernel, stride, padding, dilation).map(|o| o.size)
}

/// One axis of a convolution or pooling, with the arithmetic spelled out for a UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputSize {
    /// The output size ⌊(W1 + 2P − D(F − 1) − 1)/S⌋ + 1.
    pub size: usize,
    /// Cells the dilated kernel covers: D(F − 1) + 1 (= F without dilation).
    pub span: usize,
    /// The padded input W1 + 2P.
    pub padded: usize,
    /// The numerator W1 + 2P − span (= W1 − F + 2P without dilation).
    pub numerator: usize,
    /// `numerator mod S`: the trailing input cells no window reaches.
    pub remainder: usize,
    /// Present when S does not divide the numerator.
    pub note: Option<DivisibilityNote>,
}

/// The stride does not divide (W1 − F + 2P): the lecture's formula gives a fraction and
/// PyTorch floors it. Names the nearest hyper-parameters that divide evenly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DivisibilityNote {
    /// W1 + 2P − D(F − 1) − 1.
    pub numerator: usize,
    /// S.
    pub stride: usize,
    /// `numerator mod S` (> 0).
    pub remainder: usize,
    /// The largest stride below S that divides the numerator (searched down to S − 4096;
    /// 1 always divides, so this is `Some` whenever S ≤ 4097).
    pub smaller_stride: Option<usize>,
    /// The smallest stride above S that divides the numerator (searched up to S + 4096).
    pub larger_stride: Option<usize>,
    /// The largest padding below P for which S divides evenly and the kernel still fits
    /// (searched within min(S, 4096) of P).
    pub smaller_padding: Option<usize>,
    /// The smallest padding above P for which S divides evenly (same search window).
    pub larger_padding: Option<usize>,
}

impl fmt::Display for DivisibilityNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "(W − F + 2P) = {} is not divisible by S = {} (remainder {}): the last {} input cell(s) are never covered and the size is floored",
            self.numerator, self.stride, self.remainder, self.remainder
        )?;
        let strides: Vec<String> = [self.smaller_stride, self.larger_stride]
            .iter()
            .flatten()
            .map(|s| format!("S = {s}"))
            .collect();
        if !strides.is_empty() {
            write!(f, "; divides evenly with {}", strides.join(" or "))?;
        }
        let paddings: Vec<String> = [self.smaller_padding, self.larger_padding]
            .iter()
            .flatten()
            .map(|p| format!("P = {p}"))
            .collect();
        if !paddings.is_empty() {
            write!(f, "; or keep S and use {}", paddings.join(" or "))?;
        }
        Ok(())
    }
}

/// How far above the stride [`DivisibilityNote::larger_stride`] is searched.
const STRIDE_SEARCH: usize = 4096;

/// [`conv_output_size`] with the arithmetic and, when S does not divide evenly, a
/// [`DivisibilityNote`]. The size is always PyTorch's floor result.
///
/// # Errors
/// As [`conv_output_size`].
pub fn conv_output_size_explained(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
) -> Result<OutputSize, ShapeError> {
    if stride == 0 {
        return Err(ShapeError::ZeroStride { stride });
    }
    if kernel == 0 {
        return Err(ShapeError::ZeroKernel { kernel });
    }
    if dilation == 0 {
        return Err(ShapeError::ZeroDilation { dilation });
    }
    let span = dilation
        .checked_mul(kernel - 1)
        .and_then(|v| v.checked_add(1))
        .ok_or(overflow("the dilated kernel span"))?;
    let padded = padding
        .checked_mul(2)
        .and_then(|p| p.checked_add(input))
        .ok_or(overflow("the padded input"))?;
    if span > padded {
        return Err(ShapeError::KernelTooLarge {
            input,
            kernel,
            padding,
            dilation,
            span,
            padded,
        });
    }
    let numerator = padded - span;
    let remainder = numerator % stride;
    let note = (remainder != 0).then(|| {
        let divides = |s: usize| numerator % s == 0;
        // Bounded searches: a few thousand candidates at most, whatever the inputs.
        let smaller_stride = (stride.saturating_sub(STRIDE_SEARCH).max(1)
            ..stride.min(numerator + 1))
            .rev()
            .find(|&s| divides(s));
        let larger_stride = (stride.saturating_add(1)
            ..=numerator.min(stride.saturating_add(STRIDE_SEARCH)))
            .find(|&s| s > stride && divides(s));
        // numerator(P') = input + 2P' − span; P' works iff S divides it, which repeats with
        // period S in P', so S candidates on each side suffice (capped for huge S).
        let fits = |p: usize| -> Option<usize> {
            let padded = p.checked_mul(2)?.checked_add(input)?;
            let num = padded.checked_sub(span)?;
            (num % stride == 0).then_some(p)
        };
        let window = stride.min(STRIDE_SEARCH);
        let smaller_padding = (padding.saturating_sub(window)..padding)
            .rev()
            .find_map(fits);
        let larger_padding = (1..=window).find_map(|d| padding.checked_add(d).and_then(fits));
        DivisibilityNote {
            numerator,
            stride,
            remainder,
            smaller_stride,
            larger_stride,
            smaller_padding,
            larger_padding,
        }
    });
    Ok(OutputSize {
        size: numerator / stride + 1,
        span,
        padded,
        numerator,
        remainder,
        note,
    })
}

/// Output size along one axis of a transposed convolution, as PyTorch computes it:
/// (W − 1)·S − 2P + D·(F − 1) + output_padding + 1.
///
/// # Errors
/// [`ShapeError`] for a zero stride, kernel or dilation, an output padding not smaller than
/// the stride or the dilation, an empty result, or overflow.
pub fn conv_transpose_output_size(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    output_padding: usize,
    dilation: usize,
) -> Result<usize, ShapeError> {
    if stride == 0 {
        return Err(ShapeError::ZeroStride { stride });
    }
    if kernel == 0 {
        return Err(ShapeError::ZeroKernel { kernel });
    }
    if dilation == 0 {
        return Err(ShapeError::ZeroDilation { dilation });
    }
    if output_padding >= stride && output_padding >= dilation {
        return Err(ShapeError::OutputPaddingTooLarge {
            output_padding,
            stride,
            dilation,
        });
    }
    let what = "the transposed convolution output";
    let full = input
        .saturating_sub(1)
        .checked_mul(stride)
        .and_then(|v| v.checked_add(dilation.checked_mul(kernel - 1)?))
        .and_then(|v| v.checked_add(output_padding))
        .and_then(|v| v.checked_add(1))
        .ok_or(overflow(what))?;
    if input == 0 {
        return Err(ShapeError::EmptyAxis {
            op: "conv_transpose2d",
            axis: "size",
        });
    }
    let two_p = mul(padding, 2, what)?;
    match full.checked_sub(two_p) {
        Some(size) if size > 0 => Ok(size),
        _ => Err(ShapeError::EmptyOutput {
            input,
            kernel,
            stride,
            padding,
            full,
            two_p,
        }),
    }
}

/// Output size along one axis of a pooling window (no dilation, floor mode, PyTorch's rule
/// that padding is at most half the window).
///
/// # Errors
/// As [`conv_output_size`], plus [`ShapeError::PoolPaddingTooLarge`].
pub fn pool_output_size(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
) -> Result<usize, ShapeError> {
    if kernel > 0 && padding > kernel / 2 {
        return Err(ShapeError::PoolPaddingTooLarge { padding, kernel });
    }
    conv_output_size(input, kernel, stride, padding, 1)
}

/// Hyper-parameters of a 2-D convolution, per axis `[height, width]`. Defaults: stride 1,
/// padding 0, dilation 1, groups 1 (PyTorch's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Conv2dParams {
    /// Step between windows, `[S_h, S_w]`.
    pub stride: [usize; 2],
    /// Zeros added on each side, `[P_h, P_w]`.
    pub padding: [usize; 2],
    /// Gap between kernel taps, `[D_h, D_w]` (1 = dense).
    pub dilation: [usize; 2],
    /// Channel groups: each output channel sees `C_in / groups` input channels.
    /// `groups == C_in == C_out` is a depthwise convolution.
    pub groups: usize,
}

impl Default for Conv2dParams {
    fn default() -> Self {
        Self {
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
            groups: 1,
        }
    }
}

impl Conv2dParams {
    /// The same stride on both axes.
    #[must_use]
    pub fn with_stride(mut self, stride: usize) -> Self {
        self.stride = [stride, stride];
        self
    }
    /// The same zero padding on both axes.
    #[must_use]
    pub fn with_padding(mut self, padding: usize) -> Self {
        self.padding = [padding, padding];
        self
    }
    /// The same dilation on both axes.
    #[must_use]
    pub fn with_dilation(mut self, dilation: usize) -> Self {
        self.dilation = [dilation, dilation];
        self
    }
    /// Channel groups.
    #[must_use]
    pub fn with_groups(mut self, groups: usize) -> Self {
        self.groups = groups;
        self
    }
}

/// Checks channel counts and groups shared by convolution and transposed convolution.
fn check_groups(
    op: &'static str,
    in_channels: usize,
    out_channels: usize,
    groups: usize,
) -> Result<(), ShapeError> {
    if in_channels == 0 {
        return Err(ShapeError::ZeroChannels {
            op,
            what: "input channels",
        });
    }
    if out_channels == 0 {
        return Err(ShapeError::ZeroChannels {
            op,
            what: "output channels (filters)",
        });
    }
    if groups == 0 {
        return Err(ShapeError::ZeroGroups { op });
    }
    if !in_channels.is_multiple_of(groups) {
        return Err(ShapeError::GroupsDoNotDivide {
            op,
            groups,
            channels: in_channels,
            what: "input channels",
        });
    }
    if !out_channels.is_multiple_of(groups) {
        return Err(ShapeError::GroupsDoNotDivide {
            op,
            groups,
            channels: out_channels,
            what: "output channels",
        });
    }
    Ok(())
}

/// A validated 2-D convolution layer applied to a batch: every size the kernels need,
/// computed once with checked arithmetic.
///
/// # Shapes
/// - input: `[batch, in_channels, in_h, in_w]`
/// - weight: `[out_channels, in_channels / groups, kernel_h, kernel_w]`
/// - bias: `[out_channels]`
/// - output: `[batch, out_channels, out_h, out_w]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conv2dGeometry {
    batch: usize,
    in_channels: usize,
    in_h: usize,
    in_w: usize,
    out_channels: usize,
    kernel: [usize; 2],
    params: Conv2dParams,
    axes: [OutputSize; 2],
    macs: u64,
}

impl Conv2dGeometry {
    const OP: &'static str = "conv2d";

    /// Validates a layer: `input` is `[batch, C_in, H, W]`, `kernel` is `[F_h, F_w]`.
    ///
    /// # Errors
    /// [`ShapeError`] for zero channels, filters, groups, strides, kernels or dilations,
    /// groups that do not divide the channels, a kernel larger than the padded input, an
    /// overflowing product, or tensors above [`MAX_ELEMENTS`].
    pub fn new(
        input: [usize; 4],
        out_channels: usize,
        kernel: [usize; 2],
        params: Conv2dParams,
    ) -> Result<Self, ShapeError> {
        let [batch, in_channels, in_h, in_w] = input;
        check_groups(Self::OP, in_channels, out_channels, params.groups)?;
        let axis = |i: usize, size: usize| {
            conv_output_size_explained(
                size,
                kernel[i],
                params.stride[i],
                params.padding[i],
                params.dilation[i],
            )
        };
        let axes = [axis(0, in_h)?, axis(1, in_w)?];
        let geometry = Self {
            batch,
            in_channels,
            in_h,
            in_w,
            out_channels,
            kernel,
            params,
            axes,
            macs: 0,
        };
        elements(&input, "the input")?;
        elements(&geometry.weight_shape(), "the weight")?;
        elements(&geometry.output_shape(), "the output")?;
        // Check the im2col matrix's factors on their own: with batch 0 the output has no
        // elements even when H2·W2 alone would overflow.
        let [out_h, out_w] = geometry.output_size();
        elements(
            &[geometry.in_channels_per_group(), kernel[0], kernel[1]],
            "the im2col matrix",
        )?;
        elements(&[out_h, out_w], "the im2col matrix")?;
        elements(&geometry.cols_shape(), "the im2col matrix")?;
        // Both factors are below MAX_ELEMENTS now; their product fits in u64 on every target.
        let [rows, _] = geometry.cols_shape();
        let outputs: usize = geometry.output_shape().iter().product();
        let macs = outputs as u64 * rows as u64;
        Ok(Self { macs, ..geometry })
    }

    /// Validates a layer from tensor shapes: `weight` is `[C_out, C_in / groups, F_h, F_w]`.
    ///
    /// # Errors
    /// As [`Conv2dGeometry::new`], plus [`ShapeError::ChannelMismatch`] when the weight's
    /// second axis is not `C_in / groups`.
    pub fn from_shapes(
        input: [usize; 4],
        weight: [usize; 4],
        params: Conv2dParams,
    ) -> Result<Self, ShapeError> {
        let geometry = Self::new(input, weight[0], [weight[2], weight[3]], params)?;
        if weight[1].checked_mul(params.groups) != Some(input[1]) {
            return Err(ShapeError::ChannelMismatch {
                op: Self::OP,
                input_channels: input[1],
                weight_channels: weight[1],
                groups: params.groups,
            });
        }
        Ok(geometry)
    }

    /// Batch size N.
    pub fn batch(&self) -> usize {
        self.batch
    }
    /// Input channels D1.
    pub fn in_channels(&self) -> usize {
        self.in_channels
    }
    /// Output channels (filters) K = D2.
    pub fn out_channels(&self) -> usize {
        self.out_channels
    }
    /// Input channels each filter sees: D1 / groups.
    pub fn in_channels_per_group(&self) -> usize {
        self.in_channels / self.params.groups
    }
    /// Filters per group: K / groups.
    pub fn out_channels_per_group(&self) -> usize {
        self.out_channels / self.params.groups
    }
    /// `[F_h, F_w]`.
    pub fn kernel(&self) -> [usize; 2] {
        self.kernel
    }
    /// The hyper-parameters.
    pub fn params(&self) -> Conv2dParams {
        self.params
    }
    /// `[H, W]` of the input.
    pub fn input_size(&self) -> [usize; 2] {
        [self.in_h, self.in_w]
    }
    /// `[H2, W2]` of the output.
    pub fn output_size(&self) -> [usize; 2] {
        [self.axes[0].size, self.axes[1].size]
    }
    /// The arithmetic per axis `[height, width]`, with divisibility notes.
    pub fn axes(&self) -> &[OutputSize; 2] {
        &self.axes
    }
    /// `[N, C_in, H, W]`.
    pub fn input_shape(&self) -> [usize; 4] {
        [self.batch, self.in_channels, self.in_h, self.in_w]
    }
    /// `[C_out, C_in / groups, F_h, F_w]`.
    pub fn weight_shape(&self) -> [usize; 4] {
        [
            self.out_channels,
            self.in_channels_per_group(),
            self.kernel[0],
            self.kernel[1],
        ]
    }
    /// `[N, C_out, H2, W2]`.
    pub fn output_shape(&self) -> [usize; 4] {
        let [h, w] = self.output_size();
        [self.batch, self.out_channels, h, w]
    }
    /// `[C_in / groups · F_h · F_w, H2 · W2]`: one im2col matrix (one sample, one group).
    pub fn cols_shape(&self) -> [usize; 2] {
        let [h, w] = self.output_size();
        [
            self.in_channels_per_group() * self.kernel[0] * self.kernel[1],
            h * w,
        ]
    }
    /// Weights: (F_h·F_w·D1/groups)·K.
    pub fn weight_count(&self) -> usize {
        self.weight_shape().iter().product()
    }
    /// Learnable parameters: (F_h·F_w·D1/groups)·K + K with a bias, without it K fewer.
    pub fn parameter_count(&self, bias: bool) -> usize {
        self.weight_count() + if bias { self.out_channels } else { 0 }
    }
    /// Multiply-accumulates for the whole batch: N·K·H2·W2·(D1/groups)·F_h·F_w.
    pub fn macs(&self) -> u64 {
        self.macs
    }
    /// Multiply-accumulates for one sample.
    pub fn macs_per_sample(&self) -> u64 {
        let [_, k, h, w] = self.output_shape();
        let [rows, _] = self.cols_shape();
        (k * h * w) as u64 * rows as u64
    }
}

/// Hyper-parameters of a 2-D transposed convolution (PyTorch semantics), per axis
/// `[height, width]`. Defaults: stride 1, padding 0, output padding 0, dilation 1, groups 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConvTranspose2dParams {
    /// Spacing of the input cells in the output.
    pub stride: [usize; 2],
    /// Cells removed from each side of the full output.
    pub padding: [usize; 2],
    /// Extra cells added on the bottom/right (must be < stride or < dilation).
    pub output_padding: [usize; 2],
    /// Gap between kernel taps.
    pub dilation: [usize; 2],
    /// Channel groups.
    pub groups: usize,
}

impl Default for ConvTranspose2dParams {
    fn default() -> Self {
        Self {
            stride: [1, 1],
            padding: [0, 0],
            output_padding: [0, 0],
            dilation: [1, 1],
            groups: 1,
        }
    }
}

impl ConvTranspose2dParams {
    /// The same stride on both axes.
    #[must_use]
    pub fn with_stride(mut self, stride: usize) -> Self {
        self.stride = [stride, stride];
        self
    }
    /// The same padding on both axes.
    #[must_use]
    pub fn with_padding(mut self, padding: usize) -> Self {
        self.padding = [padding, padding];
        self
    }
    /// The same output padding on both axes.
    #[must_use]
    pub fn with_output_padding(mut self, output_padding: usize) -> Self {
        self.output_padding = [output_padding, output_padding];
        self
    }
    /// The same dilation on both axes.
    #[must_use]
    pub fn with_dilation(mut self, dilation: usize) -> Self {
        self.dilation = [dilation, dilation];
        self
    }
    /// Channel groups.
    #[must_use]
    pub fn with_groups(mut self, groups: usize) -> Self {
        self.groups = groups;
        self
    }
}

/// A validated 2-D transposed convolution.
///
/// # Shapes
/// - input: `[batch, in_channels, in_h, in_w]`
/// - weight: `[in_channels, out_channels / groups, kernel_h, kernel_w]` (PyTorch's layout)
/// - bias: `[out_channels]`
/// - output: `[batch, out_channels, out_h, out_w]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvTranspose2dGeometry {
    batch: usize,
    in_channels: usize,
    in_size: [usize; 2],
    out_channels: usize,
    kernel: [usize; 2],
    params: ConvTranspose2dParams,
    out_size: [usize; 2],
}

impl ConvTranspose2dGeometry {
    const OP: &'static str = "conv_transpose2d";

    /// Validates a layer from tensor shapes: `weight` is `[C_in, C_out / groups, F_h, F_w]`.
    ///
    /// # Errors
    /// [`ShapeError`] for zero sizes, groups that do not divide the channels, a weight whose
    /// first axis is not C_in, too large an output padding, an empty output, or overflow.
    pub fn from_shapes(
        input: [usize; 4],
        weight: [usize; 4],
        params: ConvTranspose2dParams,
    ) -> Result<Self, ShapeError> {
        let [batch, in_channels, in_h, in_w] = input;
        let out_channels = mul(weight[1], params.groups, "output channels")?;
        check_groups(Self::OP, in_channels, out_channels, params.groups)?;
        if weight[0] != in_channels {
            return Err(ShapeError::ChannelMismatch {
                op: Self::OP,
                input_channels: in_channels,
                weight_channels: weight[0] / params.groups,
                groups: params.groups,
            });
        }
        let kernel = [weight[2], weight[3]];
        let axis = |i: usize, size: usize| {
            conv_transpose_output_size(
                size,
                kernel[i],
                params.stride[i],
                params.padding[i],
                params.output_padding[i],
                params.dilation[i],
            )
        };
        let out_size = [axis(0, in_h)?, axis(1, in_w)?];
        let g = Self {
            batch,
            in_channels,
            in_size: [in_h, in_w],
            out_channels,
            kernel,
            params,
            out_size,
        };
        elements(&input, "the input")?;
        elements(&weight, "the weight")?;
        elements(&g.output_shape(), "the output")?;
        elements(&g.cols_shape(), "the col2im matrix")?;
        Ok(g)
    }

    /// Batch size N.
    pub fn batch(&self) -> usize {
        self.batch
    }
    /// Input channels.
    pub fn in_channels(&self) -> usize {
        self.in_channels
    }
    /// Output channels.
    pub fn out_channels(&self) -> usize {
        self.out_channels
    }
    /// `[F_h, F_w]`.
    pub fn kernel(&self) -> [usize; 2] {
        self.kernel
    }
    /// The hyper-parameters.
    pub fn params(&self) -> ConvTranspose2dParams {
        self.params
    }
    /// `[H, W]` of the input.
    pub fn input_size(&self) -> [usize; 2] {
        self.in_size
    }
    /// `[H2, W2]` of the output.
    pub fn output_size(&self) -> [usize; 2] {
        self.out_size
    }
    /// `[C_in, C_out / groups, F_h, F_w]`.
    pub fn weight_shape(&self) -> [usize; 4] {
        [
            self.in_channels,
            self.out_channels / self.params.groups,
            self.kernel[0],
            self.kernel[1],
        ]
    }
    /// `[N, C_out, H2, W2]`.
    pub fn output_shape(&self) -> [usize; 4] {
        [
            self.batch,
            self.out_channels,
            self.out_size[0],
            self.out_size[1],
        ]
    }
    /// `[C_out / groups · F_h · F_w, H · W]`: one col2im matrix (one sample, one group).
    pub fn cols_shape(&self) -> [usize; 2] {
        [
            self.out_channels / self.params.groups * self.kernel[0] * self.kernel[1],
            self.in_size[0] * self.in_size[1],
        ]
    }
    /// Learnable parameters: C_in·(C_out/groups)·F_h·F_w (+ C_out with a bias).
    pub fn parameter_count(&self, bias: bool) -> usize {
        self.weight_shape().iter().product::<usize>() + if bias { self.out_channels } else { 0 }
    }
}

/// Hyper-parameters of 2-D pooling, per axis `[height, width]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pool2dParams {
    /// Window `[F_h, F_w]`.
    pub kernel: [usize; 2],
    /// Step between windows; equal to the window for non-overlapping pooling.
    pub stride: [usize; 2],
    /// Padding on each side (at most half the window).
    pub padding: [usize; 2],
}

impl Pool2dParams {
    /// A square `kernel × kernel` window with stride = kernel (non-overlapping) and no padding.
    pub fn new(kernel: usize) -> Self {
        Self {
            kernel: [kernel, kernel],
            stride: [kernel, kernel],
            padding: [0, 0],
        }
    }
    /// The same stride on both axes (smaller than the window → overlapping pooling).
    #[must_use]
    pub fn with_stride(mut self, stride: usize) -> Self {
        self.stride = [stride, stride];
        self
    }
    /// The same padding on both axes.
    #[must_use]
    pub fn with_padding(mut self, padding: usize) -> Self {
        self.padding = [padding, padding];
        self
    }
}

/// A validated 2-D pooling over a batch.
///
/// # Shapes
/// - input: `[batch, channels, in_h, in_w]`
/// - output: `[batch, channels, out_h, out_w]` (each depth slice pooled independently)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool2dGeometry {
    input: [usize; 4],
    params: Pool2dParams,
    axes: [OutputSize; 2],
}

impl Pool2dGeometry {
    /// Validates pooling of an `[N, C, H, W]` input.
    ///
    /// # Errors
    /// [`ShapeError`] for an empty channel, height or width axis, a zero window or stride,
    /// padding above half the window, a window
    /// larger than the padded input, or sizes above [`MAX_ELEMENTS`].
    pub fn new(input: [usize; 4], params: Pool2dParams) -> Result<Self, ShapeError> {
        for (size, axis) in [
            (input[1], "channels"),
            (input[2], "height"),
            (input[3], "width"),
        ] {
            if size == 0 {
                return Err(ShapeError::EmptyAxis { op: "pool2d", axis });
            }
        }
        let axis = |i: usize| -> Result<OutputSize, ShapeError> {
            let (k, p) = (params.kernel[i], params.padding[i]);
            if k > 0 && p > k / 2 {
                return Err(ShapeError::PoolPaddingTooLarge {
                    padding: p,
                    kernel: k,
                });
            }
            conv_output_size_explained(input[2 + i], k, params.stride[i], p, 1)
        };
        let g = Self {
            input,
            params,
            axes: [axis(0)?, axis(1)?],
        };
        elements(&input, "the input")?;
        // Bounds every window (a window never exceeds the padded input), so a huge window
        // of mostly padding is an error rather than an endless loop.
        elements(
            &[input[0], input[1], g.axes[0].padded, g.axes[1].padded],
            "the padded input",
        )?;
        elements(&g.output_shape(), "the output")?;
        Ok(g)
    }
    /// The hyper-parameters.
    pub fn params(&self) -> Pool2dParams {
        self.params
    }
    /// `[N, C, H, W]`.
    pub fn input_shape(&self) -> [usize; 4] {
        self.input
    }
    /// `[H2, W2]`.
    pub fn output_size(&self) -> [usize; 2] {
        [self.axes[0].size, self.axes[1].size]
    }
    /// `[N, C, H2, W2]`.
    pub fn output_shape(&self) -> [usize; 4] {
        let [h, w] = self.output_size();
        [self.input[0], self.input[1], h, w]
    }
    /// The arithmetic per axis, with divisibility notes.
    pub fn axes(&self) -> &[OutputSize; 2] {
        &self.axes
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn alexnet_conv1_gives_55() {
        assert_eq!(conv_output_size(227, 11, 4, 0, 1), Ok(55));
    }

    #[test]
    fn lecture_5x5_with_3x3_gives_3() {
        assert_eq!(conv_output_size(5, 3, 1, 0, 1), Ok(3));
    }

    #[test]
    fn zero_stride_is_an_error() {
        assert_eq!(
            conv_output_size(5, 3, 0, 0, 1),
            Err(ShapeError::ZeroStride { stride: 0 })
        );
    }

    #[test]
    fn zero_kernel_and_dilation_are_errors() {
        assert_eq!(
            conv_output_size(5, 0, 1, 0, 1),
            Err(ShapeError::ZeroKernel { kernel: 0 })
        );
        assert_eq!(
            conv_output_size(5, 3, 1, 0, 0),
            Err(ShapeError::ZeroDilation { dilation: 0 })
        );
    }

    #[test]
    fn dilated_kernel_too_large_names_the_values() {
        let err = conv_output_size(5, 3, 1, 0, 3).err();
        assert_eq!(
            err,
            Some(ShapeError::KernelTooLarge {
                input: 5,
                kernel: 3,
                padding: 0,
                dilation: 3,
                span: 7,
                padded: 5
            })
        );
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("spans 7") && msg.contains("only 5"), "{msg}");
    }

    #[test]
    fn pytorch_dilation_formula() {
        // ⌊(10 + 2·1 − 2·(3 − 1) − 1)/2⌋ + 1 = ⌊7/2⌋ + 1 = 4
        assert_eq!(conv_output_size(10, 3, 2, 1, 2), Ok(4));
    }

    #[test]
    fn overflow_is_an_error() {
        assert!(matches!(
            conv_output_size(1, 2, 1, usize::MAX, 1),
            Err(ShapeError::Overflow { .. })
        ));
        assert!(matches!(
            conv_output_size(1, usize::MAX, 1, 0, 2),
            Err(ShapeError::Overflow { .. })
        ));
    }

    #[test]
    fn alexnet_divides_evenly_so_no_note() {
        let o = conv_output_size_explained(227, 11, 4, 0, 1);
        assert_eq!(
            o.as_ref().map(|o| (o.size, o.note.is_none())),
            Ok((55, true))
        );
    }

    #[test]
    fn uneven_stride_explains_remainder_and_alternatives() {
        // 224 − 11 + 0 = 213, 213 mod 4 = 1: PyTorch floors to 53 + 1 = 54.
        let o = conv_output_size_explained(224, 11, 4, 0, 1);
        let Ok(o) = o else { panic!("{o:?}") };
        assert_eq!((o.size, o.numerator, o.remainder), (54, 213, 1));
        let Some(note) = o.note else {
            panic!("expected a note")
        };
        assert_eq!(note.smaller_stride, Some(3)); // 213 = 3 · 71
        assert_eq!(note.larger_stride, Some(71));
        assert_eq!(note.smaller_padding, None); // 2P is even: 213 + 2P' odd, 4 never divides
        assert_eq!(note.larger_padding, None);
        let text = note.to_string();
        assert!(
            text.contains("213") && text.contains("remainder 1"),
            "{text}"
        );
        // With S = 3 on 8 − 3 + 0 = 5: P = 2 gives 9, divisible.
        let o = conv_output_size_explained(8, 3, 3, 0, 1);
        let note = o.ok().and_then(|o| o.note);
        assert_eq!(note.as_ref().and_then(|n| n.larger_padding), Some(2));
        assert_eq!(note.as_ref().and_then(|n| n.larger_stride), Some(5));
    }

    #[test]
    fn transposed_size_matches_pytorch() {
        // (4 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 8
        assert_eq!(conv_transpose_output_size(4, 3, 2, 1, 1, 1), Ok(8));
        assert!(matches!(
            conv_transpose_output_size(4, 3, 2, 1, 2, 1),
            Err(ShapeError::OutputPaddingTooLarge { .. })
        ));
        assert!(matches!(
            conv_transpose_output_size(1, 1, 1, 1, 0, 1),
            Err(ShapeError::EmptyOutput { .. })
        ));
    }

    #[test]
    fn lenet_conv1_geometry_counts_params_and_macs() {
        let g = Conv2dGeometry::new(
            [1, 1, 28, 28],
            6,
            [5, 5],
            Conv2dParams::default().with_padding(2),
        );
        let Ok(g) = g else { panic!("{g:?}") };
        assert_eq!(g.output_shape(), [1, 6, 28, 28]);
        assert_eq!(g.parameter_count(true), 5 * 5 * 6 + 6);
        assert_eq!(g.macs(), 6 * 28 * 28 * 25);
        assert_eq!(g.macs_per_sample(), 6 * 28 * 28 * 25);
    }

    #[test]
    fn alexnet_conv1_geometry() {
        let g = Conv2dGeometry::new(
            [1, 3, 227, 227],
            96,
            [11, 11],
            Conv2dParams::default().with_stride(4),
        );
        let Ok(g) = g else { panic!("{g:?}") };
        assert_eq!(g.output_shape(), [1, 96, 55, 55]);
        assert_eq!(g.parameter_count(true), 11 * 11 * 3 * 96 + 96);
    }

    #[test]
    fn geometry_errors_name_channels_and_groups() {
        let p = Conv2dParams::default().with_groups(2);
        let e = Conv2dGeometry::new([1, 3, 8, 8], 4, [3, 3], p).err();
        assert_eq!(
            e,
            Some(ShapeError::GroupsDoNotDivide {
                op: "conv2d",
                groups: 2,
                channels: 3,
                what: "input channels"
            })
        );
        let e = Conv2dGeometry::new([1, 0, 8, 8], 4, [3, 3], Conv2dParams::default()).err();
        assert!(matches!(e, Some(ShapeError::ZeroChannels { .. })));
        let e = Conv2dGeometry::new([1, 2, 8, 8], 0, [3, 3], Conv2dParams::default()).err();
        assert!(matches!(e, Some(ShapeError::ZeroChannels { .. })));
        let e = Conv2dGeometry::from_shapes([1, 3, 8, 8], [4, 1, 3, 3], Conv2dParams::default());
        let msg = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            msg,
            "conv2d: input has 3 channels but the weight expects 1 per group × 1 groups"
        );
    }

    #[test]
    fn huge_sizes_are_errors_not_aborts() {
        let e = Conv2dGeometry::new(
            [1 << 20, 1 << 20, 1 << 20, 1],
            1,
            [1, 1],
            Conv2dParams::default(),
        );
        assert!(matches!(
            e,
            Err(ShapeError::TooLarge { .. } | ShapeError::Overflow { .. })
        ));
        let e = Conv2dGeometry::new(
            [usize::MAX, usize::MAX, 3, 3],
            1,
            [1, 1],
            Conv2dParams::default(),
        );
        assert!(matches!(
            e,
            Err(ShapeError::Overflow { .. } | ShapeError::TooLarge { .. })
        ));
    }

    #[test]
    fn pool_padding_above_half_window_is_an_error() {
        assert_eq!(
            pool_output_size(8, 2, 2, 2),
            Err(ShapeError::PoolPaddingTooLarge {
                padding: 2,
                kernel: 2
            })
        );
        // AlexNet MAX POOL1: 55 → 27 with 3×3 windows at stride 2 (overlapping).
        assert_eq!(pool_output_size(55, 3, 2, 0), Ok(27));
    }
}
