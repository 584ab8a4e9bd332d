//! The shifted layout of a stride-1 convolution: the native paths' im2col, one copy per tap.
//!
//! Pad each sample's input planes once (`H_p = H + 2P_h`, `W_p = W + 2P_w`) and number the
//! output positions over the padded width, `q = oy·W_p + ox`, `Q = H_2·W_p`. Kernel tap
//! `t = (c, ky, kx)` at position `q` reads the padded cell `q + off(t)`,
//! `off(t) = c·H_p·W_p + ky·D_h·W_p + kx·D_w`, so the tap's whole im2col row is one
//! contiguous slice of the padded planes: one copy per tap, where the row-by-row im2col
//! makes `H_2` copies of `W_2` floats (LeNet-5's conv2: 10 floats each, a `memcpy` call per
//! 40 bytes). The `W_p − W_2 = (F_w − 1)·D_w` positions past each output row are computed and
//! dropped ([`Shifted::narrow`], the forward pass) or carry a zero output gradient
//! ([`Shifted::widen`], the backward passes): a product `W_p / W_2` times longer buys copies
//! without bookkeeping. The input gradient runs the layout backwards: every tap's row of
//! `dcols = W_gᵀ · dY` is added onto its slice of zeroed padded planes, whose interior is
//! then the gradient ([`Shifted::add_cols`], [`PaddedPlanes::unpad`]).
//!
//! Native only in practice (faer multiplies the row-major matrices); wasm's packed GEMM reads
//! the same padded planes four output positions at a time ([`super::quads`]), computing no
//! dropped position. Both compile and are tested on both targets.
//!
//! A padded buffer holds `C_in/groups` padded planes and `(F_w − 1)·D_w` floats more: the
//! last tap's slice ends that far past the last plane.

use ndarray::{ArrayView2, ArrayViewMut2, Axis, Slice};

use super::im2col::{Block, blocks};
use super::padded::PaddedPlanes;
use super::{Accum, ConvScratch, mat_mul};
use crate::error::CoreError;
use crate::shape::Conv2dGeometry;
use crate::simd::widest;
use crate::tensor::layout;

const OP: &str = "conv2d (shifted layout)";

/// The shifted layout of one geometry (see the module documentation), made once per call
/// and used for every sample.
#[derive(Debug, Clone)]
pub(crate) struct Shifted {
    /// The padded planes and the taps' offsets.
    planes: PaddedPlanes,
    /// Output size `[H_2, W_2]`.
    output: [usize; 2],
}

impl Shifted {
    /// The layout of `g`, or `None` when a stride is not 1 or the output is empty (then the
    /// row-by-row im2col runs).
    pub(crate) fn of(g: &Conv2dGeometry) -> Option<Self> {
        let [oh, ow] = g.output_size();
        if g.params().stride != [1, 1] || oh == 0 || ow == 0 {
            return None;
        }
        Some(Self {
            planes: PaddedPlanes::of(g),
            output: [oh, ow],
        })
    }

    /// Positions `Q = H_2 · W_p`.
    pub(crate) fn positions(&self) -> usize {
        self.output[0] * self.planes.padded[1]
    }

    /// Rows of the im2col matrix: `C_in/groups · F_h · F_w`.
    fn rows(&self) -> usize {
        self.offsets().len()
    }

    /// Length of a padded buffer: the planes, and the slack the last tap's slice reads.
    fn buffer_len(&self) -> usize {
        let end = self
            .offsets()
            .last()
            .map_or(0, |off| off + self.positions());
        self.planes.len().max(end)
    }

    fn offsets(&self) -> &[usize] {
        &self.planes.offsets
    }

