//! Fully connected layer: `y = x · Wᵀ + b` (PyTorch's `nn.Linear`, weight `[out, in]`).
//!
//! The forward pass is [`linear_forward_into`]; the backward passes are plain functions, one
//! per gradient: [`linear_x_backward`], [`linear_weight_backward`], [`linear_bias_backward`],
//! each with an `_into` form writing into a caller-owned buffer.

use crate::conv::{Accum, mat_mul};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis};

use super::error::{NnError, check_shape};

/// Batches up to this size use matrix-vector products instead of a GEMM in
/// [`linear_forward_into`] (on wasm).
const SMALL_BATCH: usize = 4;

/// `out = x · Wᵀ + b` into a caller-owned buffer.
///
/// # Shapes
/// - x: `[batch, in]`, weight: `[out, in]`, bias: `[out]`
/// - out: `[batch, out]`
///
/// # Errors
/// [`NnError::Shape`] naming the tensor whose shape disagrees.
pub fn linear_forward_into(
    x: ArrayView2<'_, f32>,
    weight: ArrayView2<'_, f32>,
    bias: Option<ArrayView1<'_, f32>>,
    mut out: ArrayViewMut2<'_, f32>,
) -> Result<(), NnError> {
    const OP: &str = "linear";
    let (n, i) = x.dim();
    let o = weight.nrows();
    check_shape(OP, "the weight", weight.shape(), &[o, i])?;
    check_shape(OP, "the output", out.shape(), &[n, o])?;
    if let Some(b) = &bias {
        check_shape(OP, "the bias", b.shape(), &[o])?;
    }
    if cfg!(target_arch = "wasm32")
        && n <= SMALL_BATCH
        && let (Some(w), Some(x), Some(y)) = (weight.as_slice(), x.as_slice(), out.as_slice_mut())
    {
        // On wasm, a matrix-vector product per row: packing the weight matrix for a GEMM
        // costs more than the product itself for a handful of rows (the Classify page's one
        // image). Natively faer's product does not pack so few rows, and is faster.
        for s in 0..n {
            let yr = &mut y[s * o..][..o];
            crate::conv::mat_vec(w, &x[s * i..][..i], yr);
            if let Some(b) = &bias {
                for (y, b) in yr.iter_mut().zip(b) {
                    *y += b;
                }
            }
        }
        return Ok(());
    }
    mat_mul(&x, &weight.t(), Accum::Replace, &mut out);
    if let Some(b) = bias {
        for mut row in out.outer_iter_mut() {
            row += &b;
        }
    }
    Ok(())
}

/// Gradient with respect to the input: `dx = dy · W`.
///
/// # Shapes
/// dy `[batch, out]`, weight `[out, in]` → dx `[batch, in]`.
///
/// # Errors
/// [`NnError::Shape`] when `dy` and the weight disagree.
pub fn linear_x_backward(
    dy: ArrayView2<'_, f32>,
    weight: ArrayView2<'_, f32>,
) -> Result<Array2<f32>, NnError> {
    let mut dx = Array2::zeros((dy.nrows(), weight.ncols()));
    linear_x_backward_into(dy, weight, dx.view_mut())?;
    Ok(dx)
}

/// [`linear_x_backward`] into a caller-owned `dx` (overwritten).
///
/// # Errors
/// [`NnError::Shape`] naming the tensor whose shape disagrees.
pub fn linear_x_backward_into(
    dy: ArrayView2<'_, f32>,
    weight: ArrayView2<'_, f32>,
    mut dx: ArrayViewMut2<'_, f32>,
) -> Result<(), NnError> {
    const OP: &str = "linear_x_backward";
    let (o, i) = weight.dim();
    check_shape(OP, "dy", &[dy.ncols()], &[o])?;
    check_shape(OP, "dx", dx.shape(), &[dy.nrows(), i])?;
    mat_mul(&dy, &weight, Accum::Replace, &mut dx);
    Ok(())
}

/// Gradient with respect to the weight: `dW = dyᵀ · x` (summed over the batch).
///
/// # Shapes
/// x `[batch, in]`, dy `[batch, out]` → dW `[out, in]`.
///
/// # Errors
/// [`NnError::Shape`] when `x` and `dy` have different batch sizes.
pub fn linear_weight_backward(
    x: ArrayView2<'_, f32>,
    dy: ArrayView2<'_, f32>,
) -> Result<Array2<f32>, NnError> {
    let mut dw = Array2::zeros((dy.ncols(), x.ncols()));
    linear_weight_backward_into(x, dy, dw.view_mut())?;
    Ok(dw)
}

/// [`linear_weight_backward`] into a caller-owned `dw` (overwritten).
///
/// # Errors
/// [`NnError::Shape`] naming the tensor whose shape disagrees.
pub fn linear_weight_backward_into(
    x: ArrayView2<'_, f32>,
    dy: ArrayView2<'_, f32>,
    mut dw: ArrayViewMut2<'_, f32>,
) -> Result<(), NnError> {
    const OP: &str = "linear_weight_backward";
    check_shape(OP, "dy", &[dy.nrows()], &[x.nrows()])?;
    check_shape(OP, "dW", dw.shape(), &[dy.ncols(), x.ncols()])?;
    mat_mul(&dy.t(), &x, Accum::Replace, &mut dw);
    Ok(())
}

/// Gradient with respect to the bias: `db = Σ_batch dy`.
///
/// # Shapes
/// dy `[batch, out]` → db `[out]`.
pub fn linear_bias_backward(dy: ArrayView2<'_, f32>) -> Array1<f32> {
    dy.sum_axis(Axis(0))
}

/// [`linear_bias_backward`] into a caller-owned `db` (overwritten).
///
/// # Errors
/// [`NnError::Shape`] when `db` does not have `dy.ncols()` entries.
pub fn linear_bias_backward_into(
    dy: ArrayView2<'_, f32>,
    mut db: ArrayViewMut1<'_, f32>,
) -> Result<(), NnError> {
    check_shape("linear_bias_backward", "db", db.shape(), &[dy.ncols()])?;
    db.fill(0.0);
    for row in dy.outer_iter() {
        db += &row;
    }
    Ok(())
}
