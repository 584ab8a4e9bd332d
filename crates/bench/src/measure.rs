//! Native timing loops: what `convscope bench` runs and prints. Nothing here asserts a speed.
//!
//! - single image: `warmup` untimed runs, then `runs` runs each timed alone
//!   ([`Latency`]: median, 90th percentile, mean);
//! - a batch (256 for inference, [`TRAIN_BATCH`] for training): repeated for about
//!   `seconds` after a warm-up ([`Throughput`]: images per second and the median batch).

use std::time::{Duration, Instant};

use convscope_core::data::IMAGE_PIXELS;
use convscope_core::nn::{Trainer, Workspace};
use serde::Serialize;

use crate::fixture::{BenchError, Fixture, TRAIN_BATCH};

/// Single-image latency in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    pub median_us: f64,
    pub p90_us: f64,
    pub mean_us: f64,
    pub runs: usize,
}

/// Batch throughput.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Throughput {
    pub images_per_s: f64,
    /// The median time of one batch, in milliseconds.
    pub median_ms: f64,
    pub batch: usize,
    pub batches: usize,
}

/// The value at quantile `q` (0–1) of `sorted` (nearest rank).
///
/// # Panics
/// If `sorted` is empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn latency(mut samples_us: Vec<f64>) -> Latency {
    samples_us.sort_by(f64::total_cmp);
    let runs = samples_us.len();
    Latency {
        median_us: quantile(&samples_us, 0.5),
        p90_us: quantile(&samples_us, 0.9),
        mean_us: samples_us.iter().sum::<f64>() / runs as f64,
        runs,
    }
}

/// Runs `f` (one batch of `batch` images) for about `seconds` after `warmup` calls.
fn throughput(
    batch: usize,
    warmup: usize,
    seconds: f64,
    mut f: impl FnMut() -> Result<(), BenchError>,
) -> Result<Throughput, BenchError> {
    for _ in 0..warmup {
        f()?;
    }
    let budget = Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut times = Vec::new();
    while times.is_empty() || started.elapsed() < budget {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64());
    }
    let total: f64 = times.iter().sum();
    times.sort_by(f64::total_cmp);
    Ok(Throughput {
        images_per_s: (batch * times.len()) as f64 / total,
        median_ms: quantile(&times, 0.5) * 1e3,
        batch,
        batches: times.len(),
    })
}

/// One image's logits, `runs` times each timed alone after `warmup` untimed runs.
///
/// # Errors
/// From the core (never for the fixture's image).
///
/// # Panics
/// If `runs` is 0.
pub fn infer_one(fixture: &Fixture, warmup: usize, runs: usize) -> Result<Latency, BenchError> {
    assert!(runs > 0, "runs must be positive");
    let mut ws = Workspace::new();
    let x = &fixture.check_input;
    for _ in 0..warmup {
        std::hint::black_box(fixture.model.infer(x, 1, &mut ws)?);
    }
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(fixture.model.infer(x, 1, &mut ws)?);
        samples.push(t.elapsed().as_secs_f64() * 1e6);
    }
    Ok(latency(samples))
}

/// Inference throughput on batches of `batch` images (the fixture's training images,
/// repeated), each split over `threads` threads ([`Trainer::infer`]), for about `seconds`.
///
/// # Errors
/// From the core (never for a positive `batch`).
pub fn infer_batch(
    fixture: &Fixture,
    batch: usize,
    seconds: f64,
    threads: usize,
) -> Result<Throughput, BenchError> {
    // The core's batch check before the images are gathered.
    fixture.model.check_batch(batch)?;
    let images: Vec<f32> = fixture
        .train_images
        .iter()
        .copied()
        .cycle()
        .take(batch * IMAGE_PIXELS)
        .collect();
    let mut trainer = Trainer::with_threads(threads);
    throughput(batch, 3, seconds, || {
        std::hint::black_box(trainer.infer(&fixture.model, &images, batch)?);
        Ok(())
    })
}

/// Training throughput: Adam steps on the fixture's batch of [`TRAIN_BATCH`], each split
/// over `threads` threads, for about `seconds` after 10 warm-up steps.
///
/// # Errors
/// From the core, e.g. a diverging loss.
pub fn train(fixture: &Fixture, seconds: f64, threads: usize) -> Result<Throughput, BenchError> {
    let mut training = fixture.training(threads)?;
    throughput(TRAIN_BATCH, 10, seconds, || {
        std::hint::black_box(training.step(&fixture.train_images, &fixture.train_labels)?);
        Ok(())
    })
}

/// The machine a figure was measured on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Machine {
    /// `model name` from `/proc/cpuinfo` (or `unknown`).
    pub cpu: String,
    /// Logical CPUs available to this process.
    pub threads: usize,
    /// The widest x86 SIMD this CPU has (`avx512f`, `avx2+fma`, `sse2`), or the architecture.
    pub simd: String,
    /// The widest SIMD the native GEMM (faer 0.23's product) uses on this CPU.
    pub gemm_simd: String,
}

impl Machine {
    /// This machine.
    pub fn detect() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let (simd, gemm_simd) = simd_levels();
        Self {
            cpu,
            threads,
            simd,
            gemm_simd,
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn simd_levels() -> (String, String) {
    let avx2_fma = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    let widest = if is_x86_feature_detected!("avx512f") {
        "avx512f"
    } else if avx2_fma {
        "avx2+fma"
    } else if is_x86_feature_detected!("avx") {
        "avx"
    } else {
        "sse2"
    };
    // faer 0.23's product (its gemm kernels, through pulp) dispatches at run time to the
    // same ladder: AVX-512F kernels, else AVX2 + FMA, else SSE; the core's own loops (im2col,
    // pooling, activations) are portable code, vectorised for the build's target (x86-64's
    // baseline SSE2: without `unsafe` they cannot dispatch at run time).
    (widest.to_owned(), widest.to_owned())
}

#[cfg(not(target_arch = "x86_64"))]
fn simd_levels() -> (String, String) {
    (
        std::env::consts::ARCH.to_owned(),
        std::env::consts::ARCH.to_owned(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 5.0);
        assert_eq!(quantile(&v, 0.9), 9.0);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 10.0);
        assert_eq!(quantile(&[4.0], 0.9), 4.0);
    }

    #[test]
    fn the_loops_count_what_they_ran() {
        let f = Fixture::new(2).unwrap();
        let l = infer_one(&f, 2, 7).unwrap();
        assert_eq!(l.runs, 7);
        assert!(l.median_us > 0.0 && l.median_us <= l.p90_us);
        let t = infer_batch(&f, 5, 0.0, 1).unwrap();
        assert_eq!((t.batch, t.batches), (5, 1));
        let t = infer_batch(&f, 40, 0.0, 2).unwrap();
        assert_eq!((t.batch, t.batches), (40, 1));
        let t = train(&f, 0.0, 2).unwrap();
        assert_eq!(t.batch, TRAIN_BATCH);
        assert!(t.images_per_s > 0.0);
    }
}
