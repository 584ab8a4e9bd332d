//! Flatten: `[N, C, H, W]` → `[N, C·H·W]` in row-major (channel, row, column) order, as
//! PyTorch's `torch.flatten(x, 1)`; the backward pass is the inverse reshape.

use ndarray::{Array2, Array4, ArrayView2, ArrayView4};

use super::error::NnError;

/// The flatten layer (no parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flatten;

impl Flatten {
    /// Forward pass.
    ///
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C·H·W]`.
    ///
    /// # Errors
    /// Never in practice (the element count is preserved); an internal layout error otherwise.
    pub fn forward(&self, x: ArrayView4<'_, f32>) -> Result<Array2<f32>, NnError> {
        let (n, c, h, w) = x.dim();
        x.as_standard_layout()
            .into_owned()
            .into_shape_with_order((n, c * h * w))
            .map_err(|e| crate::tensor::layout("flatten", &e).into())
    }

    /// Gradient with respect to the input: `dy` reshaped back.
    ///
    /// # Shapes
    /// dy `[N, C·H·W]` → dx `input_shape` `[N, C, H, W]`.
    ///
    /// # Errors
    /// [`NnError::Shape`] when `dy` does not hold `N·C·H·W` values.
    pub fn backward(
        &self,
        dy: ArrayView2<'_, f32>,
        input_shape: [usize; 4],
    ) -> Result<Array4<f32>, NnError> {
        let [n, c, h, w] = input_shape;
        super::error::check_shape("flatten_backward", "dy", dy.shape(), &[n, c * h * w])?;
        dy.as_standard_layout()
            .into_owned()
            .into_shape_with_order(input_shape)
            .map_err(|e| crate::tensor::layout("flatten_backward", &e).into())
    }
}
