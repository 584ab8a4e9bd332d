//! 2-D convolution: hyper-parameters and the validated geometry of a layer on a batch.

use super::*;

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
pub(super) fn check_groups(
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
    /// The window's positions along each axis, `[rows, columns]`.
    pub fn window_axes(&self) -> [WindowAxis; 2] {
        let p = self.params();
        let [h, w] = self.input_size();
        [
            WindowAxis {
                stride: p.stride[0],
                dilation: p.dilation[0],
                padding: p.padding[0],
                size: h,
            },
            WindowAxis {
                stride: p.stride[1],
                dilation: p.dilation[1],
                padding: p.padding[1],
                size: w,
            },
        ]
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
