//! 2-D pooling (max, average, sum), each depth slice independently.
//!
//! - Max pooling pads with −∞ (padding never wins) and keeps the argmax of every window as
//!   a flat index `y·W + x` into the input plane, like PyTorch's `return_indices=True`.
//!   Ties keep the first cell in row-major window order; NaN propagates (as in PyTorch).
//! - Average pooling uses PyTorch's default `count_include_pad=True`: the window sum over
//!   real cells divided by `F_h·F_w`, padding counted as zeros.
//! - Sum pooling is the window sum over real cells (the lecture's "sum pooling").
//!
//! Windows overlap when the stride is smaller than the window. The sum runs in row-major
//! window order, the same order the trace ([`crate::trace::PoolTrace`]) shows.

use ndarray::{Array4, ArrayView2, ArrayView4, ArrayViewMut4};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::shape::{Pool2dGeometry, Pool2dParams};
use crate::tensor::{check_out, dims4};

/// Which summary a pooling window computes.
///
/// One spelling everywhere through `Display`/`FromStr` and serde: `max`, `average` (`avg`
/// also parses), `sum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum PoolKind {
    /// Largest value (padding = −∞).
    Max,
    /// Mean over the whole window, padding counted as 0 (`count_include_pad=True`).
    Average,
    /// Sum over the real cells.
    Sum,
}

impl PoolKind {
    /// The three kinds, in the order menus list them.
    pub const ALL: [Self; 3] = [Self::Max, Self::Average, Self::Sum];
}

impl std::fmt::Display for PoolKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Max => "max",
            Self::Average => "average",
            Self::Sum => "sum",
        })
    }
}

/// Why a string is not a pooling kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a pooling kind: expected max, average (or avg) or sum")]
pub struct PoolKindParseError {
    /// The string given.
    pub input: String,
}

impl std::str::FromStr for PoolKind {
    type Err = PoolKindParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "max" => Ok(Self::Max),
            "average" | "avg" => Ok(Self::Average),
            "sum" => Ok(Self::Sum),
            _ => Err(PoolKindParseError {
                input: s.to_owned(),
            }),
        }
    }
}

impl TryFrom<String> for PoolKind {
    type Error = PoolKindParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<PoolKind> for String {
    fn from(k: PoolKind) -> Self {
        k.to_string()
    }
}

/// One cell of a pooling window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cell {
    pub kernel: [usize; 2],
    pub position: [isize; 2],
    pub inside: Option<[usize; 2]>,
}

/// Calls `f` for each cell of window `(oy, ox)` in row-major order.
pub(crate) fn window_cells(g: &Pool2dGeometry, oy: usize, ox: usize, mut f: impl FnMut(Cell)) {
    let p = g.params();
    let [_, _, h, w] = g.input_shape();
    for ky in 0..p.kernel[0] {
        let py = oy * p.stride[0] + ky;
        let y = py.checked_sub(p.padding[0]).filter(|&y| y < h);
        for kx in 0..p.kernel[1] {
            let px = ox * p.stride[1] + kx;
            let x = px.checked_sub(p.padding[1]).filter(|&x| x < w);
            f(Cell {
                kernel: [ky, kx],
                position: [
                    crate::conv::signed(py, p.padding[0]),
                    crate::conv::signed(px, p.padding[1]),
                ],
                inside: y.zip(x).map(|(y, x)| [y, x]),
            });
        }
    }
}

/// The result of one window: value and, for max pooling, the winning input cell.
pub(crate) fn reduce(
    g: &Pool2dGeometry,
    kind: PoolKind,
    plane: &ArrayView2<'_, f32>,
    oy: usize,
    ox: usize,
) -> (f32, Option<[usize; 2]>) {
    match kind {
        PoolKind::Max => {
            let mut best = f32::NEG_INFINITY;
            let mut arg = None;
            window_cells(g, oy, ox, |c| {
                if let Some(yx) = c.inside {
                    let v = plane[yx];
                    if arg.is_none() || v > best || v.is_nan() {
                        best = v;
                        arg = Some(yx);
                    }
                }
            });
            (best, arg)
        }
        PoolKind::Sum | PoolKind::Average => {
            let mut acc = 0.0f32;
            window_cells(g, oy, ox, |c| {
                if let Some(yx) = c.inside {
                    acc += plane[yx];
                }
            });
            if kind == PoolKind::Average {
                (acc / divisor(g), None)
            } else {
                (acc, None)
            }
        }
    }
}

