//! A stride-1 convolution straight from the padded planes, no im2col at all: the lanes hold
//! output channels of one position, or positions of one channel.
//!
//! The packed GEMM of [`super::gemm`] puts output positions in its vectors, so each sample's
//! taps are packed first (im2col, [`super::quads`]), and every row panel of output channels
//! reads them again. Turned around (`Cᵀ = Bᵀ·Aᵀ`), a vector holds four output channels of
//! one position: their weights for a tap are one vector of the weight, packed once per call
//! ([`super::gemm::pack_panels`]), and the input value the position reads at that tap is
//! broadcast to the lanes straight from the padded planes ([`PaddedPlanes`]). `R`
//! consecutive positions of one output row read `R` consecutive floats at every tap, so a
//! kernel row's taps read one slice of `F_w + R − 1` floats, checked once.
//!
//! **Channels in the lanes** ([`Lanes::Channels`]): the micro-tile is 4 positions × 8
//! channels in 8 vector accumulators; per tap 2 `v128.load` of weights and 4
//! `v128.load32_splat` of inputs for 8 multiplies and 8 adds — the GEMM's 4 × 8 tile,
//! without packing the input. The tile is transposed in registers and stored as four
//! positions of each channel.
//!
//! **Sixteen channels** ([`Lanes::Sixteen`], LeNet's conv2): the tile is 2 positions × 16
//! channels, again 8 accumulators; per tap 4 loads of weights and 2 broadcasts for the same
//! 8 multiplies and adds, but each input is broadcast once for all sixteen channels, a
//! kernel row's loop runs once for them instead of once per block of eight, and rows of an
//! even width end in whole tiles (LeNet's rows of 10 left a tile of 2 in every row).
//! Measured with `cargo xtask bench-wasm` (Chromium 156, one Intel Xeon core, Emerald
//! Rapids, 2026-12-05, each build twice or more, alternated), against tiles of 4 × 8:
//! LeNet's conv2 at batch 64 1.27–1.30 → 1.03–1.08 ms (24 → 28–30 GFLOP/s), one image's
//! 22.5–22.9 → 18.7–19.9 µs; 16 channels 5 × 5 from 16 (14 × 14) 18 % less time, 3 × 3
//! from 16 12–15 %, 5 × 5 from 6 (12 × 12) 10 %, 3 × 3 from 6 (54 taps) 4 %; but fewer
//! taps more: 50 (5 × 5 from 2) 2 %, 36 10 %, 9 (3 × 3 from one channel) 65 %, where a
//! tile's stores and loop weigh more against its few multiplies ([`SIXTEEN_MIN_TAPS`]).
//! Blocks of sixteen for 32 or 64 channels lost to the GEMM (2–7 %; VGG's 64 → 64 on 56 ×
//! 56 9.2 against 7.5 ms).
//!
//! **Positions in the lanes** ([`Lanes::Positions`]), for channel counts that would leave
//! part of a block of channels empty (6 channels fill 6 lanes of 8): a strip is 12
//! consecutive positions of one output row × 3 channels in 9 accumulators; per tap 3
//! unaligned `v128.load` of the input row and 3 `v128.load32_splat` of weights for 9
//! multiplies and 9 adds, stored as they are (no transpose); a row's last vector may be cut
//! short, and the lanes past the row read the padding, the next row or the slack. Six
//! channels in one block (12 accumulators, 6 broadcast weights LLVM keeps live across the
//! two vectors) spill V8's 16 xmm registers: LeNet's conv1 took 4 % more time than with
//! channels in the lanes, against 20 % less with blocks of three.
//!
//! Each sum runs over the taps in im2col order `(c, ky, kx)` from `0.0`, the bias added
//! after: the reference loop's order and rounding, so the result equals it exactly.
//!
//! Which stride-1 convolutions take it, and which lanes ([`Pixels::of`]), is measured: in
//! headless Chromium on a Zen 4 core (interleaved runs of one wasm). With channels in the
//! lanes, against the GEMM from packed panels, it took less time with 4, 7 or 8 channels
//! per group (4 or 8 channels 3 × 3: 24 %, 21 %) and with 16 or 24 (LeNet's conv2, 16
//! channels 5 × 5: 12 %; 16 channels 3 × 3 from one channel: 26 %, from 16: 4 %; 24
//! channels 5 × 5: 7 %), but more with 32 or more (32 channels 5 × 5: 2 % less, 3 × 3: 4 %
//! more; 64 channels 3 × 3: 9–13 % more): the GEMM packs once for more row panels, and a
//! short kernel row's loop costs this path more per tap. With positions in the lanes,
//! against channels in the lanes: LeNet's conv1 (6 channels 5 × 5, 28 × 28) 17–20 % less
//! time, batch 64 or one image; 6 channels 3 × 3: 18–23 % (28 × 28, 10 × 10), 40 % (11 × 11
//! unpadded); 5 channels 5 × 5: 20 %; 2 or 3 channels 3 × 3: 36 %; but 7, 8 and 16
//! channels 14–22 % more, 24 channels 2–7 % more. Against the GEMM: 9 channels 35 % less,
//! 12 channels 0–15 % less, 18 channels 8 % less (10, 11, 13, 14, 17 and 20 channels keep
//! the GEMM). Four channels take positions too (25 % more time than a block of one vector
//! of channels took, about the GEMM's: that block, a second tile shape for one channel
//! count, went to keep the app's wasm under its size). Tiles of 5 positions with channels in
//! the lanes (10 accumulators) took LeNet's conv2 (rows of 10) 5 % less time, but 3 × 3
//! kernels 3–13 % more: V8 (Node 20's, its code printed) loads the five broadcasts before
//! the first multiply, and those, two weight vectors and ten sums spill its 15 allocatable
//! xmm registers. Kept for rows of 5k only, beside the tiles of 4, they put the app's wasm
//! 1.2 KB past its 600 KB gzipped; trimmed to fit, conv2 gained 1–2 % and 7 × 7 outputs
//! lost 22 %. Tiles of 4 that run on across a row's end, each position reading its own
//! window (every tile whole, one slice per position and kernel row): no gain on conv2
//! (1.27 against 1.27 ms, the Xeon above). The tiles stay at 4 positions, sixteen channels
//! aside (2026-12-05).

