//! Published ImageNet top-5 error rates, for the comparison view.
//!
//! Figures differ by what was evaluated (one model or an ensemble; one crop or many; the
//! validation or the test set), so every entry says which. Sources:
//! - Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep Convolutional Neural
//!   Networks", NIPS 2012, Table 2 (ILSVRC-2012).
//! - Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
//!   Recognition", ICLR 2015 (arXiv:1409.1556v6), Table 7.
//! - He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition", CVPR 2016
//!   (arXiv:1512.03385), abstract and Tables 4–5.
//! - torchvision model documentation, `acc@5 (on ImageNet-1K)` of the `IMAGENET1K_V1`
//!   weights (single 224×224 centre crop, validation set); error = 100 − acc@5.

use serde::Serialize;

/// What kind of figure a [`PublishedError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultKind {
    /// The ensemble entered in (or reported against) the ILSVRC challenge.
    ChallengeEnsemble,
    /// A single model, as reported in the paper.
    PaperSingleModel,
    /// torchvision's pretrained weights, single centre crop.
    Torchvision,
}

/// One published ImageNet top-5 error rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PublishedError {
    /// The family as the lecture names it: `AlexNet`, `VGG`, `ResNet`.
    pub family: &'static str,
    /// The [`super::zoo`] name of the architecture it belongs to, when one matches.
    pub architecture: Option<&'static str>,
    /// Year of the result.
    pub year: u16,
    /// Top-5 error in percent.
    pub top5_error_percent: f64,
    /// Ensemble, single model or torchvision.
    pub kind: ResultKind,
    /// What exactly was evaluated, and on which set.
    pub setting: &'static str,
    /// Where the figure comes from.
    pub source: &'static str,
}

const KRIZHEVSKY: &str = "Krizhevsky et al., NIPS 2012, Table 2";
const SIMONYAN: &str = "Simonyan & Zisserman, ICLR 2015, Table 7";
const HE: &str = "He et al., CVPR 2016";
const TORCHVISION: &str = "torchvision docs, IMAGENET1K_V1 acc@5";

const TABLE: &[PublishedError] = &[
    PublishedError {
        family: "AlexNet",
        architecture: Some("alexnet_lecture"),
        year: 2012,
        top5_error_percent: 16.4,
        kind: ResultKind::ChallengeEnsemble,
        setting: "ILSVRC-2012 test set, average of 5 CNNs (the lecture's 16.4 %)",
        source: KRIZHEVSKY,
    },
    PublishedError {
        family: "AlexNet",
        architecture: Some("alexnet_lecture"),
        year: 2012,
        top5_error_percent: 18.2,
        kind: ResultKind::PaperSingleModel,
        setting: "ILSVRC-2012 validation set, 1 CNN",
        source: KRIZHEVSKY,
    },
    PublishedError {
        family: "AlexNet",
        architecture: Some("alexnet"),
        year: 2017,
        top5_error_percent: 20.934,
        kind: ResultKind::Torchvision,
        setting: "ImageNet-1K validation set, single 224×224 centre crop",
        source: TORCHVISION,
    },
    PublishedError {
        family: "VGG",
        architecture: None,
        year: 2014,
        top5_error_percent: 7.3,
        kind: ResultKind::ChallengeEnsemble,
        setting: "ILSVRC-2014 test set, submitted ensemble of 7 nets (2nd in classification)",
        source: SIMONYAN,
    },
    PublishedError {
        family: "VGG",
        architecture: Some("vgg19"),
        year: 2015,
        top5_error_percent: 7.0,
        kind: ResultKind::PaperSingleModel,
        setting: "ILSVRC-2012 test set, 1 net (configuration E), multi-crop & dense evaluation",
        source: SIMONYAN,
    },
    PublishedError {
        family: "VGG",
        architecture: Some("vgg16"),
        year: 2017,
        top5_error_percent: 9.618,
        kind: ResultKind::Torchvision,
        setting: "ImageNet-1K validation set, single 224×224 centre crop",
        source: TORCHVISION,
    },
    PublishedError {
        family: "ResNet",
        architecture: None,
        year: 2015,
        top5_error_percent: 3.57,
        kind: ResultKind::ChallengeEnsemble,
        setting: "ILSVRC-2015 test set, ensemble of 6 models of different depth (1st place)",
        source: HE,
    },
    PublishedError {
        family: "ResNet",
        architecture: Some("resnet152"),
        year: 2015,
        top5_error_percent: 4.49,
        kind: ResultKind::PaperSingleModel,
        setting: "ILSVRC-2012 validation set, 1 model (ResNet-152), multi-scale evaluation (Table 4)",
        source: HE,
    },
    PublishedError {
        family: "ResNet",
        architecture: Some("resnet18"),
        year: 2017,
        top5_error_percent: 10.922,
        kind: ResultKind::Torchvision,
        setting: "ImageNet-1K validation set, single 224×224 centre crop",
        source: TORCHVISION,
    },
    PublishedError {
        family: "ResNet",
        architecture: Some("resnet50"),
        year: 2017,
        top5_error_percent: 7.138,
        kind: ResultKind::Torchvision,
        setting: "ImageNet-1K validation set, single 224×224 centre crop",
        source: TORCHVISION,
    },
    PublishedError {
        family: "ResNet",
        architecture: Some("resnet152"),
        year: 2017,
        top5_error_percent: 5.954,
        kind: ResultKind::Torchvision,
        setting: "ImageNet-1K validation set, single 224×224 centre crop",
        source: TORCHVISION,
    },
];

/// The table of published top-5 errors, oldest family first.
#[must_use]
pub fn published_top5_errors() -> &'static [PublishedError] {
    TABLE
}
