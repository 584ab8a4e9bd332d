//! The training data in the worker: `data/<dataset>/manifest.json` and as many of its
//! chunks as the chosen subset needs (`cargo xtask build` writes them from the npm
//! packages; [`convscope_core::data::pack`] is their format), each through the Cache API so
//! that a second visit reads them from the browser instead of the network.

use convscope_core::data::pack::{ChunkInfo, Manifest, chunks_for, decode_chunk};
use convscope_core::data::{Dataset, DatasetKind};

use crate::fetch::fetch_bytes;
use crate::storage::cached_fetch;

/// The Cache API cache holding data chunks (the format version is in the name).
pub const DATA_CACHE: &str = "convscope-data-v1";

/// The page's origin: the worker runs from a `blob:` URL, against which relative URLs
/// cannot be resolved.
fn origin() -> String {
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &"location".into())
        .and_then(|l| js_sys::Reflect::get(&l, &"origin".into()))
        .ok()
        .and_then(|o| o.as_string())
        .filter(|o| o != "null")
        .unwrap_or_default()
}

/// A dataset's training and test images, as many as asked for.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The first `train_images` training images.
    pub train: Dataset,
    /// The first `test_images` test images.
    pub test: Dataset,
    /// Class names.
    pub classes: Vec<String>,
    /// Chunks read from the browser's cache rather than the network.
    pub from_cache: usize,
    /// Chunks in all.
    pub chunks: usize,
}

async fn read_chunks(
    base: &str,
    chunks: &[ChunkInfo],
    images: usize,
    done: &mut usize,
    total: usize,
    from_cache: &mut usize,
    progress: &dyn Fn(usize, usize),
) -> Result<Dataset, String> {
    let mut set = Dataset::default();
    for c in &chunks[..chunks_for(chunks, images)] {
        let url = format!("{base}/{}", c.file);
        let fetched = cached_fetch(DATA_CACHE, &url)
            .await
            .map_err(|e| e.to_string())?;
        if fetched.bytes.len() != c.bytes {
            return Err(format!(
                "{url} holds {} bytes, the manifest says {}",
                fetched.bytes.len(),
                c.bytes
            ));
        }
        *from_cache += usize::from(fetched.from_cache);
        let part = decode_chunk(&fetched.bytes).map_err(|e| format!("{url}: {e}"))?;
        set.images.extend_from_slice(&part.images);
        set.labels.extend_from_slice(&part.labels);
        *done += 1;
        progress(*done, total);
    }
    let keep = images.min(set.len());
    set.labels.truncate(keep);
    set.images
        .truncate(keep * convscope_core::data::IMAGE_PIXELS);
    Ok(set)
}

/// Fetches the first `train_images` training and `test_images` test images of `kind`,
/// calling `progress(done, total)` after each file.
///
/// # Errors
/// A message naming the file that could not be fetched or read.
pub async fn load(
    kind: DatasetKind,
    train_images: usize,
    test_images: usize,
    progress: &dyn Fn(usize, usize),
) -> Result<Loaded, String> {
    let base = format!("{}/data/{}", origin(), kind.name());
    let manifest = fetch_bytes(&format!("{base}/manifest.json")).await?;
    let manifest = Manifest::from_json(&manifest).map_err(|e| e.to_string())?;
    let within = |asked: usize, have: usize, what: &str| {
        if asked == 0 || asked > have {
            Err(format!(
                "{} has {have} {what} images; choose between 1 and {have}",
                kind.name()
            ))
        } else {
            Ok(())
        }
    };
    within(train_images, manifest.train_images, "training")?;
    within(test_images, manifest.test_images, "test")?;
    let total = chunks_for(&manifest.train, train_images) + chunks_for(&manifest.test, test_images);
    progress(0, total);
    let (mut done, mut from_cache) = (0, 0);
    let train = read_chunks(
        &base,
        &manifest.train,
        train_images,
        &mut done,
        total,
        &mut from_cache,
        progress,
    )
    .await?;
    let test = read_chunks(
        &base,
        &manifest.test,
        test_images,
        &mut done,
        total,
        &mut from_cache,
        progress,
    )
    .await?;
    Ok(Loaded {
        train,
        test,
        classes: manifest.classes,
        from_cache,
        chunks: total,
    })
}

/// Fetches the first `test_images` test images of `kind` (at most the split's), for the
/// Classify page's filter search; `progress(done, total)` after each file.
///
/// # Errors
/// A message naming the file that could not be fetched or read.
pub async fn load_test(
    kind: DatasetKind,
    test_images: usize,
    progress: &dyn Fn(usize, usize),
) -> Result<Dataset, String> {
    let base = format!("{}/data/{}", origin(), kind.name());
    let manifest = fetch_bytes(&format!("{base}/manifest.json")).await?;
    let manifest = Manifest::from_json(&manifest).map_err(|e| e.to_string())?;
    let n = test_images.min(manifest.test_images);
    let total = chunks_for(&manifest.test, n);
    let (mut done, mut from_cache) = (0, 0);
    read_chunks(
        &base,
        &manifest.test,
        n,
        &mut done,
        total,
        &mut from_cache,
        progress,
    )
    .await
}