use super::gemm::lanes::{self, F32x4};
use super::padded::PaddedPlanes;
use crate::shape::Conv2dGeometry;

/// Floats the planes' buffer holds past the padded planes: a row's last tile or vector may
/// be wider than what is left of the row (three positions of a tile of four, one of two, one
/// to three of a vector of positions) and read up to three cells past it, past the last
/// plane for the last row.
const SLACK: usize = 3;

/// One geometry's padded planes, output map and kernel rows, made once per call.
#[derive(Debug, Clone)]
pub(super) struct Pixels {
    planes: PaddedPlanes,
    /// Output size `[H_2, W_2]`.
    out: [usize; 2],
    /// Taps per kernel row `F_w` (consecutive floats).
    kw: usize,
    /// The offset of each kernel row's first tap (the planes' offsets in steps of `F_w`).
    row_starts: Vec<usize>,
    /// What the vectors' lanes hold.
    lanes: Lanes,
}

/// What a vector holds in [`Pixels`]' tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lanes {
    /// Four output channels of one position, [`CHANNEL_VECTORS`] vectors per block.
    Channels,
    /// Four output channels of one position, four vectors per block: sixteen channels in
    /// tiles of two positions, for sixteen channels per group and at least
    /// [`SIXTEEN_MIN_TAPS`] taps.
    Sixteen,
    /// Four consecutive positions of one output row, for blocks of [`STRIP_CHANNELS`]
    /// channels.
    Positions,
}

/// Vectors of output channels per block when the lanes hold channels.
const CHANNEL_VECTORS: usize = 2;
/// The fewest taps per output (`C_in/groups · F_h · F_w`) for which sixteen channels take
/// [`Lanes::Sixteen`] (measured, see the module documentation).
const SIXTEEN_MIN_TAPS: usize = 54;
/// Output channels per block when the lanes hold positions.
const STRIP_CHANNELS: usize = 3;
/// Vectors of positions per strip.
const STRIP_VECTORS: usize = 3;

