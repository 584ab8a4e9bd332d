//! Transposed convolution (PyTorch's `ConvTranspose2d`): every input cell scatters
//! `input × kernel` into the output, cells `S` apart, then `P` cells are cropped from each
//! side and `output_padding` cells added at the bottom/right.
//!
//! The reference loop gathers instead (for each output cell, the input cells whose scatter
//! reaches it), so each output is one sum in a fixed order: input channel, kernel row,
//! kernel column. The fast path is GEMM + col2im.

use ndarray::{Array4, ArrayView1, ArrayView2, ArrayView4, ArrayViewMut4, Axis, Slice};

use super::ConvScratch;
use crate::error::CoreError;
use crate::shape::{ConvTranspose2dGeometry, ConvTranspose2dParams};
use crate::tensor::{check_bias, check_out, dims4, layout, standard};

const OP: &str = "conv_transpose2d";

fn geometry(
    input: &ArrayView4<'_, f32>,
    weight: &ArrayView4<'_, f32>,
    bias: Option<&ArrayView1<'_, f32>>,
    params: ConvTranspose2dParams,
) -> Result<ConvTranspose2dGeometry, CoreError> {
    let g = ConvTranspose2dGeometry::from_shapes(dims4(input), dims4(weight), params)?;
    check_bias(OP, bias, g.out_channels())?;
    Ok(g)
}

/// The input index `i` with `i·S + k·D − P = o`, if any (also the transposed trace's
/// gather rule, so its sums skip exactly the taps this loop skips).
pub(crate) fn source(
    o: usize,
    k: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
    size: usize,
) -> Option<usize> {
    let t = o
        .checked_add(padding)?
        .checked_sub(k.checked_mul(dilation)?)?;
    (t % stride == 0)
        .then_some(t / stride)
        .filter(|&i| i < size)
}

/// Every output cell is the sum over input channels, kernel rows and kernel columns — in
/// that order, the trace's — of input × weight where the tap lands on an input cell, then
/// `+ bias`: bitwise what the trace's steps add up.
///
/// Computed a row of output cells at a time with the taps outside (as the forward
/// reference loop is): a tap's output columns that land on input cells are every S-th from
/// the first, reading consecutive input cells, so each tap is one run of independent
/// additions; each cell still sees its taps in the canonical order. Never inlined (its
/// callers may be compiled for size, and it would not be vectorized there).
#[inline(never)]
pub(crate) fn reference_loop(
    g: &ConvTranspose2dGeometry,
    input: &ArrayView4<'_, f32>,
    weight: &ArrayView4<'_, f32>,
    bias: Option<&ArrayView1<'_, f32>>,
    out: &mut ArrayViewMut4<'_, f32>,
) {
    let p = g.params();
    let [batch, c_out, oh, ow] = g.output_shape();
    let [h, w] = g.input_size();
    let [kh, kw] = g.kernel();
    let cig = g.in_channels() / p.groups;
    let cog = c_out / p.groups;
    let stride = p.stride[1];
    // Per kernel column: the first output column landing on an input cell, that cell, and
    // how many output columns (every S-th) land on one.
    let spans: Vec<(usize, usize, usize)> = (0..kw)
        .map(|kx| {
            let mut hits = (0..ow).filter_map(|ox| {
                source(ox, kx, stride, p.padding[1], p.dilation[1], w).map(|ix| (ox, ix))
            });
            match hits.next() {
                Some((ox, ix)) => (ox, ix, 1 + hits.count()),
                None => (0, 0, 0),
            }
        })
        .collect();
    let mut acc = vec![0.0f32; ow];
    let mut line = vec![0.0f32; w];
    for n in 0..batch {
        for co in 0..c_out {
            let group = co / cog;
            for oy in 0..oh {
                acc.fill(0.0);
                for ci in group * cig..(group + 1) * cig {
                    for ky in 0..kh {
                        let Some(iy) = source(oy, ky, p.stride[0], p.padding[0], p.dilation[0], h)
                        else {
                            continue;
                        };
                        for (ix, d) in line.iter_mut().enumerate() {
                            *d = input[[n, ci, iy, ix]];
                        }
                        for (kx, &(ox, ix, count)) in spans.iter().enumerate() {
                            let wv = weight[[ci, co % cog, ky, kx]];
                            let xs = &line[ix..ix + count];
                            if stride == 1 {
                                for (a, x) in acc[ox..ox + count].iter_mut().zip(xs) {
                                    *a += *x * wv;
                                }
                            } else {
                                for (a, x) in acc[ox..].iter_mut().step_by(stride).zip(xs) {
                                    *a += *x * wv;
                                }
                            }
                        }
                    }
                }
                for (ox, a) in acc.iter().enumerate() {
                    out[[n, co, oy, ox]] = match bias {
                        Some(b) => *a + b[co],
                        None => *a,
                    };
                }
            }
        }
    }
}

