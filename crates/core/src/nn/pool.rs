//! Pooling layers (max, average, sum) and their input gradients.
//!
//! [`Pool2dConfig::max`] / [`Pool2dConfig::average`] / [`Pool2dConfig::sum`] →
//! [`Pool2dConfig::init`] → [`Pool2d::forward`] (the core's [`crate::pool2d_into`]).
//! Pooling has no parameters, so there is one backward function per kind:
//! - [`max_pool2d_x_backward`]: each output's gradient goes to the cell that won its window
//!   (the argmax the forward pass recorded); overlapping windows add up.
//! - [`avg_pool2d_x_backward`]: each output's gradient divided by `F_h·F_w`
//!   (`count_include_pad=True`) goes to every real cell of its window.
//! - [`sum_pool2d_x_backward`]: each output's gradient goes unchanged to every real cell.

use ndarray::{Array4, ArrayView4, ArrayViewMut4};

use super::error::{NnError, check_shape};
use crate::pool::{PoolKind, pool2d_into};
use crate::shape::{Pool2dGeometry, Pool2dParams};
use crate::tensor::dims4;

/// Configuration of a [`Pool2d`] layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool2dConfig {
    /// Max, average or sum.
    pub kind: PoolKind,
    /// Window, stride, padding.
    pub params: Pool2dParams,
}

impl Pool2dConfig {
    /// `MaxPool2d(kernel)`: non-overlapping `kernel × kernel` windows.
    pub fn max(kernel: usize) -> Self {
        Self::new(PoolKind::Max, kernel)
    }
    /// `AvgPool2d(kernel)`.
    pub fn average(kernel: usize) -> Self {
        Self::new(PoolKind::Average, kernel)
    }
    /// Sum pooling with `kernel × kernel` windows.
    pub fn sum(kernel: usize) -> Self {
        Self::new(PoolKind::Sum, kernel)
    }
    /// `kind` pooling with non-overlapping `kernel × kernel` windows.
    pub fn new(kind: PoolKind, kernel: usize) -> Self {
        Self {
            kind,
            params: Pool2dParams::new(kernel),
        }
    }
    /// Other window, stride or padding.
    #[must_use]
    pub fn with_params(mut self, params: Pool2dParams) -> Self {
        self.params = params;
        self
    }
    /// The layer.
    pub fn init(&self) -> Pool2d {
        Pool2d { config: *self }
    }
}

/// A pooling layer (no parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool2d {
    config: Pool2dConfig,
}

/// The output of a pooling layer, with the argmax for max pooling.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolOutput {
    /// `[N, C, H2, W2]`.
    pub output: Array4<f32>,
    /// For max pooling, the flat index `y·W + x` of each window's winner in its input
    /// plane; `None` for average and sum pooling.
    pub argmax: Option<Array4<usize>>,
}

impl Pool2d {
    /// The configuration.
    pub fn config(&self) -> &Pool2dConfig {
        &self.config
    }

