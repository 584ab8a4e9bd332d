//! Convolution timed in headless Chromium: the wasm build of the core, with simd128.
//!
//! Run with `cargo xtask bench-wasm` (release profile). Ignored in the ordinary test run; it
//! asserts nothing about speed — it prints GFLOP/s (2 FLOPs per multiply-accumulate) of the
//! im2col + GEMM fast path and of the reference loop, for the shapes and three
//! convolutions to sixteen channels on either side of the fewest taps that take sixteen in
//! one block (`conv/pixels.rs`: 9, 54 and 144 taps).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use convscope_core::{Conv2dParams, ConvScratch, conv2d_into, conv2d_reference_into};
use ndarray::{Array1, Array4};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .expect("performance.now() in the browser")
}

struct Case {
    name: &'static str,
    batch: usize,
    c_in: usize,
    size: usize,
    c_out: usize,
    kernel: usize,
    padding: usize,
}

const CASES: &[Case] = &[
    Case {
        name: "LeNet conv1",
        batch: 1,
        c_in: 1,
        size: 28,
        c_out: 6,
        kernel: 5,
        padding: 2,
    },
    Case {
        name: "LeNet conv1",
        batch: 64,
        c_in: 1,
        size: 28,
        c_out: 6,
        kernel: 5,
        padding: 2,
    },
    Case {
        name: "LeNet conv2",
        batch: 1,
        c_in: 6,
        size: 14,
        c_out: 16,
        kernel: 5,
        padding: 0,
    },
    Case {
        name: "LeNet conv2",
        batch: 64,
        c_in: 6,
        size: 14,
        c_out: 16,
        kernel: 5,
        padding: 0,
    },
    Case {
        name: "VGG 3x3 64->64 56x56",
        batch: 1,
        c_in: 64,
        size: 56,
        c_out: 64,
        kernel: 3,
        padding: 1,
    },
    Case {
        name: "16<-1 3x3 28x28 p1",
        batch: 16,
        c_in: 1,
        size: 28,
        c_out: 16,
        kernel: 3,
        padding: 1,
    },
    Case {
        name: "16<-6 3x3 14x14 p1",
        batch: 16,
        c_in: 6,
        size: 14,
        c_out: 16,
        kernel: 3,
        padding: 1,
    },
    Case {
        name: "16<-16 3x3 14x14 p1",
        batch: 16,
        c_in: 16,
        size: 14,
        c_out: 16,
        kernel: 3,
        padding: 1,
    },
];

