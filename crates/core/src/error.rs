//! The one error type every public operation of the core returns.
//!
//! Shape arithmetic fails with [`ShapeError`] (it needs no tensors); operations on tensors
//! fail with [`CoreError`], which wraps a [`ShapeError`] or names the tensor that does not fit.
//! Every message names the values involved, so the UI can show it as is.

use thiserror::Error;

pub use crate::shape::ShapeError;

/// Why an operation on tensors cannot run. Every message names the values involved.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoreError {
    /// The shapes and hyper-parameters are inconsistent (see [`ShapeError`]).
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// The bias has the wrong length.
    #[error("{op}: the bias has {got} entries but there are {expected} output channels")]
    BiasLength {
        op: &'static str,
        got: usize,
        expected: usize,
    },
    /// A caller-owned output buffer has the wrong shape.
    #[error("{op}: the output buffer has shape {got:?} but the result has shape {expected:?}")]
    OutputShape {
        op: &'static str,
        got: Vec<usize>,
        expected: Vec<usize>,
    },
    /// Two slices that must have the same length do not.
    #[error("{op}: {what} has {got} entries but {expected} are expected")]
    Length {
        op: &'static str,
        what: &'static str,
        got: usize,
        expected: usize,
    },
    /// A sample index past the batch.
    #[error("{op}: sample {index} requested but the batch holds {batch}")]
    SampleOutOfRange {
        op: &'static str,
        index: usize,
        batch: usize,
    },
    /// A trace step past the end of the trace.
    #[error("step {index} requested but the trace has {len} steps")]
    StepOutOfRange { index: usize, len: usize },
    /// An internal layout invariant failed (a bug in the core, reported instead of a panic).
    #[error("{op}: internal layout error: {detail}")]
    Layout { op: &'static str, detail: String },
    /// A negative or non-finite activation parameter.
    #[error("{what} must be finite (got {value})")]
    NonFinite { what: &'static str, value: String },
}
