//! Traces: step-by-step explanations of convolution and pooling for the UI to animate.
//!
//! A trace is a [`Stepper`]: `len()` output cells, and `step(i)` computes cell `i` directly
//! from its index (O(window) work, no replay), returning a pure-data step: the window's
//! input coordinates (padding cells marked), each product, the sum, bias, activation and
//! output index. Steps run in output order: channel, then row, then column.
//!
//! [`ConvTransposeTrace`] does the same for transposed convolution, in gather form.
//!
//! The sums use the reference loop's own window iteration ([`crate::conv2d_reference`],
//! [`crate::pool2d`]), so a step's value is bitwise equal to the batch result.

mod transposed;

use ndarray::{Array1, Array3, Array4, ArrayView1, ArrayView4, Axis, Slice};
use serde::{Deserialize, Serialize};

use crate::activation::Activation;
use crate::conv::window_taps;
use crate::error::CoreError;
use crate::pool::{PoolKind, divisor, reduce, window_cells};
use crate::shape::{Conv2dGeometry, Conv2dParams, Pool2dGeometry, Pool2dParams};
use crate::tensor::{check_bias, dims4};

pub use transposed::{ConvTransposeStep, ConvTransposeTap, ConvTransposeTrace};

/// Random access to the steps of an explanation.
pub trait Stepper {
    /// One step's data.
    type Step;
    /// Number of steps (output cells of one sample).
    fn len(&self) -> usize;
    /// Whether there are no steps.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Step `index`, computed directly from the index.
    ///
    /// # Errors
    /// [`CoreError::StepOutOfRange`] when `index >= len()`.
    fn step(&self, index: usize) -> Result<Self::Step, CoreError>;
}

/// `index` → `[channel, y, x]` over `[channels, h, w]`.
fn unravel(index: usize, [c, h, w]: [usize; 3]) -> Result<[usize; 3], CoreError> {
    let len = c * h * w;
    if index >= len {
        return Err(CoreError::StepOutOfRange { index, len });
    }
    Ok([index / (h * w), index / w % h, index % w])
}

fn sample_of(
    op: &'static str,
    input: &ArrayView4<'_, f32>,
    sample: usize,
) -> Result<Array4<f32>, CoreError> {
    let batch = input.dim().0;
    if sample >= batch {
        return Err(CoreError::SampleOutOfRange {
            op,
            index: sample,
            batch,
        });
    }
    Ok(input
        .slice_axis(Axis(0), Slice::from(sample..sample + 1))
        .to_owned())
}

/// One kernel tap of a convolution step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConvTap {
    /// Input channel (absolute).
    pub channel: usize,
    /// `[ky, kx]` in the kernel.
    pub kernel: [usize; 2],
    /// `[y, x]` in the unpadded input: negative or ≥ size in the padding.
    pub input: [isize; 2],
    /// Whether the cell is zero padding.
    pub padding: bool,
    /// The input value (0 for padding).
    pub value: f32,
    /// The weight.
    pub weight: f32,
    /// `value × weight`; `None` for padding, which the sum skips.
    pub product: Option<f32>,
}

/// One output cell of a convolution, explained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvStep {
    /// The step index.
    pub index: usize,
    /// `[channel, y, x]` of the output cell.
    pub output: [usize; 3],
    /// Top-left tap `[y, x]` in unpadded input coordinates (negative inside the padding).
    pub window_origin: [isize; 2],
    /// Every tap, channel by channel, row by row, in summation order.
    pub taps: Vec<ConvTap>,
    /// `(channel, Σ products of that channel)` for each input channel of the group: the
    /// depth-slice contributions. Their sum may differ from [`ConvStep::sum`] in the last
    /// bit (different association); `sum` is the one the batch result uses.
    pub channel_sums: Vec<(usize, f32)>,
    /// Σ products in tap order (bitwise equal to the reference loop).
    pub sum: f32,
    /// The bias of this output channel, if the layer has one.
    pub bias: Option<f32>,
    /// `sum + bias`: the convolution's output cell.
    pub pre_activation: f32,
    /// The activation applied after the convolution.
    pub activation: Activation,
    /// `activation(pre_activation)`.
    pub value: f32,
}

/// A convolution trace over one sample of a batch.
#[derive(Debug, Clone)]
pub struct ConvTrace {
    geometry: Conv2dGeometry,
    input: Array4<f32>,
    weight: Array4<f32>,
    bias: Option<Array1<f32>>,
    activation: Activation,
}

