//! `convscope bench`: LeNet-5 inference and training speed on this machine, natively, with
//! the benchmark's seeded weights (`convscope-bench`). `cargo xtask bench` runs it beside
//! PyTorch and the browser engines; alone it prints its own figures.

use std::path::PathBuf;

use clap::Args;
use convscope_bench::measure::{self, Latency, Machine, Throughput};
use convscope_bench::{Fixture, TRAIN_BATCH, export};
use serde::Serialize;

/// Arguments of `convscope bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Seed of the benchmark's LeNet-5 and data (every engine uses the same).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Untimed single-image runs before timing.
    #[arg(long, default_value_t = 1000)]
    warmup: usize,
    /// Single-image runs, each timed alone.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Images per batch for the inference throughput.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=4096))]
    batch: u32,
    /// Threads a batch (training or inference) is split over; one image runs on one. 0: every
    /// core.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Seconds each throughput figure runs for.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Also write the fixture (weights, check image and logits, training batch) as
    /// safetensors here, for other engines.
    #[arg(long, value_name = "FILE")]
    export: Option<PathBuf>,
    /// Write the figures as JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

/// What `convscope bench --json` writes.
#[derive(Debug, Serialize)]
struct Report {
    engine: &'static str,
    version: &'static str,
    threads: usize,
    machine: Machine,
    infer1: Latency,
    infer_batch: Throughput,
    train64: Throughput,
}

/// Runs `bench`.
pub fn run(args: &BenchArgs) -> Result<(), String> {
    if !(args.seconds.is_finite() && (0.0..=600.0).contains(&args.seconds)) {
        return Err(format!(
            "--seconds must be between 0 and 600, got {}",
            args.seconds
        ));
    }
    let fixture = Fixture::new(args.seed).map_err(|e| e.to_string())?;
    if let Some(path) = &args.export {
        let bytes = export::to_safetensors(&fixture, args.seed).map_err(|e| e.to_string())?;
        std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        outln!("fixture (seed {}) → {}", args.seed, path.display());
    }
    let machine = Machine::detect();
    let threads = match args.threads {
        0 => machine.threads,
        n => n,
    };
    outln!(
        "convscope {} on {} ({} threads; SIMD {}, GEMM {}); batches on {threads} thread{}, one image on one",
        env!("CARGO_PKG_VERSION"),
        machine.cpu,
        machine.threads,
        machine.simd,
        machine.gemm_simd,
        if threads == 1 { "" } else { "s" }
    );
    let e = |e: convscope_bench::BenchError| e.to_string();
    let infer1 = measure::infer_one(&fixture, args.warmup, args.runs as usize).map_err(e)?;
    outln!(
        "one image:      median {:.1} µs, p90 {:.1} µs, mean {:.1} µs ({} runs)",
        infer1.median_us,
        infer1.p90_us,
        infer1.mean_us,
        infer1.runs
    );
    let infer_batch =
        measure::infer_batch(&fixture, args.batch as usize, args.seconds, threads).map_err(e)?;
    outln!(
        "batch {:<4}      {:.0} images/s (median batch {:.2} ms)",
        infer_batch.batch,
        infer_batch.images_per_s,
        infer_batch.median_ms
    );
    let train64 = measure::train(&fixture, args.seconds, threads).map_err(e)?;
    outln!(
        "train batch {TRAIN_BATCH}: {:.0} images/s (median step {:.2} ms)",
        train64.images_per_s,
        train64.median_ms
    );
    if let Some(path) = &args.json {
        let report = Report {
            engine: "convscope",
            version: env!("CARGO_PKG_VERSION"),
            threads,
            machine,
            infer1,
            infer_batch,
            train64,
        };
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}
