//! The three backward passes of 2-D convolution.
//!
//! The forward pass is the core's fast path ([`crate::conv2d_into`], im2col + GEMM). The
//! backward passes use the same im2col idea per sample and group, with `ndarray`'s GEMM
//! (matrixmultiply), each also in an `_into` form writing into a caller-owned buffer:
//! - [`conv2d_weight_backward`]: `dW_g += dY_g · colsᵀ`, cols = im2col(x) `[C/g·F_h·F_w, H2·W2]`.
//! - [`conv2d_x_backward`]: `dcols = W_gᵀ · dY_g`, then col2im scatters every column back
//!   onto the input cells it came from (summing overlaps; padding cells are dropped).
//! - [`conv2d_bias_backward`]: `db_k = Σ_{n, y, x} dY[n, k, y, x]`.

use ndarray::linalg::general_mat_mul;
use ndarray::{
    Array1, Array4, ArrayView2, ArrayView4, ArrayViewMut1, ArrayViewMut2, ArrayViewMut4,
};

use super::error::{NnError, check_shape};
use crate::conv::ConvScratch;
use crate::conv::im2col::im2col;
use crate::shape::{Conv2dGeometry, Conv2dParams};
use crate::tensor::dims4;

/// The inverse scatter of im2col ([`crate::conv::im2col::im2col`]): adds every column entry onto the input cell it was
/// read from (padding entries are dropped). `planes` must be zeroed by the caller.
fn col2im_add(g: &Conv2dGeometry, cols: &[f32], planes: &mut [f32]) {
    let [kh, kw] = g.kernel();
    let [rows_axis, cols_axis] = g.window_axes();
    let (h, w) = (rows_axis.size, cols_axis.size);
    let [oh, ow] = g.output_size();
    let area = h * w;
    let mut rows = cols.chunks_exact((oh * ow).max(1));
    for c in 0..g.in_channels_per_group() {
        let plane = &mut planes[c * area..(c + 1) * area];
        for ky in 0..kh {
            for kx in 0..kw {
                let Some(row) = rows.next() else { return };
                let valid = cols_axis.valid_outputs(kx, ow);
                for (oy, src) in row.chunks_exact(ow.max(1)).enumerate() {
                    if let Some(y) = rows_axis.inside(oy, ky) {
                        let dst = &mut plane[y * w..(y + 1) * w];
                        for ox in valid.clone() {
                            dst[cols_axis.padded(ox, kx) - cols_axis.padding] += src[ox];
                        }
                    }
                }
            }
        }
    }
}

fn slice_of<'a>(
    op: &'static str,
    what: &'static str,
    a: &'a ArrayView4<'_, f32>,
) -> Result<&'a [f32], NnError> {
    a.as_slice().ok_or(NnError::NotContiguous { op, what })
}

/// Gradient with respect to the input.
///
/// # Shapes
/// - dy: `[N, C_out, H2, W2]`, weight: `[C_out, C_in/g, F_h, F_w]`
/// - input_shape: `[N, C_in, H, W]` (needed: with a stride, several `H` give the same `H2`)
/// - returns dx: `[N, C_in, H, W]`
///
/// # Errors
/// [`NnError`] when the shapes disagree.
pub fn conv2d_x_backward(
    dy: ArrayView4<'_, f32>,
    weight: ArrayView4<'_, f32>,
    params: Conv2dParams,
    input_shape: [usize; 4],
) -> Result<Array4<f32>, NnError> {
    let mut dx = Array4::zeros(input_shape);
    conv2d_x_backward_into(
        dy,
        weight,
        params,
        dx.view_mut(),
        &mut ConvScratch::default(),
    )?;
    Ok(dx)
}

/// [`conv2d_x_backward`] into a caller-owned, contiguous `dx` (overwritten), reusing `scratch`.
///
/// # Errors
/// [`NnError`] when the shapes disagree or `dx` is not contiguous.
pub fn conv2d_x_backward_into(
    dy: ArrayView4<'_, f32>,
    weight: ArrayView4<'_, f32>,
    params: Conv2dParams,
    mut dx: ArrayViewMut4<'_, f32>,
    scratch: &mut ConvScratch,
) -> Result<(), NnError> {
    const OP: &str = "conv2d_x_backward";
    let g = Conv2dGeometry::from_shapes(dims4(&dx.view()), dims4(&weight), params)
        .map_err(crate::CoreError::from)?;
    check_shape(OP, "dy", dy.shape(), &g.output_shape())?;
    let dy = dy.as_standard_layout();
    let dy = dy.view();
    let weight = weight.as_standard_layout();
    let weight = weight.view();
    let [rows, ohw] = g.cols_shape();
    let wmat = ArrayView2::from_shape(
        (g.out_channels(), rows),
        slice_of(OP, "the weight", &weight)?,
    )
    .map_err(|e| crate::tensor::layout(OP, &e))?;
    let dy_s = slice_of(OP, "dy", &dy)?;
    let dx_s = dx
        .as_slice_mut()
        .ok_or(NnError::NotContiguous { op: OP, what: "dx" })?;
    dx_s.fill(0.0);
    let [batch, c_in, h, w] = g.input_shape();
    let (kg, cg, k) = (
        g.out_channels_per_group(),
        g.in_channels_per_group(),
        g.out_channels(),
    );
    if ohw == 0 || batch == 0 {
        return Ok(());
    }
    scratch.cols.resize(rows * ohw, 0.0);
    for n in 0..batch {
        for group in 0..g.params().groups {
            let w_g = wmat.slice_axis(
                ndarray::Axis(0),
                ndarray::Slice::from(group * kg..(group + 1) * kg),
            );
            let d0 = (n * k + group * kg) * ohw;
            let dy_g = ArrayView2::from_shape((kg, ohw), &dy_s[d0..d0 + kg * ohw])
                .map_err(|e| crate::tensor::layout(OP, &e))?;
            let mut dcols = ArrayViewMut2::from_shape((rows, ohw), &mut scratch.cols[..])
                .map_err(|e| crate::tensor::layout(OP, &e))?;
            general_mat_mul(1.0, &w_g.t(), &dy_g, 0.0, &mut dcols);
            let x0 = (n * c_in + group * cg) * h * w;
            col2im_add(&g, &scratch.cols, &mut dx_s[x0..x0 + cg * h * w]);
        }
    }
    Ok(())
}

