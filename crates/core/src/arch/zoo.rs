//! The networks of the lecture and their torchvision counterparts, as [`Architecture`]s.
//!
//! Parameter totals match torchvision's `sum(p.numel() for p in model.parameters())`; the
//! tests in `tests/suite/arch_zoo.rs` assert every one.

use super::{Activation, Architecture, Conv, Layer, Linear, Op, Pool, PoolKind, Residual, Volume};

/// Every name [`by_name`] accepts, in the order a listing shows them.
pub const NAMES: &[&str] = &[
    "lenet5",
    "alexnet_lecture",
    "alexnet",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
];

/// The network called `name`, or `None`. Case, `-`, `_` and spaces are ignored, so
/// `ResNet-50`, `resnet_50` and `resnet50` are the same network.
#[must_use]
pub fn by_name(name: &str) -> Option<Architecture> {
    let squash = |s: &str| {
        s.chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .map(|c| c.to_ascii_lowercase())
            .collect::<String>()
    };
    let key = squash(name);
    let canonical = NAMES.iter().find(|n| squash(n) == key)?;
    let arch = match *canonical {
        "lenet5" => lenet5(),
        "alexnet_lecture" => alexnet_lecture(),
        "alexnet" => alexnet(),
        "vgg11" => vgg(Vgg::Vgg11, false),
        "vgg11_bn" => vgg(Vgg::Vgg11, true),
        "vgg13" => vgg(Vgg::Vgg13, false),
        "vgg13_bn" => vgg(Vgg::Vgg13, true),
        "vgg16" => vgg(Vgg::Vgg16, false),
        "vgg16_bn" => vgg(Vgg::Vgg16, true),
        "vgg19" => vgg(Vgg::Vgg19, false),
        "vgg19_bn" => vgg(Vgg::Vgg19, true),
        "resnet18" => resnet(ResNet::ResNet18),
        "resnet34" => resnet(ResNet::ResNet34),
        "resnet50" => resnet(ResNet::ResNet50),
        "resnet101" => resnet(ResNet::ResNet101),
        "resnet152" => resnet(ResNet::ResNet152),
        _ => return None,
    };
    Some(arch)
}

/// All networks of [`NAMES`], in that order.
#[must_use]
pub fn all() -> Vec<Architecture> {
    NAMES.iter().filter_map(|n| by_name(n)).collect()
}

fn relu() -> Op {
    Activation::Relu.into()
}

/// LeNet-5 for 28×28 grayscale images (PyTorch's usual adaptation of LeCun et al. 1998):
/// conv1 6 5×5 pad 2 → activation → 2×2 pooling → conv2 16 5×5 → activation → 2×2 pooling
/// → flatten → fc1 120 → activation → fc2 84 → activation → fc3 10; 61,706 parameters.
/// ReLU and max pooling, the modern variant ([`lenet5_with`] for others).
#[must_use]
pub fn lenet5() -> Architecture {
    lenet5_with(Activation::Relu, PoolKind::Max)
}

/// LeNet-5 with another activation and pooling: `lenet5_with(Tanh, Average)` is LeCun's.
/// Layer names follow the activation (`relu1` … `relu4`, `tanh1` …).
#[must_use]
pub fn lenet5_with(activation: Activation, pool: PoolKind) -> Architecture {
    let base = match activation {
        Activation::LeakyRelu { .. } => "leaky_relu".to_owned(),
        a => a.to_string(),
    };
    let act = |i: usize| Layer::new(format!("{base}{i}"), Op::from(activation));
    let pooling = |i: usize| Layer::new(format!("pool{i}"), Op::pool(pool, Pool::new(2, 2)));
    let (name, title) = if (activation, pool) == (Activation::Relu, PoolKind::Max) {
        (
            "lenet5".to_owned(),
            "LeNet-5, modern variant with ReLU and max pooling (after LeCun et al. 1998)"
                .to_owned(),
        )
    } else if (activation, pool) == (Activation::Tanh, PoolKind::Average) {
        (
            "lenet5_lecun".to_owned(),
            "LeNet-5 with tanh and average pooling, as LeCun et al. (1998)".to_owned(),
        )
    } else {
        (
            format!("lenet5_{base}_{pool}"),
            format!("LeNet-5 with {} and {pool} pooling", activation.name()),
        )
    };
    Architecture {
        name,
        title,
        input: Volume::new(28, 28, 1),
        layers: vec![
            Layer::new("conv1", Conv::new(6, 5).with_padding(2)),
            act(1),
            pooling(1),
            Layer::new("conv2", Conv::new(16, 5)),
            act(2),
            pooling(2),
            Layer::new("flatten", Op::Flatten),
            Layer::new("fc1", Linear::new(120)),
            act(3),
            Layer::new("fc2", Linear::new(84)),
            act(4),
            Layer::new("fc3", Linear::new(10)),
        ],
    }
}

