//! `cargo xtask fuzz`: the cargo-fuzz targets in `fuzz/`, each for a number of seconds.
//!
//! Installs cargo-fuzz (pinned) when missing, needs a nightly toolchain (libFuzzer and the
//! sanitizers), writes the seed corpora from code (images in every supported format, the
//! shipped weights and small networks written by the core, the zoo's descriptions), runs
//! every target in turn on one core and prints, per target, the executions and whether it
//! found a crash, a timeout or an out-of-memory input (and where libFuzzer wrote it).
//!
//! Not part of `cargo xtask test`: the targets' findings live on as named regression tests
//! in `crates/core/tests/suite/fuzz_regressions.rs`, which it runs.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use convscope_core::arch::{Architecture, zoo};
use convscope_core::data::DatasetKind;
use convscope_core::nn::{Network, Rng};
use convscope_core::weights::{ModelMetadata, to_safetensors};
use image::{DynamicImage, ImageFormat, Luma, LumaA, Rgb, Rgba};

use crate::cmd::{self, output, step};
use crate::setup;

/// cargo-fuzz's version, installed with `cargo install` when missing.
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// A fuzz target (a file in `fuzz/fuzz_targets/`) and libFuzzer's `-max_len` for it.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub name: &'static str,
    pub max_len: usize,
}

/// Every target, in the order they run.
pub const TARGETS: [Target; 4] = [
    // Images up to 64 KiB: enough for every format's headers and a few chunks.
    Target {
        name: "image_decode",
        max_len: 1 << 16,
    },
    // The shipped models are about 300 KB and must fit whole.
    Target {
        name: "weights",
        max_len: 1 << 19,
    },
    // The zoo's JSON must fit whole (ResNet-152's is 36 KB); a typed line is far shorter.
    Target {
        name: "network_text",
        max_len: 1 << 16,
    },
    Target {
        name: "shape",
        max_len: 256,
    },
];

/// libFuzzer's limits for every run: memory per process and seconds per input.
const RSS_LIMIT_MB: u32 = 2048;
const TIMEOUT_SECONDS: u32 = 10;

#[derive(Debug)]
pub struct Options {
    pub seconds: u64,
    pub targets: Vec<Target>,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut seconds = 60;
        let mut targets = Vec::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |flag: &str| {
                args.next()
                    .cloned()
                    .ok_or_else(|| format!("{flag} wants a value"))
            };
            match arg.as_str() {
                "--seconds" => {
                    let v = value("--seconds")?;
                    seconds = v.parse().ok().filter(|&s| s > 0).ok_or_else(|| {
                        format!("--seconds wants a whole number above 0, got `{v}`")
                    })?;
                }
                "--target" => {
                    let v = value("--target")?;
                    let t = TARGETS.iter().find(|t| t.name == v).ok_or_else(|| {
                        let names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
                        format!("no fuzz target `{v}`; the targets are {}", names.join(", "))
                    })?;
                    targets.push(*t);
                }
                other => {
                    return Err(format!(
                        "fuzz takes `--seconds N` and `--target NAME`, got `{other}`"
                    ));
                }
            }
        }
        if targets.is_empty() {
            targets = TARGETS.to_vec();
        }
        Ok(Self { seconds, targets })
    }
}

/// What one run found.
#[derive(Debug)]
struct Outcome {
    target: &'static str,
    executions: Option<u64>,
    /// The input libFuzzer wrote for a crash, timeout or out-of-memory abort.
    artifact: Option<String>,
    log: PathBuf,
    success: bool,
}

/// Installs what is missing, writes the seeds and runs every chosen target.
///
/// # Errors
/// A missing nightly toolchain, a failed install or build, or any target that found a
/// crash (after every target has run).
pub fn fuzz(options: &Options) -> Result<(), String> {
    nightly()?;
    cargo_fuzz()?;
    let dir = cmd::root().join("fuzz");
    step("seed corpora (fuzz/corpus/<target>/seed-*)");
    let counts = write_seeds(&dir.join("corpus"))?;
    for (target, n) in &counts {
        println!("{target}: {n} seeds");
    }
    let mut outcomes = Vec::new();
    for target in &options.targets {
        step(&format!(
            "fuzzing {} for {} s (max_len {}, rss limit {RSS_LIMIT_MB} MB, timeout {TIMEOUT_SECONDS} s)",
            target.name, options.seconds, target.max_len
        ));
        outcomes.push(run_target(&dir, *target, options.seconds)?);
    }
    step("fuzzing results");
    let cpu = output("sh", &["-c", "lscpu | sed -n 's/^Model name: *//p'"]).unwrap_or_default();
    println!(
        "{} s per target on {}",
        options.seconds,
        if cpu.is_empty() { "this machine" } else { &cpu }
    );
    println!("{:<14} {:>14}  result", "target", "executions");
    for o in &outcomes {
        let execs = o
            .executions
            .map_or_else(|| "?".to_owned(), convscope_core::format::thousands);
        let result = match (&o.artifact, o.success) {
            (Some(path), _) => format!("FOUND: {path}"),
            (None, true) => "nothing found".to_owned(),
            (None, false) => format!("libFuzzer failed; see {}", o.log.display()),
        };
        println!("{:<14} {execs:>14}  {result}", o.target);
    }
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.success || o.artifact.is_some())
        .map(|o| o.target)
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} found a problem; reproduce with `cargo +nightly fuzz run <target> <artifact>` in fuzz/, then make it a test in crates/core/tests/suite/fuzz_regressions.rs",
            failed.join(", ")
        ))
    }
}

