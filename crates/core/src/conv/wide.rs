//! The wide layout of a stride-1 convolution: im2col without per-row bookkeeping.
//!
//! With stride 1, pad each input plane once (`H_p = H + 2P_h`, `W_p = W + 2P_w`) and index
//! output positions over the *padded* width: position `q = oy·W_p + ox`, `ox < W_p`. Kernel
//! tap `t = (c, ky, kx)` then reads the padded input at `q + off(t)` with
//! `off(t) = c·H_p·W_p + ky·D_h·W_p + kx·D_w` — for every `q`, so any [`NR`] consecutive
//! positions of one tap are [`NR`] consecutive floats of the padded input, two vector loads.
//! The `W_p − W_2` positions past each output row (`ox ≥ W_2`) are computed and dropped
//! (the forward), or carry a zero gradient (the weight's gradient): a few columns of waste
//! buy a packing without branches, copies of short runs or padding checks.
//!
//! A plane buffer holds `C_in/groups` padded planes and [`Wide::slack`] floats more, so the
//! reads of the last panel stay in bounds.

use super::gemm::{self, NR, NV, lanes::F32x4};
use crate::shape::Conv2dGeometry;

/// The wide layout of one geometry (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub(super) struct Wide {
    /// Padded plane size `[H_p, W_p]`.
    padded: [usize; 2],
    /// Input plane size `[H, W]`.
    input: [usize; 2],
    /// Padding `[P_h, P_w]`.
    padding: [usize; 2],
    /// Output size `[H_2, W_2]`.
    output: [usize; 2],
    kernel: [usize; 2],
    dilation: [usize; 2],
    /// Channels per group.
    channels: usize,
}

impl Wide {
    /// The layout of `g`, or `None` when a stride is not 1 (then the general packing runs).
    pub(super) fn of(g: &Conv2dGeometry) -> Option<Self> {
        let p = g.params();
        if p.stride != [1, 1] {
            return None;
        }
        let [h, w] = g.input_size();
        Some(Self {
            padded: [h + 2 * p.padding[0], w + 2 * p.padding[1]],
            input: [h, w],
            padding: p.padding,
            output: g.output_size(),
            kernel: g.kernel(),
            dilation: p.dilation,
            channels: g.in_channels_per_group(),
        })
    }

    /// Wide positions `Q = H_2 · W_p` (output rows over the padded width).
    pub(super) fn positions(&self) -> usize {
        self.output[0] * self.padded[1]
    }

    fn plane(&self) -> usize {
        self.padded[0] * self.padded[1]
    }

    /// Floats past the padded planes that the last panel of the last tap may read.
    fn slack(&self) -> usize {
        (self.kernel[1] - 1) * self.dilation[1] + NR
    }

    /// Length of a buffer of padded planes with its slack.
    fn buffer_len(&self) -> usize {
        self.channels * self.plane() + self.slack()
    }

    /// The offsets `off(t)` of the taps in im2col order `(c, ky, kx)`.
    fn offsets(&self) -> impl Iterator<Item = usize> + '_ {
        let [kh, kw] = self.kernel;
        let [dh, dw] = self.dilation;
        let wp = self.padded[1];
        (0..self.channels).flat_map(move |c| {
            (0..kh).flat_map(move |ky| {
                (0..kw).map(move |kx| c * self.plane() + ky * dh * wp + kx * dw)
            })
        })
    }

    /// Copies this group's `planes` (`C_in/groups` planes of `H × W`) into `padded`, zero
    /// borders and slack.
    pub(super) fn pad(&self, planes: &[f32], padded: &mut Vec<f32>) {
        let ([h, w], [hp, wp], [ph, pw]) = (self.input, self.padded, self.padding);
        padded.clear();
        padded.resize(self.buffer_len(), 0.0);
        for (src, dst) in planes
            .chunks_exact((h * w).max(1))
            .zip(padded.chunks_exact_mut(hp * wp))
        {
            for (s, d) in src
                .chunks_exact(w.max(1))
                .zip(dst[ph * wp..].chunks_exact_mut(wp))
            {
                d[pw..pw + w].copy_from_slice(s);
            }
        }
    }

    /// Writes the im2col matrix of the padded planes (`rows × Q`, wide positions) in
    /// [`gemm`]'s packed-`B` layout: for panel `p` and tap `t`, the `NR` floats at
    /// `8p + off(t)`.
    pub(super) fn pack_cols(&self, padded: &[f32], packed: &mut Vec<F32x4>) {
        let rows = self.channels * self.kernel[0] * self.kernel[1];
        let panels = self.positions().div_ceil(NR);
        packed.resize(panels * rows * NV, gemm::lanes::splat(0.0));
        for (t, off) in self.offsets().enumerate() {
            for p in 0..panels {
                gemm::pack_b_chunk(
                    &padded[off + p * NR..][..NR],
                    &mut packed[(p * rows + t) * NV..][..NV],
                );
            }
        }
    }

    /// Copies `kg` rows of `H_2 × W_2` values from `out` (`kg × H_2 × W_2`) into the wide
    /// `wide` (`kg × Q`), zero in the dropped columns: an output gradient made wide.
    pub(super) fn widen(&self, out: &[f32], kg: usize, wide: &mut Vec<f32>) {
        let ([oh, ow], wp) = (self.output, self.padded[1]);
        wide.clear();
        wide.resize(kg * self.positions(), 0.0);
        for (s, d) in out
            .chunks_exact(ow.max(1))
            .zip(wide.chunks_exact_mut(wp))
            .take(kg * oh)
        {
            d[..ow].copy_from_slice(s);
        }
    }

    /// Copies the kept columns of `wide` (`kg × Q`) into `out` (`kg × H_2 × W_2`).
    pub(super) fn narrow(&self, wide: &[f32], kg: usize, out: &mut [f32]) {
        let ([oh, ow], wp) = (self.output, self.padded[1]);
        for (s, d) in wide
            .chunks_exact(wp)
            .zip(out.chunks_exact_mut(ow.max(1)))
            .take(kg * oh)
        {
            d.copy_from_slice(&s[..ow]);
        }
    }
}
