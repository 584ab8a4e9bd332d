//! The input gradient of an activation, `dx = dy ⊙ f'(x)` with `x` the pre-activation
//! input (the forward pass is [`Activation::forward`] / [`Activation::apply`]).

use ndarray::{Array, ArrayView, ArrayViewMut, Dimension};

use super::error::{NnError, check_shape};
use crate::activation::Activation;

/// `dx = dy ⊙ f'(x)`, `x` the input of the forward pass (PyTorch's conventions at kinks:
/// ReLU'(0) = 0).
///
/// # Shapes
/// dy, x: the same shape; returns that shape.
///
/// # Errors
/// [`NnError::Shape`] when `dy` and `x` differ in shape.
pub fn activation_x_backward<D: Dimension>(
    activation: Activation,
    dy: ArrayView<'_, f32, D>,
    x: ArrayView<'_, f32, D>,
) -> Result<Array<f32, D>, NnError> {
    let mut dx = dy.to_owned();
    activation_x_backward_in_place(activation, dx.view_mut(), x)?;
    Ok(dx)
}

/// [`activation_x_backward`] in place: `grad ← grad ⊙ f'(x)`.
///
/// # Errors
/// [`NnError::Shape`] when `grad` and `x` differ in shape.
pub fn activation_x_backward_in_place<D: Dimension>(
    activation: Activation,
    mut grad: ArrayViewMut<'_, f32, D>,
    x: ArrayView<'_, f32, D>,
) -> Result<(), NnError> {
    check_shape("activation_x_backward", "dy", grad.shape(), x.shape())?;
    match activation {
        // The common case without a per-element match.
        Activation::Relu => grad.zip_mut_with(&x, |g, &v| {
            if v <= 0.0 {
                *g = 0.0;
            }
        }),
        other => grad.zip_mut_with(&x, |g, &v| *g *= other.derivative(v)),
    }
    Ok(())
}
