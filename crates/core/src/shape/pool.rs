//! 2-D pooling: hyper-parameters and the validated geometry.

use super::*;

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
    /// The window's positions along each axis, `[rows, columns]`.
    pub fn window_axes(&self) -> [WindowAxis; 2] {
        let p = self.params();
        let [_, _, h, w] = self.input_shape();
        [
            WindowAxis {
                stride: p.stride[0],
                dilation: 1,
                padding: p.padding[0],
                size: h,
            },
            WindowAxis {
                stride: p.stride[1],
                dilation: 1,
                padding: p.padding[1],
                size: w,
            },
        ]
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
