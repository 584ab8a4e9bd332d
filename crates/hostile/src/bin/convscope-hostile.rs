//! Writes the hostile-file corpus: `convscope-hostile [DIR]` (default `target/hostile`),
//! reading the shipped model and gallery from `www/` of the workspace.

use std::path::PathBuf;
use std::process::ExitCode;

use convscope_hostile::{Sources, corpus};

fn run() -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| root.join("target/hostile"), PathBuf::from);
    let read = |p: &str| std::fs::read(root.join(p)).map_err(|e| format!("{p}: {e}"));
    let model = read("www/models/lenet-mnist.safetensors")?;
    let samples = read("www/samples/mnist-test.safetensors")?;
    let cases = corpus(Sources {
        model: &model,
        samples: &samples,
    })?;
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut bytes = 0;
    for c in &cases {
        std::fs::write(dir.join(&c.file), &c.bytes).map_err(|e| format!("{}: {e}", c.file))?;
        bytes += c.bytes.len();
    }
    let manifest = serde_json::to_string_pretty(&cases).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("manifest.json"), manifest).map_err(|e| e.to_string())?;
    println!("{} cases ({bytes} bytes) in {}", cases.len(), dir.display());
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("convscope-hostile: {e}");
            ExitCode::FAILURE
        }
    }
}
