//! Neural networks: any network an [`crate::arch::Architecture`] describes, trainable
//! ([`network`]), built from layer gradients, the loss and the optimizers.
//!
//! A layer's forward pass is a free function of the core ([`crate::conv2d_into`],
//! [`linear_forward_into`], [`crate::pool2d_into`], [`crate::Activation::forward`]);
//! backward passes are plain functions, one per gradient (`*_x_backward`,
//! `*_weight_backward`, `*_bias_backward`), each also in an `_into` form that writes into a
//! caller-owned buffer. Pooling's gradients live next to its forward pass, in
//! [`crate::pool`]. Finite-difference checks of every backward pass live in
//! `tests/suite/nn_gradients.rs`.
//!
//! - [`init`]: PyTorch's default initialisation.
//! - [`linear`], [`conv`], [`activation`]: layer gradients (and the linear forward pass).
//! - [`loss`]: softmax cross-entropy. [`optim`]: SGD with momentum, Adam.
//! - [`network`]: [`Network`] built from a description (LeNet-5 is `arch::zoo::lenet5()`),
//!   its [`Workspace`] and the allocation-free, data-parallel [`Trainer`].
//! - [`run`]: a training run that pauses after any batch and resumes from a checkpoint
//!   (the CLI's `train` and the browser's Train page).
//! - [`ensemble`]: trained networks of one description merged into one that averages their
//!   logits (the shipped digit network; `convscope ensemble`).
//! - [`NnError`] (in [`error`]): the error type.

pub mod activation;
pub mod conv;
pub mod ensemble;
pub mod error;
pub mod init;
pub mod linear;
pub mod loss;
pub mod network;
pub mod optim;
pub mod run;

pub use crate::rng::Rng;
pub use activation::{activation_x_backward, activation_x_backward_in_place};
pub use conv::{
    conv2d_bias_backward, conv2d_bias_backward_into, conv2d_weight_backward,
    conv2d_weight_backward_into, conv2d_x_backward, conv2d_x_backward_into,
};
pub use ensemble::ensemble;
pub use error::NnError;
pub use linear::{
    linear_bias_backward, linear_bias_backward_into, linear_forward_into, linear_weight_backward,
    linear_weight_backward_into, linear_x_backward, linear_x_backward_into,
};
pub use loss::{softmax_cross_entropy, softmax_cross_entropy_into, softmax_cross_entropy_slices};
pub use network::{
    BatchStats, EpochStats, Evaluation, Gradients, MAX_BATCH, MAX_THREADS, MEMORY_LIMIT, Mode,
    Network, Tensor, Trainer, Workspace,
};
pub use optim::{Adam, AdamConfig, AnyOptimizer, Optimizer, OptimizerConfig, Sgd, SgdConfig};
