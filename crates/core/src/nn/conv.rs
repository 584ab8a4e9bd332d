//! The three backward passes of 2-D convolution.
//!
//! The forward pass is the core's fast path ([`crate::conv2d_into`], im2col + GEMM). The
//! backward passes use the same im2col idea per sample and group — natively with
//! faer's product (`crate::conv::mat_mul`), on wasm with the packed simd128 kernels of
//! `crate::conv::im2col` (both paths tested equal on both targets) — each also in an
//! `_into` form writing into a caller-owned buffer:
//! - [`conv2d_weight_backward`]: `dW_g += dY_g · colsᵀ`, cols = im2col(x) `[C/g·F_h·F_w, H2·W2]`.
//! - [`conv2d_x_backward`]: `dcols = W_gᵀ · dY_g`, then col2im scatters every column back
//!   onto the input cells it came from (summing overlaps; padding cells are dropped).
//! - [`conv2d_bias_backward`]: `db_k = Σ_{n, y, x} dY[n, k, y, x]`.

use ndarray::{
    Array1, Array4, ArrayView2, ArrayView4, ArrayViewMut1, ArrayViewMut2, ArrayViewMut4,
};

use super::error::{NnError, check_shape};
use crate::conv::im2col::{self, col2im_add, im2col};
use crate::conv::shifted::Shifted;
use crate::conv::{Accum, ConvScratch, mat_mul};
use crate::shape::{Conv2dGeometry, Conv2dParams};
use crate::tensor::dims4;

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
    let w_s = slice_of(OP, "the weight", &weight)?;
    let dy_s = slice_of(OP, "dy", &dy)?;
    let dx_s = dx
        .as_slice_mut()
        .ok_or(NnError::NotContiguous { op: OP, what: "dx" })?;
    if cfg!(target_arch = "wasm32") {
        im2col::input_grad_packed(&g, w_s, dy_s, dx_s, scratch);
    } else {
        x_grad_native(&g, w_s, dy_s, dx_s, scratch)?;
    }
    Ok(())
}