    /// Forward pass.
    ///
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C, H2, W2]` (and the argmax of the same shape for max pooling).
    ///
    /// # Errors
    /// [`NnError::Core`] when the window does not fit the input.
    pub fn forward(&self, x: ArrayView4<'_, f32>) -> Result<PoolOutput, NnError> {
        let g =
            Pool2dGeometry::new(dims4(&x), self.config.params).map_err(crate::CoreError::from)?;
        let mut output = Array4::zeros(g.output_shape());
        let mut argmax =
            (self.config.kind == PoolKind::Max).then(|| Array4::zeros(g.output_shape()));
        pool2d_into(
            x,
            self.config.kind,
            self.config.params,
            output.view_mut(),
            argmax.as_mut().map(|a| a.view_mut()),
        )?;
        Ok(PoolOutput { output, argmax })
    }

    /// Gradient with respect to the input, for any kind.
    ///
    /// # Shapes
    /// dy `[N, C, H2, W2]` (and the forward argmax for max pooling) → dx `input_shape`.
    ///
    /// # Errors
    /// [`NnError`] when the shapes disagree or max pooling is given no argmax.
    pub fn backward(
        &self,
        dy: ArrayView4<'_, f32>,
        argmax: Option<ArrayView4<'_, usize>>,
        input_shape: [usize; 4],
    ) -> Result<Array4<f32>, NnError> {
        let mut dx = Array4::zeros(input_shape);
        pool2d_x_backward_into(
            self.config.kind,
            self.config.params,
            dy,
            argmax,
            dx.view_mut(),
        )?;
        Ok(dx)
    }
}

/// [`Pool2d::backward`] as a function into a caller-owned `dx` (overwritten).
///
/// # Errors
/// As [`Pool2d::backward`].
pub fn pool2d_x_backward_into(
    kind: PoolKind,
    params: Pool2dParams,
    dy: ArrayView4<'_, f32>,
    argmax: Option<ArrayView4<'_, usize>>,
    dx: ArrayViewMut4<'_, f32>,
) -> Result<(), NnError> {
    match kind {
        PoolKind::Max => {
            let argmax = argmax.ok_or(NnError::Shape {
                op: "max_pool2d_x_backward",
                what: "the argmax",
                got: vec![],
                expected: dy.shape().to_vec(),
            })?;
            max_pool2d_x_backward_into(params, dy, argmax, dx)
        }
        PoolKind::Average | PoolKind::Sum => window_backward_into(kind, params, dy, dx),
    }
}

fn geometry(
    op: &'static str,
    params: Pool2dParams,
    dy: &ArrayView4<'_, f32>,
    dx: &ArrayViewMut4<'_, f32>,
) -> Result<Pool2dGeometry, NnError> {
    let g = Pool2dGeometry::new(dims4(&dx.view()), params).map_err(crate::CoreError::from)?;
    check_shape(op, "dy", dy.shape(), &g.output_shape())?;
    Ok(g)
}

/// Max pooling's input gradient: `dx[n, c, argmax[n, c, i, j]] += dy[n, c, i, j]`.
///
/// # Shapes
/// dy, argmax `[N, C, H2, W2]` → dx `input_shape` `[N, C, H, W]`.
///
/// # Errors
/// [`NnError`] when the shapes disagree or an argmax index lies outside its plane.
pub fn max_pool2d_x_backward(
    params: Pool2dParams,
    dy: ArrayView4<'_, f32>,
    argmax: ArrayView4<'_, usize>,
    input_shape: [usize; 4],
) -> Result<Array4<f32>, NnError> {
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
) -> Result<(), NnError> {
    const OP: &str = "max_pool2d_x_backward";
    let g = geometry(OP, params, &dy, &dx)?;
    check_shape(OP, "the argmax", argmax.shape(), dy.shape())?;
    let [_, _, h, w] = g.input_shape();
    dx.fill(0.0);
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
                if i >= h * w {
                    return Err(NnError::Shape {
                        op: OP,
                        what: "an argmax index",
                        got: vec![i],
                        expected: vec![h * w],
                    });
                }
                plane[[i / w, i % w]] += d;
            }
        }
    }
    Ok(())
}

/// Average pooling's input gradient (`count_include_pad=True`: divide by `F_h·F_w`).
///
/// # Shapes
/// dy `[N, C, H2, W2]` → dx `input_shape`.
///
/// # Errors
/// [`NnError`] when the shapes disagree.
pub fn avg_pool2d_x_backward(
    params: Pool2dParams,
    dy: ArrayView4<'_, f32>,
    input_shape: [usize; 4],
) -> Result<Array4<f32>, NnError> {
    let mut dx = Array4::zeros(input_shape);
    window_backward_into(PoolKind::Average, params, dy, dx.view_mut())?;
    Ok(dx)
}

/// Sum pooling's input gradient.
///
/// # Shapes
/// dy `[N, C, H2, W2]` → dx `input_shape`.
///
/// # Errors
/// [`NnError`] when the shapes disagree.
pub fn sum_pool2d_x_backward(
    params: Pool2dParams,
    dy: ArrayView4<'_, f32>,
    input_shape: [usize; 4],
) -> Result<Array4<f32>, NnError> {
    let mut dx = Array4::zeros(input_shape);
    window_backward_into(PoolKind::Sum, params, dy, dx.view_mut())?;
    Ok(dx)
}

fn window_backward_into(
    kind: PoolKind,
    params: Pool2dParams,
    dy: ArrayView4<'_, f32>,
    mut dx: ArrayViewMut4<'_, f32>,
) -> Result<(), NnError> {
    let g = geometry("pool2d_x_backward", params, &dy, &dx)?;
    let [_, _, h, w] = g.input_shape();
    let [kh, kw] = params.kernel;
    let scale = if kind == PoolKind::Average {
        1.0 / (kh * kw) as f32
    } else {
        1.0
    };
    dx.fill(0.0);
    for (mut dx_n, dy_n) in dx.outer_iter_mut().zip(dy.outer_iter()) {
        for (mut plane, dy_c) in dx_n.outer_iter_mut().zip(dy_n.outer_iter()) {
            for ((oy, ox), &d) in dy_c.indexed_iter() {
                let d = d * scale;
                for ky in 0..kh {
                    let Some(y) = (oy * params.stride[0] + ky)
                        .checked_sub(params.padding[0])
                        .filter(|&y| y < h)
                    else {
                        continue;
                    };
                    for kx in 0..kw {
                        if let Some(x) = (ox * params.stride[1] + kx)
                            .checked_sub(params.padding[1])
                            .filter(|&x| x < w)
                        {
                            plane[[y, x]] += d;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}
