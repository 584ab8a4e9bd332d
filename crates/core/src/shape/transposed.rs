//! 2-D transposed convolution: hyper-parameters and the validated geometry.

use super::conv::check_groups;
use super::*;

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

    /// `[(H − 1)·S + 1, (W − 1)·S + 1]`: the input with S − 1 zeros between neighbouring
    /// cells (what the transposed convolution slides its kernel over), saturating.
    pub fn upsampled_size(&self) -> [usize; 2] {
        let [h, w] = self.input_size();
        let s = self.params().stride;
        [
            h.saturating_sub(1).saturating_mul(s[0]).saturating_add(1),
            w.saturating_sub(1).saturating_mul(s[1]).saturating_add(1),
        ]
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
