//! A small packed sgemm for wasm's fast paths: `C = A·B` (stored, plus a bias per row, or
//! accumulated) — the convolutions' three products and, through [`mat_mul_packed`], every
//! other product on wasm.
//!
//! Built for convolution shapes: `A` is the weight (`M` = output channels of a group, a
//! handful to a few dozen), `K` = taps per window (25 … 600), `B` the im2col matrix with
//! `N` = output positions of one sample (100 … a few thousand).
//!
//! Layout (the classic GotoBLAS/BLIS packing, without cache blocking of `K` — `K` is small):
//! - `A` is packed in panels of [`MR`] rows: for every `kk`, the `MR` values `A[i0.., kk]`
//!   side by side (rows past `M` are zero);
//! - `B` is packed in panels of [`NR`] columns: for every `kk`, the `NR` values
//!   `B[kk, j0..]` side by side (columns past `N` are zero). The convolution writes these
//!   panels straight from the input (`super::im2col::pack_cols`), never forming the
//!   row-major im2col matrix.
//!
//! The micro-kernel keeps an `MR × NR` tile of `C` in registers for the whole `K` loop, so
//! each packed value is loaded once per tile and each step is `MR + NR/4` loads for
//! `MR·NR/4` vector multiply-adds. Every sum runs over `kk = 0, 1, …, K-1` in order, from
//! `0.0`, with a separate multiply and add (no FMA) — the reference loop's order.

/// Rows of the micro-tile (rows of `C`, output channels).
pub(super) const MR: usize = 4;
/// Columns of the micro-tile (columns of `C`, output positions): two `f32x4` vectors.
pub(super) const NR: usize = 8;

/// Floats of `m × k` packed by [`pack_a`].
pub(super) fn packed_a_len(m: usize, k: usize) -> usize {
    panels_len(m, k, MR)
}

/// Packs `a` (`m × k`, row-major, contiguous) into `⌈m / MR⌉` panels of `k × MR`, filling
/// `packed` of length [`packed_a_len`]`(m, k)`.
pub(super) fn pack_a(a: &[f32], m: usize, k: usize, packed: &mut [f32]) {
    pack_panels(a, m, k, MR, packed);
}

/// Floats of `m × k` packed in panels of `h` rows by [`pack_panels`].
pub(super) fn panels_len(m: usize, k: usize, h: usize) -> usize {
    m.div_ceil(h) * k * h
}

/// Packs `a` (`m × k`, row-major, contiguous) into `⌈m / h⌉` panels of `k × h`: for every
/// `kk`, the `h` values `A[i0.., kk]` side by side, rows past `m` zero. `packed` has
/// [`panels_len`]`(m, k, h)` floats. The GEMM's `A` has panels of [`MR`] rows
/// ([`pack_a`]); [`super::pixels`] packs its weight in blocks of 4 or 8 channels.
pub(super) fn pack_panels(a: &[f32], m: usize, k: usize, h: usize, packed: &mut [f32]) {
    packed.fill(0.0);
    if k == 0 {
        return;
    }
    for (p, panel) in packed.chunks_exact_mut(k * h).enumerate() {
        for r in 0..h.min(m - p * h) {
            let row = &a[(p * h + r) * k..][..k];
            for (dst, &v) in panel.iter_mut().skip(r).step_by(h).zip(row) {
                *dst = v;
            }
        }
    }
}

/// [`pack_a`] of `A` given as its transpose `at` (`k × m`, row-major, contiguous): each
/// panel's `MR` values for a `kk` are a contiguous run of row `kk` of `at`. The input
/// gradient of a convolution multiplies by `Wᵀ`, and `W` is exactly that transpose.
pub(super) fn pack_a_transposed(at: &[f32], m: usize, k: usize, packed: &mut [f32]) {
    packed.fill(0.0);
    for (p, panel) in packed.chunks_exact_mut((k * MR).max(1)).enumerate() {
        let rows = MR.min(m - p * MR);
        for (kk, dst) in panel.chunks_exact_mut(MR).enumerate() {
            dst[..rows].copy_from_slice(&at[kk * m + p * MR..][..rows]);
        }
    }
}