/// F_h·F_w as f32 (the average's divisor with `count_include_pad=True`).
pub(crate) fn divisor(g: &Pool2dGeometry) -> f32 {
    let [kh, kw] = g.params().kernel;
    (kh * kw) as f32
}

fn pool_loop(
    g: &Pool2dGeometry,
    kind: PoolKind,
    input: &ArrayView4<'_, f32>,
    out: &mut ArrayViewMut4<'_, f32>,
    mut argmax: Option<&mut ArrayViewMut4<'_, usize>>,
) {
    let [batch, channels, oh, ow] = g.output_shape();
    let w = g.input_shape()[3];
    if g.params().padding == [0, 0] {
        // Fast path for contiguous buffers without padding (LeNet's pools): the same
        // windows, visiting order and tie rule over slices instead of 4-D indexing.
        let planes = batch * channels;
        let arg_slice = match argmax.as_deref_mut() {
            Some(a) => a.as_slice_mut().map(Some),
            None => Some(None),
        };
        if let (Some(x), Some(y), Some(arg)) = (input.as_slice(), out.as_slice_mut(), arg_slice) {
            pool_planes_unpadded(g, kind, x, y, arg, planes);
            return;
        }
    }
    for n in 0..batch {
        let sample = input.index_axis(ndarray::Axis(0), n);
        for c in 0..channels {
            let plane = sample.index_axis(ndarray::Axis(0), c);
            for oy in 0..oh {
                for ox in 0..ow {
                    let (v, arg) = reduce(g, kind, &plane, oy, ox);
                    out[[n, c, oy, ox]] = v;
                    if let (Some(a), Some([y, x])) = (argmax.as_deref_mut(), arg) {
                        a[[n, c, oy, ox]] = y * w + x;
                    }
                }
            }
        }
    }
}

/// [`pool_loop`] over `planes` contiguous `H × W` input planes without padding.
fn pool_planes_unpadded(
    g: &Pool2dGeometry,
    kind: PoolKind,
    x: &[f32],
    y: &mut [f32],
    mut arg: Option<&mut [usize]>,
    planes: usize,
) {
    let [_, _, h, w] = g.input_shape();
    let [_, _, oh, ow] = g.output_shape();
    let p = g.params();
    let ([kh, kw], [sh, sw]) = (p.kernel, p.stride);
    let div = divisor(g);
    if [kh, kw, sh, sw] == [2, 2, 2, 2] {
        pool_2x2(kind, x, y, arg, planes, [h, w], [oh, ow], div);
        return;
    }
    for plane in 0..planes {
        let xp = &x[plane * h * w..(plane + 1) * h * w];
        for oy in 0..oh {
            for ox in 0..ow {
                let o = plane * oh * ow + oy * ow + ox;
                let (y0, x0) = (oy * sh, ox * sw);
                match kind {
                    PoolKind::Max => {
                        // The first cell starts the window (as `reduce` does); a later cell
                        // wins when larger or NaN.
                        let mut at = y0 * w + x0;
                        let mut best = xp[at];
                        for ky in 0..kh {
                            let row = (y0 + ky) * w + x0;
                            for (kx, &v) in xp[row..row + kw].iter().enumerate() {
                                let wins = v > best || v.is_nan();
                                best = if wins { v } else { best };
                                at = if wins { row + kx } else { at };
                            }
                        }
                        y[o] = best;
                        if let Some(a) = arg.as_deref_mut() {
                            a[o] = at;
                        }
                    }
                    PoolKind::Sum | PoolKind::Average => {
                        let mut acc = 0.0f32;
                        for ky in 0..kh {
                            let row = (y0 + ky) * w + x0;
                            for &v in &xp[row..row + kw] {
                                acc += v;
                            }
                        }
                        y[o] = if kind == PoolKind::Average {
                            acc / div
                        } else {
                            acc
                        };
                    }
                }
            }
        }
    }
}