impl Pixels {
    /// The layout of `g`, or `None` when it does not take this path: stride 1, consecutive
    /// taps along rows, and output channels per group of 1 to 8, a multiple of 3 up to 18,
    /// 16 or 24 (measured, see the module documentation): positions in the lanes for 1 to 6
    /// and the multiples of 3, channels for 7, 8, 16 and 24 (sixteen in one block of four
    /// vectors from [`SIXTEEN_MIN_TAPS`] taps on).
    pub(super) fn of(g: &Conv2dGeometry) -> Option<Self> {
        let p = g.params();
        let kw = g.kernel()[1];
        let kg = g.out_channels_per_group();
        let taps = g.in_channels_per_group() * g.kernel()[0] * kw;
        let lanes = if kg <= 6 || kg.is_multiple_of(STRIP_CHANNELS) && kg <= 18 {
            Lanes::Positions
        } else if kg == 16 && taps >= SIXTEEN_MIN_TAPS {
            Lanes::Sixteen
        } else if kg <= 8 || kg.is_multiple_of(8) && kg <= 24 {
            Lanes::Channels
        } else {
            return None;
        };
        if p.stride != [1, 1] || p.dilation[1] != 1 || kw == 0 {
            return None;
        }
        let planes = PaddedPlanes::of(g);
        let row_starts = planes.offsets.iter().step_by(kw).copied().collect();
        Some(Self {
            planes,
            out: g.output_size(),
            kw,
            row_starts,
            lanes,
        })
    }

    /// Output channels per block of the packed weight, four per vector of channels or
    /// [`STRIP_CHANNELS`]: the weight is packed in panels of this many rows
    /// ([`super::gemm::pack_panels`]).
    pub(super) fn block(&self) -> usize {
        match self.lanes {
            Lanes::Channels => 4 * CHANNEL_VECTORS,
            Lanes::Sixteen => 16,
            Lanes::Positions => STRIP_CHANNELS,
        }
    }

    /// Copies one group's `planes` (`C_in/groups` planes of `H × W`) into `padded`, zero
    /// borders and [`SLACK`].
    pub(super) fn pad(&self, planes: &[f32], padded: &mut Vec<f32>) {
        self.planes.pad(planes, self.planes.len() + SLACK, padded);
    }

    /// The convolution of one sample and group: `out` (`kg` planes of `H_2·W_2`) from its
    /// planes padded by [`Pixels::pad`] and the weights packed in panels of
    /// [`Pixels::block`] rows, plus `bias` (`kg` values) when given.
    pub(super) fn conv(
        &self,
        padded: &[f32],
        packed: &[f32],
        kg: usize,
        bias: Option<&[f32]>,
        out: &mut [f32],
    ) {
        match self.lanes {
            Lanes::Channels => self.blocks::<4, CHANNEL_VECTORS>(padded, packed, kg, bias, out),
            Lanes::Sixteen => self.blocks::<2, 4>(padded, packed, kg, bias, out),
            Lanes::Positions => {
                self.strips::<STRIP_CHANNELS, STRIP_VECTORS>(padded, packed, kg, bias, out);
            }
        }
    }

    /// [`Pixels::conv`] with the lanes holding positions: strips of `4P` positions of one
    /// output row × `K` channels, the row's last vectors one at a time.
    fn strips<const K: usize, const P: usize>(
        &self,
        padded: &[f32],
        packed: &[f32],
        kg: usize,
        bias: Option<&[f32]>,
        out: &mut [f32],
    ) {
        let ([oh, ow], wp) = (self.out, self.planes.padded[1]);
        let ohw = oh * ow;
        let rows = self.row_starts.len() * self.kw;
        for (b, w) in packed.chunks_exact((rows * K).max(1)).enumerate() {
            let (c0, nc) = (b * K, K.min(kg - b * K));
            let bias: Option<[F32x4; K]> = bias.map(|bias| {
                core::array::from_fn(|k| lanes::splat(bias.get(c0 + k).map_or(0.0, |&b| b)))
            });
            let out = &mut out[c0 * ohw..];
            for oy in 0..oh {
                let mut ox = 0;
                while ox < ow {
                    let (q, at, n) = (oy * ow + ox, oy * wp + ox, ow - ox);
                    if n > 4 * (P - 1) {
                        // The strip's last vector may be cut short by the row's end.
                        let acc = self.strip::<K, P>(padded, w, at);
                        let m = n.min(4 * P) - 4 * (P - 1);
                        for (k, acc) in acc.iter().enumerate().take(nc) {
                            for (p, &sum) in acc.iter().enumerate() {
                                let sum = bias.map_or(sum, |b| lanes::add(sum, b[k]));
                                let dst = &mut out[k * ohw + q + 4 * p..];
                                if p + 1 < P {
                                    lanes::store(sum, dst);
                                } else {
                                    store_first(sum, m, dst);
                                }
                            }
                        }
                        ox += 4 * (P - 1) + m;
                    } else {
                        let acc = self.strip::<K, 1>(padded, w, at);
                        let m = n.min(4);
                        for (k, acc) in acc.iter().enumerate().take(nc) {
                            let sum = bias.map_or(acc[0], |b| lanes::add(acc[0], b[k]));
                            store_first(sum, m, &mut out[k * ohw + q..]);
                        }
                        ox += m;
                    }
                }
            }
        }
    }