/// Packs `b` (`k × n`, row-major, contiguous) into `⌈n / NR⌉` panels of `k × NV` vectors.
/// (The forward convolution packs its `B` directly from the input; the backward passes pack
/// `dY` with this general form.)
pub(super) fn pack_b(b: &[f32], k: usize, n: usize, packed: &mut Vec<F32x4>) {
    // Every vector is written below (a partial last panel is zero-filled).
    packed.resize(n.div_ceil(NR) * k * NV, lanes::splat(0.0));
    if k == 0 {
        return;
    }
    for (kk, row) in b.chunks_exact(n.max(1)).take(k).enumerate() {
        for (p, src) in row.chunks(NR).enumerate() {
            pack_b_chunk(src, &mut packed[(p * k + kk) * NV..][..NV]);
        }
    }
}

/// What [`gemm_packed`] does with each sum `A·B[i, j]` of `C`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Epilogue<'a> {
    /// `C[i, j] = sum`.
    Store,
    /// `C[i, j] = sum + bias[i]` (after the sum, as the reference loop adds it).
    Bias(&'a [f32]),
    /// `C[i, j] += sum` (a gradient summed over a batch).
    Accumulate,
}

/// `C[i, j] = Σ_kk A[i, kk]·B[kk, j]` (stored, biased or accumulated as `epilogue` says)
/// for `i < m`, `j < n`, with `C[i, j]` at `c[i·ldc + j]`, from the packed operands of
/// [`pack_a`] / [`pack_b`]. Only those cells of `c` are written.
///
/// Requires `ap.len() ≥ ⌈m/MR⌉·k·MR`, `bp.len() ≥ ⌈n/NR⌉·k·NV`, a bias of `≥ m` values and
/// `c.len() ≥ (m-1)·ldc + n` with `ldc ≥ n` (internal invariant, checked by slicing).
pub(super) fn gemm_packed(
    [m, n, k]: [usize; 3],
    ap: &[f32],
    bp: &[F32x4],
    epilogue: Epilogue<'_>,
    c: &mut [f32],
    ldc: usize,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // Empty sums (and `chunks_exact(0)` below would panic).
        for (i, row) in c.chunks_mut(ldc.max(1)).take(m).enumerate() {
            match epilogue {
                Epilogue::Store => row[..n].fill(0.0),
                Epilogue::Bias(b) => row[..n].fill(b[i]),
                Epilogue::Accumulate => {}
            }
        }
        return;
    }
    let a_panel = k * MR;
    // Column panels outside, row panels inside: one `B` panel (k·NR floats) stays in L1
    // while all of `A` (M·K floats, small for convolutions) streams past it.
    for (bp, j0) in bp.chunks_exact(k * NV).zip((0..n).step_by(NR)) {
        let nc = NR.min(n - j0);
        for (ip, ap) in ap.chunks_exact(a_panel).take(m.div_ceil(MR)).enumerate() {
            let i0 = ip * MR;
            // A last panel of two rows runs a kernel of two: the rows past `M` are zeros of
            // the packing, and computing them cost a product of `M` = 6 a quarter of its
            // products, of `M` = 150 (LeNet conv2's input gradient) one in 75 (a last panel
            // of one or three rows, rarer, computes all four).
            let at = Tile { i0, j0, nc };
            match m - i0 {
                2 => at.write(&kernel::<2>(ap, bp), epilogue, c, ldc),
                rows => at.write(&kernel::<MR>(ap, bp)[..rows.min(MR)], epilogue, c, ldc),
            }
        }
    }
}

/// Where a micro-tile lands in `C`: its first row and column, and its columns inside `C`.
#[derive(Debug, Clone, Copy)]
struct Tile {
    i0: usize,
    j0: usize,
    nc: usize,
}

impl Tile {
    /// Writes the tile's rows (`rows.len() ≤ MR`) into `c` as `epilogue` says.
    fn write(self, rows: &[[f32; NR]], epilogue: Epilogue<'_>, c: &mut [f32], ldc: usize) {
        let Self { i0, j0, nc } = self;
        for (r, acc) in rows.iter().enumerate() {
            let row = &mut c[(i0 + r) * ldc + j0..][..nc];
            match epilogue {
                Epilogue::Bias(b) => {
                    let bk = b[i0 + r];
                    for (d, &v) in row.iter_mut().zip(acc) {
                        *d = v + bk;
                    }
                }
                // A whole tile row is a fixed-size copy (vector stores); on wasm a
                // variable-length `copy_from_slice` is a `memory.copy` call.
                Epilogue::Store => match row.first_chunk_mut::<NR>() {
                    Some(full) => *full = *acc,
                    None => row.copy_from_slice(&acc[..nc]),
                },
                Epilogue::Accumulate => {
                    for (d, &v) in row.iter_mut().zip(acc) {
                        *d += v;
                    }
                }
            }
        }
    }
}

