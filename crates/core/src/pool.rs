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
//!
//! Forward: [`pool2d`] / [`pool2d_into`] / [`max_pool2d_with_indices`]. Backward (pooling
//! has no parameters, so only the input gradient): [`pool2d_x_backward_into`] for any kind,
//! or one function per kind (overlapping windows add up):
//! - [`max_pool2d_x_backward`]: each output's gradient goes to the cell that won its window
//!   (the argmax the forward pass recorded).
//! - [`avg_pool2d_x_backward`]: each output's gradient divided by `F_h·F_w`
//!   (`count_include_pad=True`) goes to every real cell of its window.
//! - [`sum_pool2d_x_backward`]: each output's gradient goes unchanged to every real cell.

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

    /// The short spelling the network text form uses before `pool`: `max`, `avg`, `sum`
    /// (`maxpool 2`, `avgpool 2`, `sumpool 2`); [`std::str::FromStr`] accepts it too.
    pub const fn short(self) -> &'static str {
        match self {
            Self::Max => "max",
            Self::Average => "avg",
            Self::Sum => "sum",
        }
    }
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
    let [rows, cols] = g.window_axes();
    let [kh, kw] = g.params().kernel;
    for ky in 0..kh {
        let y = rows.inside(oy, ky);
        for kx in 0..kw {
            let x = cols.inside(ox, kx);
            f(Cell {
                kernel: [ky, kx],
                position: [rows.position(oy, ky), cols.position(ox, kx)],
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
        crate::simd::widest(
            #[inline(always)]
            || pool_2x2(kind, x, y, arg, planes, [h, w], [oh, ow], div),
        );
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
#[inline(always)]
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

/// Input gradient of `kind` pooling into a caller-owned `dx` of the forward input's shape
/// `[N, C, H, W]` (overwritten). Max pooling needs the forward pass's `argmax`
/// ([`pool2d_into`] or [`max_pool2d_with_indices`]); average and sum pooling ignore it.
///
/// # Shapes
/// dy (and argmax) `[N, C, H2, W2]` → dx `[N, C, H, W]`.
///
/// # Errors
/// [`CoreError`] when the window does not fit `dx`, `dy` (or the argmax) does not have the
/// output shape, max pooling is given no argmax or an argmax index lies outside its plane.
pub fn pool2d_x_backward_into(
    kind: PoolKind,
    params: Pool2dParams,
    dy: ArrayView4<'_, f32>,
    argmax: Option<ArrayView4<'_, usize>>,
    dx: ArrayViewMut4<'_, f32>,
) -> Result<(), CoreError> {
    match kind {
        PoolKind::Max => {
            let argmax = argmax.ok_or(CoreError::Length {
                op: "max_pool2d_x_backward",
                what: "the argmax",
                got: 0,
                expected: dy.len(),
            })?;
            max_pool2d_x_backward_into(params, dy, argmax, dx)
        }
        PoolKind::Average | PoolKind::Sum => window_backward_into(kind, params, dy, dx),
    }
}

/// Checks every axis of `got` against `expected`; `what` names the four axes of the tensor.
fn check_axes(
    op: &'static str,
    what: [&'static str; 4],
    got: [usize; 4],
    expected: [usize; 4],
) -> Result<(), CoreError> {
    for ((what, got), expected) in what.into_iter().zip(got).zip(expected) {
        if got != expected {
            return Err(CoreError::Length {
                op,
                what,
                got,
                expected,
            });
        }
    }
    Ok(())
}

/// The geometry of the forward pass whose input had `dx`'s shape, with `dy` checked
/// against its output.
fn backward_geometry(
    op: &'static str,
    params: Pool2dParams,
    dy: &ArrayView4<'_, f32>,
    dx: &ArrayViewMut4<'_, f32>,
) -> Result<Pool2dGeometry, CoreError> {
    let g = Pool2dGeometry::new(dims4(dx), params)?;
    check_axes(
        op,
        [
            "the batch axis of dy",
            "the channel axis of dy",
            "the height of dy",
            "the width of dy",
        ],
        dims4(dy),
        g.output_shape(),
    )?;
    Ok(g)
}

/// Max pooling's input gradient: `dx[n, c, argmax[n, c, i, j]] += dy[n, c, i, j]` (each
/// output's gradient goes to the cell that won its window; overlapping windows add up).
///
/// # Shapes
/// dy, argmax `[N, C, H2, W2]` → dx `input_shape` `[N, C, H, W]`.
///
/// # Errors
/// [`CoreError`] when the shapes disagree or an argmax index lies outside its plane.
pub fn max_pool2d_x_backward(
    params: Pool2dParams,
    dy: ArrayView4<'_, f32>,
    argmax: ArrayView4<'_, usize>,
    input_shape: [usize; 4],
) -> Result<Array4<f32>, CoreError> {
    let mut dx = Array4::zeros(input_shape);
    max_pool2d_x_backward_into(params, dy, argmax, dx.view_mut())?;
    Ok(dx)
}

/// [`max_pool2d_x_backward`] into a caller-owned `dx` (overwritten).
///
/// # Errors
/// As [`max_pool2d_x_backward`].
pub fn max_pool2d_x_backward_into(
    params: Pool2dParams,
    dy: ArrayView4<'_, f32>,
    argmax: ArrayView4<'_, usize>,
    mut dx: ArrayViewMut4<'_, f32>,
) -> Result<(), CoreError> {
    const OP: &str = "max_pool2d_x_backward";
    let g = backward_geometry(OP, params, &dy, &dx)?;
    let (n, c, h2, w2) = argmax.dim();
    check_axes(
        OP,
        [
            "the batch axis of the argmax",
            "the channel axis of the argmax",
            "the height of the argmax",
            "the width of the argmax",
        ],
        [n, c, h2, w2],
        dims4(&dy),
    )?;
    let [_, _, h, w] = g.input_shape();
    let area = h * w;
    let outside = |i: usize| CoreError::Layout {
        op: OP,
        detail: format!(
            "argmax index {i} lies outside the {h}×{w} input plane \
             (it does not come from this input)"
        ),
    };
    dx.fill(0.0);
    // Contiguous buffers (the trainer's): one flat pass per plane, no 2-D indexing.
    let (dy_s, a_s) = (dy.as_slice(), argmax.as_slice());
    if let (Some(dy_s), Some(a_s), Some(dx_s)) = (dy_s, a_s, dx.as_slice_mut()) {
        let per = h2 * w2;
        let planes = dx_s.chunks_exact_mut(area.max(1));
        for ((plane, dy_c), a_c) in planes
            .zip(dy_s.chunks_exact(per.max(1)))
            .zip(a_s.chunks_exact(per.max(1)))
        {
            for (&d, &i) in dy_c.iter().zip(a_c) {
                *plane.get_mut(i).ok_or_else(|| outside(i))? += d;
            }
        }
        return Ok(());
    }
    for ((mut dx_n, dy_n), a_n) in dx
        .outer_iter_mut()
        .zip(dy.outer_iter())
        .zip(argmax.outer_iter())
    {
        for ((mut plane, dy_c), a_c) in dx_n
            .outer_iter_mut()
            .zip(dy_n.outer_iter())
            .zip(a_n.outer_iter())
        {
            for (&d, &i) in dy_c.iter().zip(a_c.iter()) {
                if i >= area {
                    return Err(outside(i));
                }
                plane[[i / w, i % w]] += d;
            }
        }
    }
    Ok(())
}

/// Average pooling's input gradient (`count_include_pad=True`): each output's gradient
/// divided by `F_h·F_w` goes to every real cell of its window.
///
/// # Shapes
/// dy `[N, C, H2, W2]` → dx `input_shape`.
///
/// # Errors
/// [`CoreError`] when the shapes disagree.
pub fn avg_pool2d_x_backward(
    params: Pool2dParams,
    dy: ArrayView4<'_, f32>,
    input_shape: [usize; 4],
) -> Result<Array4<f32>, CoreError> {
    let mut dx = Array4::zeros(input_shape);
    window_backward_into(PoolKind::Average, params, dy, dx.view_mut())?;
    Ok(dx)
}

/// Sum pooling's input gradient: each output's gradient goes unchanged to every real cell
/// of its window.
///
/// # Shapes
/// dy `[N, C, H2, W2]` → dx `input_shape`.
///
/// # Errors
/// [`CoreError`] when the shapes disagree.
pub fn sum_pool2d_x_backward(
    params: Pool2dParams,
    dy: ArrayView4<'_, f32>,
    input_shape: [usize; 4],
) -> Result<Array4<f32>, CoreError> {
    let mut dx = Array4::zeros(input_shape);
    window_backward_into(PoolKind::Sum, params, dy, dx.view_mut())?;
    Ok(dx)
}

/// Average and sum pooling's input gradient into `dx` (overwritten).
fn window_backward_into(
    kind: PoolKind,
    params: Pool2dParams,
    dy: ArrayView4<'_, f32>,
    mut dx: ArrayViewMut4<'_, f32>,
) -> Result<(), CoreError> {
    let g = backward_geometry("pool2d_x_backward", params, &dy, &dx)?;
    let [rows, cols] = g.window_axes();
    let [kh, kw] = params.kernel;
    let scale = if kind == PoolKind::Average {
        1.0 / divisor(&g)
    } else {
        1.0
    };
    dx.fill(0.0);
    for (mut dx_n, dy_n) in dx.outer_iter_mut().zip(dy.outer_iter()) {
        for (mut plane, dy_c) in dx_n.outer_iter_mut().zip(dy_n.outer_iter()) {
            for ((oy, ox), &d) in dy_c.indexed_iter() {
                let d = d * scale;
                for ky in 0..kh {
                    let Some(y) = rows.inside(oy, ky) else {
                        continue;
                    };
                    for kx in 0..kw {
                        if let Some(x) = cols.inside(ox, kx) {
                            plane[[y, x]] += d;
                        }
                    }
                }
            }
        }
    }
    Ok(())
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

    /// 2 × 2 pooling of contiguous planes (`pool_2x2`) equals the indexed loop, values and
    /// argmax: every output width from 1 to 9, odd input sizes, ties and NaNs.
    #[test]
    fn two_by_two_pooling_equals_the_indexed_loop() {
        let mut s = 0x2545_f491u32;
        let p = Pool2dParams::new(2);
        for ow in 1..=9 {
            let (h, w) = (5, 2 * ow + ow % 2);
            let x = Array4::from_shape_fn([2, 3, h, w], |_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                if s.is_multiple_of(11) {
                    f32::NAN
                } else {
                    (s % 5) as f32
                }
            });
            // The same values with the batch and channel axes swapped in memory: not
            // contiguous, so the indexed loop runs.
            let mut swapped = Array4::zeros([3, 2, h, w]);
            swapped.assign(&x.view().permuted_axes([1, 0, 2, 3]));
            let strided = swapped.view().permuted_axes([1, 0, 2, 3]);
            assert!(strided.as_slice().is_none());
            for kind in [PoolKind::Max, PoolKind::Average, PoolKind::Sum] {
                let mut got = Array4::from_elem([2, 3, 2, ow], f32::NAN);
                let mut want = got.clone();
                let mut got_arg = Array4::from_elem([2, 3, 2, ow], usize::MAX);
                let mut want_arg = got_arg.clone();
                let with_arg = kind == PoolKind::Max;
                pool2d_into(
                    x.view(),
                    kind,
                    p,
                    got.view_mut(),
                    with_arg.then(|| got_arg.view_mut()),
                )
                .unwrap();
                pool2d_into(
                    strided,
                    kind,
                    p,
                    want.view_mut(),
                    with_arg.then(|| want_arg.view_mut()),
                )
                .unwrap();
                let bits = |a: &Array4<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "{kind:?} width {ow}");
                assert_eq!(got_arg, want_arg, "{kind:?} width {ow}");
            }
        }
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
    fn backward_spreads_the_gradient_by_kind() {
        // One 2×2 window over a 2×2 input, dy = 4.
        let p = Pool2dParams::new(2);
        let dy = Array4::from_elem([1, 1, 1, 1], 4.0f32);
        let sum = sum_pool2d_x_backward(p, dy.view(), [1, 1, 2, 2]).unwrap();
        assert_eq!(sum.into_raw_vec_and_offset().0, vec![4.0; 4]);
        let avg = avg_pool2d_x_backward(p, dy.view(), [1, 1, 2, 2]).unwrap();
        assert_eq!(avg.into_raw_vec_and_offset().0, vec![1.0; 4]);
        let argmax = Array4::from_elem([1, 1, 1, 1], 2usize);
        let max = max_pool2d_x_backward(p, dy.view(), argmax.view(), [1, 1, 2, 2]).unwrap();
        assert_eq!(max.into_raw_vec_and_offset().0, vec![0.0, 0.0, 4.0, 0.0]);
        // The any-kind form overwrites its buffer and agrees.
        let mut dx = Array4::from_elem([1, 1, 2, 2], 9.0f32);
        pool2d_x_backward_into(
            PoolKind::Max,
            p,
            dy.view(),
            Some(argmax.view()),
            dx.view_mut(),
        )
        .unwrap();
        assert_eq!(dx.into_raw_vec_and_offset().0, vec![0.0, 0.0, 4.0, 0.0]);
    }

    /// Max pooling's input gradient: the flat pass over contiguous buffers and the indexed
    /// pass over any other layout (here `dx` with its batch and channel axes swapped)
    /// spread the same gradients, each to its window's winner.
    #[test]
    fn max_backward_agrees_across_layouts() {
        let p = Pool2dParams::new(2);
        let x = Array4::from_shape_fn([2, 3, 6, 4], |(n, c, y, x)| {
            ((n * 7 + c * 5 + y * 3 + x * 11) % 13) as f32
        });
        let (_, argmax) = max_pool2d_with_indices(x.view(), p).unwrap();
        let dy = Array4::from_shape_fn([2, 3, 3, 2], |(n, c, y, x)| {
            (1 + n * 18 + c * 6 + y * 2 + x) as f32
        });
        let mut flat = Array4::from_elem([2, 3, 6, 4], 9.0f32);
        max_pool2d_x_backward_into(p, dy.view(), argmax.view(), flat.view_mut()).unwrap();
        let mut swapped = Array4::from_elem([3, 2, 6, 4], 9.0f32);
        let mut strided = swapped.view_mut().permuted_axes([1, 0, 2, 3]);
        assert!(strided.as_slice_mut().is_none());
        max_pool2d_x_backward_into(p, dy.view(), argmax.view(), strided).unwrap();
        assert_eq!(swapped.permuted_axes([1, 0, 2, 3]), flat);
        // Each window's gradient sits on its largest cell, nothing anywhere else.
        for ((n, c, oy, ox), &d) in dy.indexed_iter() {
            let i = argmax[[n, c, oy, ox]];
            let (y, x) = (i / 4, i % 4);
            assert_eq!((y / 2, x / 2), (oy, ox));
            assert_eq!(flat[[n, c, y, x]], d);
        }
        assert_eq!(flat.iter().filter(|&&v| v != 0.0).count(), dy.len());
    }

    #[test]
    fn backward_errors_name_the_tensor() {
        let p = Pool2dParams::new(2);
        let mut dx = Array4::<f32>::zeros([1, 1, 4, 4]);
        // A 4×4 input pools to 2×2: a 3×2 dy does not fit.
        let dy = Array4::<f32>::zeros([1, 1, 3, 2]);
        let e =
            pool2d_x_backward_into(PoolKind::Sum, p, dy.view(), None, dx.view_mut()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "pool2d_x_backward: the height of dy has 3 entries but 2 are expected"
        );
        let dy = Array4::<f32>::zeros([1, 1, 2, 2]);
        let e =
            pool2d_x_backward_into(PoolKind::Max, p, dy.view(), None, dx.view_mut()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "max_pool2d_x_backward: the argmax has 0 entries but 4 are expected"
        );
        let short = Array4::<usize>::zeros([1, 1, 2, 1]);
        let e = max_pool2d_x_backward_into(p, dy.view(), short.view(), dx.view_mut()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "max_pool2d_x_backward: the width of the argmax has 1 entries but 2 are expected"
        );
        let outside = Array4::from_elem([1, 1, 2, 2], 16usize);
        let e =
            max_pool2d_x_backward_into(p, dy.view(), outside.view(), dx.view_mut()).unwrap_err();
        assert!(e.to_string().contains("argmax index 16"), "{e}");
        // A window larger than dx.
        let e = avg_pool2d_x_backward(Pool2dParams::new(5), dy.view(), [1, 1, 4, 4]);
        assert!(matches!(e, Err(CoreError::Shape(_))), "{e:?}");
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