    /// The sums of `K` channels (one block's packed weights `w`, `rows × K`) at `4P`
    /// consecutive positions of one output row, the first reading the padded planes at
    /// `base`: `acc[k][p]` holds positions `4p..4p + 4` of channel `k`.
    fn strip<const K: usize, const P: usize>(
        &self,
        padded: &[f32],
        w: &[f32],
        base: usize,
    ) -> [[F32x4; P]; K] {
        let mut acc = [[lanes::splat(0.0); P]; K];
        self.taps(padded, w, base, K, 4 * P, |w, x| {
            let xv: [F32x4; P] = core::array::from_fn(|p| lanes::from_slice(&x[4 * p..]));
            for (acc, &wk) in acc.iter_mut().zip(w) {
                let wk = lanes::splat(wk);
                for (c, &xv) in acc.iter_mut().zip(&xv) {
                    *c = lanes::mul_add(*c, xv, wk);
                }
            }
        });
        acc
    }

    /// Calls `tap(w, x)` for every tap in im2col order: `w` its `per_tap` packed weights,
    /// `x` the `span` consecutive input floats it reads for consecutive positions of one
    /// output row, the first at `base`. A kernel row's taps read one slice of
    /// `F_w + span − 1` floats, checked once: the windows need no bounds check of their own.
    #[inline(always)]
    fn taps(
        &self,
        padded: &[f32],
        w: &[f32],
        base: usize,
        per_tap: usize,
        span: usize,
        mut tap: impl FnMut(&[f32], &[f32]),
    ) {
        for (w, &row) in w.chunks_exact(self.kw * per_tap).zip(&self.row_starts) {
            let x = &padded[base + row..][..self.kw + span - 1];
            for (w, x) in w.chunks_exact(per_tap).zip(x.windows(span)) {
                tap(w, x);
            }
        }
    }

    /// [`Pixels::conv`] with tiles of `R` positions (4 or 2) × `V` vectors of channels.
    fn blocks<const R: usize, const V: usize>(
        &self,
        padded: &[f32],
        packed: &[f32],
        kg: usize,
        bias: Option<&[f32]>,
        out: &mut [f32],
    ) {
        let ([oh, ow], wp, cb) = (self.out, self.planes.padded[1], 4 * V);
        let ohw = oh * ow;
        let rows = self.row_starts.len() * self.kw;
        for (b, w) in packed.chunks_exact((rows * cb).max(1)).enumerate() {
            let (c0, nc) = (b * cb, cb.min(kg - b * cb));
            let mut block = Block {
                out: &mut out[c0 * ohw..],
                ohw,
                nc,
                // The block's biases as the sums hold them: channels `4v..4v + 4` in
                // vector `v`, 0 past `nc`.
                bias: bias.map(|bias| {
                    [0, 1, 2, 3].map(|v| {
                        lanes::from_array(core::array::from_fn(|i| {
                            bias.get(c0 + 4 * v + i).map_or(0.0, |&b| b)
                        }))
                    })
                }),
            };
            for oy in 0..oh {
                let mut ox = 0;
                while ox < ow {
                    // Tiles of `R` positions; the row's last few, the first of a tile of
                    // `R` or 2.
                    let (q, at, n) = (oy * ow + ox, oy * wp + ox, (ow - ox).min(R));
                    if n == R {
                        block.whole(q, &self.tile::<R, V>(padded, w, at));
                    } else if 2 * n > R {
                        block.first(q, n, self.tile::<R, V>(padded, w, at).as_flattened(), V);
                    } else {
                        block.first(q, n, self.tile::<2, V>(padded, w, at).as_flattened(), V);
                    }
                    ox += n;
                }
            }
        }
    }

