//! The declarative description: an [`Architecture`] is a named list of [`Layer`]s.

use serde::{Deserialize, Serialize};

use super::Volume;
pub use crate::activation::Activation;
pub use crate::pool::PoolKind;

/// A network: a name, its usual input volume and its layers in order.
///
/// Plain data (serde both ways), so the web page can also evaluate a description it loads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    /// Short identifier, as accepted by [`super::zoo::by_name`] (`alexnet_lecture`).
    pub name: String,
    /// Human-readable title with its source.
    pub title: String,
    /// The input the network was designed for (for example 224×224×3).
    pub input: Volume,
    /// The layers, applied in order.
    pub layers: Vec<Layer>,
}

/// One named step of a network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    /// The name shown in tables and error messages (`CONV1`, `layer2.0`).
    pub name: String,
    /// What the layer does.
    pub op: Op,
}

impl Layer {
    /// A layer called `name` doing `op`.
    pub fn new(name: impl Into<String>, op: impl Into<Op>) -> Self {
        Self {
            name: name.into(),
            op: op.into(),
        }
    }
}

/// What a layer does. Serialised with a `kind` tag (`{"kind": "conv", "out_channels": 96, …}`;
/// pooling as `max_pool`, `avg_pool` or `sum_pool`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "OpFields", into = "OpFields")]
pub enum Op {
    /// Convolution with K filters of F×F×D1.
    Conv(Conv),
    /// Pooling (max, average or sum over each window), each depth slice separately.
    Pool {
        /// Which summary of the window.
        kind: PoolKind,
        /// The window.
        window: Pool,
    },
    /// Local response normalisation across `size` neighbouring channels (no parameters).
    LocalResponseNorm {
        /// Number of neighbouring channels summed over.
        size: usize,
    },
    /// An element-wise non-linearity.
    Activation {
        /// Which function.
        function: Activation,
    },
    /// Batch normalisation: a learnable scale γ and shift β per channel.
    BatchNorm,
    /// Adaptive average pooling to a fixed `h × w` output, whatever the input size.
    AdaptiveAvgPool {
        /// Output height.
        h: usize,
        /// Output width.
        w: usize,
    },
    /// Flattens `h × w × c` into a vector of `h·w·c` (shown as `1×1×(h·w·c)`).
    Flatten,
    /// Fully connected layer. Its input is flattened implicitly, as torchvision's
    /// `torch.flatten` in `forward` does, so `in = h·w·c`.
    Linear(Linear),
    /// Dropout with drop probability `p` (no parameters, shape unchanged).
    Dropout {
        /// Probability of zeroing an element during training, in `[0, 1)`.
        p: f64,
    },
    /// A residual block: `relu(main(x) + shortcut(x))`.
    Residual(Residual),
}

/// [`Op`]'s serde form's `kind`: one tag per pooling kind (`max_pool`, as the files have
/// always had). A new pooling kind adds its variant here (and its arms in [`Op::try_from`]
/// and [`OpFields::from`]) and in [`PoolKind`].
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Tag {
    Conv,
    MaxPool,
    AvgPool,
    SumPool,
    LocalResponseNorm,
    Activation,
    BatchNorm,
    AdaptiveAvgPool,
    Flatten,
    Linear,
    Dropout,
    Residual,
}

/// [`Op`]'s serde form: the tag and every field any kind has, each optional, written when
/// the kind has it (`groups` only when not 1), so that one struct's visitor reads every layer
/// and [`Op::try_from`] takes what its kind needs. (Serde reads an internally tagged enum by
/// buffering each object before it looks at the tag, a copy of every variant's reader over
/// the buffer: 45 KB of the web app's wasm.) A field that the kind does not have is ignored.
/// The fields are in the order each kind has always written them.
#[derive(Default, Serialize, Deserialize)]
struct OpFields {
    kind: Option<Tag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    out_channels: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kernel: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stride: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    padding: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dilation: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    out_features: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bias: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function: Option<Activation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    h: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    w: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    block: Option<BlockKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    main: Option<Vec<Layer>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shortcut: Option<Vec<Layer>>,
}

