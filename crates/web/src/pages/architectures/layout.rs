//! Geometry of the block diagram (no UI code): one block per layer that changes the volume
//! or holds parameters, its height growing with the log of the spatial size and its width
//! with the log of the depth, so a 227×227×3 input is tall and thin and a 1×1×4096 vector is
//! short and wide.

use convscope_core::arch::{LayerKind, NetworkReport, Volume};

use super::state::LayerPath;

/// Left and right margin, in SVG units.
const MARGIN: f64 = 14.0;
/// Least and most space between blocks: small networks spread out to [`TARGET_WIDTH`],
/// deep ones pack tightly (and scroll).
const GAP: f64 = 10.0;
const MAX_GAP: f64 = 48.0;
/// The width the diagram spreads a small network over (about the page's content width).
const TARGET_WIDTH: f64 = 1180.0;
/// Room kept at the right for the last block's rotated labels when spreading.
const TAIL: f64 = 110.0;
/// Room above the tallest block for the rotated volume labels.
const TOP: f64 = 78.0;
/// Room below the blocks for the rotated names.
const BOTTOM: f64 = 96.0;
/// Approximate advance of one label character (10.5px monospace), for the labels' reach.
const LABEL_ADVANCE: f64 = 6.6;

/// What a block stands for, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockClass {
    /// The input volume.
    Input,
    /// Convolution.
    Conv,
    /// Max, average or adaptive average pooling.
    Pool,
    /// Local response normalisation.
    Norm,
    /// Fully connected.
    Linear,
    /// A residual block.
    Residual,
}

impl BlockClass {
    fn of(kind: LayerKind) -> Option<Self> {
        match kind {
            LayerKind::Conv => Some(Self::Conv),
            LayerKind::MaxPool
            | LayerKind::AvgPool
            | LayerKind::SumPool
            | LayerKind::AdaptiveAvgPool => Some(Self::Pool),
            LayerKind::LocalResponseNorm => Some(Self::Norm),
            LayerKind::Linear => Some(Self::Linear),
            LayerKind::BasicBlock | LayerKind::Bottleneck => Some(Self::Residual),
            // Element-wise layers and flatten keep the volume and are drawn by their neighbours.
            LayerKind::Activation
            | LayerKind::BatchNorm
            | LayerKind::Dropout
            | LayerKind::Flatten => None,
        }
    }

    /// CSS class suffix.
    pub fn css(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::Conv => "conv",
            Self::Pool => "pool",
            Self::Norm => "norm",
            Self::Linear => "linear",
            Self::Residual => "residual",
        }
    }

    /// Legend text.
    pub fn legend(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::Conv => "convolution",
            Self::Pool => "pooling",
            Self::Norm => "normalisation",
            Self::Linear => "fully connected",
            Self::Residual => "residual block",
        }
    }

    /// Every class, in legend order.
    pub const ALL: [BlockClass; 6] = [
        Self::Input,
        Self::Conv,
        Self::Pool,
        Self::Norm,
        Self::Linear,
        Self::Residual,
    ];
}

/// One drawn block.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The layer it draws (`None` for the input).
    pub path: Option<LayerPath>,
    /// Its colour class.
    pub class: BlockClass,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width (∝ log₂ depth).
    pub width: f64,
    /// Height (∝ log₂ spatial size).
    pub height: f64,
    /// The layer's name (`CONV1`, `layer2.0`).
    pub name: String,
    /// The output as the lecture writes it (`55x55x96`, `4096`).
    pub volume: String,
}

/// The whole diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagram {
    /// Blocks, left to right.
    pub blocks: Vec<Block>,
    /// Total width.
    pub width: f64,
    /// Total height.
    pub height: f64,
    /// The horizontal line the blocks are centred on.
    pub mid: f64,
}

/// Block height for a volume: 10 + 17·log₂(max(h, w)) (so 1×1 is 10, 227×227 is ≈ 143).
pub fn block_height(v: Volume) -> f64 {
    10.0 + 17.0 * (v.h.max(v.w).max(1) as f64).log2()
}

