//! Traces agree bitwise with the batch results and jump to any step (the cost of a step is
//! measured by the `conv` criterion bench).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use convscope_core::{
    Activation, Conv2dParams, ConvTrace, CoreError, Pool2dParams, PoolKind, PoolTrace, Stepper,
    conv2d_reference, pool2d,
};
use ndarray::Array1;

use crate::common::values;

#[test]
fn conv_trace_is_bitwise_equal_to_the_reference_loop() {
    let cases = [
        (
            [2, 4, 9, 8],
            [6, 2, 3, 3],
            Conv2dParams::default().with_padding(1).with_groups(2),
        ),
        (
            [1, 3, 7, 7],
            [2, 3, 3, 2],
            Conv2dParams {
                stride: [2, 1],
                padding: [1, 2],
                dilation: [1, 2],
                groups: 1,
            },
        ),
        (
            [1, 1, 6, 6],
            [1, 1, 5, 5],
            Conv2dParams::default().with_padding(2),
        ),
    ];
    for (i, (xs, ws, p)) in cases.into_iter().enumerate() {
        let x = values(xs, 1 + i as u32);
        let w = values(ws, 100 + i as u32);
        let b = Array1::from_shape_fn(ws[0], |k| 0.125 * k as f32 - 0.3);
        let y = conv2d_reference(x.view(), w.view(), Some(b.view()), p).unwrap();
        for sample in 0..xs[0] {
            let trace = ConvTrace::new(
                x.view(),
                sample,
                w.view(),
                Some(b.view()),
                p,
                Activation::Tanh,
            )
            .unwrap();
            assert_eq!(trace.len(), y.len() / xs[0]);
            for idx in 0..trace.len() {
                let step = trace.step(idx).unwrap();
                let [k, oy, ox] = step.output;
                let want = y[[sample, k, oy, ox]];
                assert_eq!(
                    step.pre_activation.to_bits(),
                    want.to_bits(),
                    "case {i} step {idx}"
                );
                assert_eq!(step.value.to_bits(), Activation::Tanh.apply(want).to_bits());
                assert_eq!(trace.index_of(step.output), Some(idx));
                assert_eq!(trace.cell_of(idx), Ok(step.output));
                assert_eq!(step.taps.len(), ws[1] * ws[2] * ws[3]);
                assert_eq!(step.channel_sums.len(), ws[1]);
                let padding = step.taps.iter().filter(|t| t.padding).count();
                assert_eq!(
                    step.taps.iter().filter(|t| t.product.is_none()).count(),
                    padding
                );
            }
            let out = trace.output();
            assert_eq!(
                out,
                y.index_axis(ndarray::Axis(0), sample)
                    .mapv(|v| Activation::Tanh.apply(v))
            );
        }
    }
}

#[test]
fn padding_cells_are_marked_with_negative_coordinates() {
    let x = values([1, 1, 4, 4], 7);
    let w = values([1, 1, 3, 3], 8);
    let trace = ConvTrace::new(
        x.view(),
        0,
        w.view(),
        None,
        Conv2dParams::default().with_padding(1),
        Activation::Relu,
    )
    .unwrap();
    let step = trace.step(0).unwrap();
    assert_eq!(step.window_origin, [-1, -1]);
    let pads: Vec<[isize; 2]> = step
        .taps
        .iter()
        .filter(|t| t.padding)
        .map(|t| t.input)
        .collect();
    assert_eq!(pads, vec![[-1, -1], [-1, 0], [-1, 1], [0, -1], [1, -1]]);
    assert_eq!(step.bias, None);
}

#[test]
fn step_out_of_range_and_bad_sample_are_errors() {
    let x = values([1, 1, 5, 5], 1);
    let w = values([2, 1, 3, 3], 2);
    let trace = ConvTrace::new(
        x.view(),
        0,
        w.view(),
        None,
        Conv2dParams::default(),
        Activation::Identity,
    )
    .unwrap();
    assert_eq!(trace.len(), 18);
    assert_eq!(
        trace.step(18).err(),
        Some(CoreError::StepOutOfRange { index: 18, len: 18 })
    );
    assert!(trace.step(usize::MAX).is_err());
    let e = ConvTrace::new(
        x.view(),
        1,
        w.view(),
        None,
        Conv2dParams::default(),
        Activation::Identity,
    )
    .err();
    assert_eq!(
        e,
        Some(CoreError::SampleOutOfRange {
            op: "ConvTrace",
            index: 1,
            batch: 1
        })
    );
}