impl From<Op> for OpFields {
    fn from(op: Op) -> Self {
        let tagged = |kind| Self {
            kind: Some(kind),
            ..Self::default()
        };
        match op {
            Op::Conv(c) => Self {
                out_channels: Some(c.out_channels),
                kernel: Some(c.kernel),
                stride: Some(c.stride),
                padding: Some(c.padding),
                dilation: Some(c.dilation),
                groups: (c.groups != 1).then_some(c.groups),
                bias: Some(c.bias),
                ..tagged(Tag::Conv)
            },
            Op::Pool { kind, window } => Self {
                kernel: Some(window.kernel),
                stride: Some(window.stride),
                padding: Some(window.padding),
                ..tagged(match kind {
                    PoolKind::Max => Tag::MaxPool,
                    PoolKind::Average => Tag::AvgPool,
                    PoolKind::Sum => Tag::SumPool,
                })
            },
            Op::LocalResponseNorm { size } => Self {
                size: Some(size),
                ..tagged(Tag::LocalResponseNorm)
            },
            Op::Activation { function } => Self {
                function: Some(function),
                ..tagged(Tag::Activation)
            },
            Op::BatchNorm => tagged(Tag::BatchNorm),
            Op::AdaptiveAvgPool { h, w } => Self {
                h: Some(h),
                w: Some(w),
                ..tagged(Tag::AdaptiveAvgPool)
            },
            Op::Flatten => tagged(Tag::Flatten),
            Op::Linear(l) => Self {
                out_features: Some(l.out_features),
                bias: Some(l.bias),
                ..tagged(Tag::Linear)
            },
            Op::Dropout { p } => Self {
                p: Some(p),
                ..tagged(Tag::Dropout)
            },
            Op::Residual(r) => Self {
                block: Some(r.block),
                main: Some(r.main),
                shortcut: Some(r.shortcut),
                ..tagged(Tag::Residual)
            },
        }
    }
}

impl TryFrom<OpFields> for Op {
    type Error = String;

    /// # Errors
    /// "missing field `stride`" (serde's words) for a field the kind needs.
    fn try_from(f: OpFields) -> Result<Self, String> {
        /// The field `$name`, or the error naming it.
        macro_rules! need {
            ($name:ident) => {
                f.$name
                    .ok_or(concat!("missing field `", stringify!($name), "`"))?
            };
        }
        /// A pooling layer of `$kind` over the window its fields give.
        macro_rules! pool {
            ($kind:expr) => {
                Self::pool(
                    $kind,
                    Pool {
                        kernel: need!(kernel),
                        stride: need!(stride),
                        padding: need!(padding),
                    },
                )
            };
        }
        Ok(match need!(kind) {
            Tag::Conv => Self::Conv(Conv {
                out_channels: need!(out_channels),
                kernel: need!(kernel),
                stride: need!(stride),
                padding: need!(padding),
                dilation: need!(dilation),
                groups: f.groups.unwrap_or(1),
                bias: need!(bias),
            }),
            Tag::MaxPool => pool!(PoolKind::Max),
            Tag::AvgPool => pool!(PoolKind::Average),
            Tag::SumPool => pool!(PoolKind::Sum),
            Tag::LocalResponseNorm => Self::LocalResponseNorm { size: need!(size) },
            Tag::Activation => Self::Activation {
                function: need!(function),
            },
            Tag::BatchNorm => Self::BatchNorm,
            Tag::AdaptiveAvgPool => Self::AdaptiveAvgPool {
                h: need!(h),
                w: need!(w),
            },
            Tag::Flatten => Self::Flatten,
            Tag::Linear => Self::Linear(Linear {
                out_features: need!(out_features),
                bias: need!(bias),
            }),
            Tag::Dropout => Self::Dropout { p: need!(p) },
            Tag::Residual => Self::Residual(Residual {
                block: need!(block),
                main: need!(main),
                shortcut: need!(shortcut),
            }),
        })
    }
}

impl Op {
    /// A pooling layer of `kind`.
    #[must_use]
    pub const fn pool(kind: PoolKind, window: Pool) -> Self {
        Self::Pool { kind, window }
    }

    /// Max pooling over `window`.
    #[must_use]
    pub const fn max_pool(window: Pool) -> Self {
        Self::pool(PoolKind::Max, window)
    }

    /// Average pooling over `window`.
    #[must_use]
    pub const fn avg_pool(window: Pool) -> Self {
        Self::pool(PoolKind::Average, window)
    }

    /// Sum pooling over `window`.
    #[must_use]
    pub const fn sum_pool(window: Pool) -> Self {
        Self::pool(PoolKind::Sum, window)
    }