/// Four `f32` lanes: `v128` on wasm32 + simd128, `[f32; 4]` elsewhere (where LLVM
/// vectorises the array arithmetic itself), behind the same few functions.
///
/// Loads from `&[f32]` go through `bytemuck` (`unsafe` is forbidden here): reading the
/// slice's bytes as a `v128` is one unaligned `v128.load`, where the safe
/// `f32x4(s[0], s[1], s[2], s[3])` is `v128.load32_zero` + three `v128.load32_lane`. Packed
/// `B` is still stored as vectors: the kernel's innermost loop then indexes a `&[v128]`.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(super) mod lanes {
    use core::arch::wasm32::{f32x4_add, f32x4_mul, f32x4_splat};

    pub(in crate::conv) type F32x4 = core::arch::wasm32::v128;

    /// The first four values of `s` (panics if shorter).
    #[inline(always)]
    pub(in crate::conv) fn from_slice(s: &[f32]) -> F32x4 {
        bytemuck::pod_read_unaligned(bytemuck::cast_slice(&s[..4]))
    }
    #[inline(always)]
    pub(in crate::conv) fn to_array(v: F32x4) -> [f32; 4] {
        bytemuck::cast(v)
    }
    #[inline(always)]
    pub(in crate::conv) fn splat(a: f32) -> F32x4 {
        // From a slice element this is one `v128.load32_splat`.
        f32x4_splat(a)
    }
    /// `acc + a·b`, rounded twice (mul, then add): simd128 has no FMA (relaxed SIMD's
    /// `f32x4_relaxed_madd` is not enabled), and it keeps the reference loop's rounding.
    ///
    /// Measured with `+relaxed-simd` and `f32x4_relaxed_madd` here (Chromium 156, Zen 4,
    /// 2026-12-05, `cargo xtask bench-wasm` alternated twice with this build): LeNet's conv2
    /// at batch 64 33.9 → 40.0 GFLOP/s, one image 34.4 → 30.5 µs. Not taken: a module with
    /// one relaxed instruction fails validation in a browser without relaxed SIMD (Safari;
    /// Node 20's `WebAssembly.validate` said false for all three of the release build's
    /// files), so the app and its workers would need a second build and a loader that picks
    /// one. That release build (`cargo xtask build` with `+relaxed-simd`): the same
    /// wasm-bindgen JavaScript byte for byte, only the `.wasm` files differ, and the Classify
    /// page's worker took 125 µs per image against 130–135 µs (`classify-latency.mjs`, 1,500
    /// runs, two alternated runs of each).
    #[inline(always)]
    pub(in crate::conv) fn mul_add(acc: F32x4, a: F32x4, b: F32x4) -> F32x4 {
        f32x4_add(acc, f32x4_mul(a, b))
    }
    #[inline(always)]
    pub(in crate::conv) fn add(a: F32x4, b: F32x4) -> F32x4 {
        f32x4_add(a, b)
    }
    /// Writes the four lanes to `d[..4]` (panics if shorter).
    #[inline(always)]
    pub(in crate::conv) fn store(v: F32x4, d: &mut [f32]) {
        d[..4].copy_from_slice(&to_array(v));
    }
    #[inline(always)]
    pub(in crate::conv) fn from_array(a: [f32; 4]) -> F32x4 {
        bytemuck::cast(a)
    }
    /// Lanes `0..s` of `a`, lanes `s..4` of `b` (`s` in `1..=3`; any other `s` gives `a`).
    #[inline(always)]
    pub(in crate::conv) fn blend(a: F32x4, b: F32x4, s: usize) -> F32x4 {
        use core::arch::wasm32::i32x4_shuffle;
        match s {
            1 => i32x4_shuffle::<0, 5, 6, 7>(a, b),
            2 => i32x4_shuffle::<0, 1, 6, 7>(a, b),
            3 => i32x4_shuffle::<0, 1, 2, 7>(a, b),
            _ => a,
        }
    }
    /// The 4×4 transpose: lane `j` of vector `i` becomes lane `i` of vector `j`.
    #[inline(always)]
    pub(in crate::conv) fn transpose4([a, b, c, d]: [F32x4; 4]) -> [F32x4; 4] {
        use core::arch::wasm32::{i32x4_shuffle, i64x2_shuffle};
        let ab_lo = i32x4_shuffle::<0, 4, 1, 5>(a, b);
        let cd_lo = i32x4_shuffle::<0, 4, 1, 5>(c, d);
        let ab_hi = i32x4_shuffle::<2, 6, 3, 7>(a, b);
        let cd_hi = i32x4_shuffle::<2, 6, 3, 7>(c, d);
        [
            i64x2_shuffle::<0, 2>(ab_lo, cd_lo),
            i64x2_shuffle::<1, 3>(ab_lo, cd_lo),
            i64x2_shuffle::<0, 2>(ab_hi, cd_hi),
            i64x2_shuffle::<1, 3>(ab_hi, cd_hi),
        ]
    }
    /// Lane `i` of `a` and of `b`, for each `i`: four pairs.
    #[inline(always)]
    pub(in crate::conv) fn pairs(a: F32x4, b: F32x4) -> [[f32; 2]; 4] {
        use core::arch::wasm32::{i32x4_shuffle, u64x2_extract_lane};
        let lo = i32x4_shuffle::<0, 4, 1, 5>(a, b);
        let hi = i32x4_shuffle::<2, 6, 3, 7>(a, b);
        [
            bytemuck::cast(u64x2_extract_lane::<0>(lo)),
            bytemuck::cast(u64x2_extract_lane::<1>(lo)),
            bytemuck::cast(u64x2_extract_lane::<0>(hi)),
            bytemuck::cast(u64x2_extract_lane::<1>(hi)),
        ]
    }
}