fn gemm_col2im(
    g: &ConvTranspose2dGeometry,
    input: &ArrayView4<'_, f32>,
    weight: &ArrayView4<'_, f32>,
    bias: Option<&ArrayView1<'_, f32>>,
    out: &mut ArrayViewMut4<'_, f32>,
    scratch: &mut ConvScratch,
) -> Result<(), CoreError> {
    let p = g.params();
    let [batch, c_out, oh, ow] = g.output_shape();
    let [h, w] = g.input_size();
    let [kh, kw] = g.kernel();
    let groups = p.groups;
    let cig = g.in_channels() / groups;
    let cog = c_out / groups;
    let [rows, hw] = g.cols_shape();
    let input = standard(input);
    let weight = standard(weight);
    // weight [C_in, C_out/groups·F_h·F_w]; group g uses rows g·cig.. → transposed as [rows, cig].
    let wmat = ArrayView2::from_shape((g.in_channels(), rows), weight.as_slice().unwrap_or(&[]))
        .map_err(|e| layout(OP, &e))?;
    scratch.cols.resize(rows * hw, 0.0);
    out.fill(0.0);
    for n in 0..batch {
        let mut out_n = out.index_axis_mut(Axis(0), n);
        for group in 0..groups {
            let x_g = input
                .view()
                .index_axis_move(Axis(0), n)
                .slice_axis_move(Axis(0), Slice::from(group * cig..(group + 1) * cig));
            let x_g = x_g
                .into_shape_with_order((cig, hw))
                .map_err(|e| layout(OP, &e))?;
            let w_g = wmat.slice_axis(Axis(0), Slice::from(group * cig..(group + 1) * cig));
            {
                let mut cols =
                    ndarray::ArrayViewMut2::from_shape((rows, hw), &mut scratch.cols[..])
                        .map_err(|e| layout(OP, &e))?;
                super::mat_mul(&w_g.t(), &x_g, super::Accum::Replace, &mut cols);
            }
            // col2im: row (co, ky, kx), column (iy, ix) lands on
            // (iy·S + ky·D − P, ix·S + kx·D − P) when inside the output.
            let mut rows_iter = scratch.cols.chunks_exact(hw.max(1));
            for co in group * cog..(group + 1) * cog {
                let mut plane = out_n.index_axis_mut(Axis(0), co);
                for ky in 0..kh {
                    for kx in 0..kw {
                        let Some(row) = rows_iter.next() else {
                            return Err(layout(OP, &"col2im row count"));
                        };
                        for iy in 0..h {
                            let Some(oy) = (iy * p.stride[0] + ky * p.dilation[0])
                                .checked_sub(p.padding[0])
                                .filter(|&y| y < oh)
                            else {
                                continue;
                            };
                            for ix in 0..w {
                                if let Some(ox) = (ix * p.stride[1] + kx * p.dilation[1])
                                    .checked_sub(p.padding[1])
                                    .filter(|&x| x < ow)
                                {
                                    plane[[oy, ox]] += row[iy * w + ix];
                                }
                            }
                        }
                    }
                }
            }
        }
        if let Some(b) = bias {
            for (mut plane, &bk) in out_n.outer_iter_mut().zip(b.iter()) {
                plane.mapv_inplace(|v| v + bk);
            }
        }
    }
    Ok(())
}

