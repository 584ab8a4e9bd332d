//! The im2col of a stride-1 convolution read four output positions at a time: wasm's packed
//! GEMM is fed from it without per-row bookkeeping and without computing a column it drops.
//!
//! With stride 1, pad each input plane once ([`PaddedPlanes`]): kernel tap `t = (c, ky, kx)`
//! at output cell `(oy, ox)` reads the padded input at `oy·W_p + ox + off(t)`, no padding
//! check. The output positions are numbered as the output stores them (`q = oy·W_2 + ox`)
//! and taken in **quads** of four, each described once per call by where its lanes read at
//! tap offset 0 ([`Quad`]):
//! - four positions in one output row read four consecutive floats: one vector load per tap;
//! - four that straddle two rows (`s` in the first, `4 − s` at the start of the next; a row of
//!   at least two positions) are two vector loads blended;
//! - otherwise (rows of one position, or a last quad past `H_2·W_2`) each lane is read alone,
//!   0 past the last position.
//!
//! With rows of 10 positions (as LeNet's conv2) four of every five quads are single loads
//! and one a blend, where the layout this replaced (each output row padded to a multiple of
//! four positions) computed 120 positions per map for 100 and copied the kept ones out.
//!
//! A plane buffer holds `C_in/groups` padded planes and four floats more: a quad's first
//! load may read up to three floats past its row, past the last plane for the last row.
//!
//! The forward convolution takes this path for the stride-1 geometries [`super::pixels`]
//! does not; the weight gradient for every stride-1 geometry ([`Quads::pack_cols_a`]).

use super::gemm::lanes::{self, F32x4};
use super::gemm::{self, MR, NV};
use super::padded::PaddedPlanes;
use crate::shape::Conv2dGeometry;

/// Where the four lanes of one quad of output positions read the padded planes, at tap
/// offset 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quad {
    /// Four consecutive floats from this index.
    Run(usize),
    /// Lanes `0..s` of the four floats at `a`, lanes `s..4` of the four at `b` (the next
    /// row's first cells shifted into lane `s`: `b` = that row's start − `s`).
    Split { a: usize, b: usize, s: usize },
    /// Each lane from its own cell; `None` (past the last position) is 0.
    Gather([Option<usize>; 4]),
}

impl Quad {
    /// The quad's four values for the tap at offset `off`.
    #[inline(always)]
    fn load(self, padded: &[f32], off: usize) -> F32x4 {
        match self {
            Self::Run(a) => lanes::from_slice(&padded[a + off..]),
            Self::Split { a, b, s } => lanes::blend(
                lanes::from_slice(&padded[a + off..]),
                lanes::from_slice(&padded[b + off..]),
                s,
            ),
            Self::Gather(cells) => {
                lanes::from_array(cells.map(|c| c.map_or(0.0, |c| padded[c + off])))
            }
        }
    }
}

/// The quads of one stride-1 geometry (see the module documentation), made once per call
/// and used for every sample.
#[derive(Debug, Clone)]
pub(super) struct Quads {
    /// The padded planes and the taps' offsets.
    planes: PaddedPlanes,
    /// Output positions `H_2·W_2`.
    len: usize,
    /// The quads in position order: `⌈H_2·W_2 / 4⌉`.
    quads: Vec<Quad>,
}

impl Quads {
    /// The quads of `g`, or `None` when a stride is not 1 (then the general packing runs).
    pub(super) fn of(g: &Conv2dGeometry) -> Option<Self> {
        if g.params().stride != [1, 1] {
            return None;
        }
        let planes = PaddedPlanes::of(g);
        let [oh, ow] = g.output_size();
        let (n, wp) = (oh * ow, planes.padded[1]);
        let cell = |q: usize| (q / ow) * wp + q % ow;
        let quads = (0..n)
            .step_by(4)
            .map(|q| {
                let (x, whole) = (q % ow, q + 4 <= n);
                if whole && x + 4 <= ow {
                    Quad::Run(cell(q))
                } else if whole && (q + 3) / ow == q / ow + 1 {
                    // `s ≤ W_2 ≤ W_p ≤` the next row's start, so `b` does not underflow.
                    let s = ow - x;
                    Quad::Split {
                        a: cell(q),
                        b: cell(q + s) - s,
                        s,
                    }
                } else {
                    Quad::Gather(core::array::from_fn(|i| (q + i < n).then(|| cell(q + i))))
                }
            })
            .collect();
        Some(Self {
            planes,
            len: n,
            quads,
        })
    }

    /// Column panels of `B` ([`gemm::NR`] positions each): `⌈H_2·W_2 / NR⌉`.
    pub(super) fn panels(&self) -> usize {
        self.quads.len().div_ceil(NV)
    }

    /// Positions the packed operands span: `H_2·W_2` rounded up to a whole quad.
    pub(super) fn positions(&self) -> usize {
        4 * self.quads.len()
    }

    /// Copies this group's `planes` (`C_in/groups` planes of `H × W`) into `padded`, zero
    /// borders and slack: [`SLACK`] floats past the padded planes, which a last row's quad
    /// may read.
    pub(super) fn pad(&self, planes: &[f32], padded: &mut Vec<f32>) {
        self.planes.pad(planes, self.planes.len() + SLACK, padded);
    }