/// Portable form of the wasm `lanes` module.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub(super) mod lanes {
    pub(in crate::conv) type F32x4 = [f32; 4];

    #[inline(always)]
    pub(in crate::conv) fn from_slice(s: &[f32]) -> F32x4 {
        [s[0], s[1], s[2], s[3]]
    }
    #[inline(always)]
    pub(in crate::conv) fn to_array(v: F32x4) -> [f32; 4] {
        v
    }
    #[inline(always)]
    pub(in crate::conv) fn splat(a: f32) -> F32x4 {
        [a; 4]
    }
    #[inline(always)]
    pub(in crate::conv) fn mul_add(acc: F32x4, a: F32x4, b: F32x4) -> F32x4 {
        [0, 1, 2, 3].map(|i| acc[i] + a[i] * b[i])
    }
    #[inline(always)]
    pub(in crate::conv) fn add(a: F32x4, b: F32x4) -> F32x4 {
        [0, 1, 2, 3].map(|i| a[i] + b[i])
    }
    #[inline(always)]
    pub(in crate::conv) fn store(v: F32x4, d: &mut [f32]) {
        d[..4].copy_from_slice(&v);
    }
    #[inline(always)]
    pub(in crate::conv) fn from_array(a: [f32; 4]) -> F32x4 {
        a
    }
    #[inline(always)]
    pub(in crate::conv) fn blend(a: F32x4, b: F32x4, s: usize) -> F32x4 {
        let s = if (1..4).contains(&s) { s } else { 4 };
        core::array::from_fn(|i| if i < s { a[i] } else { b[i] })
    }
    #[inline(always)]
    pub(in crate::conv) fn transpose4(v: [F32x4; 4]) -> [F32x4; 4] {
        [0, 1, 2, 3].map(|j| [v[0][j], v[1][j], v[2][j], v[3][j]])
    }
    #[inline(always)]
    pub(in crate::conv) fn pairs(a: F32x4, b: F32x4) -> [[f32; 2]; 4] {
        [0, 1, 2, 3].map(|i| [a[i], b[i]])
    }
}

use lanes::F32x4;

