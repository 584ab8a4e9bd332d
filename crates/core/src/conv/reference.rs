//! The reference loop: the definition of convolution every fast path is tested against.
//!
//! [`window_taps`] fixes the summation order (input channel, kernel row, kernel column);
//! the trace uses the same function, so its sums are bitwise equal to this loop's.

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

/// The window sum of one output cell, without bias, in the canonical order.
pub(crate) fn window_sum(
    g: &Conv2dGeometry,
    input: &ArrayView4<'_, f32>,
    weight: &ArrayView4<'_, f32>,
    n: usize,
    k: usize,
    oy: usize,
    ox: usize,
) -> f32 {
    let cg = g.in_channels_per_group();
    let mut acc = 0.0f32;
    window_taps(g, k, oy, ox, |t| {
        if let Some([y, x]) = t.inside {
            acc +=
                input[[n, t.channel, y, x]] * weight[[k, t.channel % cg, t.kernel[0], t.kernel[1]]];
        }
    });
    acc
}

/// Output cell = window sum + bias (no `+ 0` without a bias, so `-0.0` survives).
pub(crate) fn with_bias(sum: f32, bias: Option<&ArrayView1<'_, f32>>, k: usize) -> f32 {
    match bias {
        Some(b) => sum + b[k],
        None => sum,
    }
}

/// The reference loop over a validated geometry.
pub(crate) fn conv2d_loop(
    g: &Conv2dGeometry,
    input: &ArrayView4<'_, f32>,
    weight: &ArrayView4<'_, f32>,
    bias: Option<&ArrayView1<'_, f32>>,
    out: &mut ArrayViewMut4<'_, f32>,
) {
    let [n_batch, n_out, oh, ow] = g.output_shape();
    for n in 0..n_batch {
        for k in 0..n_out {
            for oy in 0..oh {
                for ox in 0..ow {
                    let s = window_sum(g, input, weight, n, k, oy, ox);
                    out[[n, k, oy, ox]] = with_bias(s, bias, k);
                }
            }
        }
    }
}
