//! The wide layout of a stride-1 convolution: im2col without per-row bookkeeping.
//!
//! With stride 1, pad each input plane once (`H_p = H + 2P_h`, `W_p = W + 2P_w`): kernel
//! tap `t = (c, ky, kx)` at output cell `(oy, ox)` reads the padded input at
//! `oy·W_p + ox + off(t)`, `off(t) = c·H_p·W_p + ky·D_h·W_p + kx·D_w` — no padding check,
//! and four outputs side by side in a row read four consecutive floats: one vector load.
//! Output positions are laid out in rows of `span = ⌈W_2 / 4⌉·4` (position
//! `q = oy·span + ox`), so every group of four positions lies in one row and a panel of
//! `NR` (eight) positions is two vector loads per tap. The `span − W_2` (< 4) positions past each
//! output row are computed and dropped (the forward), or carry a zero gradient (the
//! weight's gradient): at most three columns of waste per row buy a packing without
//! branches, copies of short runs or padding checks.
//!
//! A plane buffer holds `C_in/groups` padded planes and four floats more, so the reads of
//! the last columns stay in bounds.

use super::gemm::lanes::{self, F32x4};
use super::gemm::{self, MR, NV};
use super::padded::PaddedPlanes;
use crate::shape::Conv2dGeometry;

/// The wide layout of one geometry (see the module documentation), made once per call and
/// used for every sample.
#[derive(Debug, Clone)]
pub(super) struct Wide {
    /// The padded planes and the taps' offsets.
    planes: PaddedPlanes,
    /// Output size `[H_2, W_2]`.
    output: [usize; 2],
    /// Where each group of four positions starts in the padded planes (tap offset 0).
    starts: Vec<usize>,
}

impl Wide {
    /// The layout of `g`, or `None` when a stride is not 1 (then the general packing runs).
    pub(super) fn of(g: &Conv2dGeometry) -> Option<Self> {
        if g.params().stride != [1, 1] {
            return None;
        }
        let planes = PaddedPlanes::of(g);
        let [oh, ow] = g.output_size();
        let (span, wp) = (ow.next_multiple_of(4), planes.padded[1]);
        let starts = (0..oh)
            .flat_map(|oy| (0..span).step_by(4).map(move |ox| oy * wp + ox))
            .collect();
        Some(Self {
            planes,
            output: [oh, ow],
            starts,
        })
    }

    /// Positions per output row: `W_2` rounded up to a multiple of 4.
    fn span(&self) -> usize {
        self.output[1].next_multiple_of(4)
    }

    /// Wide positions `Q = H_2 · span`.
    pub(super) fn positions(&self) -> usize {
        self.output[0] * self.span()
    }

    /// Copies this group's `planes` (`C_in/groups` planes of `H × W`) into `padded`, zero
    /// borders and slack: four floats past the padded planes, which the last columns of the
    /// last tap may read (with stride 1, `W_2 = W_p − (F_w − 1)·D_w`, so a row's last vector
    /// ends at most `span − W_2 < 4` floats past the last plane).
    pub(super) fn pad(&self, planes: &[f32], padded: &mut Vec<f32>) {
        self.planes.pad(planes, self.planes.len() + 4, padded);
    }

    /// Writes the im2col matrix of the padded planes (`rows × Q`, wide positions) in
    /// [`gemm`]'s packed-`B` layout: vector `v` of panel `p` for tap `t` is the four floats
    /// at `oy·W_p + ox + off(t)` for the group of positions `q = 4(NV·p + v) = oy·span + ox`
    /// (zeros past `Q` in a last, half-filled panel).
    pub(super) fn pack_cols(&self, padded: &[f32], packed: &mut Vec<F32x4>) {
        const { assert!(NV == 2, "a panel is two groups of four positions") };
        let (offsets, starts) = (&self.planes.offsets, &self.starts);
        let rows = offsets.len();
        packed.resize(starts.len().div_ceil(2) * rows * 2, lanes::splat(0.0));
        // Panel by panel: each panel's vectors are written in order, tap after tap.
        for (panel, pair) in packed.chunks_exact_mut(rows * 2).zip(starts.chunks(2)) {
            match *pair {
                [a, b] => {
                    for (dst, &off) in panel.chunks_exact_mut(2).zip(offsets) {
                        dst[0] = lanes::from_slice(&padded[a + off..]);
                        dst[1] = lanes::from_slice(&padded[b + off..]);
                    }
                }
                // A last panel half filled: its other vectors are zeros.
                [a] => {
                    for (dst, &off) in panel.chunks_exact_mut(2).zip(offsets) {
                        dst[0] = lanes::from_slice(&padded[a + off..]);
                        dst[1] = lanes::splat(0.0);
                    }
                }
                _ => {}
            }
        }
    }

    /// Writes the im2col matrix of the padded planes (`rows × Q`) in [`gemm`]'s packed-`A`
    /// layout ([`gemm::pack_a`]: panels of [`MR`] taps, for each position the taps' values
    /// side by side) — the weight gradient's `A` in `dWᵀ = cols · dYᵀ`. Four taps' vectors
    /// of four positions each are read as in [`Wide::pack_cols`] and transposed in registers.
    pub(super) fn pack_cols_a(&self, padded: &[f32], packed: &mut Vec<f32>) {
        const { assert!(MR == 4, "a panel of A is one vector per position") };
        let (offsets, starts) = (&self.planes.offsets, &self.starts);
        let rows = offsets.len();
        let q = self.positions();
        packed.resize(gemm::packed_a_len(rows, q), 0.0);
        for (panel, taps) in packed
            .chunks_exact_mut((q * MR).max(1))
            .zip(offsets.chunks(MR))
        {
            // Each group of four positions fills `4 · MR` floats of the panel.
            for (dst, &start) in panel.chunks_exact_mut(4 * MR).zip(starts) {
                let v = match *taps {
                    [a, b, c, d] => {
                        [a, b, c, d].map(|off| lanes::from_slice(&padded[start + off..]))
                    }
                    // The last panel's missing taps are zero rows of A.
                    _ => core::array::from_fn(|i| {
                        taps.get(i).map_or(lanes::splat(0.0), |&off| {
                            lanes::from_slice(&padded[start + off..])
                        })
                    }),
                };
                for (d, w) in dst.chunks_exact_mut(4).zip(lanes::transpose4(v)) {
                    lanes::store(w, d);
                }
            }
        }
    }

    /// Copies `kg` rows of `H_2 × W_2` values from `out` (`kg × H_2 × W_2`) into the wide
    /// `wide` (`kg × Q`), zero in the dropped columns: an output gradient made wide.
    pub(super) fn widen(&self, out: &[f32], kg: usize, wide: &mut Vec<f32>) {
        let ([oh, ow], span) = (self.output, self.span());
        wide.clear();
        wide.resize(kg * self.positions(), 0.0);
        for (s, d) in out
            .chunks_exact(ow.max(1))
            .zip(wide.chunks_exact_mut(span))
            .take(kg * oh)
        {
            d[..ow].copy_from_slice(s);
        }
    }

    /// Copies the kept columns of `wide` (`kg × Q`) into `out` (`kg × H_2 × W_2`).
    pub(super) fn narrow(&self, wide: &[f32], kg: usize, out: &mut [f32]) {
        let ([oh, ow], span) = (self.output, self.span());
        for (s, d) in wide
            .chunks_exact(span)
            .zip(out.chunks_exact_mut(ow.max(1)))
            .take(kg * oh)
        {
            d.copy_from_slice(&s[..ow]);
        }
    }
}