fn nightly() -> Result<(), String> {
    step("nightly toolchain (libFuzzer needs -Z sanitizer flags)");
    let list = output("rustup", &["toolchain", "list"]).unwrap_or_default();
    match list.lines().find(|l| l.starts_with("nightly")) {
        Some(line) => {
            println!("found {}", line.split_whitespace().next().unwrap_or(line));
            Ok(())
        }
        None => Err(
            "no nightly toolchain: install one with `rustup toolchain install nightly` (cargo-fuzz needs it)"
                .to_owned(),
        ),
    }
}

fn cargo_fuzz() -> Result<(), String> {
    step(&format!("cargo-fuzz {CARGO_FUZZ_VERSION}"));
    let found = output("cargo", &["fuzz", "--version"]).unwrap_or_default();
    if found.split_whitespace().nth(1) == Some(CARGO_FUZZ_VERSION) {
        println!("found {found}");
        return Ok(());
    }
    println!("compiling cargo-fuzz with cargo install (about a minute)");
    setup::cargo_install("cargo-fuzz", &format!("={CARGO_FUZZ_VERSION}"))
}

/// Runs one target for `seconds`, its output shown and kept in `fuzz/logs/<target>.log`.
fn run_target(dir: &Path, target: Target, seconds: u64) -> Result<Outcome, String> {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| format!("cannot create {}: {e}", logs.display()))?;
    let log_path = logs.join(format!("{}.log", target.name));
    let mut log = std::fs::File::create(&log_path)
        .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let mut command = Command::new("cargo");
    // The fuzz workspace builds into fuzz/target (sanitizer flags, nightly), whatever
    // target directory the main workspace uses.
    command
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .env("CARGO_BUILD_JOBS", "1")
        .args(["+nightly", "fuzz", "run", target.name, "--"])
        .arg(format!("-max_len={}", target.max_len))
        .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
        .arg(format!("-timeout={TIMEOUT_SECONDS}"))
        .arg(format!("-max_total_time={seconds}"))
        .arg("-print_final_stats=1")
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    println!("$ {} (in fuzz/)", cmd::describe(&command));
    let mut child = command
        .spawn()
        .map_err(|e| format!("could not start cargo fuzz: {e}"))?;
    let mut executions = None;
    let mut artifact = None;
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = writeln!(log, "{line}");
            if let Some(n) = executions_in(&line) {
                executions = Some(n);
            }
            if let Some(path) = line.split("Test unit written to ").nth(1) {
                artifact = Some(format!("fuzz/{}", path.trim()));
            }
            // New coverage is most of libFuzzer's output; the log keeps it.
            if !(line.contains(" NEW ") || line.contains(" REDUCE ")) {
                println!("{line}");
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("cargo fuzz did not finish: {e}"))?;
    Ok(Outcome {
        target: target.name,
        executions,
        artifact,
        log: log_path,
        success: status.success(),
    })
}

/// The executions a libFuzzer line reports: `stat::number_of_executed_units: N` (final
/// stats), `Done N runs in T second(s)`, or a status line `#N\tDONE …` / `#N\tpulse …`.
fn executions_in(line: &str) -> Option<u64> {
    if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
        return n.trim().parse().ok();
    }
    if let Some(rest) = line.strip_prefix("Done ") {
        return rest.split_whitespace().next()?.parse().ok();
    }
    let rest = line.strip_prefix('#')?;
    let (n, what) = rest.split_once(char::is_whitespace)?;
    let what = what.trim_start();
    (what.starts_with("DONE") || what.starts_with("pulse"))
        .then(|| n.parse().ok())
        .flatten()
}

/// A seed's file name (after `seed-`) and its bytes.
type Seed = (String, Vec<u8>);