/// AlexNet exactly as the lecture's table has it (227×227×3, one GPU, no grouping, LRN
/// after POOL1/POOL2, torchvision's adaptive average pool before FC6). Like the table it
/// lists no ReLU or dropout rows; they change no count.
#[must_use]
pub fn alexnet_lecture() -> Architecture {
    let max_pool = || Op::max_pool(Pool::new(3, 2));
    let norm = || Op::LocalResponseNorm { size: 5 };
    Architecture {
        name: "alexnet_lecture".to_owned(),
        title: "AlexNet as in the lecture's table (Krizhevsky et al. 2012, simplified)".to_owned(),
        input: Volume::new(227, 227, 3),
        layers: vec![
            Layer::new("CONV1", Conv::new(96, 11).with_stride(4)),
            Layer::new("MAX POOL1", max_pool()),
            Layer::new("NORM1", norm()),
            Layer::new("CONV2", Conv::new(256, 5).with_padding(2)),
            Layer::new("MAX POOL2", max_pool()),
            Layer::new("NORM2", norm()),
            Layer::new("CONV3", Conv::new(384, 3).with_padding(1)),
            Layer::new("CONV4", Conv::new(384, 3).with_padding(1)),
            Layer::new("CONV5", Conv::new(256, 3).with_padding(1)),
            Layer::new("MAX POOL3", max_pool()),
            Layer::new("ADAPTIVE AVG POOL", Op::AdaptiveAvgPool { h: 6, w: 6 }),
            Layer::new("FC6", Linear::new(4096)),
            Layer::new("FC7", Linear::new(4096)),
            Layer::new("FC8", Linear::new(1000)),
        ],
    }
}

/// torchvision's `alexnet()` (from Krizhevsky's "One weird trick", 2014): 224×224×3,
/// 64/192/384/256/256 filters, no LRN. 61,100,840 parameters.
#[must_use]
pub fn alexnet() -> Architecture {
    let max_pool = || Op::max_pool(Pool::new(3, 2));
    let dropout = || Op::Dropout { p: 0.5 };
    Architecture {
        name: "alexnet".to_owned(),
        title: "AlexNet (torchvision; Krizhevsky 2014, \"One weird trick\")".to_owned(),
        input: Volume::new(224, 224, 3),
        layers: vec![
            Layer::new("conv1", Conv::new(64, 11).with_stride(4).with_padding(2)),
            Layer::new("relu1", relu()),
            Layer::new("pool1", max_pool()),
            Layer::new("conv2", Conv::new(192, 5).with_padding(2)),
            Layer::new("relu2", relu()),
            Layer::new("pool2", max_pool()),
            Layer::new("conv3", Conv::new(384, 3).with_padding(1)),
            Layer::new("relu3", relu()),
            Layer::new("conv4", Conv::new(256, 3).with_padding(1)),
            Layer::new("relu4", relu()),
            Layer::new("conv5", Conv::new(256, 3).with_padding(1)),
            Layer::new("relu5", relu()),
            Layer::new("pool5", max_pool()),
            Layer::new("avgpool", Op::AdaptiveAvgPool { h: 6, w: 6 }),
            Layer::new("drop6", dropout()),
            Layer::new("fc6", Linear::new(4096)),
            Layer::new("relu6", relu()),
            Layer::new("drop7", dropout()),
            Layer::new("fc7", Linear::new(4096)),
            Layer::new("relu7", relu()),
            Layer::new("fc8", Linear::new(1000)),
        ],
    }
}

/// The VGG configurations of Simonyan & Zisserman (2015), Table 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vgg {
    /// Configuration A, 11 weight layers.
    Vgg11,
    /// Configuration B, 13 weight layers.
    Vgg13,
    /// Configuration D, 16 weight layers.
    Vgg16,
    /// Configuration E, 19 weight layers.
    Vgg19,
}

impl Vgg {
    /// Convolutions per stage (each stage ends in a 2×2 max pool); widths 64, 128, 256, 512, 512.
    const fn convs_per_stage(self) -> [usize; 5] {
        match self {
            Self::Vgg11 => [1, 1, 2, 2, 2],
            Self::Vgg13 => [2, 2, 2, 2, 2],
            Self::Vgg16 => [2, 2, 3, 3, 3],
            Self::Vgg19 => [2, 2, 4, 4, 4],
        }
    }

    const fn depth(self) -> usize {
        match self {
            Self::Vgg11 => 11,
            Self::Vgg13 => 13,
            Self::Vgg16 => 16,
            Self::Vgg19 => 19,
        }
    }
}