impl ConvTrace {
    /// Traces sample `sample` of `input` through a convolution and `activation`.
    ///
    /// # Shapes
    /// As [`crate::conv2d`]; the trace covers one sample: `C_out · H2 · W2` steps.
    ///
    /// # Errors
    /// As [`crate::conv2d`], plus [`CoreError::SampleOutOfRange`].
    pub fn new(
        input: ArrayView4<'_, f32>,
        sample: usize,
        weight: ArrayView4<'_, f32>,
        bias: Option<ArrayView1<'_, f32>>,
        params: Conv2dParams,
        activation: Activation,
    ) -> Result<Self, CoreError> {
        let geometry = Conv2dGeometry::from_shapes(dims4(&input), dims4(&weight), params)?;
        check_bias("ConvTrace", bias.as_ref(), geometry.out_channels())?;
        let input = sample_of("ConvTrace", &input, sample)?;
        let geometry = Conv2dGeometry::from_shapes(dims4(&input), dims4(&weight), params)?;
        Ok(Self {
            geometry,
            input,
            weight: weight.to_owned(),
            bias: bias.map(|b| b.to_owned()),
            activation,
        })
    }

    /// The validated geometry (batch 1).
    pub fn geometry(&self) -> &Conv2dGeometry {
        &self.geometry
    }

    /// `[C_out, H2, W2]`.
    pub fn output_dims(&self) -> [usize; 3] {
        let [_, k, h, w] = self.geometry.output_shape();
        [k, h, w]
    }

    /// The step index of output cell `[channel, y, x]`, if inside the output.
    pub fn index_of(&self, [k, y, x]: [usize; 3]) -> Option<usize> {
        let [c, h, w] = self.output_dims();
        // Lazily: the product of an index outside the output could overflow.
        (k < c && y < h && x < w).then(|| (k * h + y) * w + x)
    }

    /// The output cell `[channel, y, x]` of step `index` (the inverse of [`Self::index_of`]).
    ///
    /// # Errors
    /// [`CoreError::StepOutOfRange`] when `index` is past the last step.
    pub fn cell_of(&self, index: usize) -> Result<[usize; 3], CoreError> {
        unravel(index, self.output_dims())
    }

    /// The whole activated output `[C_out, H2, W2]` (what the steps add up to).
    pub fn output(&self) -> Array3<f32> {
        self.feature_maps().1
    }

    /// Every cell before and after the activation, `([K, H2, W2], [K, H2, W2])`, each sum
    /// computed once and exactly as the stepper's (bitwise the values its steps show: the
    /// reference loop, which adds each cell's products in the steps' order). Never inlined,
    /// so that it stays compiled for speed when its caller is compiled for size.
    #[inline(never)]
    pub fn feature_maps(&self) -> (Array3<f32>, Array3<f32>) {
        let mut pre = Array4::zeros(self.geometry.output_shape());
        crate::conv::reference_loop(
            &self.geometry,
            &self.input.view(),
            &self.weight.view(),
            self.bias.as_ref().map(|b| b.view()).as_ref(),
            &mut pre.view_mut(),
        );
        let pre = pre.index_axis_move(Axis(0), 0);
        let post = pre.mapv(|v| self.activation.apply(v));
        (pre, post)
    }

    /// Step `index` into `step`, reusing its vectors (allocation-free once warmed up).
    ///
    /// # Errors
    /// [`CoreError::StepOutOfRange`] when `index >= len()`.
    pub fn step_into(&self, index: usize, step: &mut ConvStep) -> Result<(), CoreError> {
        let [k, oy, ox] = unravel(index, self.output_dims())?;
        let cg = self.geometry.in_channels_per_group();
        step.taps.clear();
        step.channel_sums.clear();
        let mut sum = 0.0f32;
        let mut channel: Option<(usize, f32)> = None;
        window_taps(&self.geometry, k, oy, ox, |t| {
            let weight = self.weight[[k, t.channel % cg, t.kernel[0], t.kernel[1]]];
            let value = t
                .inside
                .map_or(0.0, |[y, x]| self.input[[0, t.channel, y, x]]);
            let product = t.inside.map(|_| value * weight);
            match &mut channel {
                Some((c, _)) if *c == t.channel => {}
                _ => {
                    if let Some(done) = channel.take() {
                        step.channel_sums.push(done);
                    }
                    channel = Some((t.channel, 0.0));
                }
            }
            if let Some(p) = product {
                sum += p;
                if let Some((_, cs)) = &mut channel {
                    *cs += p;
                }
            }
            step.taps.push(ConvTap {
                channel: t.channel,
                kernel: t.kernel,
                input: t.position,
                padding: t.inside.is_none(),
                value,
                weight,
                product,
            });
        });
        if let Some(done) = channel {
            step.channel_sums.push(done);
        }
        let bias = self.bias.as_ref().map(|b| b[k]);
        let pre = match bias {
            Some(b) => sum + b,
            None => sum,
        };
        step.index = index;
        step.output = [k, oy, ox];
        step.window_origin = step.taps.first().map_or([0, 0], |t| t.input);
        step.sum = sum;
        step.bias = bias;
        step.pre_activation = pre;
        step.activation = self.activation;
        step.value = self.activation.apply(pre);
        Ok(())
    }
}

