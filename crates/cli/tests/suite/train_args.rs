//! `train` rejects settings that would write a model with an unmeasured accuracy.
#![allow(clippy::expect_used)]

use std::process::Command;

#[test]
fn zero_epochs_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_convscope"))
        .args(["train", "--dataset", "mnist", "--epochs", "0", "--out"])
        .arg(std::env::temp_dir().join("convscope-zero-epochs.safetensors"))
        .output()
        .expect("run convscope");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--epochs"), "{stderr}");
}