    /// One group's im2col matrix (`rows × Q`, row-major) in `cols`, from its `planes`
    /// padded into `padded`: row `t` is `padded[off(t)..off(t) + Q]`.
    fn im2col<'a>(
        &self,
        planes: &[f32],
        padded: &mut Vec<f32>,
        cols: &'a mut Vec<f32>,
    ) -> Result<ArrayView2<'a, f32>, CoreError> {
        let (q, rows) = (self.positions(), self.rows());
        self.planes.pad(planes, self.buffer_len(), padded);
        cols.resize(rows * q, 0.0);
        for (row, &off) in cols.chunks_exact_mut(q).zip(self.offsets()) {
            row.copy_from_slice(&padded[off..off + q]);
        }
        view(&cols[..rows * q], rows, q)
    }

    /// The scatter of [`Shifted::im2col`]: adds row `t` of `cols` onto
    /// `padded[off(t)..off(t) + Q]`.
    fn add_cols(&self, cols: &[f32], padded: &mut [f32]) {
        let q = self.positions();
        widest(
            #[inline(always)]
            || {
                for (row, &off) in cols.chunks_exact(q).zip(self.offsets()) {
                    for (d, s) in padded[off..off + q].iter_mut().zip(row) {
                        *d += *s;
                    }
                }
            },
        );
    }

    /// Copies `kg` maps of `H_2 × W_2` values from `out` into the shifted `wide`
    /// (`kg × Q`), zero in the dropped positions: an output gradient made shifted.
    fn widen(&self, out: &[f32], kg: usize, wide: &mut Vec<f32>) {
        let ([oh, ow], wp) = (self.output, self.planes.padded[1]);
        wide.clear();
        wide.resize(kg * self.positions(), 0.0);
        for (s, d) in out
            .chunks_exact(ow)
            .zip(wide.chunks_exact_mut(wp))
            .take(kg * oh)
        {
            d[..ow].copy_from_slice(s);
        }
    }

    /// Copies the kept positions of `wide` (`kg × Q`) into `out` (`kg × H_2 × W_2`).
    fn narrow(&self, wide: &[f32], kg: usize, out: &mut [f32]) {
        let ([oh, ow], wp) = (self.output, self.planes.padded[1]);
        for (s, d) in wide
            .chunks_exact(wp)
            .zip(out.chunks_exact_mut(ow))
            .take(kg * oh)
        {
            d.copy_from_slice(&s[..ow]);
        }
    }

    /// The convolution without bias: `out` (`[N, C_out, H_2, W_2]`, contiguous, overwritten)
    /// from `x` (`[N, C_in, H, W]`) and the weight as a `[C_out, rows]` matrix; per sample and
    /// group `Y_wide = W_g · cols`, then narrowed.
    pub(crate) fn forward(
        &self,
        g: &Conv2dGeometry,
        x: &[f32],
        weight: &ArrayView2<'_, f32>,
        out: &mut [f32],
        scratch: &mut ConvScratch,
    ) -> Result<(), CoreError> {
        let (q, kg) = (self.positions(), g.out_channels_per_group());
        let ConvScratch {
            cols, padded, wide, ..
        } = scratch;
        wide.resize(kg * q, 0.0);
        for Block {
            group,
            input,
            output,
        } in blocks(g)
        {
            let cols = self.im2col(&x[input], padded, cols)?;
            let w_g = weight.slice_axis(Axis(0), Slice::from(group * kg..(group + 1) * kg));
            let mut y = view_mut(&mut wide[..kg * q], kg, q)?;
            mat_mul(&w_g, &cols, Accum::Replace, &mut y);
            self.narrow(wide, kg, &mut out[output]);
        }
        Ok(())
    }

    /// The weight's gradient: `dw` (`[C_out, rows]`, overwritten) `= Σ_n dY_wide · colsᵀ`
    /// per group.
    pub(crate) fn weight_grad(
        &self,
        g: &Conv2dGeometry,
        x: &[f32],
        dy: &[f32],
        dw: &mut ArrayViewMut2<'_, f32>,
        scratch: &mut ConvScratch,
    ) -> Result<(), CoreError> {
        let (q, kg) = (self.positions(), g.out_channels_per_group());
        dw.fill(0.0);
        let ConvScratch {
            cols, padded, wide, ..
        } = scratch;
        for Block {
            group,
            input,
            output,
        } in blocks(g)
        {
            let cols = self.im2col(&x[input], padded, cols)?;
            self.widen(&dy[output], kg, wide);
            let dy_g = view(&wide[..kg * q], kg, q)?;
            let mut dw_g = dw.slice_axis_mut(Axis(0), Slice::from(group * kg..(group + 1) * kg));
            mat_mul(&dy_g, &cols.t(), Accum::Add, &mut dw_g);
        }
        Ok(())
    }

    /// The input's gradient: `dx` (`[N, C_in, H, W]`, overwritten) from the weight as a
    /// `[C_out, rows]` matrix and `dy`; per sample and group `dcols = W_gᵀ · dY_wide`, added
    /// tap by tap onto zeroed padded planes, whose interior is the gradient.
    pub(crate) fn input_grad(
        &self,
        g: &Conv2dGeometry,
        weight: &ArrayView2<'_, f32>,
        dy: &[f32],
        dx: &mut [f32],
        scratch: &mut ConvScratch,
    ) -> Result<(), CoreError> {
        let (q, rows, kg) = (self.positions(), self.rows(), g.out_channels_per_group());
        let ConvScratch {
            cols, padded, wide, ..
        } = scratch;
        cols.resize(rows * q, 0.0);
        for Block {
            group,
            input,
            output,
        } in blocks(g)
        {
            self.widen(&dy[output], kg, wide);
            let dy_g = view(&wide[..kg * q], kg, q)?;
            let w_g = weight.slice_axis(Axis(0), Slice::from(group * kg..(group + 1) * kg));
            let mut dcols = view_mut(&mut cols[..rows * q], rows, q)?;
            mat_mul(&w_g.t(), &dy_g, Accum::Replace, &mut dcols);
            padded.clear();
            padded.resize(self.buffer_len(), 0.0);
            self.add_cols(cols, padded);
            self.planes.unpad(padded, &mut dx[input]);
        }
        Ok(())
    }
}

/// A `[rows, cols]` row-major view of a slice of that length.
fn view(s: &[f32], rows: usize, cols: usize) -> Result<ArrayView2<'_, f32>, CoreError> {
    ArrayView2::from_shape((rows, cols), s).map_err(|e| layout(OP, &e))
}

/// A `[rows, cols]` row-major mutable view of a slice of that length.
fn view_mut(s: &mut [f32], rows: usize, cols: usize) -> Result<ArrayViewMut2<'_, f32>, CoreError> {
    ArrayViewMut2::from_shape((rows, cols), s).map_err(|e| layout(OP, &e))
}
