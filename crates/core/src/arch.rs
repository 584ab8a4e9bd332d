//! Declarative network architectures and their layer-by-layer arithmetic.
//!
//! An [`Architecture`] is a list of [`Layer`]s — convolution, max/average/sum pooling, local
//! response normalisation, activation, batch norm, adaptive average pooling, flatten, linear,
//! dropout and residual blocks (basic and bottleneck, with identity or projection shortcuts).
//! [`Architecture::evaluate`] walks it from an input [`Volume`] and returns a
//! [`NetworkReport`]: for every layer its input and output volume (h, w, c), its window
//! (F, S, P, D), its filter count K, weights, biases, parameters, multiply-accumulates and
//! receptive field with its jump (the product of the strides so far), plus totals.
//!
//! Every spatial size — convolution *and* pooling — comes from
//! [`crate::shape::conv_output_size`], the same function the operations use, so a table and
//! a forward pass cannot disagree. A size that breaks a layer gives an [`ArchError`] naming
//! the layer and the reason (`POOL3: 3×3 window is larger than its 2×2 input`); all
//! arithmetic is checked, so nothing panics.
//!
//! # What is counted
//! - **Parameters** are learnable values: convolution and linear weights and biases, and the
//!   two per-channel affine parameters (γ, β) of batch norm. Batch norm's running mean and
//!   variance are buffers, not parameters (torchvision counts them the same way).
//! - **MACs** (multiply-accumulates) count convolution and linear layers only:
//!   `H2·W2·K·(F·F·D1)` for a convolution and `in·out` for a linear layer. Bias additions,
//!   pooling, normalisation, activations and residual additions are not counted. This is the
//!   convention behind torchvision's published "GFLOPS" column (which are in fact GMACs).
//!
//! The networks themselves live in [`zoo`]; published ImageNet error rates for the comparison
//! view are in [`published_top5_errors`]; [`formulas`] renders a layer's arithmetic with the
//! values substituted.

mod error;
mod eval;
mod formula;
mod layer;
mod published;
mod text;
mod volume;
pub mod zoo;

pub use error::{ArchError, LayerError};
pub use eval::{LayerReport, NetworkReport, ReceptiveField, Totals, Window};
pub use formula::{LayerFormulas, formulas};
pub use layer::{
    Activation, Architecture, BlockKind, Conv, Layer, LayerKind, Linear, Op, Pool, PoolKind,
    Residual,
};
pub use published::{PublishedError, ResultKind, published_top5_errors};
pub use text::{DEFAULT_INPUT, DescriptionError, MAX_BLOCK_NESTING, MAX_LAYERS, TextError};
pub use volume::{Volume, VolumeParseError};
