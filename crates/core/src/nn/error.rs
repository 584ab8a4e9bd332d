//! [`NnError`]: why a layer, loss, optimizer or training step cannot run.

use thiserror::Error;

use crate::error::CoreError;

/// Why a neural-network operation cannot run. Every message names the values involved.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum NnError {
    /// A tensor operation failed (shapes, hyper-parameters, buffers).
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Two tensors that must agree in shape do not.
    #[error("{op}: {what} has shape {got:?} but {expected:?} is expected")]
    Shape {
        op: &'static str,
        what: &'static str,
        got: Vec<usize>,
        expected: Vec<usize>,
    },
    /// A class label outside `0..classes`.
    #[error("{op}: label {label} of sample {index} is not below the {classes} classes")]
    Label {
        op: &'static str,
        index: usize,
        label: usize,
        classes: usize,
    },
    /// An operation received an empty batch.
    #[error("{op}: the batch is empty")]
    EmptyBatch { op: &'static str },
    /// A backward pass with no forward pass before it that kept what it reads (max
    /// pooling's argmax, batch norm's normalised input, dropout's mask): none ran, or
    /// [`crate::nn::network::Network::infer`], which keeps none.
    #[error(
        "{op}: no forward pass kept what a backward pass reads; run Network::forward first (Network::infer keeps nothing for it)"
    )]
    NoForward { op: &'static str },
    /// A training thread stopped without a result (it panicked).
    #[error("{op}: a training thread stopped without a result")]
    Thread { op: &'static str },
    /// The optimizer was given another number of parameter tensors than it was built for.
    #[error("{op}: {got} parameter tensors given, {expected} expected")]
    ParamCount {
        op: &'static str,
        got: usize,
        expected: usize,
    },
    /// A hyper-parameter outside its domain (learning rate ≤ 0, momentum ≥ 1, …).
    #[error("{what} must be {requirement} (got {value})")]
    HyperParameter {
        what: &'static str,
        requirement: &'static str,
        value: f64,
    },
    /// A tensor must be in standard (row-major, contiguous) layout.
    #[error("{op}: {what} must be a contiguous row-major array")]
    NotContiguous {
        op: &'static str,
        what: &'static str,
    },
    /// The network description cannot be built (the explorer's message, naming the layer).
    #[error(transparent)]
    Description(#[from] crate::arch::ArchError),
    /// A layer cannot do what was asked (train a local response normalisation, …).
    #[error("{layer}: {reason}")]
    Layer {
        /// The layer's path (`conv1`, `block1.bn2`).
        layer: String,
        /// Why, with the values involved.
        reason: String,
    },
    /// A network or batch too large to run here, with the numbers.
    #[error("{message}")]
    TooLarge {
        /// What is too large, how large it is and what is allowed.
        message: String,
    },
    /// Training diverged: the loss became NaN or infinite.
    #[error("the loss became {loss} at step {step}; lower the learning rate")]
    Diverged { step: u64, loss: f32 },
}

/// Checks that `got == expected` for a tensor shape.
pub(crate) fn check_shape(
    op: &'static str,
    what: &'static str,
    got: &[usize],
    expected: &[usize],
) -> Result<(), NnError> {
    if got != expected {
        return Err(NnError::Shape {
            op,
            what,
            got: got.to_vec(),
            expected: expected.to_vec(),
        });
    }
    Ok(())
}
