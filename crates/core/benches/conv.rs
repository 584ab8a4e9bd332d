//! Convolution: reference loop vs im2col + GEMM at LeNet and VGG shapes; a training step's
//! layers one by one (LeNet-5 at batch 64: each convolution's forward pass and gradients,
//! max pooling with its argmax); one trace step (forward and transposed); the Convolution
//! lab's largest maps through the reference loop (forward: `lab_64_f11_p16_k16`, and
//! transposed).
//!
//! `cargo bench -p convscope-core --bench conv -- --quick` (`-- layers` for the training
//! step's layers alone). Throughput is in FLOPs
//! (2 per multiply-accumulate), so criterion's "elem/s" reads as FLOP/s.
#![cfg_attr(target_arch = "wasm32", allow(dead_code))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;
    use std::time::Duration;

    use convscope_core::nn::{conv2d_weight_backward_into, conv2d_x_backward_into};
    use convscope_core::{
        Activation, Conv2dGeometry, Conv2dParams, ConvScratch, ConvTrace, ConvTranspose2dParams,
        ConvTransposeTrace, Pool2dParams, PoolKind, Stepper, conv2d_into, conv2d_reference_into,
        pool2d_into,
    };
    use criterion::{Criterion, Throughput};
    use ndarray::{Array1, Array4};

    struct Case {
        name: &'static str,
        input: [usize; 4],
        out_channels: usize,
        kernel: usize,
        padding: usize,
    }

    const CASES: [Case; 6] = [
        Case {
            name: "lenet_conv1_b1",
            input: [1, 1, 28, 28],
            out_channels: 6,
            kernel: 5,
            padding: 2,
        },
        Case {
            name: "lenet_conv1_b64",
            input: [64, 1, 28, 28],
            out_channels: 6,
            kernel: 5,
            padding: 2,
        },
        Case {
            name: "lenet_conv2_b1",
            input: [1, 6, 14, 14],
            out_channels: 16,
            kernel: 5,
            padding: 0,
        },
        Case {
            name: "lenet_conv2_b64",
            input: [64, 6, 14, 14],
            out_channels: 16,
            kernel: 5,
            padding: 0,
        },
        // The Convolution lab's largest forward case (`tests/e2e/lab-perf.test.mjs`): a
        // 64×64 upload, 16 filters of 11×11, P = 16; the web worker draws its maps through
        // the reference loop (the trace's order, bitwise).
        Case {
            name: "lab_64_f11_p16_k16",
            input: [1, 1, 64, 64],
            out_channels: 16,
            kernel: 11,
            padding: 16,
        },
        Case {
            name: "vgg_3x3_64to64_56_b1",
            input: [1, 64, 56, 56],
            out_channels: 64,
            kernel: 3,
            padding: 1,
        },
    ];

    fn filled(shape: [usize; 4]) -> Array4<f32> {
        let mut s = 0x2545_f491u32;
        Array4::from_shape_fn(shape, |_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 9) as f32 / (1u32 << 23) as f32 - 1.0
        })
    }

    pub fn conv(c: &mut Criterion) {
        for case in &CASES {
            let p = Conv2dParams::default().with_padding(case.padding);
            let g =
                Conv2dGeometry::new(case.input, case.out_channels, [case.kernel; 2], p).unwrap();
            let x = filled(case.input);
            let w = filled(g.weight_shape());
            let b = Array1::from_elem(case.out_channels, 0.1f32);
            let mut out = Array4::zeros(g.output_shape());
            let mut scratch = ConvScratch::default();
            let mut group = c.benchmark_group(case.name);
            group.throughput(Throughput::Elements(2 * g.macs()));
            group
                .sample_size(10)
                .warm_up_time(Duration::from_millis(300))
                .measurement_time(Duration::from_secs(1));
            group.bench_function("reference_loop", |bch| {
                bch.iter(|| {
                    conv2d_reference_into(
                        black_box(x.view()),
                        w.view(),
                        Some(b.view()),
                        p,
                        out.view_mut(),
                    )
                    .unwrap()
                })
            });
            group.bench_function("im2col_gemm", |bch| {
                bch.iter(|| {
                    conv2d_into(
                        black_box(x.view()),
                        w.view(),
                        Some(b.view()),
                        p,
                        out.view_mut(),
                        &mut scratch,
                    )
                    .unwrap()
                })
            });
            group.finish();
        }
    }

    /// LeNet-5's layers at batch 64 as a training step runs them: each convolution's forward
    /// pass, weight gradient and input gradient, and max pooling with its argmax.
    pub fn layers(c: &mut Criterion) {
        let mut group = c.benchmark_group("layers");
        group
            .sample_size(20)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
        for (name, input, k, padding) in [
            ("conv1", [64, 1, 28, 28], 6, 2),
            ("conv2", [64, 6, 14, 14], 16, 0),
        ] {
            let p = Conv2dParams::default().with_padding(padding);
            let g = Conv2dGeometry::new(input, k, [5, 5], p).unwrap();
            let (x, w, dy) = (
                filled(input),
                filled(g.weight_shape()),
                filled(g.output_shape()),
            );
            let mut out = Array4::zeros(g.output_shape());
            let mut dw = Array4::zeros(g.weight_shape());
            let mut dx = Array4::zeros(input);
            let mut scratch = ConvScratch::default();
            group.bench_function(format!("{name}_forward_b64"), |bch| {
                bch.iter(|| {
                    conv2d_into(
                        black_box(x.view()),
                        w.view(),
                        None,
                        p,
                        out.view_mut(),
                        &mut scratch,
                    )
                    .unwrap()
                })
            });
            group.bench_function(format!("{name}_weight_grad_b64"), |bch| {
                bch.iter(|| {
                    conv2d_weight_backward_into(
                        black_box(x.view()),
                        dy.view(),
                        p,
                        dw.view_mut(),
                        &mut scratch,
                    )
                    .unwrap()
                })
            });
            group.bench_function(format!("{name}_input_grad_b64"), |bch| {
                bch.iter(|| {
                    conv2d_x_backward_into(
                        black_box(dy.view()),
                        w.view(),
                        p,
                        dx.view_mut(),
                        &mut scratch,
                    )
                    .unwrap()
                })
            });
        }
        for (name, input) in [("pool1", [64, 6, 28, 28]), ("pool2", [64, 16, 10, 10])] {
            let x = filled(input);
            let [n, ch, h, w] = input;
            let mut y = Array4::zeros([n, ch, h / 2, w / 2]);
            let mut arg = Array4::zeros([n, ch, h / 2, w / 2]);
            group.bench_function(format!("{name}_max_argmax_b64"), |bch| {
                bch.iter(|| {
                    pool2d_into(
                        black_box(x.view()),
                        PoolKind::Max,
                        Pool2dParams::new(2),
                        y.view_mut(),
                        Some(arg.view_mut()),
                    )
                    .unwrap()
                })
            });
        }
        group.finish();
    }

    /// One step of the convolution trace on LeNet conv1 (28×28, 6 filters of 5×5, pad 2),
    /// reusing one `ConvStep` as the UI does: a frame at 60 fps has 16.7 ms for it.
    pub fn trace_step(c: &mut Criterion) {
        let x = filled([1, 1, 28, 28]);
        let w = filled([6, 1, 5, 5]);
        let trace = ConvTrace::new(
            x.view(),
            0,
            w.view(),
            None,
            Conv2dParams::default().with_padding(2),
            Activation::Sigmoid,
        )
        .unwrap();
        let mut step = trace.step(0).unwrap();
        let mut i = 0;
        c.bench_function("trace_step/lenet_conv1", |bch| {
            bch.iter(|| {
                i = (i + 97) % trace.len();
                trace.step_into(black_box(i), &mut step).unwrap();
            })
        });
    }

    /// One step of the transposed-convolution trace: 28×28 upsampled ×2 by a 5×5 kernel
    /// (the lab's largest sensible setting), reusing one step.
    pub fn transposed_trace_step(c: &mut Criterion) {
        let x = filled([1, 1, 28, 28]);
        let w = filled([1, 1, 5, 5]);
        let trace = ConvTransposeTrace::new(
            x.view(),
            0,
            w.view(),
            None,
            ConvTranspose2dParams::default().with_stride(2),
        )
        .unwrap();
        let mut step = trace.step(0).unwrap();
        let mut i = 0;
        c.bench_function("trace_step/transposed_28_s2_f5", |bch| {
            bch.iter(|| {
                i = (i + 97) % trace.len();
                trace.step_into(black_box(i), &mut step).unwrap();
            })
        });
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod native_transposed {
    use std::hint::black_box;

    use convscope_core::{ConvTranspose2dParams, conv_transpose2d_reference};
    use criterion::Criterion;
    use ndarray::Array4;

    /// The lab's transposed maps (`tests/e2e/lab-perf.test.mjs`): a 28×28 sample spread 16
    /// apart by 4 filters of 3×3 dilated 16, 4 maps of 465×465 through the reference loop.
    pub fn transposed_reference(c: &mut Criterion) {
        let x = Array4::from_shape_fn((1, 1, 28, 28), |(_, _, y, x)| (y * 28 + x) as f32 / 784.0);
        let w = Array4::from_shape_fn((1, 4, 3, 3), |(_, k, y, x)| {
            (k + y * 3 + x) as f32 * 0.1 - 0.5
        });
        let p = ConvTranspose2dParams::default()
            .with_stride(16)
            .with_dilation(16);
        c.bench_function("lab_transposed_28_s16_d16_k4/reference_loop", |bch| {
            bch.iter(|| conv_transpose2d_reference(black_box(x.view()), w.view(), None, p).unwrap())
        });
    }
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_group!(
    benches,
    native::conv,
    native::layers,
    native::trace_step,
    native::transposed_trace_step,
    native_transposed::transposed_reference
);
#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