/// The 2×2, stride-2 case of [`pool_planes_unpadded`] (LeNet's, AlexNet-free CNNs' usual
/// pool): the four cells read as two pairs of adjacent values, same order and tie rule.
#[allow(clippy::too_many_arguments)]
fn pool_2x2(
    kind: PoolKind,
    x: &[f32],
    y: &mut [f32],
    mut arg: Option<&mut [usize]>,
    planes: usize,
    [h, w]: [usize; 2],
    [oh, ow]: [usize; 2],
    div: f32,
) {
    for plane in 0..planes {
        let xp = &x[plane * h * w..(plane + 1) * h * w];
        let yp = &mut y[plane * oh * ow..(plane + 1) * oh * ow];
        for (oy, yr) in yp.chunks_exact_mut(ow).enumerate() {
            let top = &xp[2 * oy * w..2 * oy * w + 2 * ow];
            let bottom = &xp[(2 * oy + 1) * w..(2 * oy + 1) * w + 2 * ow];
            match kind {
                PoolKind::Max => {
                    for (ox, ((t, b), out)) in top
                        .chunks_exact(2)
                        .zip(bottom.chunks_exact(2))
                        .zip(yr.iter_mut())
                        .enumerate()
                    {
                        let row0 = 2 * oy * w + 2 * ox;
                        let cells = [
                            (t[0], row0),
                            (t[1], row0 + 1),
                            (b[0], row0 + w),
                            (b[1], row0 + w + 1),
                        ];
                        let (mut best, mut at) = cells[0];
                        for &(v, i) in &cells[1..] {
                            let wins = v > best || v.is_nan();
                            best = if wins { v } else { best };
                            at = if wins { i } else { at };
                        }
                        *out = best;
                        if let Some(a) = arg.as_deref_mut() {
                            a[plane * oh * ow + oy * ow + ox] = at;
                        }
                    }
                }
                PoolKind::Sum | PoolKind::Average => {
                    for ((t, b), out) in top
                        .chunks_exact(2)
                        .zip(bottom.chunks_exact(2))
                        .zip(yr.iter_mut())
                    {
                        // From 0.0, as the generic path: four −0.0 sum to +0.0 there too.
                        let acc = 0.0 + t[0] + t[1] + b[0] + b[1];
                        *out = if kind == PoolKind::Average {
                            acc / div
                        } else {
                            acc
                        };
                    }
                }
            }
        }
    }
}

/// 2-D pooling of every depth slice.
///
/// # Shapes
/// - input: `[batch, channels, height, width]`
/// - output: `[batch, channels, out_h, out_w]`, sizes from [`crate::shape::pool_output_size`]
///
/// # Errors
/// [`CoreError::Shape`] for an empty input axis, a zero window or stride, padding above half
/// the window, or a window larger than the padded input.
pub fn pool2d(
    input: ArrayView4<'_, f32>,
    kind: PoolKind,
    params: Pool2dParams,
) -> Result<Array4<f32>, CoreError> {
    let g = Pool2dGeometry::new(dims4(&input), params)?;
    let mut out = Array4::zeros(g.output_shape());
    pool_loop(&g, kind, &input, &mut out.view_mut(), None);
    Ok(out)
}

/// Max pooling that also returns, per output cell, the flat index `y·W + x` of the winning
/// input cell in its plane.
///
/// # Shapes
/// `[N, C, H, W]` → values and indices `[N, C, H2, W2]`.
///
/// # Errors
/// As [`pool2d`].
pub fn max_pool2d_with_indices(
    input: ArrayView4<'_, f32>,
    params: Pool2dParams,
) -> Result<(Array4<f32>, Array4<usize>), CoreError> {
    let g = Pool2dGeometry::new(dims4(&input), params)?;
    let mut out = Array4::zeros(g.output_shape());
    let mut idx = Array4::zeros(g.output_shape());
    pool_loop(
        &g,
        PoolKind::Max,
        &input,
        &mut out.view_mut(),
        Some(&mut idx.view_mut()),
    );
    Ok((out, idx))
}

