//! Neural networks: trainable layers, their gradients, loss, optimizers, LeNet-5 and its
//! training loop.
//!
//! Every layer follows Config → init → forward; backward passes are plain functions, one
//! per gradient (`*_x_backward`, `*_weight_backward`, `*_bias_backward`), each also in an
//! `_into` form that writes into a caller-owned buffer. Finite-difference checks of every
//! backward pass live in `tests/nn_gradients.rs`.
//!
//! - [`rng`]: seeded xoshiro256** / SplitMix64 (same seed → same model).
//! - [`init`]: PyTorch's default initialisation.
//! - [`linear`], [`conv`], [`pool`], [`activation`], [`flatten`]: layers and gradients.
//! - [`loss`]: softmax cross-entropy. [`optim`]: SGD with momentum, Adam.
//! - [`lenet`]: LeNet-5 and [`lenet::LeNetTrace`] for the visualizer.
//! - [`workspace`], [`train`]: allocation-free mini-batch training and evaluation.
//! - [`NnError`] (in [`error`]): the error type.

pub mod activation;
pub mod conv;
pub mod error;
pub mod flatten;
pub mod init;
pub mod lenet;
pub mod linear;
pub mod loss;
pub mod network;
pub mod optim;
pub mod pool;
pub mod rng;
pub mod train;
pub mod workspace;

pub use activation::{ActivationLayer, activation_x_backward, activation_x_backward_in_place};
pub use conv::{
    Conv2d, conv2d_bias_backward, conv2d_bias_backward_into, conv2d_weight_backward,
    conv2d_weight_backward_into, conv2d_x_backward, conv2d_x_backward_into,
};
pub use error::NnError;
pub use flatten::Flatten;
pub use lenet::{LeNet, LeNetConfig, LeNetTrace};
pub use linear::{
    Linear, LinearConfig, linear_bias_backward, linear_bias_backward_into, linear_forward_into,
    linear_weight_backward, linear_weight_backward_into, linear_x_backward, linear_x_backward_into,
};
pub use loss::{softmax_cross_entropy, softmax_cross_entropy_into, softmax_cross_entropy_slices};
pub use network::{Gradients, Mode, Network};
pub use optim::{Adam, AdamConfig, AnyOptimizer, Optimizer, OptimizerConfig, Sgd, SgdConfig};
pub use pool::{
    Pool2d, Pool2dConfig, PoolOutput, avg_pool2d_x_backward, max_pool2d_x_backward,
    max_pool2d_x_backward_into, pool2d_x_backward_into, sum_pool2d_x_backward,
};
pub use rng::Rng;
pub use train::{BatchStats, EpochStats, Evaluation, Trainer};
pub use workspace::{LeNetGradients, Workspace};