/// The native path of [`conv2d_x_backward_into`] (as the forward, faer's runtime-dispatched
/// product is the fastest there): per sample and group `dcols = W_gᵀ · dY_g` with
/// [`mat_mul`], then col2im. Slices are contiguous and of
/// the geometry's sizes (checked by the caller).
fn x_grad_native(
    g: &Conv2dGeometry,
    w_s: &[f32],
    dy_s: &[f32],
    dx_s: &mut [f32],
    scratch: &mut ConvScratch,
) -> Result<(), NnError> {
    const OP: &str = "conv2d_x_backward";
    let layout = |e: ndarray::ShapeError| NnError::from(crate::tensor::layout(OP, &e));
    dx_s.fill(0.0);
    let [rows, ohw] = g.cols_shape();
    let [batch, c_in, h, w] = g.input_shape();
    let (kg, cg, k) = (
        g.out_channels_per_group(),
        g.in_channels_per_group(),
        g.out_channels(),
    );
    if ohw == 0 || batch == 0 {
        return Ok(());
    }
    let wmat = ArrayView2::from_shape((k, rows), w_s).map_err(layout)?;
    if let Some(shifted) = Shifted::of(g) {
        return Ok(shifted.input_grad(g, &wmat, dy_s, dx_s, scratch)?);
    }
    scratch.cols.resize(rows * ohw, 0.0);
    for n in 0..batch {
        for group in 0..g.params().groups {
            let w_g = wmat.slice_axis(
                ndarray::Axis(0),
                ndarray::Slice::from(group * kg..(group + 1) * kg),
            );
            let d0 = (n * k + group * kg) * ohw;
            let dy_g =
                ArrayView2::from_shape((kg, ohw), &dy_s[d0..d0 + kg * ohw]).map_err(layout)?;
            let mut dcols =
                ArrayViewMut2::from_shape((rows, ohw), &mut scratch.cols[..]).map_err(layout)?;
            mat_mul(&w_g.t(), &dy_g, Accum::Replace, &mut dcols);
            let x0 = (n * c_in + group * cg) * h * w;
            col2im_add(g, &scratch.cols, &mut dx_s[x0..x0 + cg * h * w]);
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
    let x_s = slice_of(OP, "x", &x)?;
    let dy_s = slice_of(OP, "dy", &dy)?;
    let dw_s = dw
        .as_slice_mut()
        .ok_or(NnError::NotContiguous { op: OP, what: "dW" })?;
    if cfg!(target_arch = "wasm32") {
        im2col::weight_grad_packed(&g, x_s, dy_s, dw_s, scratch);
        Ok(())
    } else {
        weight_grad_native(&g, x_s, dy_s, dw_s, scratch)
    }
}

/// The native path of [`conv2d_weight_backward_into`]: per sample and group
/// `dW_g += dY_g · colsᵀ` with [`mat_mul`] (added: the sum over the batch).
fn weight_grad_native(
    g: &Conv2dGeometry,
    x_s: &[f32],
    dy_s: &[f32],
    dw_s: &mut [f32],
    scratch: &mut ConvScratch,
) -> Result<(), NnError> {
    const OP: &str = "conv2d_weight_backward";
    let layout = |e: ndarray::ShapeError| NnError::from(crate::tensor::layout(OP, &e));
    dw_s.fill(0.0);
    let [rows, ohw] = g.cols_shape();
    let [batch, c_in, h, w] = g.input_shape();
    let (kg, cg, k) = (
        g.out_channels_per_group(),
        g.in_channels_per_group(),
        g.out_channels(),
    );
    if ohw == 0 || batch == 0 {
        return Ok(());
    }
    let mut dwmat = ArrayViewMut2::from_shape((k, rows), dw_s).map_err(layout)?;
    if let Some(shifted) = Shifted::of(g) {
        return Ok(shifted.weight_grad(g, x_s, dy_s, &mut dwmat, scratch)?);
    }
    scratch.cols.resize(rows * ohw, 0.0);
    for n in 0..batch {
        for group in 0..g.params().groups {
            let x0 = (n * c_in + group * cg) * h * w;
            im2col(g, &x_s[x0..x0 + cg * h * w], &mut scratch.cols);
            let cols = ArrayView2::from_shape((rows, ohw), &scratch.cols[..]).map_err(layout)?;
            let d0 = (n * k + group * kg) * ohw;
            let dy_g =
                ArrayView2::from_shape((kg, ohw), &dy_s[d0..d0 + kg * ohw]).map_err(layout)?;
            let mut dw_g = dwmat.slice_axis_mut(
                ndarray::Axis(0),
                ndarray::Slice::from(group * kg..(group + 1) * kg),
            );
            mat_mul(&dy_g, &cols.t(), Accum::Add, &mut dw_g);
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::conv::testing::{random_geometry, stride_one_widths, xorshift};

    /// Stride 1 with every output width from 1 to 10 and maps that end in a partial quad
    /// of positions: the packed weight gradient equals the native one exactly.
    #[test]
    fn packed_weight_gradient_equals_the_native_one_for_every_output_width() {
        let mut next = xorshift(0x5eed_f00d);
        let mut scratch = ConvScratch::default();
        for g in stride_one_widths() {
            let mut ints = |n: usize| (0..n).map(|_| next(7) as f32 - 3.0).collect::<Vec<_>>();
            let x = ints(g.input_shape().iter().product());
            let dy = ints(g.output_shape().iter().product());
            let n = g.weight_shape().iter().product();
            let (mut want, mut got) = (vec![0.0; n], vec![f32::NAN; n]);
            weight_grad_native(&g, &x, &dy, &mut want, &mut scratch).unwrap();
            im2col::weight_grad_packed(&g, &x, &dy, &mut got, &mut scratch);
            assert_eq!(got, want, "{g:?}");
        }
    }

    /// The packed backward passes (wasm's) equal the native ones exactly on
    /// small integers (every partial sum exact), over strides, paddings, dilations, groups
    /// and sizes that leave partial tiles and panels; on both targets.
    #[test]
    fn packed_backward_passes_equal_the_native_ones() {
        let mut next = xorshift(0x9e37_79b9);
        let mut scratch = ConvScratch::default();
        let mut checked = 0;
        for case in 0..300 {
            let Some(g) = random_geometry(&mut next, 3) else {
                continue;
            };
            let input = g.input_shape();
            let mut ints = |n: usize| (0..n).map(|_| next(7) as f32 - 3.0).collect::<Vec<_>>();
            let x = ints(input.iter().product());
            let w = ints(g.weight_shape().iter().product());
            let dy = ints(g.output_shape().iter().product());
            let (mut want, mut got) = (vec![0.0; w.len()], vec![f32::NAN; w.len()]);
            weight_grad_native(&g, &x, &dy, &mut want, &mut scratch).unwrap();
            im2col::weight_grad_packed(&g, &x, &dy, &mut got, &mut scratch);
            assert_eq!(got, want, "dW, case {case} {g:?}");
            let (mut want, mut got) = (vec![0.0; x.len()], vec![f32::NAN; x.len()]);
            x_grad_native(&g, &w, &dy, &mut want, &mut scratch).unwrap();
            im2col::input_grad_packed(&g, &w, &dy, &mut got, &mut scratch);
            assert_eq!(got, want, "dx, case {case} {g:?}");
            checked += 1;
        }
        assert!(checked > 100, "only {checked} valid geometries");
    }
}