/// Transposed 2-D convolution, fast path (GEMM + col2im), PyTorch semantics.
///
/// # Shapes
/// - input: `[batch, in_channels, height, width]`
/// - weight: `[in_channels, out_channels / groups, kernel_h, kernel_w]`
/// - bias: `[out_channels]`
/// - output: `[batch, out_channels, out_h, out_w]`, out = (in − 1)·S − 2P + D·(F − 1) +
///   output_padding + 1 ([`crate::shape::conv_transpose_output_size`])
///
/// # Errors
/// [`CoreError`] when shapes or hyper-parameters are inconsistent.
pub fn conv_transpose2d(
    input: ArrayView4<'_, f32>,
    weight: ArrayView4<'_, f32>,
    bias: Option<ArrayView1<'_, f32>>,
    params: ConvTranspose2dParams,
) -> Result<Array4<f32>, CoreError> {
    let g = geometry(&input, &weight, bias.as_ref(), params)?;
    let mut out = Array4::zeros(g.output_shape());
    gemm_col2im(
        &g,
        &input,
        &weight,
        bias.as_ref(),
        &mut out.view_mut(),
        &mut ConvScratch::default(),
    )?;
    Ok(out)
}

/// [`conv_transpose2d`] into a caller-owned `out`, reusing `scratch`.
///
/// # Errors
/// As [`conv_transpose2d`], plus [`CoreError::OutputShape`].
pub fn conv_transpose2d_into(
    input: ArrayView4<'_, f32>,
    weight: ArrayView4<'_, f32>,
    bias: Option<ArrayView1<'_, f32>>,
    params: ConvTranspose2dParams,
    mut out: ArrayViewMut4<'_, f32>,
    scratch: &mut ConvScratch,
) -> Result<ConvTranspose2dGeometry, CoreError> {
    let g = geometry(&input, &weight, bias.as_ref(), params)?;
    check_out(OP, &out, g.output_shape())?;
    gemm_col2im(&g, &input, &weight, bias.as_ref(), &mut out, scratch)?;
    Ok(g)
}

/// Transposed 2-D convolution, reference (gather) loop.
///
/// # Shapes
/// As [`conv_transpose2d`].
///
/// # Errors
/// As [`conv_transpose2d`].
pub fn conv_transpose2d_reference(
    input: ArrayView4<'_, f32>,
    weight: ArrayView4<'_, f32>,
    bias: Option<ArrayView1<'_, f32>>,
    params: ConvTranspose2dParams,
) -> Result<Array4<f32>, CoreError> {
    let g = geometry(&input, &weight, bias.as_ref(), params)?;
    let mut out = Array4::zeros(g.output_shape());
    reference_loop(&g, &input, &weight, bias.as_ref(), &mut out.view_mut());
    Ok(out)
}

/// [`conv_transpose2d_reference`] into a caller-owned `out`.
///
/// # Errors
/// As [`conv_transpose2d_into`].
pub fn conv_transpose2d_reference_into(
    input: ArrayView4<'_, f32>,
    weight: ArrayView4<'_, f32>,
    bias: Option<ArrayView1<'_, f32>>,
    params: ConvTranspose2dParams,
    mut out: ArrayViewMut4<'_, f32>,
) -> Result<ConvTranspose2dGeometry, CoreError> {
    let g = geometry(&input, &weight, bias.as_ref(), params)?;
    check_out(OP, &out, g.output_shape())?;
    reference_loop(&g, &input, &weight, bias.as_ref(), &mut out);
    Ok(g)
}