    /// The sums of `R` consecutive positions of one output row, the first reading the padded
    /// planes at `base`, over one block's packed weights `w` (`rows × 4V`): `acc[r][v]`
    /// holds channels `4v..4v + 4` of position `r`.
    ///
    /// The taps of a kernel row are a loop: unrolled for `F_w = 5`, LLVM shares each input's
    /// broadcast between the taps that read it, and the live broadcasts beside the
    /// accumulators spill V8's 16 xmm registers (conv2 took 16 % more time).
    fn tile<const R: usize, const V: usize>(
        &self,
        padded: &[f32],
        w: &[f32],
        base: usize,
    ) -> [[F32x4; V]; R] {
        let mut acc = [[lanes::splat(0.0); V]; R];
        self.taps(padded, w, base, 4 * V, R, |w, x| {
            let wv: [F32x4; V] = core::array::from_fn(|v| lanes::from_slice(&w[4 * v..]));
            for (acc, &xr) in acc.iter_mut().zip(x) {
                let xr = lanes::splat(xr);
                for (c, &wv) in acc.iter_mut().zip(&wv) {
                    *c = lanes::mul_add(*c, xr, wv);
                }
            }
        });
        acc
    }
}

/// Writes the first `m` (1 to 4) lanes of `v` to `dst`, by copies of a constant length (a
/// variable one is a `memory.copy`).
fn store_first(v: F32x4, m: usize, dst: &mut [f32]) {
    let t = lanes::to_array(v);
    match m {
        4 => dst[..4].copy_from_slice(&t),
        3 => dst[..3].copy_from_slice(&t[..3]),
        2 => dst[..2].copy_from_slice(&t[..2]),
        _ => dst[0] = t[0],
    }
}

/// Where one block's tiles land: `nc ≤ 4V` planes of `ohw` positions from `out`'s start.
struct Block<'a> {
    out: &'a mut [f32],
    ohw: usize,
    nc: usize,
    /// The block's biases, added to the sums as they are stored.
    bias: Option<[F32x4; 4]>,
}

