//! How fast a kept model classifies one image in this browser's worker.
//!
//! The worker runs the same call the Classify page makes (input → every layer →
//! probabilities, the worker's kept workspace) `warmup` times, then `runs` times, timing
//! each run with `performance.now()`. Cross-origin isolated pages (the app is served with
//! COOP/COEP) get a 5 µs clock in Chromium and each run is timed alone; otherwise the clock
//! is coarse (100 µs) and each timed sample is the mean of 10 consecutive runs.

use convscope_core::data::{IMAGE_PIXELS, IMAGE_SIZE};
use serde::{Deserialize, Serialize};

use super::classify::{self, ClassifyInput};

/// Largest number of timed runs a request may ask for.
pub const MAX_RUNS: usize = 10_000;

/// The timing of one model in the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeedReport {
    /// Timed samples.
    pub runs: usize,
    /// Runs per timed sample (1 when the clock is fine).
    pub per_sample: usize,
    /// Untimed runs first.
    pub warmup: usize,
    /// Microseconds per run: 10th percentile, median, 90th percentile.
    pub p10_micros: f64,
    /// Median microseconds per run.
    pub median_micros: f64,
    /// 90th percentile.
    pub p90_micros: f64,
    /// Whether the page was cross-origin isolated (fine clock).
    pub isolated: bool,
}

/// A fixed test input: a ring, like a drawn zero (the timing does not depend on the values).
fn ring() -> Vec<f32> {
    (0..IMAGE_PIXELS)
        .map(|i| {
            let c = (IMAGE_SIZE as f32 - 1.0) / 2.0;
            let (y, x) = ((i / IMAGE_SIZE) as f32 - c, (i % IMAGE_SIZE) as f32 - c);
            // An ellipse a quarter and a third of the side across.
            let (a, b) = (IMAGE_SIZE as f32 / 4.0, IMAGE_SIZE as f32 / 2.8);
            let r = (x * x / (a * a) + y * y / (b * b)).sqrt();
            if (0.75..1.0).contains(&r) { 1.0 } else { 0.0 }
        })
        .collect()
}

#[cfg(target_arch = "wasm32")]
fn isolated() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

#[cfg(not(target_arch = "wasm32"))]
fn isolated() -> bool {
    false
}

/// Times `runs` classifications of a fixed image by the model kept under `model`.
///
/// # Errors
/// A missing model, `runs` outside `1..=10000`, or no clock (outside a browser).
#[inline(never)] // compiled on its first call only: see `agent::answer`
pub fn measure(model: &str, runs: usize, warmup: usize) -> Result<SpeedReport, String> {
    if !(1..=MAX_RUNS).contains(&runs) || warmup > MAX_RUNS {
        return Err(format!(
            "runs must be 1 to {MAX_RUNS} and warm-up at most {MAX_RUNS}, got {runs} and {warmup}"
        ));
    }
    let input = ring();
    let once = || classify::classify(model, ClassifyInput::Ready(input.clone())).map(|_| ());
    once()?; // a missing model is an error before any timing
    let isolated = isolated();
    let per_sample = if isolated { 1 } else { 10 };
    for _ in 0..warmup {
        once()?;
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = classify::now_ms().ok_or("no clock in this context")?;
        for _ in 0..per_sample {
            once()?;
        }
        let end = classify::now_ms().ok_or("no clock in this context")?;
        // In f32 (microseconds to 7 digits), sorted as the core sorts its medians.
        times.push(((end - start) * 1000.0 / per_sample as f64) as f32);
    }
    convscope_core::order::sort_floats(&mut times);
    Ok(SpeedReport {
        runs,
        per_sample,
        warmup,
        p10_micros: f64::from(times[runs / 10]),
        median_micros: f64::from(times[runs / 2]),
        p90_micros: f64::from(times[runs * 9 / 10]),
        isolated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_counts_and_missing_models() {
        assert!(measure("anything", 0, 0).is_err_and(|e| e.contains("runs")));
        assert!(
            measure("never-loaded-speed", 5, 0).is_err_and(|e| e.contains("never-loaded-speed"))
        );
    }

    #[test]
    fn natively_there_is_no_clock() -> Result<(), String> {
        const MNIST: &[u8] = include_bytes!("../../../../www/models/lenet-mnist.safetensors");
        super::super::model::load("speed-test".into(), MNIST)?;
        assert!(measure("speed-test", 3, 1).is_err_and(|e| e.contains("clock")));
        Ok(())
    }
}