/// torchvision's `vggNN()` / `vggNN_bn()`: 3×3 pad-1 convolutions (with bias, also before
/// batch norm), 2×2 stride-2 max pools, adaptive average pool to 7×7, then
/// fc 4096 → ReLU → dropout → fc 4096 → ReLU → dropout → fc 1000.
#[must_use]
pub fn vgg(config: Vgg, batch_norm: bool) -> Architecture {
    let depth = config.depth();
    let mut layers = Vec::new();
    for (stage, (&convs, width)) in config
        .convs_per_stage()
        .iter()
        .zip([64, 128, 256, 512, 512])
        .enumerate()
    {
        let s = stage + 1;
        for i in 1..=convs {
            layers.push(Layer::new(
                format!("conv{s}_{i}"),
                Conv::new(width, 3).with_padding(1),
            ));
            if batch_norm {
                layers.push(Layer::new(format!("bn{s}_{i}"), Op::BatchNorm));
            }
            layers.push(Layer::new(format!("relu{s}_{i}"), relu()));
        }
        layers.push(Layer::new(
            format!("pool{s}"),
            Op::max_pool(Pool::new(2, 2)),
        ));
    }
    layers.push(Layer::new("avgpool", Op::AdaptiveAvgPool { h: 7, w: 7 }));
    for (n, width) in [(6, 4096), (7, 4096)] {
        layers.push(Layer::new(format!("fc{n}"), Linear::new(width)));
        layers.push(Layer::new(format!("relu{n}"), relu()));
        layers.push(Layer::new(format!("drop{n}"), Op::Dropout { p: 0.5 }));
    }
    layers.push(Layer::new("fc8", Linear::new(1000)));
    let (suffix, bn_title) = if batch_norm {
        ("_bn", " with batch norm")
    } else {
        ("", "")
    };
    Architecture {
        name: format!("vgg{depth}{suffix}"),
        title: format!("VGG-{depth}{bn_title} (torchvision; Simonyan & Zisserman 2015)"),
        input: Volume::new(224, 224, 3),
        layers,
    }
}

/// The ResNets of He et al. (2016), as torchvision builds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResNet {
    /// Basic blocks [2, 2, 2, 2].
    ResNet18,
    /// Basic blocks [3, 4, 6, 3].
    ResNet34,
    /// Bottlenecks [3, 4, 6, 3].
    ResNet50,
    /// Bottlenecks [3, 4, 23, 3].
    ResNet101,
    /// Bottlenecks [3, 8, 36, 3].
    ResNet152,
}

impl ResNet {
    const fn depth(self) -> usize {
        match self {
            Self::ResNet18 => 18,
            Self::ResNet34 => 34,
            Self::ResNet50 => 50,
            Self::ResNet101 => 101,
            Self::ResNet152 => 152,
        }
    }

    const fn blocks(self) -> [usize; 4] {
        match self {
            Self::ResNet18 => [2, 2, 2, 2],
            Self::ResNet34 | Self::ResNet50 => [3, 4, 6, 3],
            Self::ResNet101 => [3, 4, 23, 3],
            Self::ResNet152 => [3, 8, 36, 3],
        }
    }

    const fn bottleneck(self) -> bool {
        matches!(self, Self::ResNet50 | Self::ResNet101 | Self::ResNet152)
    }
}

/// torchvision's `resnetNN()` (v1.5: a bottleneck's stride sits on its 3×3): 7×7/2 conv 64
/// (no bias) → BN → ReLU → 3×3/2 max pool (pad 1) → four stages of residual blocks at
/// 64/128/256/512 planes (the first block of stages 2–4 has stride 2 and a projection
/// shortcut) → adaptive average pool 1×1 → fc 1000.
#[must_use]
pub fn resnet(config: ResNet) -> Architecture {
    let mut layers = vec![
        Layer::new(
            "conv1",
            Conv::new(64, 7)
                .with_stride(2)
                .with_padding(3)
                .without_bias(),
        ),
        Layer::new("bn1", Op::BatchNorm),
        Layer::new("relu", relu()),
        Layer::new("maxpool", Op::max_pool(Pool::new(3, 2).with_padding(1))),
    ];
    let expansion = if config.bottleneck() { 4 } else { 1 };
    let mut channels = 64;
    for (stage, (&blocks, planes)) in config.blocks().iter().zip([64, 128, 256, 512]).enumerate() {
        for b in 0..blocks {
            let stride = if stage > 0 && b == 0 { 2 } else { 1 };
            let block = if config.bottleneck() {
                Residual::bottleneck(channels, planes, stride)
            } else {
                Residual::basic(channels, planes, stride)
            };
            layers.push(Layer::new(format!("layer{}.{b}", stage + 1), block));
            channels = planes * expansion;
        }
    }
    layers.push(Layer::new("avgpool", Op::AdaptiveAvgPool { h: 1, w: 1 }));
    layers.push(Layer::new("fc", Linear::new(1000)));
    let depth = config.depth();
    Architecture {
        name: format!("resnet{depth}"),
        title: format!("ResNet-{depth} (torchvision v1.5; He et al. 2016)"),
        input: Volume::new(224, 224, 3),
        layers,
    }
}