/// Writes every target's seeds into `corpus/<target>/seed-*` (replacing earlier seeds,
/// keeping what the fuzzer found). Returns the number per target.
fn write_seeds(corpus: &Path) -> Result<Vec<(&'static str, usize)>, String> {
    let sets: [(&'static str, Vec<Seed>); 4] = [
        ("image_decode", image_seeds()?),
        ("weights", weights_seeds()?),
        (
            "network_text",
            text_seeds()
                .into_iter()
                .map(|(name, text)| (name, text.into_bytes()))
                .collect(),
        ),
        ("shape", shape_seeds()),
    ];
    let mut counts = Vec::new();
    for (target, seeds) in sets {
        let dir = corpus.join(target);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        for (name, bytes) in &seeds {
            let path = dir.join(format!("seed-{name}"));
            std::fs::write(&path, bytes)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        counts.push((target, seeds.len()));
    }
    Ok(counts)
}

/// A ring (a drawn 0) with a stroke, `ink` on `paper`, at `w`×`h`.
fn ring(w: u32, h: u32) -> image::GrayImage {
    image::GrayImage::from_fn(w, h, |x, y| {
        let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
        let r = (cx.min(cy) * 0.6).max(0.5);
        let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
        Luma([if (d - r).abs() < r * 0.3 + 0.5 {
            20
        } else {
            235
        }])
    })
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, String> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format)
        .map_err(|e| format!("cannot encode a {format:?} seed: {e}"))?;
    Ok(out.into_inner())
}

/// Every format the core decodes, in several colour types and shapes. The first byte of an
/// `image_decode` input is the Convolution lab's size; the rest is the file.
fn image_seeds() -> Result<Vec<Seed>, String> {
    let gray = ring(20, 20);
    let luma = DynamicImage::ImageLuma8(gray.clone());
    let la = DynamicImage::ImageLumaA8(image::ImageBuffer::from_fn(20, 20, |x, y| {
        LumaA([
            gray.get_pixel(x, y).0[0],
            if (x + y) % 3 == 0 { 0 } else { 255 },
        ])
    }));
    let rgb = DynamicImage::ImageRgb8(image::ImageBuffer::from_fn(20, 20, |x, y| {
        let v = gray.get_pixel(x, y).0[0];
        Rgb([v, v / 2, 255 - v])
    }));
    let rgba = DynamicImage::ImageRgba8(image::ImageBuffer::from_fn(20, 20, |x, y| {
        let v = gray.get_pixel(x, y).0[0];
        Rgba([v, v, v, if x < 2 { 0 } else { 255 }])
    }));
    let deep = DynamicImage::ImageLuma16(image::ImageBuffer::from_fn(20, 20, |x, y| {
        Luma([u16::from(gray.get_pixel(x, y).0[0]) * 257])
    }));
    let files: Vec<(&str, DynamicImage, ImageFormat)> = vec![
        ("png-gray", luma.clone(), ImageFormat::Png),
        ("png-gray-alpha", la.clone(), ImageFormat::Png),
        ("png-rgb", rgb.clone(), ImageFormat::Png),
        ("png-rgba", rgba.clone(), ImageFormat::Png),
        ("png-16bit", deep, ImageFormat::Png),
        (
            "png-1x1",
            DynamicImage::ImageLuma8(ring(1, 1)),
            ImageFormat::Png,
        ),
        (
            "png-wide",
            DynamicImage::ImageLuma8(ring(64, 3)),
            ImageFormat::Png,
        ),
        (
            "png-tall",
            DynamicImage::ImageLuma8(ring(3, 64)),
            ImageFormat::Png,
        ),
        ("jpeg-gray", luma.clone(), ImageFormat::Jpeg),
        ("jpeg-rgb", rgb.clone(), ImageFormat::Jpeg),
        ("gif", rgba.clone(), ImageFormat::Gif),
        ("webp-gray", luma.clone(), ImageFormat::WebP),
        ("webp-rgba", rgba, ImageFormat::WebP),
        ("bmp-gray", luma, ImageFormat::Bmp),
        ("bmp-rgb", rgb, ImageFormat::Bmp),
    ];
    let mut seeds = Vec::new();
    for (i, (name, img, format)) in files.into_iter().enumerate() {
        // Lab sizes 8, 16, 24, … (the byte is taken mod 64, plus one).
        let mut bytes = vec![(i as u8 * 8 + 7) % 64];
        bytes.extend(encode(&img, format)?);
        seeds.push((name.to_owned(), bytes));
    }
    Ok(seeds)
}

/// The shipped models and small networks of every layer kind, written by the core.
fn weights_seeds() -> Result<Vec<Seed>, String> {
    let mut seeds = Vec::new();
    let models = cmd::root().join("www").join("models");
    let mut shipped: Vec<PathBuf> = std::fs::read_dir(&models)
        .map_err(|e| format!("cannot read {}: {e}", models.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    shipped.sort();
    for path in shipped {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        seeds.push((name, bytes));
    }
    let small = [
        (
            "tiny-conv",
            "input 8x8x1, conv 2 3x3, relu, maxpool 2, flatten, linear 10",
        ),
        (
            "tiny-resnet",
            "input 8x8x1, conv 4 3x3 pad 1 nobias, bn, relu, basic(conv 4 3x3 pad 1 nobias, bn, relu, conv 4 3x3 pad 1 nobias, bn), avgpool 2, flatten, linear 10",
        ),
        (
            "tiny-every-layer",
            "input 6x6x2, conv 4 3x3 pad 1 dilation 1 groups 2, leaky_relu:0.1, lrn 3, sumpool 2 stride 1, bn, basic(conv 8 1x1 stride 2 | conv 8 1x1 stride 2 nobias, bn), tanh, adaptiveavgpool 2x2, flatten, dropout 0.25, linear 12, sigmoid, fc=linear 10 nobias",
        ),
    ];
    for (name, text) in small {
        let arch = Architecture::from_text(text).map_err(|e| format!("seed {name}: {e}"))?;
        let net = Network::build(&arch, &mut Rng::seed_from_u64(7))
            .map_err(|e| format!("seed {name}: {e}"))?;
        let bytes = to_safetensors(&net, &ModelMetadata::new(DatasetKind::Mnist))
            .map_err(|e| format!("seed {name}: {e}"))?;
        seeds.push((name.to_owned(), bytes));
    }
    Ok(seeds)
}

/// Every zoo network as text and as JSON, and lines that use every word of the text form.
fn text_seeds() -> Vec<(String, String)> {
    let mut seeds = Vec::new();
    for arch in zoo::all() {
        seeds.push((format!("{}.txt", arch.name), arch.to_text()));
        if let Ok(json) = serde_json::to_string(&arch) {
            seeds.push((format!("{}.json", arch.name), json));
        }
    }
    let lines = [
        "input 28x28x1, conv 8 3x3 pad 1 nobias, bn, relu, basic(conv 8 3x3 pad 1 nobias, bn, relu, conv 8 3x3 pad 1 nobias, bn), maxpool 2, conv 16 3x3 pad 1 nobias, bn, relu, maxpool 2, flatten, linear 10",
        "input 28x28x1, conv 4 5x5, relu, maxpool 2, flatten, linear 10",
        "conv 6 5 stride 1 padding 2 dilation 1 groups 1, leaky_relu:0.2, \"MAX POOL1\"=maxpool 3 stride 2 pad 1, lrn 5, dropout 0.5, adaptiveavgpool 4x3, flatten, classifier=fc 10 nobias",
        "input 32x32x3, bottleneck(conv 4 1x1, bn, relu, conv 4 3x3 pad 1, bn, relu, conv 16 1x1, bn | conv 16 1x1, bn), avgpool 2, sumpool 2, identity, sigmoid, tanh, batchnorm, linear 10",
        "input 9×9×4, conv 8 3X3 groups 4, basic(), basic( | ), linear 1",
        "",
    ];
    for (i, line) in lines.iter().enumerate() {
        seeds.push((format!("line{i}.txt"), (*line).to_owned()));
    }
    seeds
}

/// The lecture's examples as the `shape` target reads its bytes: an operation's selector,
/// then each size as a tag (0: 0–8, 1: a byte, 2: two bytes, 3: near `usize::MAX`, 4:
/// near a power of two, 5: eight bytes) and its bytes.
fn shape_seeds() -> Vec<Seed> {
    let byte = |v: u8| [1, v];
    let seeds: [(&str, Vec<[u8; 2]>); 4] = [
        // conv_output_size_explained(227, 11, 4, 0, 1): AlexNet's CONV1.
        (
            "alexnet-conv1",
            vec![byte(227), byte(11), byte(4), byte(0), byte(1)],
        ),
        // pool_output_size(55, 3, 2, 0).
        ("alexnet-pool1", vec![byte(55), byte(3), byte(2), byte(0)]),
        // conv_transpose_output_size(4, 3, 2, 1, 1, 1).
        (
            "transposed",
            vec![byte(4), byte(3), byte(2), byte(1), byte(1), byte(1)],
        ),
        // min_padding_to_fit(5, 7).
        ("min-padding", vec![byte(5), byte(7)]),
    ];
    let selectors = [0u8, 1, 2, 7];
    seeds
        .iter()
        .zip(selectors)
        .map(|((name, sizes), selector)| {
            let mut bytes = vec![selector];
            bytes.extend(sizes.iter().flatten());
            ((*name).to_owned(), bytes)
        })
        .collect()
}
