//! The transposed-convolution trace, in gather form: for output cell `[k, y, x]`,
//!
//! out[k, y, x] = Σ_c Σ_(ky, kx) in[c, iy, ix] · w[c, k mod (K/groups), ky, kx]
//! where y = iy·S − P + ky·D and x = ix·S − P + kx·D.
//!
//! Picture it on the *upsampled* input: input cell `(iy, ix)` sits at `(iy·S, ix·S)` with
//! S − 1 zeros ("holes") between neighbours, padded by D·(F − 1) − P on each side. Output
//! cell `(y, x)` is then a plain dilated convolution of that grid with the kernel turned
//! 180°: tap `(ky, kx)` reads upsampled cell `(y + P − ky·D, x + P − kx·D)`. A tap that
//! falls on a hole or outside the input contributes nothing.
//!
//! The sums add the contributing products in the reference loop's order (input channel,
//! kernel row, kernel column), so a step's value is bitwise equal to
//! [`crate::conv_transpose2d_reference`].

use ndarray::{Array1, Array3, Array4, ArrayView1, ArrayView4, Axis};
use serde::{Deserialize, Serialize};

use super::{Stepper, sample_of, unravel};
use crate::conv::{signed, transposed_source as source};
use crate::error::CoreError;
use crate::shape::{ConvTranspose2dGeometry, ConvTranspose2dParams};
use crate::tensor::{check_bias, dims4};

const OP: &str = "ConvTransposeTrace";

/// One kernel tap of a transposed-convolution step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConvTransposeTap {
    /// Input channel (absolute).
    pub channel: usize,
    /// `[ky, kx]` in the kernel.
    pub kernel: [usize; 2],
    /// `[y + P − ky·D, x + P − kx·D]`: the cell of the upsampled input this tap reads
    /// (input cell `(iy, ix)` sits at `(iy·S, ix·S)`); negative or past the end in the
    /// padding.
    pub upsampled: [isize; 2],
    /// The input cell `[iy, ix]` that contributes, or `None` for a stride hole or padding.
    pub source: Option<[usize; 2]>,
    /// The input value (0 for a hole or padding).
    pub value: f32,
    /// The weight `w[c, k mod (K/groups), ky, kx]`.
    pub weight: f32,
    /// `value × weight`; `None` when the tap does not contribute (the sum skips it).
    pub product: Option<f32>,
}

/// One output cell of a transposed convolution, explained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvTransposeStep {
    /// The step index.
    pub index: usize,
    /// `[channel, y, x]` of the output cell.
    pub output: [usize; 3],
    /// The window's top-left cell on the upsampled input: `[y + P − (F_h − 1)·D, …]`.
    pub window_origin: [isize; 2],
    /// Every tap, channel by channel, kernel row by kernel row, in summation order.
    pub taps: Vec<ConvTransposeTap>,
    /// `(channel, Σ contributing products of that channel)` for each input channel of the
    /// group (may differ from [`ConvTransposeStep::sum`] in the last bit).
    pub channel_sums: Vec<(usize, f32)>,
    /// Σ contributing products in tap order (bitwise equal to the reference loop).
    pub sum: f32,
    /// The bias of this output channel, if the layer has one.
    pub bias: Option<f32>,
    /// `sum + bias`: the output cell.
    pub value: f32,
}

/// A transposed-convolution trace over one sample of a batch.
#[derive(Debug, Clone)]
pub struct ConvTransposeTrace {
    geometry: ConvTranspose2dGeometry,
    input: Array4<f32>,
    weight: Array4<f32>,
    bias: Option<Array1<f32>>,
}

impl ConvTransposeTrace {
    /// Traces sample `sample` of `input` through a transposed convolution.
    ///
    /// # Shapes
    /// As [`crate::conv_transpose2d`]; the trace covers one sample: `C_out · H2 · W2` steps.
    ///
    /// # Errors
    /// As [`crate::conv_transpose2d`], plus [`CoreError::SampleOutOfRange`].
    pub fn new(
        input: ArrayView4<'_, f32>,
        sample: usize,
        weight: ArrayView4<'_, f32>,
        bias: Option<ArrayView1<'_, f32>>,
        params: ConvTranspose2dParams,
    ) -> Result<Self, CoreError> {
        let geometry = ConvTranspose2dGeometry::from_shapes(dims4(&input), dims4(&weight), params)?;
        check_bias(OP, bias.as_ref(), geometry.out_channels())?;
        let input = sample_of(OP, &input, sample)?;
        let geometry = ConvTranspose2dGeometry::from_shapes(dims4(&input), dims4(&weight), params)?;
        Ok(Self {
            geometry,
            input,
            weight: weight.to_owned(),
            bias: bias.map(|b| b.to_owned()),
        })
    }