#[test]
fn pool_trace_is_bitwise_equal_to_pooling() {
    let x = values([2, 3, 7, 6], 11);
    for kind in [PoolKind::Max, PoolKind::Average, PoolKind::Sum] {
        for p in [
            Pool2dParams::new(2),
            Pool2dParams::new(3).with_stride(2).with_padding(1),
        ] {
            let y = pool2d(x.view(), kind, p).unwrap();
            for sample in 0..2 {
                let trace = PoolTrace::new(x.view(), sample, kind, p).unwrap();
                for idx in 0..trace.len() {
                    let step = trace.step(idx).unwrap();
                    let [c, oy, ox] = step.output;
                    assert_eq!(step.value.to_bits(), y[[sample, c, oy, ox]].to_bits());
                    assert_eq!(trace.index_of(step.output), Some(idx));
                    assert_eq!(trace.cell_of(idx), Ok(step.output));
                    match kind {
                        PoolKind::Max => {
                            let [ay, ax] = step.argmax.unwrap();
                            assert_eq!(x[[sample, c, ay, ax]], step.value);
                        }
                        PoolKind::Sum => assert_eq!(step.sum, Some(step.value)),
                        PoolKind::Average => {
                            assert_eq!(step.sum.unwrap() / step.divisor.unwrap(), step.value)
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn steps_serialize_to_json() {
    let x = values([1, 1, 4, 4], 3);
    let w = values([1, 1, 3, 3], 4);
    let trace = ConvTrace::new(
        x.view(),
        0,
        w.view(),
        None,
        Conv2dParams::default().with_padding(1),
        Activation::Sigmoid,
    )
    .unwrap();
    let json = serde_json::to_string(&trace.step(5).unwrap()).unwrap();
    assert!(
        json.contains("\"taps\"") && json.contains("\"activation\":\"sigmoid\""),
        "{json}"
    );
    let back: convscope_core::ConvStep = serde_json::from_str(&json).unwrap();
    assert_eq!(back, trace.step(5).unwrap());
    let ptrace = PoolTrace::new(
        x.view(),
        0,
        PoolKind::Max,
        Pool2dParams::new(3).with_padding(1),
    )
    .unwrap();
    let json = serde_json::to_string(&ptrace.step(0).unwrap()).unwrap();
    assert!(json.contains("null"), "padding cells have no value: {json}");
}

/// LeNet conv1 on a 28×28 image: 6·28·28 = 4704 steps, stepped backwards with one reused
/// `ConvStep` (as the UI does), every value equal to the batch output. The cost of a step is
/// measured by `cargo bench -p convscope-core --bench conv -- trace_step`.
#[test]
fn stepping_all_of_lenet_conv1_backwards_reuses_one_step() {
    let x = values([1, 1, 28, 28], 5);
    let w = values([6, 1, 5, 5], 6);
    let trace = ConvTrace::new(
        x.view(),
        0,
        w.view(),
        None,
        Conv2dParams::default().with_padding(2),
        Activation::Relu,
    )
    .unwrap();
    let output = trace.output();
    let mut step = trace.step(0).unwrap();
    for i in (0..trace.len()).rev() {
        trace.step_into(i, &mut step).unwrap();
        let [k, y, x] = step.output;
        assert_eq!(
            step.value.to_bits(),
            output[[k, y, x]].to_bits(),
            "step {i}"
        );
    }
}

/// The pooling fast paths (no padding; 2×2 stride 2) keep the general rule: row-major
/// window order, the first of equal values wins, NaN wins. Small integers make ties common.
#[test]
fn pooling_fast_paths_keep_ties_and_nan_as_the_trace_does() {
    let mut x = values([2, 3, 8, 9], 5).mapv(|v| (v * 3.0).round());
    // A 2×2 window of −0.0: the sum starts from +0.0 on every path.
    for (y, xx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        x[[0, 0, y, xx]] = -0.0;
    }
    x[[0, 1, 2, 3]] = f32::NAN;
    x[[1, 2, 5, 5]] = f32::NAN;
    x[[1, 2, 5, 4]] = f32::NAN;
    for p in [
        Pool2dParams::new(2),
        Pool2dParams::new(3).with_stride(2),
        Pool2dParams::new(2).with_stride(1),
        Pool2dParams {
            kernel: [1, 3],
            stride: [2, 1],
            padding: [0, 0],
        },
    ] {
        let (y, idx) = convscope_core::max_pool2d_with_indices(x.view(), p).unwrap();
        for sample in 0..2 {
            let trace = PoolTrace::new(x.view(), sample, PoolKind::Max, p).unwrap();
            for i in 0..trace.len() {
                let step = trace.step(i).unwrap();
                let [c, oy, ox] = step.output;
                assert_eq!(
                    step.value.to_bits(),
                    y[[sample, c, oy, ox]].to_bits(),
                    "{p:?} {:?}",
                    step.output
                );
                let [ay, ax] = step.argmax.unwrap();
                assert_eq!(
                    idx[[sample, c, oy, ox]],
                    ay * 9 + ax,
                    "{p:?} {:?}",
                    step.output
                );
            }
        }
        for kind in [PoolKind::Average, PoolKind::Sum] {
            let y = pool2d(x.view(), kind, p).unwrap();
            for sample in 0..2 {
                let trace = PoolTrace::new(x.view(), sample, kind, p).unwrap();
                for i in 0..trace.len() {
                    let step = trace.step(i).unwrap();
                    let [c, oy, ox] = step.output;
                    let (a, b) = (step.value, y[[sample, c, oy, ox]]);
                    assert!(
                        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                        "{kind:?} {p:?}"
                    );
                }
            }
        }
    }
}