/// `y = W·x` for `W` of `y.len()` rows of `x.len()` floats (row-major, contiguous): the
/// dense layers' kernel for a batch of one (a GEMM would pack the whole weight matrix for
/// one row). Four rows at a time share each load of `x` (5 loads for 4 multiplies and adds,
/// where a dot product per row takes 2 for 1), with two vector accumulators per row: eight
/// chains of additions in flight. Each row's sum is its accumulators' lanes added at the
/// end, then the last `k mod 8` products.
///
/// # Panics
/// When `w` is shorter than `y.len() · x.len()`.
pub(crate) fn mat_vec(w: &[f32], x: &[f32], y: &mut [f32]) {
    let k = x.len();
    if k == 0 {
        y.fill(0.0);
        return;
    }
    let w = &w[..y.len() * k];
    let done = y.len() - y.len() % 4;
    let (whole, rest) = y.split_at_mut(done);
    for (y, w) in whole.chunks_exact_mut(4).zip(w.chunks_exact(4 * k)) {
        rows::<4>(w, x, y);
    }
    for (y, w) in rest.chunks_exact_mut(1).zip(w[done * k..].chunks_exact(k)) {
        rows::<1>(w, x, y);
    }
}

/// [`mat_vec`] of `R` rows (`w` holds `R · x.len()` floats, `y` at least `R`).
#[inline(always)]
fn rows<const R: usize>(w: &[f32], x: &[f32], y: &mut [f32]) {
    let k = x.len();
    let w: [&[f32]; R] = core::array::from_fn(|r| &w[r * k..][..k]);
    let mut acc = [[lanes::splat(0.0); 2]; R];
    let whole = k - k % 8;
    for (i, x) in x[..whole].chunks_exact(8).enumerate() {
        let xv = [lanes::from_slice(x), lanes::from_slice(&x[4..])];
        for (acc, w) in acc.iter_mut().zip(&w) {
            let w = &w[8 * i..][..8];
            acc[0] = lanes::mul_add(acc[0], lanes::from_slice(w), xv[0]);
            acc[1] = lanes::mul_add(acc[1], lanes::from_slice(&w[4..]), xv[1]);
        }
    }
    for ((y, acc), w) in y.iter_mut().zip(acc).zip(w) {
        let mut total = 0.0f32;
        for v in acc {
            total += lanes::to_array(v).iter().sum::<f32>();
        }
        for (a, b) in w[whole..].iter().zip(&x[whole..]) {
            total += a * b;
        }
        *y = total;
    }
}

/// [`pack_b`] of `B` given as its transpose `bt` (`n × k`, row-major, contiguous): for
/// every `kk` the [`NR`] values `bt[j0.., kk]`, gathered. The weight gradient multiplies by
/// `dYᵀ`, and `dY` is exactly that transpose.
pub(super) fn pack_b_transposed(bt: &[f32], k: usize, n: usize, packed: &mut Vec<F32x4>) {
    packed.resize(n.div_ceil(NR) * k * NV, lanes::splat(0.0));
    for (jp, panel) in packed.chunks_exact_mut((k * NV).max(1)).enumerate() {
        let j0 = jp * NR;
        let cols = NR.min(n - j0);
        for (kk, dst) in panel.chunks_exact_mut(NV).enumerate() {
            let mut v = [0.0f32; NR];
            for (j, v) in v.iter_mut().enumerate().take(cols) {
                *v = bt[(j0 + j) * k + kk];
            }
            pack_b_chunk(&v, dst);
        }
    }
}