impl Block<'_> {
    /// A whole tile's sums from `q`, four positions at a time transposed to four
    /// positions of one channel, stored as one vector; a tile of two positions as each
    /// channel's two sums side by side (one 64-bit store: through transposes and partial
    /// stores, LeNet's conv2 took 4 % more time and 16 channels from one 3 × 3 channel 16 %).
    #[inline(always)]
    fn whole<const R: usize, const V: usize>(&mut self, q: usize, acc: &[[F32x4; V]; R]) {
        if R == 2 {
            for v in 0..V {
                let [a, b] = [0, 1].map(|r| {
                    let sum = acc[r][v];
                    self.bias.map_or(sum, |b| lanes::add(sum, b[v]))
                });
                for (i, two) in lanes::pairs(a, b).into_iter().enumerate() {
                    let ch = 4 * v + i;
                    if ch < self.nc {
                        self.out[ch * self.ohw + q..][..2].copy_from_slice(&two);
                    }
                }
            }
            return;
        }
        for (p, four) in acc.chunks_exact(4).enumerate() {
            for v in 0..V {
                let sums = [0, 1, 2, 3].map(|r| {
                    let sum = four[r][v];
                    self.bias.map_or(sum, |b| lanes::add(sum, b[v]))
                });
                for (i, t) in lanes::transpose4(sums).into_iter().enumerate() {
                    let ch = 4 * v + i;
                    if ch < self.nc {
                        lanes::store(t, &mut self.out[ch * self.ohw + q + 4 * p..]);
                    }
                }
            }
        }
    }

    /// The first `n` positions of a tile's sums (`v` vectors of channels per position) from
    /// `q`, as [`Block::whole`] stores them. Not generic and not inlined: one copy for every
    /// tile shape cut short (inlined, the app's size-optimised build grew by 12 KB).
    #[inline(never)]
    fn first(&mut self, q: usize, n: usize, acc: &[F32x4], v: usize) {
        for (p, four) in acc.chunks(4 * v).enumerate().take(n.div_ceil(4)) {
            let m = (n - 4 * p).min(4);
            for vi in 0..v.min(4) {
                let sums = [0, 1, 2, 3].map(|r| {
                    let sum = four.get(r * v + vi).copied().unwrap_or(lanes::splat(0.0));
                    self.bias.map_or(sum, |b| lanes::add(sum, b[vi]))
                });
                for (i, t) in lanes::transpose4(sums).into_iter().enumerate() {
                    let ch = 4 * vi + i;
                    if ch < self.nc {
                        store_first(t, m, &mut self.out[ch * self.ohw + q + 4 * p..]);
                    }
                }
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
    use crate::conv::gemm;
    use crate::shape::Conv2dParams;

    fn pixels(c_in: usize, size: usize, c_out: usize, f: usize, p: Conv2dParams) -> Option<Pixels> {
        Pixels::of(&Conv2dGeometry::new([1, c_in, size, size], c_out, [f, f], p).unwrap())
    }

    /// Stride-1 convolutions with 1 to 6 channels per group or a multiple of 3 up to 18 hold
    /// positions in the lanes, with 7, 8, 16 (one block of sixteen from 54 taps on) and 24
    /// channels in the lanes; other counts, a stride of 2 or taps apart along the rows do
    /// not take the path (taps apart down the columns do).
    #[test]
    fn which_convolutions_read_by_position() {
        let d = Conv2dParams::default();
        let lanes = |c_out, f, p| pixels(6, 14, c_out, f, p).map(|p| p.lanes);
        let (by_position, two) = (Some(Lanes::Positions), Some(Lanes::Channels));
        assert_eq!(
            pixels(1, 28, 6, 5, d.with_padding(2)).map(|p| p.lanes),
            by_position
        );
        for c_out in [1, 2, 3, 4, 5, 6, 9, 12, 15, 18] {
            assert_eq!(lanes(c_out, 5, d), by_position, "{c_out} channels");
        }
        for c_out in [7, 8, 24] {
            assert_eq!(lanes(c_out, 5, d), two, "{c_out} channels");
        }
        // Sixteen channels: one block of four vectors from 54 taps (6 channels of 3 × 3) on.
        assert_eq!(lanes(16, 5, d), Some(Lanes::Sixteen));
        assert_eq!(lanes(16, 3, d), Some(Lanes::Sixteen));
        assert_eq!(pixels(2, 14, 16, 5, d).map(|p| p.lanes), two);
        assert_eq!(
            pixels(1, 28, 16, 3, d.with_padding(1)).map(|p| p.lanes),
            two
        );
        for c_out in [10, 11, 13, 14, 17, 20, 21, 32] {
            assert_eq!(lanes(c_out, 5, d), None, "{c_out} channels");
        }
        let groups = Conv2dParams { groups: 3, ..d };
        assert_eq!(lanes(48, 3, groups), two);
        assert_eq!(lanes(12, 3, groups), by_position);
        assert_eq!(lanes(36, 3, groups), by_position);
        assert_eq!(lanes(30, 3, groups), None);
        let [stride, across, down] = [
            Conv2dParams {
                stride: [1, 2],
                ..d
            },
            Conv2dParams {
                dilation: [1, 2],
                ..d
            },
            Conv2dParams {
                dilation: [2, 1],
                ..d
            },
        ];
        assert_eq!(lanes(16, 5, stride), None);
        assert_eq!(lanes(6, 5, across), None);
        assert_eq!(lanes(16, 5, down), Some(Lanes::Sixteen));
        assert_eq!(lanes(6, 5, down), by_position);
    }

    /// The packed weight: tap `t`'s floats of block `b` are the block's channels at `t`,
    /// zeros past the last channel; blocks of sixteen channels, of eight and of three.
    #[test]
    fn weights_are_packed_by_tap_in_blocks_of_channels() {
        let rows = 3;
        for (c_in, kg, cb) in [(1, 7, 8), (1, 24, 8), (1, 4, 3), (1, 6, 3), (3, 16, 16)] {
            let p = pixels(c_in, 9, kg, 5, Conv2dParams::default()).unwrap();
            assert_eq!(p.block(), cb);
            let w: Vec<f32> = (0..kg * rows).map(|i| i as f32 + 1.0).collect();
            let mut packed = vec![f32::NAN; gemm::panels_len(kg, rows, cb)];
            gemm::pack_panels(&w, kg, rows, p.block(), &mut packed);
            assert_eq!(packed.len(), kg.div_ceil(cb) * rows * cb);
            for (b, block) in packed.chunks_exact(rows * cb).enumerate() {
                for (t, tap) in block.chunks_exact(cb).enumerate() {
                    let want: Vec<f32> = (0..cb)
                        .map(|i| {
                            let ch = b * cb + i;
                            if ch < kg { w[ch * rows + t] } else { 0.0 }
                        })
                        .collect();
                    assert_eq!(tap, want.as_slice(), "{kg} channels: block {b} tap {t}");
                }
            }
        }
    }
}
