//! The npm datasets, when installed under the workspace's `node_modules/`: skipped with a
//! note otherwise, and a failure when `CI=true` (the parsers' unit tests on inline JSON
//! always run).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use convscope_core::data::{self, DatasetKind, fashion, mnist};

use crate::common;

#[test]
fn mnist_digit_file_reads_when_installed() {
    let Some(dir) = common::datasets(DatasetKind::Mnist) else {
        return;
    };
    let bytes = std::fs::read(dir.join("mnist/src/digits/5.json")).unwrap();
    let images = mnist::parse_digit_file(&bytes, "5.json").unwrap();
    assert_eq!(images.len(), 863 * 784);
    let (train, test) = mnist::split_class(&images);
    assert_eq!((train.len() / 784, test.len() / 784), (690, 173));
    assert!(images.iter().any(|&v| v > 0.9));
}

#[test]
fn mnist_full_split_when_installed() {
    let Some(dir) = common::datasets(DatasetKind::Mnist) else {
        return;
    };
    let split = data::load(DatasetKind::Mnist, &dir).unwrap();
    assert_eq!(split.train.len(), 8_000);
    assert_eq!(split.test.len(), 2_000);
    assert_eq!(split.train.images.len(), 8_000 * 784);
    assert!(split.notes.is_empty());
    for d in 0..10u8 {
        assert!(split.test.labels.iter().filter(|&&l| l == d).count() >= 170);
    }
}

#[test]
fn fashion_class_0_skips_its_two_empty_entries_when_installed() {
    let Some(dir) = common::datasets(DatasetKind::Fashion) else {
        return;
    };
    let bytes = std::fs::read(dir.join("fashion-mnist/src/clothes/0.json")).unwrap();
    let parsed = fashion::parse_class_file(&bytes, "0.json").unwrap();
    assert_eq!(parsed.images.len(), 7_000 * 784);
    assert_eq!(
        parsed.skipped,
        vec![
            fashion::Skipped {
                index: 1_000,
                len: 0
            },
            fashion::Skipped {
                index: 7_001,
                len: 0
            }
        ]
    );
    let (train, test) = fashion::split_class(&parsed.images, "0.json").unwrap();
    assert_eq!((train.len() / 784, test.len() / 784), (6_000, 1_000));
    assert!(parsed.images.iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(DatasetKind::Fashion.class_names()[0], "T-shirt/top");
}

/// The shipped digit network is five networks of `www/nets/digit-resnet.json` merged
/// (`convscope ensemble`), and it still reads what crates/cli/README.md reports for it: at
/// least 99 % of the held-out digits (1,983 of 2,000 on the machine that wrote it) and 98.5 %
/// of the robustness set (1,973) — a margin of a few digits for another CPU's rounding.
#[test]
fn the_shipped_digit_network_is_five_merged_and_reads_its_figures_when_installed() {
    use convscope_core::arch::Architecture;
    use convscope_core::data::robust::{ROBUSTNESS_SEED, robustness_set_tagged};
    use convscope_core::nn::{Network, Rng, Trainer, ensemble};
    use convscope_core::weights::from_safetensors;

    let (net, meta) = from_safetensors(include_bytes!(
        "../../../../www/models/digit-resnet.safetensors"
    ))
    .unwrap();
    let json = include_str!("../../../../www/nets/digit-resnet.json");
    let member = Architecture::from_json(json).unwrap();
    let members: Vec<Network> = (0..5)
        .map(|s| Network::build(&member, &mut Rng::seed_from_u64(s)).unwrap())
        .collect();
    assert_eq!(net.description(), ensemble(&members).unwrap().description());
    assert_eq!(meta.dataset, Some(DatasetKind::Mnist));
    let Some(dir) = common::datasets(DatasetKind::Mnist) else {
        return;
    };
    let split = data::load(DatasetKind::Mnist, &dir).unwrap();
    let mut trainer = Trainer::with_threads(2);
    let held_out = trainer
        .evaluate(&net, &split.test.images, &split.test.labels, 256)
        .unwrap();
    assert!(held_out.stats.correct >= 1_980, "{:?}", held_out.stats);
    let set = robustness_set_tagged(&split.test, ROBUSTNESS_SEED);
    let robust = trainer
        .evaluate(&net, &set.data.images, &set.data.labels, 256)
        .unwrap();
    assert!(robust.stats.correct >= 1_970, "{:?}", robust.stats);
}
