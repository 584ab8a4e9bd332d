//! Small tensor helpers shared by the operations: shape checks and NCHW constructors.
//!
//! Tensors are `ndarray` arrays in NCHW order: `[batch, channels, height, width]`.

use ndarray::{Array4, ArrayView1, ArrayView4, ArrayViewMut4};

use crate::error::CoreError;

/// The shape of a 4-D view as an array.
pub fn dims4<S: ndarray::Data<Elem = f32>>(a: &ndarray::ArrayBase<S, ndarray::Ix4>) -> [usize; 4] {
    let (n, c, h, w) = a.dim();
    [n, c, h, w]
}

/// An `[N, C, H, W]` tensor from row-major data.
///
/// # Errors
/// [`CoreError::Length`] when `data.len()` is not `N·C·H·W`, or a shape error on overflow.
pub fn from_vec(shape: [usize; 4], data: Vec<f32>) -> Result<Array4<f32>, CoreError> {
    let expected = crate::shape::elements(&shape, "the tensor")?;
    if data.len() != expected {
        return Err(CoreError::Length {
            op: "from_vec",
            what: "the data",
            got: data.len(),
            expected,
        });
    }
    Array4::from_shape_vec(shape, data).map_err(|e| layout("from_vec", &e))
}

/// A single-image `[1, 1, H, W]` tensor from rows (all rows must have the same length).
///
/// # Errors
/// [`CoreError::Length`] when the rows are ragged.
pub fn from_rows<R: AsRef<[f32]>>(rows: &[R]) -> Result<Array4<f32>, CoreError> {
    let w = rows.first().map_or(0, |r| r.as_ref().len());
    let mut data = Vec::with_capacity(rows.len() * w);
    for r in rows {
        let r = r.as_ref();
        if r.len() != w {
            return Err(CoreError::Length {
                op: "from_rows",
                what: "a row",
                got: r.len(),
                expected: w,
            });
        }
        data.extend_from_slice(r);
    }
    from_vec([1, 1, rows.len(), w], data)
}

pub(crate) fn layout(op: &'static str, e: &dyn std::fmt::Display) -> CoreError {
    CoreError::Layout {
        op,
        detail: e.to_string(),
    }
}

pub(crate) fn check_bias(
    op: &'static str,
    bias: Option<&ArrayView1<'_, f32>>,
    channels: usize,
) -> Result<(), CoreError> {
    match bias {
        Some(b) if b.len() != channels => Err(CoreError::BiasLength {
            op,
            got: b.len(),
            expected: channels,
        }),
        _ => Ok(()),
    }
}

pub(crate) fn check_out(
    op: &'static str,
    out: &ArrayViewMut4<'_, f32>,
    expected: [usize; 4],
) -> Result<(), CoreError> {
    let got = dims4(out);
    if got != expected {
        return Err(CoreError::OutputShape {
            op,
            got: got.to_vec(),
            expected: expected.to_vec(),
        });
    }
    Ok(())
}

/// Views `a` in standard (row-major) layout, copying only when it is not already.
pub(crate) fn standard<'a>(a: &'a ArrayView4<'_, f32>) -> ndarray::CowArray<'a, f32, ndarray::Ix4> {
    a.as_standard_layout()
}