/// Deterministic pseudo-random values in [-1, 1).
fn fill(n: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Median milliseconds per call. Each sample times enough calls to last about 5 ms (the
/// browser's clock is coarse), and samples are taken for at least `min_ms` in total.
fn time(mut f: impl FnMut(), min_ms: f64) -> f64 {
    let t = now_ms();
    f(); // warm-up, and a first estimate of the cost of one call
    let once = (now_ms() - t).max(0.001);
    let calls = ((5.0 / once).ceil() as usize).clamp(1, 10_000);
    let mut samples = Vec::new();
    let start = now_ms();
    while now_ms() - start < min_ms || samples.len() < 5 {
        let t = now_ms();
        for _ in 0..calls {
            f();
        }
        samples.push((now_ms() - t) / calls as f64);
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

#[wasm_bindgen_test]
#[ignore = "benchmark: run with `cargo xtask bench-wasm`"]
fn conv_gflops_in_chromium() {
    console_log!(
        "{:<22} {:>5} {:>12} {:>12} {:>12} {:>12} {:>8}",
        "shape",
        "batch",
        "GEMM ms",
        "GEMM GFLOP/s",
        "loop ms",
        "loop GFLOP/s",
        "speed-up"
    );
    for case in CASES {
        let out = case.size + 2 * case.padding - case.kernel + 1;
        let input = Array4::from_shape_vec(
            (case.batch, case.c_in, case.size, case.size),
            fill(case.batch * case.c_in * case.size * case.size, 1),
        )
        .unwrap();
        let weight = Array4::from_shape_vec(
            (case.c_out, case.c_in, case.kernel, case.kernel),
            fill(case.c_out * case.c_in * case.kernel * case.kernel, 2),
        )
        .unwrap();
        let bias = Array1::from_vec(fill(case.c_out, 3));
        let params = Conv2dParams {
            padding: [case.padding; 2],
            ..Conv2dParams::default()
        };
        let mut output = Array4::<f32>::zeros((case.batch, case.c_out, out, out));
        let mut scratch = ConvScratch::default();
        let macs =
            (case.batch * case.c_out * out * out * case.c_in * case.kernel * case.kernel) as f64;
        let gemm_ms = time(
            || {
                conv2d_into(
                    input.view(),
                    weight.view(),
                    Some(bias.view()),
                    params,
                    output.view_mut(),
                    &mut scratch,
                )
                .unwrap();
            },
            400.0,
        );
        let loop_ms = time(
            || {
                conv2d_reference_into(
                    input.view(),
                    weight.view(),
                    Some(bias.view()),
                    params,
                    output.view_mut(),
                )
                .unwrap();
            },
            400.0,
        );
        let gflops = |ms: f64| 2.0 * macs / (ms * 1e-3) / 1e9;
        console_log!(
            "{:<22} {:>5} {:>12.4} {:>12.2} {:>12.4} {:>12.2} {:>7.1}x",
            case.name,
            case.batch,
            gemm_ms,
            gflops(gemm_ms),
            loop_ms,
            gflops(loop_ms),
            loop_ms / gemm_ms
        );
    }
}

/// Median microseconds per call over `samples` samples of `calls` calls each, after a
/// warm-up of `calls` calls. (The browser's clock is too coarse for one 40 µs call.)
fn median_micros(mut f: impl FnMut(), samples: usize, calls: usize) -> (f64, f64, f64) {
    for _ in 0..calls {
        f();
    }
    let mut per_call: Vec<f64> = (0..samples)
        .map(|_| {
            let t = now_ms();
            for _ in 0..calls {
                f();
            }
            (now_ms() - t) * 1000.0 / calls as f64
        })
        .collect();
    per_call.sort_by(f64::total_cmp);
    (
        per_call[samples / 10],
        per_call[samples / 2],
        per_call[samples * 9 / 10],
    )
}

#[wasm_bindgen_test]
#[ignore = "benchmark: run with `cargo xtask bench-wasm`"]
fn lenet_single_image_latency_in_chromium() {
    use convscope_core::arch::zoo;
    use convscope_core::data::{CLASSES, IMAGE_PIXELS};
    use convscope_core::nn::{Network, Rng, Workspace};
    use convscope_core::{Activation, PoolKind};

    let image = fill(IMAGE_PIXELS, 7)
        .into_iter()
        .map(|v| v.max(0.0))
        .collect::<Vec<f32>>();
    console_log!(
        "{:<46} {:>8} {:>8} {:>8}  (µs per image: 10th percentile, median, 90th; 300 samples × 20 calls after warm-up)",
        "LeNet-5, one 28×28 image",
        "p10",
        "median",
        "p90"
    );
    for (name, arch) in [
        ("ReLU + max", zoo::lenet5()),
        (
            "tanh + average",
            zoo::lenet5_with(Activation::Tanh, PoolKind::Average),
        ),
    ] {
        let net = Network::build(&arch, &mut Rng::seed_from_u64(1)).unwrap();
        let (p10, med, p90) = median_micros(
            || {
                let mut ws = Workspace::new();
                let logits = net.infer(&image, 1, &mut ws).unwrap();
                let p = convscope_core::softmax(logits);
                assert_eq!(p.len(), CLASSES);
            },
            300,
            20,
        );
        console_log!(
            "{:<46} {:>8.1} {:>8.1} {:>8.1}",
            format!("{name}: input → probabilities, fresh workspace"),
            p10,
            med,
            p90
        );
        let mut ws = Workspace::new();
        let (p10, med, p90) = median_micros(
            || {
                let logits = net.infer(&image, 1, &mut ws).unwrap();
                let p = convscope_core::softmax(logits);
                assert_eq!(p.len(), CLASSES);
                assert_eq!(ws.outputs(&net).len(), arch.layers.len());
            },
            300,
            20,
        );
        console_log!(
            "{:<46} {:>8.1} {:>8.1} {:>8.1}",
            format!("{name}: every layer kept, workspace kept (the worker)"),
            p10,
            med,
            p90
        );
    }
}
