//! The reference loop: the definition of convolution every fast path is tested against.
//!
//! [`window_taps`] fixes the summation order (input channel, kernel row, kernel column);
//! the trace steps through it and the loop adds in it, so their sums are bitwise equal.

use ndarray::{ArrayView1, ArrayView4, ArrayViewMut4};

use crate::shape::Conv2dGeometry;

/// One kernel tap of one window: which input cell (if not padding) meets which weight.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tap {
    /// Input channel (absolute, not within the group).
    pub channel: usize,
    /// `[ky, kx]` within the kernel.
    pub kernel: [usize; 2],
    /// `[y, x]` in the unpadded input; negative or ≥ size for padding cells.
    pub position: [isize; 2],
    /// `Some([y, x])` when the cell is inside the input, `None` for padding.
    pub inside: Option<[usize; 2]>,
}

/// Calls `f` for every tap of output cell `(k, oy, ox)` in the canonical order:
/// channels of `k`'s group, then kernel rows, then kernel columns.
///
/// Requires `k < C_out`, `oy < H2`, `ox < W2` for `g` (internal invariant).
pub(crate) fn window_taps(
    g: &Conv2dGeometry,
    k: usize,
    oy: usize,
    ox: usize,
    mut f: impl FnMut(Tap),
) {
    let [rows, cols] = g.window_axes();
    let [kh, kw] = g.kernel();
    let cg = g.in_channels_per_group();
    let group = k / g.out_channels_per_group();
    for c in group * cg..(group + 1) * cg {
        for ky in 0..kh {
            let y = rows.inside(oy, ky);
            for kx in 0..kw {
                let x = cols.inside(ox, kx);
                f(Tap {
                    channel: c,
                    kernel: [ky, kx],
                    position: [rows.position(oy, ky), cols.position(ox, kx)],
                    inside: y.zip(x).map(|(y, x)| [y, x]),
                });
            }
        }
    }
}

/// `padded − padding` as a signed coordinate (negative inside the top/left padding),
/// saturating instead of wrapping for absurd paddings.
pub(crate) fn signed(padded: usize, padding: usize) -> isize {
    if padded >= padding {
        isize::try_from(padded - padding).unwrap_or(isize::MAX)
    } else {
        isize::try_from(padding - padded).map_or(isize::MIN, |v| -v)
    }
}

/// Output cell = window sum + bias (no `+ 0` without a bias, so `-0.0` survives).
pub(crate) fn with_bias(sum: f32, bias: Option<&ArrayView1<'_, f32>>, k: usize) -> f32 {
    match bias {
        Some(b) => sum + b[k],
        None => sum,
    }
}

/// The reference loop over a validated geometry: every output cell is the sum of its window's
/// products in [`window_taps`]'s order (padding skipped), plus its bias: bitwise what a
/// trace's step adds up.
///
/// Computed a row of output cells at a time, taps outside: for each tap (channel, kernel
/// row, kernel column, in [`window_taps`]'s order) the row's cells that read an input cell
/// add their product, a run of independent additions the compiler vectorizes. Each cell
/// still sees its own taps in the canonical order, so its sum is the step's exactly (Rust
/// never fuses a multiply and an add). Against a cell at a time: 28.9 → 1.37 ms natively
/// on the lab's largest case (`cargo bench -p convscope-core --bench conv -- lab_`), about
/// ten times as fast in wasm, where the lab's web worker computes its maps this way.
/// Never inlined: its callers may be compiled for size (the web crate), and inlined there
/// it would not be vectorized.
#[inline(never)]
pub(crate) fn conv2d_loop(
    g: &Conv2dGeometry,
    input: &ArrayView4<'_, f32>,
    weight: &ArrayView4<'_, f32>,
    bias: Option<&ArrayView1<'_, f32>>,
    out: &mut ArrayViewMut4<'_, f32>,
) {
    let [n_batch, n_out, oh, ow] = g.output_shape();
    let [rows, cols] = g.window_axes();
    let [kh, kw] = g.kernel();
    let cg = g.in_channels_per_group();
    let per_group = g.out_channels_per_group();
    // Per kernel column: the output columns that read an input cell, and the input
    // column the first of them reads.
    let spans: Vec<(std::ops::Range<usize>, usize)> = (0..kw)
        .map(|kx| {
            let r = cols.valid_outputs(kx, ow);
            // An empty range may start one past the last output, whose position can
            // overflow (a stride near `usize::MAX`): it reads nothing, so no column.
            let first = if r.is_empty() {
                0
            } else {
                cols.inside(r.start, kx).unwrap_or(0)
            };
            (r, first)
        })
        .collect();
    let stride = cols.stride;
    let mut acc = vec![0.0f32; ow];
    let mut line = vec![0.0f32; cols.size];
    for n in 0..n_batch {
        for k in 0..n_out {
            let group = k / per_group;
            for oy in 0..oh {
                acc.fill(0.0);
                for c in group * cg..(group + 1) * cg {
                    for ky in 0..kh {
                        let Some(y) = rows.inside(oy, ky) else {
                            continue;
                        };
                        // The input row, contiguous (the view may be strided).
                        for (x, d) in line.iter_mut().enumerate() {
                            *d = input[[n, c, y, x]];
                        }
                        for (kx, (span, first)) in spans.iter().enumerate() {
                            let w = weight[[k, c % cg, ky, kx]];
                            let cells = &mut acc[span.clone()];
                            if stride == 1 {
                                let xs = &line[*first..*first + cells.len()];
                                for (a, x) in cells.iter_mut().zip(xs) {
                                    *a += *x * w;
                                }
                            } else {
                                for (a, x) in
                                    cells.iter_mut().zip(line[*first..].iter().step_by(stride))
                                {
                                    *a += *x * w;
                                }
                            }
                        }
                    }
                }
                for (ox, a) in acc.iter().enumerate() {
                    out[[n, k, oy, ox]] = with_bias(*a, bias, k);
                }
            }
        }
    }
}
