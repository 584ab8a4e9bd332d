//! Fully connected layer: `y = x · Wᵀ + b` (PyTorch's `nn.Linear`, weight `[out, in]`).
//!
//! [`LinearConfig`] → [`LinearConfig::init`] → [`Linear::forward`]; the backward passes are
//! plain functions, one per gradient: [`linear_x_backward`], [`linear_weight_backward`],
//! [`linear_bias_backward`], each with an `_into` form writing into a caller-owned buffer.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis};

use super::error::{NnError, check_shape};
use super::init::{fill_uniform, pytorch_default_bound};
use super::rng::Rng;

/// Configuration of a [`Linear`] layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinearConfig {
    /// Input features (columns of the weight).
    pub in_features: usize,
    /// Output features (rows of the weight).
    pub out_features: usize,
    /// Whether the layer has a bias (default true).
    pub bias: bool,
}

impl LinearConfig {
    /// `in_features → out_features` with a bias.
    pub fn new(in_features: usize, out_features: usize) -> Self {
        Self {
            in_features,
            out_features,
            bias: true,
        }
    }

    /// With or without a bias.
    #[must_use]
    pub fn with_bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    /// A layer initialised as PyTorch does (see [`super::init`]): weight drawn first, row
    /// by row, then the bias.
    pub fn init(&self, rng: &mut Rng) -> Linear {
        let bound = pytorch_default_bound(self.in_features);
        let mut weight = Array2::zeros((self.out_features, self.in_features));
        fill_uniform(weight.as_slice_mut().unwrap_or(&mut []), bound, rng);
        let bias = self.bias.then(|| {
            let mut b = Array1::zeros(self.out_features);
            fill_uniform(b.as_slice_mut().unwrap_or(&mut []), bound, rng);
            b
        });
        Linear { weight, bias }
    }

    /// A layer with the given weight `[out, in]` and bias `[out]`.
    ///
    /// # Errors
    /// [`NnError::Shape`] when a shape disagrees with the configuration or the bias is
    /// present/absent against `self.bias`.
    pub fn init_with(
        &self,
        weight: Array2<f32>,
        bias: Option<Array1<f32>>,
    ) -> Result<Linear, NnError> {
        check_shape(
            "LinearConfig::init_with",
            "the weight",
            weight.shape(),
            &[self.out_features, self.in_features],
        )?;
        let expected: &[usize] = if self.bias { &[self.out_features] } else { &[] };
        let got = bias.as_ref().map_or(&[][..], |b| b.shape());
        check_shape("LinearConfig::init_with", "the bias", got, expected)?;
        Ok(Linear {
            weight: weight.as_standard_layout().into_owned(),
            bias,
        })
    }
}

/// A fully connected layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    weight: Array2<f32>,
    bias: Option<Array1<f32>>,
}

impl Linear {
    /// `[out_features, in_features]`.
    pub fn weight(&self) -> &Array2<f32> {
        &self.weight
    }
    /// `[out_features]`, if any.
    pub fn bias(&self) -> Option<&Array1<f32>> {
        self.bias.as_ref()
    }
    /// Mutable weight values (the shape stays fixed).
    pub fn weight_mut(&mut self) -> ArrayViewMut2<'_, f32> {
        self.weight.view_mut()
    }
    /// Mutable bias values.
    pub fn bias_mut(&mut self) -> Option<ArrayViewMut1<'_, f32>> {
        self.bias.as_mut().map(|b| b.view_mut())
    }
    /// `in_features`.
    pub fn in_features(&self) -> usize {
        self.weight.ncols()
    }
    /// `out_features`.
    pub fn out_features(&self) -> usize {
        self.weight.nrows()
    }
    /// Weight and bias as flat row-major slices (for optimizers).
    pub(crate) fn parameters_mut(&mut self) -> (Option<&mut [f32]>, Option<&mut [f32]>) {
        (
            self.weight.as_slice_mut(),
            self.bias.as_mut().and_then(|b| b.as_slice_mut()),
        )
    }
    /// Weights plus biases.
    pub fn parameter_count(&self) -> usize {
        self.weight.len() + self.bias.as_ref().map_or(0, Array1::len)
    }

    /// Forward pass.
    ///
    /// # Shapes
    /// `[batch, in_features]` → `[batch, out_features]`.
    ///
    /// # Errors
    /// [`NnError::Shape`] when the input has another number of features.
    pub fn forward(&self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>, NnError> {
        let mut out = Array2::zeros((x.nrows(), self.out_features()));
        linear_forward_into(
            x,
            self.weight.view(),
            self.bias.as_ref().map(|b| b.view()),
            out.view_mut(),
        )?;
        Ok(out)
    }
}

/// Batches up to this size use dot products instead of a GEMM in [`linear_forward_into`].
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
    if n <= SMALL_BATCH
        && let (Some(w), Some(_)) = (weight.as_slice(), x.as_slice())
    {
        // One dot product per output: packing the weight matrix for a GEMM costs more
        // than the product itself for a handful of rows (the Classify page's one image).
        for (xr, mut yr) in x.outer_iter().zip(out.outer_iter_mut()) {
            let xr = xr.as_slice().unwrap_or(&[]);
            for (o, y) in yr.iter_mut().enumerate() {
                let b = bias.as_ref().map_or(0.0, |b| b[o]);
                *y = crate::conv::dot(&w[o * i..(o + 1) * i], xr) + b;
            }
        }
        return Ok(());
    }
    general_mat_mul(1.0, &x, &weight.t(), 0.0, &mut out);
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
    general_mat_mul(1.0, &dy, &weight, 0.0, &mut dx);
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
    general_mat_mul(1.0, &dy.t(), &x, 0.0, &mut dw);
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