    /// For a pooling layer, its kind and window.
    #[must_use]
    pub const fn as_pool(&self) -> Option<(PoolKind, Pool)> {
        match *self {
            Self::Pool { kind, window } => Some((kind, window)),
            _ => None,
        }
    }

    /// The kind of layer, as reported in [`super::LayerReport::kind`].
    #[must_use]
    pub fn kind(&self) -> LayerKind {
        match self {
            Self::Conv(_) => LayerKind::Conv,
            Self::Pool { kind, .. } => match kind {
                PoolKind::Max => LayerKind::MaxPool,
                PoolKind::Average => LayerKind::AvgPool,
                PoolKind::Sum => LayerKind::SumPool,
            },
            Self::LocalResponseNorm { .. } => LayerKind::LocalResponseNorm,
            Self::Activation { .. } => LayerKind::Activation,
            Self::BatchNorm => LayerKind::BatchNorm,
            Self::AdaptiveAvgPool { .. } => LayerKind::AdaptiveAvgPool,
            Self::Flatten => LayerKind::Flatten,
            Self::Linear(_) => LayerKind::Linear,
            Self::Dropout { .. } => LayerKind::Dropout,
            Self::Residual(r) => match r.block {
                BlockKind::Basic => LayerKind::BasicBlock,
                BlockKind::Bottleneck => LayerKind::Bottleneck,
            },
        }
    }
}

/// The kind of a layer, flat (no parameters), for reports and JSON (`"conv"`, `"max_pool"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    /// Convolution.
    Conv,
    /// Max pooling.
    MaxPool,
    /// Average pooling.
    AvgPool,
    /// Sum pooling.
    SumPool,
    /// Local response normalisation.
    LocalResponseNorm,
    /// Activation function.
    Activation,
    /// Batch normalisation.
    BatchNorm,
    /// Adaptive average pooling.
    AdaptiveAvgPool,
    /// Flatten.
    Flatten,
    /// Fully connected.
    Linear,
    /// Dropout.
    Dropout,
    /// Residual block with two 3×3 convolutions.
    BasicBlock,
    /// Residual block 1×1 → 3×3 → 1×1 with 4× expansion.
    Bottleneck,
}

/// A convolution's hyper-parameters: K filters of F×F (depth D1 comes from the input),
/// stride S, zero padding P, dilation D, and G channel groups (each filter sees D1/G input
/// channels; G = D1 = K is a depthwise convolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conv {
    /// Number of filters K (output depth).
    pub out_channels: usize,
    /// Filter size F (square).
    pub kernel: usize,
    /// Stride S.
    pub stride: usize,
    /// Zero padding P on each side.
    pub padding: usize,
    /// Dilation D (1 = ordinary convolution).
    pub dilation: usize,
    /// Channel groups G (1 = ordinary convolution); must divide D1 and K.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub groups: usize,
    /// Whether each filter has a bias.
    pub bias: bool,
}

const fn one() -> usize {
    1
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
const fn is_one(n: &usize) -> bool {
    *n == 1
}

impl Conv {
    /// `out_channels` filters of `kernel × kernel`, stride 1, no padding, dilation 1, with bias.
    #[must_use]
    pub const fn new(out_channels: usize, kernel: usize) -> Self {
        Self {
            out_channels,
            kernel,
            stride: 1,
            padding: 0,
            dilation: 1,
            groups: 1,
            bias: true,
        }
    }

    /// With stride `stride`.
    #[must_use]
    pub const fn with_stride(mut self, stride: usize) -> Self {
        self.stride = stride;
        self
    }

    /// With zero padding `padding` on each side.
    #[must_use]
    pub const fn with_padding(mut self, padding: usize) -> Self {
        self.padding = padding;
        self
    }

    /// With dilation `dilation`.
    #[must_use]
    pub const fn with_dilation(mut self, dilation: usize) -> Self {
        self.dilation = dilation;
        self
    }

    /// With `groups` channel groups.
    #[must_use]
    pub const fn with_groups(mut self, groups: usize) -> Self {
        self.groups = groups;
        self
    }

    /// Without bias (as before a batch norm).
    #[must_use]
    pub const fn without_bias(mut self) -> Self {
        self.bias = false;
        self
    }
}

impl From<Conv> for Op {
    fn from(c: Conv) -> Self {
        Self::Conv(c)
    }
}

/// A pooling window: F×F at stride S with padding P.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    /// Window size F (square).
    pub kernel: usize,
    /// Stride S.
    pub stride: usize,
    /// Padding P on each side.
    pub padding: usize,
}