thread_local! {
    /// The packed operands of [`mat_mul_packed`], kept between calls (one training step
    /// makes several products of the same sizes).
    static MATMUL_SCRATCH: core::cell::RefCell<(Vec<f32>, Vec<F32x4>)> =
        const { core::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// `c = a · b` or `c += a · b` for 2-D views of any layout through the packed kernel: wasm's
/// every matrix product ([`super::mat_mul`]: the dense layers, the gradients and the
/// transposed convolution). A row-major operand or the transpose of one is packed as it
/// lies ([`pack_a`] / [`pack_a_transposed`], [`pack_b`] / [`pack_b_transposed`]); any other
/// (a strided view) is copied first, and so is `c` when it is not contiguous — which left
/// matrixmultiply, ndarray's product, out of the app's wasm (6.5 KB).
///
/// Shapes: `a` `[m, k]`, `b` `[k, n]`, `c` `[m, n]` (the caller checked them).
pub(crate) fn mat_mul_packed(
    a: &ndarray::ArrayView2<'_, f32>,
    b: &ndarray::ArrayView2<'_, f32>,
    accum: super::Accum,
    c: &mut ndarray::ArrayViewMut2<'_, f32>,
) {
    let ((m, k), n) = (a.dim(), b.ncols());
    let epilogue = match accum {
        super::Accum::Replace => Epilogue::Store,
        super::Accum::Add => Epilogue::Accumulate,
    };
    MATMUL_SCRATCH.with_borrow_mut(|(ap, bp)| {
        ap.resize(packed_a_len(m, k), 0.0);
        match (a.as_slice(), a.t().as_slice()) {
            (Some(a), _) => pack_a(a, m, k, ap),
            (None, Some(at)) => pack_a_transposed(at, m, k, ap),
            (None, None) => pack_a(&a.iter().copied().collect::<Vec<_>>(), m, k, ap),
        }
        match (b.as_slice(), b.t().as_slice()) {
            (Some(b), _) => pack_b(b, k, n, bp),
            (None, Some(bt)) => pack_b_transposed(bt, k, n, bp),
            (None, None) => pack_b(&b.iter().copied().collect::<Vec<_>>(), k, n, bp),
        }
        match c.as_slice_mut() {
            Some(c) => gemm_packed([m, n, k], ap, bp, epilogue, c, n),
            None => {
                let mut t: Vec<f32> = c.iter().copied().collect();
                gemm_packed([m, n, k], ap, bp, epilogue, &mut t, n);
                for (d, v) in c.iter_mut().zip(t) {
                    *d = v;
                }
            }
        }
    });
}

/// Vectors per packed `B` row of a panel.
pub(super) const NV: usize = NR / 4;

/// Writes `NR` values (the first `src.len() ≤ NR`, the rest 0) as `NV` vectors.
#[inline(always)]
pub(super) fn pack_b_chunk(src: &[f32], dst: &mut [F32x4]) {
    if src.len() == NR {
        for (d, s) in dst.iter_mut().zip(src.chunks_exact(4)) {
            *d = lanes::from_slice(s);
        }
    } else {
        let mut full = [0.0f32; NR];
        full[..src.len()].copy_from_slice(src);
        for (d, s) in dst.iter_mut().zip(full.chunks_exact(4)) {
            *d = lanes::from_slice(s);
        }
    }
}

/// The `R × NR` micro-kernel over one `A` panel (`k·MR` floats) and one `B` panel
/// (`k·NV` vectors).
///
/// The accumulators are `MR·NV` = 8 vectors, which V8's TurboFan keeps in xmm registers for
/// the whole loop (8 accumulators + 2 `B` vectors + 1 splat = 11 of 16; a 4×12 or 8×8 tile
/// would spill). Per `kk`: 2 `v128.load` + 4 `v128.load32_splat` for 8 mul + 8 add.
///
/// `R ≤ MR` is the rows computed: the first `R` of the panel's `MR`.
#[inline(always)]
fn kernel<const R: usize>(ap: &[f32], bp: &[F32x4]) -> [[f32; NR]; R] {
    let (a, _) = ap.as_chunks::<MR>();
    let (b, _) = bp.as_chunks::<NV>();
    let mut acc = [[lanes::splat(0.0); NV]; R];
    for (a, b) in a.iter().zip(b) {
        step(&mut acc, a, b);
    }
    tile_rows(acc)
}

/// One `kk` of a micro-kernel: `acc[r] += a[r]·b` for the tile's `R` rows.
#[inline(always)]
fn step<const R: usize>(acc: &mut [[F32x4; NV]; R], a: &[f32; MR], b: &[F32x4; NV]) {
    for (acc, &ai) in acc.iter_mut().zip(a) {
        let ai = lanes::splat(ai);
        for (c, &bj) in acc.iter_mut().zip(b) {
            *c = lanes::mul_add(*c, ai, bj);
        }
    }
}

/// A micro-kernel's accumulators as the tile's rows of `C`.
#[inline(always)]
fn tile_rows<const R: usize>(acc: [[F32x4; NV]; R]) -> [[f32; NR]; R] {
    acc.map(|row| {
        let mut out = [0.0; NR];
        for (o, v) in out.chunks_exact_mut(4).zip(row) {
            o.copy_from_slice(&lanes::to_array(v));
        }
        out
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    /// Small integers: every partial sum is exact, so any order gives the same bits.
    fn ints(len: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761) | 1;
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 9) as f32 - 4.0
            })
            .collect()
    }

    fn naive(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0f32;
                for kk in 0..k {
                    s += a[i * k + kk] * b[kk * n + j];
                }
                c[i * n + j] = bias.map_or(s, |b| s + b[i]);
            }
        }
        c
    }

    fn check(m: usize, n: usize, k: usize, with_bias: bool) {
        let a = ints(m * k, 1 + (m * 31 + k) as u32);
        let b = ints(k * n, 7 + (n * 17 + k) as u32);
        let bias = with_bias.then(|| ints(m, 99));
        let want = naive(m, n, k, &a, &b, bias.as_deref());
        let (mut ap, mut bp) = (vec![0.0; packed_a_len(m, k)], Vec::new());
        pack_a(&a, m, k, &mut ap);
        pack_b(&b, k, n, &mut bp);
        // Packing A from its transpose gives the same panels.
        let at: Vec<f32> = (0..k * m).map(|t| a[(t % m) * k + t / m]).collect();
        let mut ap_t = vec![f32::NAN; packed_a_len(m, k)];
        pack_a_transposed(&at, m, k, &mut ap_t);
        assert_eq!(ap_t, ap, "m={m} k={k}");
        // A wider leading dimension, pre-filled: cells outside the m × n block untouched.
        let ldc = n + 3;
        let mut c = vec![f32::NAN; m * ldc];
        gemm_packed(
            [m, n, k],
            &ap,
            &bp,
            bias.as_deref().map_or(Epilogue::Store, Epilogue::Bias),
            &mut c,
            ldc,
        );
        for i in 0..m {
            assert_eq!(
                &c[i * ldc..i * ldc + n],
                &want[i * n..(i + 1) * n],
                "m={m} n={n} k={k} row {i}"
            );
            assert!(c[i * ldc + n..(i + 1) * ldc].iter().all(|v| v.is_nan()));
        }
    }

    #[test]
    fn matches_the_triple_loop_on_odd_sizes() {
        for &m in &[1, 2, 3, 4, 5, 7, 8, 9, 16, 17] {
            for &n in &[1, 3, 7, 8, 9, 15, 16, 17, 100] {
                for &k in &[1, 2, 5, 25, 27] {
                    check(m, n, k, (m + n + k) % 2 == 0);
                }
            }
        }
    }

    /// `B` packed from its transpose equals `B` packed, and the accumulating epilogue adds
    /// to what `C` held.
    #[test]
    fn packing_from_the_transpose_and_accumulating() {
        for &(m, n, k) in &[(1, 1, 1), (5, 3, 7), (4, 8, 16), (9, 17, 25), (6, 16, 120)] {
            let a = ints(m * k, (m * 3 + k) as u32);
            let b = ints(k * n, (n * 5 + k) as u32);
            let bt: Vec<f32> = (0..n * k).map(|t| b[(t % k) * n + t / k]).collect();
            let (mut bp, mut bp_t) = (Vec::new(), Vec::new());
            pack_b(&b, k, n, &mut bp);
            pack_b_transposed(&bt, k, n, &mut bp_t);
            assert_eq!(
                bp.iter().map(|v| lanes::to_array(*v)).collect::<Vec<_>>(),
                bp_t.iter().map(|v| lanes::to_array(*v)).collect::<Vec<_>>(),
                "m={m} n={n} k={k}"
            );
            let mut ap = vec![0.0; packed_a_len(m, k)];
            pack_a(&a, m, k, &mut ap);
            let want = naive(m, n, k, &a, &b, None);
            let mut c = vec![1.0; m * n];
            for _ in 0..2 {
                gemm_packed([m, n, k], &ap, &bp_t, Epilogue::Accumulate, &mut c, n);
            }
            let twice: Vec<f32> = want.iter().map(|w| 1.0 + 2.0 * w).collect();
            assert_eq!(c, twice, "m={m} n={n} k={k}");
        }
    }

    /// `mat_mul_packed` equals the triple loop for every layout: row-major, transposed
    /// views, strided views it copies, and a strided `c`; stored and accumulated.
    #[test]
    fn matmul_takes_every_layout() {
        use crate::conv::Accum;
        use ndarray::{Array2, Axis, Slice};
        for &(m, n, k) in &[(1, 1, 1), (64, 120, 400), (64, 10, 84), (7, 9, 13)] {
            let a = Array2::from_shape_vec((m, k), ints(m * k, 3)).unwrap();
            let b = Array2::from_shape_vec((k, n), ints(k * n, 4)).unwrap();
            let want = naive(m, n, k, a.as_slice().unwrap(), b.as_slice().unwrap(), None);
            let (at, bt) = (a.t().to_owned(), b.t().to_owned());
            for (av, bv) in [
                (a.view(), b.view()),
                (at.t(), b.view()),
                (a.view(), bt.t()),
                (at.t(), bt.t()),
            ] {
                let mut c = Array2::from_elem((m, n), f32::NAN);
                mat_mul_packed(&av, &bv, Accum::Replace, &mut c.view_mut());
                assert_eq!(c.as_slice().unwrap(), &want[..], "m={m} n={n} k={k}");
                mat_mul_packed(&av, &bv, Accum::Add, &mut c.view_mut());
                let twice: Vec<f32> = want.iter().map(|w| 2.0 * w).collect();
                assert_eq!(c.as_slice().unwrap(), &twice[..], "m={m} n={n} k={k}");
            }
        }
        // Every other column of wider matrices: operands and `c` copied, still right.
        let wide = Array2::from_shape_vec((3, 8), ints(24, 5)).unwrap();
        let a = wide.slice_axis(Axis(1), Slice::new(0, None, 2));
        let b = Array2::from_shape_vec((4, 6), ints(24, 6)).unwrap();
        let b = b.slice_axis(Axis(1), Slice::new(0, None, 3));
        let mut c = Array2::from_elem((3, 4), 1.0);
        let mut strided = c.slice_axis_mut(Axis(1), Slice::new(0, None, 2));
        mat_mul_packed(&a, &b, Accum::Add, &mut strided);
        let want = a.dot(&b) + 1.0;
        assert_eq!(c.slice_axis(Axis(1), Slice::new(0, None, 2)), want);
        assert!(
            c.slice_axis(Axis(1), Slice::new(1, None, 2))
                .iter()
                .all(|&v| v == 1.0)
        );
    }

    /// `W·x` for every row count around the four-row blocks and lengths around the
    /// vectors (small integers: exact in any order).
    #[test]
    fn matrix_vector_products_equal_the_naive_sums() {
        for rows in [0, 1, 3, 4, 5, 9, 10, 120] {
            for k in [0, 1, 4, 7, 8, 9, 17, 400] {
                let (w, x) = (ints(rows * k + 3, 11), ints(k, 12));
                let mut y = vec![f32::NAN; rows];
                mat_vec(&w, &x, &mut y);
                let want: Vec<f32> = (0..rows)
                    .map(|r| (0..k).map(|i| w[r * k + i] * x[i]).sum())
                    .collect();
                assert_eq!(y, want, "{rows} rows of {k}");
            }
        }
    }

    #[test]
    fn convolution_shapes() {
        // LeNet conv1 / conv2 per sample, and a VGG-like M = 64, K = 576 (N trimmed).
        check(6, 784, 25, true);
        check(16, 100, 150, true);
        check(64, 61, 576, false);
    }

    #[test]
    fn empty_sizes_write_nothing_or_the_bias() {
        let mut c = vec![f32::NAN; 4];
        gemm_packed([0, 4, 3], &[], &[], Epilogue::Store, &mut c, 4);
        gemm_packed([1, 0, 3], &[0.0; 12], &[], Epilogue::Store, &mut c, 4);
        assert!(c.iter().all(|v| v.is_nan()));
        // k = 0: empty sums, so C = bias (or 0).
        let (mut ap, mut bp) = (vec![0.0; packed_a_len(2, 0)], Vec::new());
        pack_a(&[], 2, 0, &mut ap);
        pack_b(&[], 0, 2, &mut bp);
        let mut c = vec![f32::NAN; 4];
        gemm_packed([2, 2, 0], &ap, &bp, Epilogue::Bias(&[1.0, 2.0]), &mut c, 2);
        assert_eq!(c, vec![1.0, 1.0, 2.0, 2.0]);
    }
}