/// Block width for a volume: 5 + 2.2·log₂(depth) (so depth 3 is ≈ 8.5, 4096 is ≈ 31).
pub fn block_width(v: Volume) -> f64 {
    5.0 + 2.2 * (v.c.max(1) as f64).log2()
}

/// Lays out `report`: the input, then every top-level layer that changes the volume or has
/// parameters.
pub fn layout(report: &NetworkReport) -> Diagram {
    let mut items: Vec<(Option<LayerPath>, BlockClass, String, Volume, String)> = vec![(
        None,
        BlockClass::Input,
        "INPUT".to_owned(),
        report.input,
        report.input.to_string(),
    )];
    for (i, layer) in report.layers.iter().enumerate() {
        if let Some(class) = BlockClass::of(layer.kind) {
            items.push((
                Some(LayerPath::top(i)),
                class,
                layer.name.clone(),
                layer.output,
                layer.output_label(),
            ));
        }
    }
    let tallest = items
        .iter()
        .map(|(_, _, _, v, _)| block_height(*v))
        .fold(0.0, f64::max);
    let mid = TOP + tallest / 2.0;
    let widths: f64 = items.iter().map(|(_, _, _, v, _)| block_width(*v)).sum();
    let spaces = items.len().saturating_sub(1).max(1) as f64;
    let gap = ((TARGET_WIDTH - 2.0 * MARGIN - TAIL - widths) / spaces).clamp(GAP, MAX_GAP);
    let mut x = MARGIN;
    let blocks: Vec<Block> = items
        .into_iter()
        .map(|(path, class, name, v, volume)| {
            let (width, height) = (block_width(v), block_height(v));
            let block = Block {
                path,
                class,
                x,
                y: mid - height / 2.0,
                width,
                height,
                name,
                volume,
            };
            x += width + gap;
            block
        })
        .collect();
    // Rotated labels reach right of their block: names down-right, volumes up-right.
    let reach = blocks
        .iter()
        .map(|b| {
            let chars = b.name.chars().count().max(b.volume.chars().count()) as f64;
            b.x + b.width / 2.0 + chars * LABEL_ADVANCE * 40f64.to_radians().cos()
        })
        .fold(x - gap, f64::max);
    Diagram {
        blocks,
        width: reach + MARGIN,
        height: TOP + tallest + BOTTOM,
        mid,
    }
}

#[cfg(test)]
mod tests {
    use convscope_core::arch::zoo;

    use super::*;

    fn diagram(net: &str) -> Diagram {
        zoo::by_name(net)
            .and_then(|a| a.evaluate().ok())
            .map(|r| layout(&r))
            .unwrap_or_else(|| panic!("{net}"))
    }

    #[test]
    fn lecture_alexnet_draws_every_row_of_the_table() {
        let d = diagram("alexnet_lecture");
        let names: Vec<&str> = d.blocks.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names.len(), 15);
        assert_eq!(names[..3], ["INPUT", "CONV1", "MAX POOL1"]);
        assert_eq!(d.blocks[1].volume, "55x55x96");
        // Tall thin input, short wide classifier.
        let (input, fc) = (&d.blocks[0], &d.blocks[14]);
        assert!(input.height > fc.height && input.width < fc.width);
        // Left to right without overlap, centred on one line.
        for pair in d.blocks.windows(2) {
            assert!(pair[0].x + pair[0].width < pair[1].x);
        }
        for b in &d.blocks {
            assert!((b.y + b.height / 2.0 - d.mid).abs() < 1e-9);
            assert!(b.y >= 0.0 && b.y + b.height <= d.height);
        }
    }

    #[test]
    fn element_wise_layers_are_not_drawn() {
        let d = diagram("resnet18");
        // input, conv1, maxpool, 8 blocks, avgpool, fc.
        assert_eq!(d.blocks.len(), 13);
        assert_eq!(
            d.blocks
                .iter()
                .filter(|b| b.class == BlockClass::Residual)
                .count(),
            8
        );
    }
}
