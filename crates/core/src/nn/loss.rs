//! Softmax cross-entropy, the loss of classification (PyTorch's `F.cross_entropy` with the
//! default mean reduction).
//!
//! For logits `z` of one sample and its label `t`:
//! `loss = log Σ_j e^(z_j) − z_t`, computed as `m + log Σ_j e^(z_j − m) − z_t` with
//! `m = max z` so it stays finite for any finite logits. The gradient with respect to the
//! logits is `(softmax(z) − onehot(t)) / N`.

use ndarray::{Array2, ArrayView2, ArrayViewMut2};

use super::error::{NnError, check_shape};

/// Mean softmax cross-entropy and its gradient with respect to the logits.
///
/// # Shapes
/// logits `[batch, classes]`, labels `[batch]` → (loss, dlogits `[batch, classes]`).
///
/// # Errors
/// [`NnError::EmptyBatch`], [`NnError::Shape`] when there are not `batch` labels,
/// [`NnError::Label`] for a label `≥ classes`.
pub fn softmax_cross_entropy(
    logits: ArrayView2<'_, f32>,
    labels: &[usize],
) -> Result<(f32, Array2<f32>), NnError> {
    let mut probs = Array2::zeros(logits.raw_dim());
    let mut grad = Array2::zeros(logits.raw_dim());
    let loss = softmax_cross_entropy_into(logits, labels, probs.view_mut(), grad.view_mut())?;
    Ok((loss, grad))
}

/// [`softmax_cross_entropy`] writing the probabilities and the gradient into caller-owned
/// buffers; returns the mean loss.
///
/// # Errors
/// As [`softmax_cross_entropy`], plus [`NnError::Shape`] for a wrong buffer.
pub fn softmax_cross_entropy_into(
    logits: ArrayView2<'_, f32>,
    labels: &[usize],
    mut probs: ArrayViewMut2<'_, f32>,
    mut grad: ArrayViewMut2<'_, f32>,
) -> Result<f32, NnError> {
    const OP: &str = "softmax_cross_entropy";
    let (n, classes) = logits.dim();
    if n == 0 {
        return Err(NnError::EmptyBatch { op: OP });
    }
    check_shape(OP, "the labels", &[labels.len()], &[n])?;
    check_shape(OP, "the probabilities", probs.shape(), logits.shape())?;
    check_shape(OP, "the gradient", grad.shape(), logits.shape())?;
    let inv_n = 1.0 / n as f32;
    let mut total = 0.0f64;
    for (i, (((z, mut p), mut g), &t)) in logits
        .outer_iter()
        .zip(probs.outer_iter_mut())
        .zip(grad.outer_iter_mut())
        .zip(labels)
        .enumerate()
    {
        if t >= classes {
            return Err(NnError::Label {
                op: OP,
                index: i,
                label: t,
                classes,
            });
        }
        let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0f32;
        for (pj, &zj) in p.iter_mut().zip(z.iter()) {
            *pj = (zj - m).exp();
            sum += *pj;
        }
        let inv = 1.0 / sum;
        for (gj, pj) in g.iter_mut().zip(p.iter_mut()) {
            *pj *= inv;
            *gj = *pj * inv_n;
        }
        g[t] -= inv_n;
        total += f64::from(m + sum.ln() - z[t]);
    }
    Ok((total / n as f64) as f32)
}

/// [`softmax_cross_entropy_into`] over flat row-major slices: `logits`, `probs` and `grad`
/// hold `labels.len()` rows of equal length (the classes).
///
/// # Errors
/// [`NnError::EmptyBatch`] for no labels, [`NnError::Shape`] when the lengths disagree,
/// [`NnError::Label`] for a label outside the classes.
pub fn softmax_cross_entropy_slices(
    logits: &[f32],
    labels: &[usize],
    probs: &mut [f32],
    grad: &mut [f32],
) -> Result<f32, NnError> {
    const OP: &str = "softmax_cross_entropy";
    let n = labels.len();
    if n == 0 {
        return Err(NnError::EmptyBatch { op: OP });
    }
    let classes = logits.len() / n;
    super::error::check_shape(OP, "the logits", &[logits.len()], &[n * classes])?;
    let layout = |e: ndarray::ShapeError| NnError::from(crate::tensor::layout(OP, &e));
    softmax_cross_entropy_into(
        ndarray::ArrayView2::from_shape((n, classes), logits).map_err(layout)?,
        labels,
        ndarray::ArrayViewMut2::from_shape((n, classes), probs).map_err(layout)?,
        ndarray::ArrayViewMut2::from_shape((n, classes), grad).map_err(layout)?,
    )
}