    /// The validated geometry (batch 1).
    pub fn geometry(&self) -> &ConvTranspose2dGeometry {
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

    /// `[(H − 1)·S + 1, (W − 1)·S + 1]`: the upsampled input's size.
    pub fn upsampled_size(&self) -> [usize; 2] {
        self.geometry.upsampled_size()
    }

    /// `D·(F − 1) − P` per axis: the padding around the upsampled input that makes every
    /// window start inside the picture (negative when P crops more than the kernel spans).
    pub fn upsampled_padding(&self) -> [isize; 2] {
        let p = self.geometry.params();
        let k = self.geometry.kernel();
        [0, 1].map(|i| {
            signed(
                p.dilation[i].saturating_mul(k[i].saturating_sub(1)),
                p.padding[i],
            )
        })
    }

    /// The input with S − 1 zeros inserted between neighbouring cells:
    /// `[C_in, (H − 1)·S + 1, (W − 1)·S + 1]`. It is allocated: for a picture, not for
    /// layers whose stride makes it huge (the geometry bounds the output, not this).
    pub fn upsampled(&self) -> Array3<f32> {
        let [uh, uw] = self.upsampled_size();
        let s = self.geometry.params().stride;
        let c = self.geometry.in_channels();
        Array3::from_shape_fn((c, uh, uw), |(c, y, x)| {
            if y % s[0] == 0 && x % s[1] == 0 {
                self.input[[0, c, y / s[0], x / s[1]]]
            } else {
                0.0
            }
        })
    }

    /// The whole output `[C_out, H2, W2]` (what the steps add up to: the reference loop,
    /// which adds each cell's products in the steps' order, bitwise).
    pub fn output(&self) -> Array3<f32> {
        let mut out = Array4::zeros(self.geometry.output_shape());
        crate::conv::transposed_reference_loop(
            &self.geometry,
            &self.input.view(),
            &self.weight.view(),
            self.bias.as_ref().map(|b| b.view()).as_ref(),
            &mut out.view_mut(),
        );
        out.index_axis_move(Axis(0), 0)
    }

    /// Visits every tap of output cell `[k, oy, ox]` in summation order; returns the sum of
    /// the contributing products (the reference loop's order).
    fn taps(&self, k: usize, oy: usize, ox: usize, mut visit: impl FnMut(ConvTransposeTap)) -> f32 {
        let p = self.geometry.params();
        let [h, w] = self.geometry.input_size();
        let [kh, kw] = self.geometry.kernel();
        let cig = self.geometry.in_channels() / p.groups;
        let cog = self.geometry.out_channels() / p.groups;
        let group = k / cog;
        let mut sum = 0.0f32;
        for c in group * cig..(group + 1) * cig {
            for ky in 0..kh {
                let iy = source(oy, ky, p.stride[0], p.padding[0], p.dilation[0], h);
                let uy = signed(
                    oy.saturating_add(p.padding[0]),
                    ky.saturating_mul(p.dilation[0]),
                );
                for kx in 0..kw {
                    let ix = source(ox, kx, p.stride[1], p.padding[1], p.dilation[1], w);
                    let ux = signed(
                        ox.saturating_add(p.padding[1]),
                        kx.saturating_mul(p.dilation[1]),
                    );
                    let weight = self.weight[[c, k % cog, ky, kx]];
                    let src = iy.zip(ix).map(|(y, x)| [y, x]);
                    let value = src.map_or(0.0, |[y, x]| self.input[[0, c, y, x]]);
                    let product = src.map(|_| value * weight);
                    if let Some(pr) = product {
                        sum += pr;
                    }
                    visit(ConvTransposeTap {
                        channel: c,
                        kernel: [ky, kx],
                        upsampled: [uy, ux],
                        source: src,
                        value,
                        weight,
                        product,
                    });
                }
            }
        }
        sum
    }

    /// Step `index` into `step`, reusing its vectors (allocation-free once warmed up).
    ///
    /// # Errors
    /// [`CoreError::StepOutOfRange`] when `index >= len()`.
    pub fn step_into(&self, index: usize, step: &mut ConvTransposeStep) -> Result<(), CoreError> {
        let [k, oy, ox] = unravel(index, self.output_dims())?;
        step.taps.clear();
        step.channel_sums.clear();
        let taps = &mut step.taps;
        let channel_sums = &mut step.channel_sums;
        let sum = self.taps(k, oy, ox, |t| {
            match channel_sums.last_mut() {
                Some((c, s)) if *c == t.channel => {
                    if let Some(p) = t.product {
                        *s += p;
                    }
                }
                _ => channel_sums.push((t.channel, t.product.unwrap_or(0.0))),
            }
            taps.push(t);
        });
        let p = self.geometry.params();
        let [kh, kw] = self.geometry.kernel();
        let bias = self.bias.as_ref().map(|b| b[k]);
        step.index = index;
        step.output = [k, oy, ox];
        step.window_origin = [
            signed(
                oy.saturating_add(p.padding[0]),
                kh.saturating_sub(1).saturating_mul(p.dilation[0]),
            ),
            signed(
                ox.saturating_add(p.padding[1]),
                kw.saturating_sub(1).saturating_mul(p.dilation[1]),
            ),
        ];
        step.sum = sum;
        step.bias = bias;
        step.value = match bias {
            Some(b) => sum + b,
            None => sum,
        };
        Ok(())
    }
}

impl Stepper for ConvTransposeTrace {
    type Step = ConvTransposeStep;
    fn len(&self) -> usize {
        self.output_dims().iter().product()
    }
    fn step(&self, index: usize) -> Result<ConvTransposeStep, CoreError> {
        let mut step = ConvTransposeStep {
            index,
            output: [0; 3],
            window_origin: [0; 2],
            taps: Vec::new(),
            channel_sums: Vec::new(),
            sum: 0.0,
            bias: None,
            value: 0.0,
        };
        self.step_into(index, &mut step)?;
        Ok(step)
    }
}