    /// Writes the im2col matrix of the padded planes (`rows × H_2·W_2`) in [`gemm`]'s
    /// packed-`B` layout: vector `v` of panel `p` for tap `t` is quad `NV·p + v` at the tap's
    /// offset (zeros in a last, half-filled panel). A panel of two runs is two vector loads
    /// per tap; the others look at their quads' kinds at every load. (Packing a panel of
    /// runs a kernel row at a time, each row sliced once, measured −5 % to +2.5 % on
    /// convolutions this path takes: not kept.)
    pub(super) fn pack_cols(&self, padded: &[f32], packed: &mut Vec<F32x4>) {
        const { assert!(NV == 2, "a panel is two quads") };
        let offsets = &self.planes.offsets;
        let rows = offsets.len();
        packed.resize(self.panels() * rows * NV, lanes::splat(0.0));
        // Panel by panel: each panel's vectors are written in order, tap after tap.
        for (panel, pair) in packed.chunks_exact_mut(rows * 2).zip(self.quads.chunks(2)) {
            let taps = panel.chunks_exact_mut(2).zip(offsets);
            match *pair {
                [Quad::Run(a), Quad::Run(b)] => {
                    for (dst, &off) in taps {
                        dst[0] = lanes::from_slice(&padded[a + off..]);
                        dst[1] = lanes::from_slice(&padded[b + off..]);
                    }
                }
                [a, b] => {
                    for (dst, &off) in taps {
                        dst[0] = a.load(padded, off);
                        dst[1] = b.load(padded, off);
                    }
                }
                // A last panel half filled: its other vectors are zeros.
                [a] => {
                    for (dst, &off) in taps {
                        dst[0] = a.load(padded, off);
                        dst[1] = lanes::splat(0.0);
                    }
                }
                _ => {}
            }
        }
    }

    /// Writes the im2col matrix of the padded planes (`rows ×` [`Quads::positions`]) in
    /// [`gemm`]'s packed-`A` layout ([`gemm::pack_a`]: panels of [`MR`] taps, for each
    /// position the taps' values side by side) — the weight gradient's `A` in
    /// `dWᵀ = cols · dYᵀ`. Four taps' loads of one quad are transposed in registers.
    pub(super) fn pack_cols_a(&self, padded: &[f32], packed: &mut Vec<f32>) {
        const { assert!(MR == 4, "a panel of A is one vector per position") };
        let offsets = &self.planes.offsets;
        let (rows, q) = (offsets.len(), self.positions());
        packed.resize(gemm::packed_a_len(rows, q), 0.0);
        for (panel, taps) in packed
            .chunks_exact_mut((q * MR).max(1))
            .zip(offsets.chunks(MR))
        {
            // Each quad fills `4 · MR` floats of the panel.
            for (dst, &quad) in panel.chunks_exact_mut(4 * MR).zip(&self.quads) {
                let v = match *taps {
                    [a, b, c, d] => [a, b, c, d].map(|off| quad.load(padded, off)),
                    // The last panel's missing taps are zero rows of A.
                    _ => core::array::from_fn(|i| {
                        taps.get(i)
                            .map_or(lanes::splat(0.0), |&off| quad.load(padded, off))
                    }),
                };
                for (d, w) in dst.chunks_exact_mut(4).zip(lanes::transpose4(v)) {
                    lanes::store(w, d);
                }
            }
        }
    }

    /// `kg` rows of `H_2·W_2` values from `out`, each followed by zeros up to
    /// [`Quads::positions`]: an output gradient over the positions of
    /// [`Quads::pack_cols_a`] (the positions past the last carry no gradient). `out` itself
    /// when there is no partial quad; otherwise `scratch` is filled and returned.
    pub(super) fn whole_quads<'a>(
        &self,
        out: &'a [f32],
        kg: usize,
        scratch: &'a mut Vec<f32>,
    ) -> &'a [f32] {
        let (n, q) = (self.len, self.positions());
        if n == q {
            return &out[..kg * n];
        }
        scratch.clear();
        scratch.resize(kg * q, 0.0);
        for (s, d) in out.chunks_exact(n.max(1)).zip(scratch.chunks_exact_mut(q)) {
            d[..n].copy_from_slice(s);
        }
        scratch
    }
}

/// Floats the padded planes' buffer holds past the planes, for the last row's quads: a quad
/// reads at most three past its row's last position ([`Quad::load`]: with stride 1,
/// `W_2 = W_p − (F_w − 1)·D_w`).
const SLACK: usize = 4;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::shape::Conv2dParams;

    /// Every quad's lanes read the cells of its four positions, for output rows of one to
    /// twelve positions and maps whose size is not a multiple of four.
    #[test]
    fn quads_read_their_positions_cells() {
        for (h, w) in [
            (1, 1),
            (3, 1),
            (2, 2),
            (3, 3),
            (4, 5),
            (5, 6),
            (7, 7),
            (10, 10),
        ] {
            for f in [1, 3] {
                let p = Conv2dParams::default().with_padding(1);
                let Ok(g) = Conv2dGeometry::new([1, 1, h, w], 1, [f, f], p) else {
                    continue;
                };
                let quads = Quads::of(&g).unwrap();
                let [oh, ow] = g.output_size();
                let wp = w + 2;
                // The padded plane holds each cell's own index (+1, so that 0 is "none").
                let padded: Vec<f32> = (0..quads.planes.len() + 4)
                    .map(|i| i as f32 + 1.0)
                    .collect();
                for (k, quad) in quads.quads.iter().enumerate() {
                    let got = lanes::to_array(quad.load(&padded, 0));
                    let want: [f32; 4] = core::array::from_fn(|i| {
                        let q = 4 * k + i;
                        if q < oh * ow {
                            ((q / ow) * wp + q % ow) as f32 + 1.0
                        } else {
                            0.0
                        }
                    });
                    assert_eq!(got, want, "{h}×{w}, F {f}, quad {k} {quad:?}");
                }
            }
        }
    }
}