/// Gradient with respect to the weight (summed over the batch).
///
/// # Shapes
/// x `[N, C_in, H, W]`, dy `[N, C_out, H2, W2]` → dW `weight_shape` = `[C_out, C_in/g, F_h, F_w]`.
///
/// # Errors
/// [`NnError`] when the shapes disagree.
pub fn conv2d_weight_backward(
    x: ArrayView4<'_, f32>,
    dy: ArrayView4<'_, f32>,
    params: Conv2dParams,
    weight_shape: [usize; 4],
) -> Result<Array4<f32>, NnError> {
    let mut dw = Array4::zeros(weight_shape);
    conv2d_weight_backward_into(x, dy, params, dw.view_mut(), &mut ConvScratch::default())?;
    Ok(dw)
}

/// [`conv2d_weight_backward`] into a caller-owned, contiguous `dw` (overwritten).
///
/// # Errors
/// [`NnError`] when the shapes disagree or `dw` is not contiguous.
pub fn conv2d_weight_backward_into(
    x: ArrayView4<'_, f32>,
    dy: ArrayView4<'_, f32>,
    params: Conv2dParams,
    mut dw: ArrayViewMut4<'_, f32>,
    scratch: &mut ConvScratch,
) -> Result<(), NnError> {
    const OP: &str = "conv2d_weight_backward";
    let g = Conv2dGeometry::from_shapes(dims4(&x), dims4(&dw.view()), params)
        .map_err(crate::CoreError::from)?;
    check_shape(OP, "dy", dy.shape(), &g.output_shape())?;
    let x = x.as_standard_layout();
    let x = x.view();
    let dy = dy.as_standard_layout();
    let dy = dy.view();
    let [rows, ohw] = g.cols_shape();
    let x_s = slice_of(OP, "x", &x)?;
    let dy_s = slice_of(OP, "dy", &dy)?;
    let dw_s = dw
        .as_slice_mut()
        .ok_or(NnError::NotContiguous { op: OP, what: "dW" })?;
    dw_s.fill(0.0);
    let [batch, c_in, h, w] = g.input_shape();
    let (kg, cg, k) = (
        g.out_channels_per_group(),
        g.in_channels_per_group(),
        g.out_channels(),
    );
    if ohw == 0 || batch == 0 {
        return Ok(());
    }
    let mut dwmat =
        ArrayViewMut2::from_shape((k, rows), dw_s).map_err(|e| crate::tensor::layout(OP, &e))?;
    scratch.cols.resize(rows * ohw, 0.0);
    for n in 0..batch {
        for group in 0..g.params().groups {
            let x0 = (n * c_in + group * cg) * h * w;
            im2col(&g, &x_s[x0..x0 + cg * h * w], &mut scratch.cols);
            let cols = ArrayView2::from_shape((rows, ohw), &scratch.cols[..])
                .map_err(|e| crate::tensor::layout(OP, &e))?;
            let d0 = (n * k + group * kg) * ohw;
            let dy_g = ArrayView2::from_shape((kg, ohw), &dy_s[d0..d0 + kg * ohw])
                .map_err(|e| crate::tensor::layout(OP, &e))?;
            let mut dw_g = dwmat.slice_axis_mut(
                ndarray::Axis(0),
                ndarray::Slice::from(group * kg..(group + 1) * kg),
            );
            // Accumulate over the batch: β = 1.
            general_mat_mul(1.0, &dy_g, &cols.t(), 1.0, &mut dw_g);
        }
    }
    Ok(())
}

/// Gradient with respect to the bias: `db_k = Σ_{n, y, x} dy[n, k, y, x]`.
///
/// # Shapes
/// dy `[N, C_out, H2, W2]` → db `[C_out]`.
pub fn conv2d_bias_backward(dy: ArrayView4<'_, f32>) -> Array1<f32> {
    let mut db = Array1::zeros(dy.dim().1);
    for sample in dy.outer_iter() {
        for (d, plane) in db.iter_mut().zip(sample.outer_iter()) {
            *d += plane.sum();
        }
    }
    db
}

/// [`conv2d_bias_backward`] into a caller-owned `db` (overwritten).
///
/// # Errors
/// [`NnError::Shape`] when `db` does not have `C_out` entries.
pub fn conv2d_bias_backward_into(
    dy: ArrayView4<'_, f32>,
    mut db: ArrayViewMut1<'_, f32>,
) -> Result<(), NnError> {
    check_shape("conv2d_bias_backward", "db", db.shape(), &[dy.dim().1])?;
    db.fill(0.0);
    for sample in dy.outer_iter() {
        for (d, plane) in db.iter_mut().zip(sample.outer_iter()) {
            *d += plane.sum();
        }
    }
    Ok(())
}