/// [`pool2d`] into a caller-owned `out`; with `argmax` (max pooling only), also the indices.
///
/// # Errors
/// As [`pool2d`], plus [`CoreError::OutputShape`] when `out` or `argmax` has the wrong shape.
pub fn pool2d_into(
    input: ArrayView4<'_, f32>,
    kind: PoolKind,
    params: Pool2dParams,
    mut out: ArrayViewMut4<'_, f32>,
    mut argmax: Option<ArrayViewMut4<'_, usize>>,
) -> Result<Pool2dGeometry, CoreError> {
    let g = Pool2dGeometry::new(dims4(&input), params)?;
    check_out("pool2d", &out, g.output_shape())?;
    if let Some(a) = &argmax {
        let (n, c, h, w) = a.dim();
        if [n, c, h, w] != g.output_shape() {
            return Err(CoreError::OutputShape {
                op: "pool2d (argmax)",
                got: vec![n, c, h, w],
                expected: g.output_shape().to_vec(),
            });
        }
    }
    pool_loop(&g, kind, &input, &mut out, argmax.as_mut());
    Ok(g)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn max_pool_padding_never_wins_and_ties_keep_the_first() {
        let x = Array4::from_elem([1, 1, 2, 2], -5.0f32);
        let p = Pool2dParams::new(2).with_stride(1).with_padding(1);
        let (y, idx) = max_pool2d_with_indices(x.view(), p).unwrap();
        assert!(y.iter().all(|&v| v == -5.0));
        // Window (0,0) covers padding and input cell (0,0) only.
        assert_eq!(idx[[0, 0, 0, 0]], 0);
        // Window (1,1) covers all four cells, all equal: the first, (0,0), wins.
        assert_eq!(idx[[0, 0, 1, 1]], 0);
        assert_eq!(idx[[0, 0, 2, 2]], 3);
    }

    #[test]
    fn average_counts_padding_as_zeros() {
        let x = Array4::from_elem([1, 1, 2, 2], 4.0f32);
        let p = Pool2dParams::new(2).with_padding(1);
        let y = pool2d(x.view(), PoolKind::Average, p).unwrap();
        assert_eq!(y.into_raw_vec_and_offset().0, vec![1.0, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn nan_propagates_through_max() {
        let x = Array4::from_shape_vec([1, 1, 1, 3], vec![1.0, f32::NAN, 2.0]).unwrap();
        let p = Pool2dParams {
            kernel: [1, 3],
            stride: [1, 3],
            padding: [0, 0],
        };
        let y = pool2d(x.view(), PoolKind::Max, p).unwrap();
        assert!(y[[0, 0, 0, 0]].is_nan());
    }

    #[test]
    fn invalid_pooling_is_an_error() {
        let x = Array4::<f32>::zeros([1, 1, 4, 4]);
        assert!(pool2d(x.view(), PoolKind::Max, Pool2dParams::new(0)).is_err());
        assert!(pool2d(x.view(), PoolKind::Max, Pool2dParams::new(2).with_stride(0)).is_err());
        assert!(pool2d(x.view(), PoolKind::Max, Pool2dParams::new(5)).is_err());
        assert!(
            pool2d(
                x.view(),
                PoolKind::Max,
                Pool2dParams::new(2).with_padding(2)
            )
            .is_err()
        );
        let empty = Array4::<f32>::zeros([1, 0, 4, 4]);
        assert!(pool2d(empty.view(), PoolKind::Sum, Pool2dParams::new(2)).is_err());
        let mut out = Array4::<f32>::zeros([1, 1, 3, 3]);
        assert!(
            pool2d_into(
                x.view(),
                PoolKind::Sum,
                Pool2dParams::new(2),
                out.view_mut(),
                None
            )
            .is_err()
        );
    }
}
