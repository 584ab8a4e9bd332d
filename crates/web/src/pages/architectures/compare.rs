//! The "ImageNet winners" comparison, AlexNet → VGG → ResNet, computed from the core's zoo and
//! its table of published top-5 errors (no UI code).

use convscope_core::arch::{
    LayerKind, LayerReport, NetworkReport, PublishedError, ResultKind, published_top5_errors, zoo,
};

use super::state::{family, label};

/// Weight layers as papers count depth: convolutions and fully connected layers on the main
/// path (a ResNet's projection shortcuts are not counted, so ResNet-18 has 18).
pub fn weight_layers(report: &NetworkReport) -> usize {
    fn count(layers: &[LayerReport]) -> usize {
        layers
            .iter()
            .map(|l| match l.kind {
                LayerKind::Conv | LayerKind::Linear => 1,
                _ => count(&l.main),
            })
            .sum()
    }
    count(&report.layers)
}

/// One network of the comparison, evaluated at its own input.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonRow {
    /// Zoo name.
    pub net: &'static str,
    /// Display name.
    pub label: String,
    /// `AlexNet`, `VGG` or `ResNet`.
    pub family: &'static str,
    /// The input it was evaluated at.
    pub input: String,
    /// Weight layers (see [`weight_layers`]).
    pub depth: usize,
    /// Learnable parameters.
    pub params: u64,
    /// Multiply-accumulates.
    pub macs: u64,
    /// Published top-5 errors of exactly this architecture.
    pub errors: Vec<PublishedError>,
}

/// One step of the slide: the family's challenge result and a representative network.
#[derive(Debug, Clone, PartialEq)]
pub struct Winner {
    /// The family.
    pub family: &'static str,
    /// The challenge year.
    pub year: u16,
    /// The network whose counts are shown.
    pub row: ComparisonRow,
    /// The challenge entry's published top-5 error.
    pub challenge: Option<PublishedError>,
}

/// The families of the slide, in order, with the network that represents each one.
pub const WINNERS: [(&str, &str); 3] = [
    ("AlexNet", "alexnet_lecture"),
    ("VGG", "vgg16"),
    ("ResNet", "resnet152"),
];

/// Every AlexNet, VGG and ResNet of the zoo (batch-norm variants left out: same depth, ≈ same
/// counts), evaluated live.
pub fn rows() -> Vec<ComparisonRow> {
    zoo::all()
        .into_iter()
        .filter(|a| {
            matches!(family(&a.name), "AlexNet" | "VGG" | "ResNet") && !a.name.ends_with("_bn")
        })
        .filter_map(|arch| {
            let net = zoo::NAMES.iter().copied().find(|n| *n == arch.name)?;
            let report = arch.evaluate().ok()?;
            Some(ComparisonRow {
                net,
                label: label(net),
                family: family(net),
                input: report.input.to_string(),
                depth: weight_layers(&report),
                params: report.totals.params,
                macs: report.totals.macs,
                errors: published_top5_errors()
                    .iter()
                    .filter(|e| e.architecture == Some(net))
                    .copied()
                    .collect(),
            })
        })
        .collect()
}

/// The slide: AlexNet (2012) → VGG (2014) → ResNet (2015), from `rows`.
pub fn winners(rows: &[ComparisonRow]) -> Vec<Winner> {
    WINNERS
        .iter()
        .filter_map(|&(fam, net)| {
            let row = rows.iter().find(|r| r.net == net)?.clone();
            let challenge = published_top5_errors()
                .iter()
                .find(|e| e.family == fam && e.kind == ResultKind::ChallengeEnsemble)
                .copied();
            Some(Winner {
                family: fam,
                year: challenge.map_or(0, |c| c.year),
                row,
                challenge,
            })
        })
        .collect()
}

/// A short label for what kind of figure an error is.
pub fn kind_label(kind: ResultKind) -> &'static str {
    match kind {
        ResultKind::ChallengeEnsemble => "challenge ensemble",
        ResultKind::PaperSingleModel => "paper, single model",
        ResultKind::Torchvision => "torchvision weights",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(net: &str) -> usize {
        zoo::by_name(net)
            .and_then(|a| a.evaluate().ok())
            .map_or(0, |r| weight_layers(&r))
    }

    #[test]
    fn depth_counts_weight_layers_as_the_papers_do() {
        assert_eq!(depth("lenet5"), 5);
        assert_eq!(depth("alexnet_lecture"), 8);
        assert_eq!(depth("vgg16"), 16);
        assert_eq!(depth("vgg19_bn"), 19);
        for n in [18, 34, 50, 101, 152] {
            assert_eq!(depth(&format!("resnet{n}")), n);
        }
    }

    #[test]
    fn the_winners_slide_gets_deeper_and_better() {
        let w = winners(&rows());
        let fams: Vec<(&str, u16)> = w.iter().map(|w| (w.family, w.year)).collect();
        assert_eq!(fams, [("AlexNet", 2012), ("VGG", 2014), ("ResNet", 2015)]);
        let errors: Vec<f64> = w
            .iter()
            .filter_map(|w| w.challenge.map(|c| c.top5_error_percent))
            .collect();
        assert_eq!(errors, [16.4, 7.3, 3.57]);
        assert!(w.windows(2).all(|p| p[0].row.depth < p[1].row.depth));
        assert_eq!(rows().len(), 11);
    }
}