impl Stepper for ConvTrace {
    type Step = ConvStep;
    fn len(&self) -> usize {
        self.output_dims().iter().product()
    }
    fn step(&self, index: usize) -> Result<ConvStep, CoreError> {
        let mut step = ConvStep {
            index,
            output: [0; 3],
            window_origin: [0; 2],
            taps: Vec::new(),
            channel_sums: Vec::new(),
            sum: 0.0,
            bias: None,
            pre_activation: 0.0,
            activation: self.activation,
            value: 0.0,
        };
        self.step_into(index, &mut step)?;
        Ok(step)
    }
}

/// One cell of a pooling window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PoolCell {
    /// `[ky, kx]` in the window.
    pub kernel: [usize; 2],
    /// `[y, x]` in the unpadded input: negative or ≥ size in the padding.
    pub input: [isize; 2],
    /// The input value; `None` for padding (−∞ for max, 0 for sum/average).
    pub value: Option<f32>,
    /// Whether this cell is the window's argmax (max pooling).
    pub is_argmax: bool,
}

/// One output cell of a pooling, explained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolStep {
    /// The step index.
    pub index: usize,
    /// `[channel, y, x]` of the output cell (the depth slice is the channel).
    pub output: [usize; 3],
    /// Which pooling.
    pub kind: PoolKind,
    /// The window, row by row.
    pub cells: Vec<PoolCell>,
    /// Max pooling: the winning input cell `[y, x]`.
    pub argmax: Option<[usize; 2]>,
    /// Sum and average pooling: the window sum.
    pub sum: Option<f32>,
    /// Average pooling: the divisor F_h·F_w (`count_include_pad=True`).
    pub divisor: Option<f32>,
    /// The output value, bitwise equal to [`crate::pool2d`]'s.
    pub value: f32,
}

/// A pooling trace over one sample of a batch.
#[derive(Debug, Clone)]
pub struct PoolTrace {
    geometry: Pool2dGeometry,
    input: Array3<f32>,
    kind: PoolKind,
}

impl PoolTrace {
    /// Traces sample `sample` of `input` through a pooling.
    ///
    /// # Errors
    /// As [`crate::pool2d`], plus [`CoreError::SampleOutOfRange`].
    pub fn new(
        input: ArrayView4<'_, f32>,
        sample: usize,
        kind: PoolKind,
        params: Pool2dParams,
    ) -> Result<Self, CoreError> {
        Pool2dGeometry::new(dims4(&input), params)?;
        let input = sample_of("PoolTrace", &input, sample)?;
        let geometry = Pool2dGeometry::new(dims4(&input), params)?;
        Ok(Self {
            geometry,
            input: input.index_axis_move(Axis(0), 0),
            kind,
        })
    }

    /// The validated geometry (batch 1).
    pub fn geometry(&self) -> &Pool2dGeometry {
        &self.geometry
    }

    /// `[C, H2, W2]`.
    pub fn output_dims(&self) -> [usize; 3] {
        let [_, c, h, w] = self.geometry.output_shape();
        [c, h, w]
    }

    /// The step index of output cell `[channel, y, x]`, if inside the output.
    pub fn index_of(&self, [c, y, x]: [usize; 3]) -> Option<usize> {
        let [cc, h, w] = self.output_dims();
        // Lazily: the product of an index outside the output could overflow.
        (c < cc && y < h && x < w).then(|| (c * h + y) * w + x)
    }

    /// The output cell `[channel, y, x]` of step `index` (the inverse of [`Self::index_of`]).
    ///
    /// # Errors
    /// [`CoreError::StepOutOfRange`] when `index` is past the last step.
    pub fn cell_of(&self, index: usize) -> Result<[usize; 3], CoreError> {
        unravel(index, self.output_dims())
    }
}

impl Stepper for PoolTrace {
    type Step = PoolStep;
    fn len(&self) -> usize {
        self.output_dims().iter().product()
    }
    fn step(&self, index: usize) -> Result<PoolStep, CoreError> {
        let [c, oy, ox] = unravel(index, self.output_dims())?;
        let plane = self.input.index_axis(Axis(0), c);
        let (value, argmax) = reduce(&self.geometry, self.kind, &plane, oy, ox);
        let mut cells = Vec::new();
        let mut sum = 0.0f32;
        window_cells(&self.geometry, oy, ox, |cell| {
            let v = cell.inside.map(|yx| plane[yx]);
            if let Some(v) = v {
                sum += v;
            }
            cells.push(PoolCell {
                kernel: cell.kernel,
                input: cell.position,
                value: v,
                is_argmax: cell.inside.is_some() && cell.inside == argmax,
            });
        });
        let (sum, div) = match self.kind {
            PoolKind::Max => (None, None),
            PoolKind::Sum => (Some(sum), None),
            PoolKind::Average => (Some(sum), Some(divisor(&self.geometry))),
        };
        Ok(PoolStep {
            index,
            output: [c, oy, ox],
            kind: self.kind,
            cells,
            argmax,
            sum,
            divisor: div,
            value,
        })
    }
}
