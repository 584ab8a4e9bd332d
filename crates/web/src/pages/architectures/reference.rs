//! Published reference totals that the page's computed totals are shown beside.
//!
//! These are facts being compared against, not results: every total on the page is computed
//! by `convscope_core::arch`. torchvision's figures are the `num_params` and `GFLOPS` rows of
//! each model's page in the torchvision model documentation
//! (<https://docs.pytorch.org/vision/stable/models.html>, `IMAGENET1K_V1` weights); its
//! "GFLOPS" count multiply-accumulates of convolution and linear layers at 224×224, the same
//! convention as the core's MACs. The core's `tests/suite/arch_zoo.rs` asserts the parameter totals.

/// Where a reference total comes from.
pub const TORCHVISION_SOURCE: &str =
    "torchvision model documentation, num_params and GFLOPS of the IMAGENET1K_V1 weights";

/// One published total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reference {
    /// The zoo name it belongs to.
    pub net: &'static str,
    /// Published parameter count.
    pub params: u64,
    /// Whether `params` is a rounded figure (`≈ 60 million`) rather than an exact count.
    pub approximate: bool,
    /// Published GMACs at the published input size (torchvision's "GFLOPS"), if any.
    pub gmacs: Option<f64>,
    /// Who published it.
    pub source: &'static str,
}

const fn tv(net: &'static str, params: u64, gmacs: f64) -> Reference {
    Reference {
        net,
        params,
        approximate: false,
        gmacs: Some(gmacs),
        source: TORCHVISION_SOURCE,
    }
}

/// Published totals, one per network that has one.
pub const REFERENCES: &[Reference] = &[
    Reference {
        net: "alexnet_lecture",
        params: 60_000_000,
        approximate: true,
        gmacs: None,
        source: "the lecture (\"60,000,000 params\") and Krizhevsky et al. 2012 (\"60 million parameters\"); torchvision has no model with this table's widths",
    },
    tv("alexnet", 61_100_840, 0.71),
    tv("vgg11", 132_863_336, 7.61),
    tv("vgg11_bn", 132_868_840, 7.61),
    tv("vgg13", 133_047_848, 11.31),
    tv("vgg13_bn", 133_053_736, 11.31),
    tv("vgg16", 138_357_544, 15.47),
    tv("vgg16_bn", 138_365_992, 15.47),
    tv("vgg19", 143_667_240, 19.63),
    tv("vgg19_bn", 143_678_248, 19.63),
    tv("resnet18", 11_689_512, 1.81),
    tv("resnet34", 21_797_672, 3.66),
    tv("resnet50", 25_557_032, 4.09),
    tv("resnet101", 44_549_160, 7.8),
    tv("resnet152", 60_192_808, 11.51),
];

/// The published totals for `net`, if any.
pub fn reference(net: &str) -> Option<&'static Reference> {
    REFERENCES.iter().find(|r| r.net == net)
}

#[cfg(test)]
mod tests {
    use convscope_core::arch::zoo;

    use super::*;

    #[test]
    fn computed_totals_match_torchvision() {
        for r in REFERENCES.iter().filter(|r| !r.approximate) {
            let report = zoo::by_name(r.net)
                .and_then(|a| a.evaluate().ok())
                .unwrap_or_else(|| panic!("{} does not evaluate", r.net));
            assert_eq!(report.totals.params, r.params, "{}", r.net);
            let gmacs = report.totals.macs as f64 / 1e9;
            let published = r.gmacs.unwrap_or_default();
            assert!(
                (gmacs - published).abs() / published < 0.02,
                "{}: {gmacs} vs {published}",
                r.net
            );
        }
    }

    #[test]
    fn every_reference_names_a_zoo_network() {
        for r in REFERENCES {
            assert!(zoo::NAMES.contains(&r.net), "{}", r.net);
        }
    }
}