impl Pool {
    /// A `kernel × kernel` window at `stride`, no padding.
    #[must_use]
    pub const fn new(kernel: usize, stride: usize) -> Self {
        Self {
            kernel,
            stride,
            padding: 0,
        }
    }

    /// With padding `padding` on each side.
    #[must_use]
    pub const fn with_padding(mut self, padding: usize) -> Self {
        self.padding = padding;
        self
    }
}

/// A fully connected layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Linear {
    /// Number of outputs (neurons).
    pub out_features: usize,
    /// Whether each output has a bias.
    pub bias: bool,
}

impl Linear {
    /// `out_features` neurons with bias.
    #[must_use]
    pub const fn new(out_features: usize) -> Self {
        Self {
            out_features,
            bias: true,
        }
    }
}

impl From<Linear> for Op {
    fn from(l: Linear) -> Self {
        Self::Linear(l)
    }
}

impl From<Activation> for Op {
    fn from(function: Activation) -> Self {
        Self::Activation { function }
    }
}

/// Which residual block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// Two 3×3 convolutions (ResNet-18/34).
    Basic,
    /// 1×1 reduce, 3×3, 1×1 expand ×4 (ResNet-50/101/152).
    Bottleneck,
}

/// A residual block: `relu(main(x) + shortcut(x))`. An empty `shortcut` is the identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Residual {
    /// Basic or bottleneck.
    pub block: BlockKind,
    /// The main path.
    pub main: Vec<Layer>,
    /// The shortcut path; empty means identity, otherwise a projection (1×1 conv + BN).
    pub shortcut: Vec<Layer>,
}

impl Residual {
    /// torchvision's `BasicBlock(in_channels, planes, stride)`: 3×3 conv (stride) → BN → ReLU
    /// → 3×3 conv → BN, plus a 1×1 projection with BN when the stride is not 1 or the depth
    /// changes.
    #[must_use]
    pub fn basic(in_channels: usize, planes: usize, stride: usize) -> Self {
        let relu = || Op::from(Activation::Relu);
        Self {
            block: BlockKind::Basic,
            main: vec![
                Layer::new("conv1", conv3x3(planes, stride)),
                Layer::new("bn1", Op::BatchNorm),
                Layer::new("relu", relu()),
                Layer::new("conv2", conv3x3(planes, 1)),
                Layer::new("bn2", Op::BatchNorm),
            ],
            shortcut: projection(in_channels, planes, stride),
        }
    }

    /// torchvision's `Bottleneck(in_channels, planes, stride)` (ResNet v1.5: the stride sits on
    /// the 3×3): 1×1 conv → BN → ReLU → 3×3 conv (stride) → BN → ReLU → 1×1 conv to
    /// `4·planes` → BN, plus a projection when the stride is not 1 or the depth changes.
    #[must_use]
    pub fn bottleneck(in_channels: usize, planes: usize, stride: usize) -> Self {
        let relu = || Op::from(Activation::Relu);
        let out = planes.saturating_mul(4);
        Self {
            block: BlockKind::Bottleneck,
            main: vec![
                Layer::new("conv1", Conv::new(planes, 1).without_bias()),
                Layer::new("bn1", Op::BatchNorm),
                Layer::new("relu", relu()),
                Layer::new("conv2", conv3x3(planes, stride)),
                Layer::new("bn2", Op::BatchNorm),
                Layer::new("relu2", relu()),
                Layer::new("conv3", Conv::new(out, 1).without_bias()),
                Layer::new("bn3", Op::BatchNorm),
            ],
            shortcut: projection(in_channels, out, stride),
        }
    }
}

impl From<Residual> for Op {
    fn from(r: Residual) -> Self {
        Self::Residual(r)
    }
}

fn conv3x3(out_channels: usize, stride: usize) -> Conv {
    Conv::new(out_channels, 3)
        .with_stride(stride)
        .with_padding(1)
        .without_bias()
}

/// torchvision's `downsample`: present only when the shapes of the two paths would differ.
fn projection(in_channels: usize, out_channels: usize, stride: usize) -> Vec<Layer> {
    if stride == 1 && in_channels == out_channels {
        return Vec::new();
    }
    vec![
        Layer::new(
            "downsample.0",
            Conv::new(out_channels, 1)
                .with_stride(stride)
                .without_bias(),
        ),
        Layer::new("downsample.1", Op::BatchNorm),
    ]
}
