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
//! LeNet's conv2 (`W_2 = 10`): of every five quads, four are single loads and one a blend,
//! where the layout this replaced (each output row padded to a multiple of four positions)
//! computed 120 positions per map for 100 and copied the kept ones out. In headless
//! Chromium on a Zen 4 core conv2 at batch 64 went from 1.10–1.15 ms to 1.00–1.04 ms
//! (BENCHMARKS.md).
//!
//! A plane buffer holds `C_in/groups` padded planes and four floats more: a quad's first
//! load may read up to three floats past its row, past the last plane for the last row.
//!
//! With few output channels (at most two row panels of the GEMM's `A`, LeNet's conv1) a
//! panel of two quads that each lie in one row is not packed at all: the GEMM reads its
//! runs in place ([`Quads::panel`]), one kernel row of taps at a time.

use super::gemm::lanes::{self, F32x4};
use super::gemm::{self, MR, NV, PanelB};
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

    /// A quad read as runs of four: `(a, b, mask)`, its lanes those of the run at `a` where
    /// `mask` is set and of the run at `b` elsewhere (a [`Quad::Run`] is `b = a`). `None`
    /// for a [`Quad::Gather`].
    fn runs(self) -> Option<(usize, usize, F32x4)> {
        match self {
            Self::Run(a) => Some((a, a, lanes::first_lanes(4))),
            Self::Split { a, b, s } => Some((a, b, lanes::first_lanes(s))),
            Self::Gather(_) => None,
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
    /// Taps per kernel row (`F_w`) when they read consecutive floats (dilation 1 along
    /// rows): then a panel of two runs is read in place by the GEMM ([`Quads::panel`]) and
    /// [`Quads::pack_cols`] slices each row of taps once for the others ([`slide`]).
    row_taps: Option<usize>,
    /// The offset of each kernel row's first tap (`offsets` in steps of `F_w`).
    row_starts: Vec<usize>,
    /// Whether panels of two runs are read in place ([`Quads::panel`]): with taps in rows
    /// of consecutive floats, and at most two row panels of `A` ([`MR`] output channels
    /// each) to read each `B` vector. Read in place, a kernel row's taps cost the GEMM a
    /// few instructions each time it reads them; packed, they are written once and read as
    /// often as there are row panels. In Chromium (interleaved runs, one Zen 4 core) LeNet's
    /// conv1 (6 channels: two row panels) took 11 % less time read in place, its conv2 (16
    /// channels: four) 1–2 % more.
    reads_in_place: bool,
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
        let kw = g.kernel()[1];
        let row_taps = (g.params().dilation[1] == 1 && kw > 0).then_some(kw);
        let row_starts = planes.offsets.iter().step_by(kw.max(1)).copied().collect();
        Some(Self {
            planes,
            len: n,
            quads,
            row_taps,
            row_starts,
            reads_in_place: row_taps.is_some() && g.out_channels_per_group() <= 2 * MR,
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
    /// offset (zeros in a last, half-filled panel). Panels the GEMM reads in place
    /// ([`Quads::panel`]) are left as they are; a panel of two quads that read runs (all but
    /// a last half panel or a map of one-position rows) is written kernel row by kernel row
    /// ([`slide`]); the others look at their quads' kinds at every load.
    pub(super) fn pack_cols(&self, padded: &[f32], packed: &mut Vec<F32x4>) {
        const { assert!(NV == 2, "a panel is two quads") };
        let offsets = &self.planes.offsets;
        let rows = offsets.len();
        packed.resize(self.panels() * rows * NV, lanes::splat(0.0));
        // Panel by panel: each panel's vectors are written in order, tap after tap.
        for (i, (panel, pair)) in packed
            .chunks_exact_mut(rows * 2)
            .zip(self.quads.chunks(2))
            .enumerate()
        {
            if self.in_place(i).is_some() {
                continue;
            }
            if let (Some(kw), [p, q]) = (self.row_taps, pair)
                && let (Some(p), Some(q)) = (p.runs(), q.runs())
            {
                slide(panel, padded, offsets, kw, [p, q]);
                continue;
            }
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

    /// The two runs panel `p` reads in place ([`PanelB::Runs`]): two quads that each lie in
    /// one output row, when panels are read in place at all ([`Quads::reads_in_place`]).
    /// `None` for the others, which [`Quads::pack_cols`] packs.
    fn in_place(&self, p: usize) -> Option<[usize; 2]> {
        if !self.reads_in_place {
            return None;
        }
        match self.quads.get(2 * p..2 * p + 2)? {
            [Quad::Run(a), Quad::Run(b)] => Some([*a, *b]),
            _ => None,
        }
    }

    /// Where the GEMM reads panel `p` of `B`: in place from the padded planes, or from
    /// `packed` as [`Quads::pack_cols`] wrote it.
    pub(super) fn panel<'a>(
        &'a self,
        padded: &'a [f32],
        packed: &'a [F32x4],
        p: usize,
    ) -> PanelB<'a> {
        let len = self.planes.offsets.len() * NV;
        match (self.in_place(p), self.row_taps) {
            (Some(starts), Some(w)) => PanelB::Runs {
                src: padded,
                rows: &self.row_starts,
                w,
                starts,
            },
            _ => PanelB::Packed(&packed[p * len..][..len]),
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

/// One panel of two quads that read runs ([`Quad::runs`]) packed kernel row by kernel row:
/// the `kw` taps of a row (`offsets` in order, `kw` consecutive floats from the row's first
/// tap) read `kw + 3` consecutive floats from each run's start, sliced once per row, so
/// that a tap's load is neither an offset read from memory nor a bound checked again.
fn slide(
    panel: &mut [F32x4],
    padded: &[f32],
    offsets: &[usize],
    kw: usize,
    [p, q]: [(usize, usize, F32x4); 2],
) {
    let runs = p.0 == p.1 && q.0 == q.1;
    for (dst, taps) in panel.chunks_exact_mut(2 * kw).zip(offsets.chunks_exact(kw)) {
        let row = taps[0];
        let run = |x: usize| &padded[x + row..][..kw + 3];
        let (pa, qa) = (run(p.0), run(q.0));
        if runs {
            for kx in 0..kw {
                dst[2 * kx] = lanes::from_slice(&pa[kx..kx + 4]);
                dst[2 * kx + 1] = lanes::from_slice(&qa[kx..kx + 4]);
            }
        } else {
            let (pb, qb) = (run(p.1), run(q.1));
            for kx in 0..kw {
                let two = |a: &[f32], b: &[f32], mask| {
                    lanes::select(
                        mask,
                        lanes::from_slice(&a[kx..kx + 4]),
                        lanes::from_slice(&b[kx..kx + 4]),
                    )
                };
                dst[2 * kx] = two(pa, pb, p.2);
                dst[2 * kx + 1] = two(qa, qb, q.2);
            }
        }
    }
}

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

    /// LeNet's conv1 (6 channels out, rows of 28 positions) reads every panel in place;
    /// its conv2 (16 out) packs every one; with few channels and rows of 10, the panels of
    /// two runs are read in place and those with a quad across two rows are packed.
    #[test]
    fn panels_of_runs_are_read_in_place_when_few_channels_read_them() {
        let lenet = |c_in, size, c_out, pad| {
            let p = Conv2dParams::default().with_padding(pad);
            Quads::of(&Conv2dGeometry::new([1, c_in, size, size], c_out, [5, 5], p).unwrap())
                .unwrap()
        };
        let in_place = |q: &Quads| (0..q.panels()).filter(|&p| q.in_place(p).is_some()).count();
        let conv1 = lenet(1, 28, 6, 2);
        assert_eq!((in_place(&conv1), conv1.panels()), (98, 98));
        let conv2 = lenet(6, 14, 16, 0);
        assert_eq!((in_place(&conv2), conv2.panels()), (0, 13));
        // 100 positions: 25 quads, 5 of them across two rows, 13 panels (the last half).
        let narrow = lenet(6, 14, 8, 0);
        assert_eq!(in_place(&narrow), 7);
        let (padded, mut packed) = (vec![0.5; narrow.planes.len() + SLACK], Vec::new());
        narrow.pack_cols(&padded, &mut packed);
        for p in 0..narrow.panels() {
            let read = narrow.panel(&padded, &packed, p);
            assert_eq!(
                matches!(read, PanelB::Runs { .. }),
                narrow.in_place(p).is_some()
            );
        }
    }
}
