//! Property tests (native only: proptest is not a wasm dev-dependency).
//!
//! - The im2col + GEMM fast path equals the reference loop *exactly* on small integer
//!   values (every partial sum is an exactly representable integer, so order is irrelevant).
//! - Output shapes equal the formula.
//! - No parameters make any public operation panic: invalid ones return `Err`.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use convscope_core::{
    Activation, Conv2dGeometry, Conv2dParams, ConvScratch, ConvTrace, ConvTranspose2dParams,
    ConvTransposeTrace, Pool2dParams, PoolKind, PoolTrace, Stepper, conv_output_size,
    conv_output_size_explained, conv_transpose_output_size, conv_transpose2d,
    conv_transpose2d_reference, conv2d, conv2d_into, conv2d_reference, pool2d,
};
use ndarray::{Array1, Array4};
use proptest::prelude::*;

fn int_tensor(shape: [usize; 4], seed: u64) -> Array4<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    Array4::from_shape_fn(shape, |_| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % 7) as f32 - 3.0
    })
}

#[derive(Debug, Clone)]
struct ConvProblem {
    batch: usize,
    groups: usize,
    in_per_group: usize,
    out_per_group: usize,
    size: [usize; 2],
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    bias: bool,
    seed: u64,
}

fn conv_problem() -> impl Strategy<Value = ConvProblem> {
    (
        (1usize..=2, 1usize..=3, 1usize..=3, 1usize..=3),
        ([1usize..=9, 1usize..=9], [1usize..=4, 1usize..=4]),
        (
            [1usize..=3, 1usize..=3],
            [0usize..=3, 0usize..=3],
            [1usize..=3, 1usize..=3],
        ),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(
            |(
                (batch, groups, in_per_group, out_per_group),
                (size, kernel),
                (stride, padding, dilation),
                bias,
                seed,
            )| {
                ConvProblem {
                    batch,
                    groups,
                    in_per_group,
                    out_per_group,
                    size,
                    kernel,
                    stride,
                    padding,
                    dilation,
                    bias,
                    seed,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn conv2d_fast_path_equals_reference_exactly(pb in conv_problem()) {
        let c_in = pb.groups * pb.in_per_group;
        let c_out = pb.groups * pb.out_per_group;
        let x = int_tensor([pb.batch, c_in, pb.size[0], pb.size[1]], pb.seed);
        let w = int_tensor([c_out, pb.in_per_group, pb.kernel[0], pb.kernel[1]], pb.seed ^ 1);
        let b = pb.bias.then(|| Array1::from_shape_fn(c_out, |k| k as f32 - 1.0));
        let p = Conv2dParams { stride: pb.stride, padding: pb.padding, dilation: pb.dilation, groups: pb.groups };
        let fast = conv2d(x.view(), w.view(), b.as_ref().map(|b| b.view()), p);
        let reference = conv2d_reference(x.view(), w.view(), b.as_ref().map(|b| b.view()), p);
        let formula: Result<Vec<usize>, _> = (0..2)
            .map(|i| conv_output_size(pb.size[i], pb.kernel[i], pb.stride[i], pb.padding[i], pb.dilation[i]))
            .collect();
        match (fast, reference, formula) {
            (Ok(f), Ok(r), Ok(hw)) => {
                prop_assert_eq!(f.shape(), &[pb.batch, c_out, hw[0], hw[1]]);
                prop_assert_eq!(&f, &r);
                // The _into variant reusing a dirty buffer and scratch gives the same.
                let mut out = Array4::from_elem(f.raw_dim(), 9.0);
                let mut scratch = ConvScratch::default();
                conv2d_into(x.view(), w.view(), b.as_ref().map(|b| b.view()), p, out.view_mut(), &mut scratch).unwrap();
                prop_assert_eq!(&out, &f);
            }
            (Err(a), Err(b), Err(_)) => prop_assert_eq!(a, b),
            (f, r, s) => prop_assert!(false, "fast {:?} / reference {:?} / formula {:?} disagree", f.err(), r.err(), s),
        }
    }

    #[test]
    fn conv_transpose2d_fast_path_equals_reference_exactly(
        pb in conv_problem(),
        output_padding in [0usize..=2, 0usize..=2],
    ) {
        let c_in = pb.groups * pb.in_per_group;
        let c_out = pb.groups * pb.out_per_group;
        let size = [pb.size[0].min(5), pb.size[1].min(5)];
        let x = int_tensor([pb.batch, c_in, size[0], size[1]], pb.seed);
        let w = int_tensor([c_in, pb.out_per_group, pb.kernel[0], pb.kernel[1]], pb.seed ^ 2);
        let b = pb.bias.then(|| Array1::from_shape_fn(c_out, |k| 2.0 - k as f32));
        let p = ConvTranspose2dParams {
            stride: pb.stride,
            padding: pb.padding,
            output_padding,
            dilation: pb.dilation,
            groups: pb.groups,
        };
        let fast = conv_transpose2d(x.view(), w.view(), b.as_ref().map(|b| b.view()), p);
        let reference = conv_transpose2d_reference(x.view(), w.view(), b.as_ref().map(|b| b.view()), p);
        let formula: Result<Vec<usize>, _> = (0..2)
            .map(|i| conv_transpose_output_size(size[i], pb.kernel[i], pb.stride[i], pb.padding[i], output_padding[i], pb.dilation[i]))
            .collect();
        match (fast, reference, formula) {
            (Ok(f), Ok(r), Ok(hw)) => {
                prop_assert_eq!(f.shape(), &[pb.batch, c_out, hw[0], hw[1]]);
                prop_assert_eq!(&f, &r);
            }
            (Err(a), Err(b), Err(_)) => prop_assert_eq!(a, b),
            (f, r, s) => prop_assert!(false, "fast {:?} / reference {:?} / formula {:?} disagree", f.err(), r.err(), s),
        }
    }

    #[test]
    fn conv_trace_sums_are_bitwise_equal_to_the_reference(pb in conv_problem()) {
        let c_in = pb.groups * pb.in_per_group;
        let c_out = pb.groups * pb.out_per_group;
        // Non-integer values: the sums are only equal if the order is the reference's.
        let x = int_tensor([pb.batch, c_in, pb.size[0], pb.size[1]], pb.seed).mapv(|v| v * 0.37 + 0.011);
        let w = int_tensor([c_out, pb.in_per_group, pb.kernel[0], pb.kernel[1]], pb.seed ^ 5).mapv(|v| v * 0.29 - 0.007);
        let b = pb.bias.then(|| Array1::from_shape_fn(c_out, |k| 0.3 - k as f32 * 0.17));
        let p = Conv2dParams { stride: pb.stride, padding: pb.padding, dilation: pb.dilation, groups: pb.groups };
        let reference = conv2d_reference(x.view(), w.view(), b.as_ref().map(|b| b.view()), p);
        let trace = ConvTrace::new(x.view(), pb.batch - 1, w.view(), b.as_ref().map(|b| b.view()), p, Activation::Sigmoid);
        match (reference, trace) {
            (Ok(r), Ok(t)) => {
                prop_assert_eq!(t.len(), r.len() / pb.batch);
                let (pre, post) = t.feature_maps();
                for i in 0..t.len() {
                    let step = t.step(i).unwrap();
                    let [k, y, xx] = step.output;
                    prop_assert_eq!(step.pre_activation.to_bits(), r[[pb.batch - 1, k, y, xx]].to_bits());
                    prop_assert_eq!(pre[[k, y, xx]].to_bits(), step.pre_activation.to_bits());
                    prop_assert_eq!(post[[k, y, xx]].to_bits(), step.value.to_bits());
                }
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (r, t) => prop_assert!(false, "reference {:?} / trace {:?} disagree", r.err(), t.err()),
        }
    }

    #[test]
    fn conv_transpose_trace_sums_are_bitwise_equal_to_the_reference(
        pb in conv_problem(),
        output_padding in [0usize..=2, 0usize..=2],
    ) {
        let c_in = pb.groups * pb.in_per_group;
        let c_out = pb.groups * pb.out_per_group;
        let size = [pb.size[0].min(5), pb.size[1].min(5)];
        // Non-integer values: the sums are only equal if the order is the reference's.
        let x = int_tensor([pb.batch, c_in, size[0], size[1]], pb.seed).mapv(|v| v * 0.37 + 0.011);
        let w = int_tensor([c_in, pb.out_per_group, pb.kernel[0], pb.kernel[1]], pb.seed ^ 3).mapv(|v| v * 0.29 - 0.007);
        let b = pb.bias.then(|| Array1::from_shape_fn(c_out, |k| 0.3 - k as f32 * 0.17));
        let p = ConvTranspose2dParams {
            stride: pb.stride,
            padding: pb.padding,
            output_padding,
            dilation: pb.dilation,
            groups: pb.groups,
        };
        let reference = conv_transpose2d_reference(x.view(), w.view(), b.as_ref().map(|b| b.view()), p);
        let trace = ConvTransposeTrace::new(x.view(), pb.batch - 1, w.view(), b.as_ref().map(|b| b.view()), p);
        match (reference, trace) {
            (Ok(r), Ok(t)) => {
                prop_assert_eq!(t.len(), r.len() / pb.batch);
                for i in 0..t.len() {
                    let step = t.step(i).unwrap();
                    let [k, y, xx] = step.output;
                    prop_assert_eq!(step.value.to_bits(), r[[pb.batch - 1, k, y, xx]].to_bits());
                }
                prop_assert!(t.step(t.len()).is_err());
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (r, t) => prop_assert!(false, "reference {:?} / trace {:?} disagree", r.err(), t.err()),
        }
    }

    #[test]
    fn pooling_shape_equals_formula(
        size in [1usize..=9, 1usize..=9],
        kernel in [1usize..=4, 1usize..=4],
        stride in [1usize..=3, 1usize..=3],
        padding in [0usize..=2, 0usize..=2],
        seed in any::<u64>(),
    ) {
        let x = int_tensor([1, 2, size[0], size[1]], seed);
        let p = Pool2dParams { kernel, stride, padding };
        for kind in [PoolKind::Max, PoolKind::Average, PoolKind::Sum] {
            match pool2d(x.view(), kind, p) {
                Ok(y) => {
                    for i in 0..2 {
                        prop_assert_eq!(y.shape()[2 + i], conv_output_size(size[i], kernel[i], stride[i], padding[i], 1).unwrap());
                    }
                    prop_assert!(y.iter().all(|v| v.is_finite()));
                }
                Err(_) => prop_assert!(padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2
                    || conv_output_size(size[0], kernel[0], 1, padding[0], 1).is_err()
                    || conv_output_size(size[1], kernel[1], 1, padding[1], 1).is_err()),
            }
        }
    }
}

/// Small values, zeros and huge values: anything a user could type.
fn any_param() -> impl Strategy<Value = usize> {
    prop_oneof![
        4 => 0usize..=4,
        1 => Just(usize::MAX),
        1 => Just(usize::MAX / 2),
        1 => Just(1usize << 40),
        1 => Just(1usize << 31),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn no_parameters_make_anything_panic(
        dims in [0usize..=3, 0usize..=3, 0usize..=5, 0usize..=5],
        out_c in 0usize..=3,
        wc in 0usize..=3,
        kernel in [any_param(), any_param()],
        stride in [any_param(), any_param()],
        padding in [any_param(), any_param()],
        dilation in [any_param(), any_param()],
        output_padding in [any_param(), any_param()],
        groups in any_param(),
        bias_len in 0usize..=4,
    ) {
        let small = |v: usize| v.min(4);
        let x = int_tensor(dims, 3);
        let w = int_tensor([out_c, wc, small(kernel[0]), small(kernel[1])], 4);
        let b = Array1::from_elem(bias_len, 1.0f32);
        let p = Conv2dParams { stride, padding, dilation, groups };
        let fast = conv2d(x.view(), w.view(), Some(b.view()), p);
        let reference = conv2d_reference(x.view(), w.view(), Some(b.view()), p);
        prop_assert_eq!(fast.is_ok(), reference.is_ok());
        if let (Ok(f), Ok(r)) = (&fast, &reference) {
            prop_assert_eq!(f, r);
        }
        if dims[0] > 0 {
            let t = ConvTrace::new(x.view(), 0, w.view(), None, p, Default::default());
            if let Ok(t) = t {
                let _ = t.step(0);
                let _ = t.step(t.len().saturating_sub(1));
                let _ = t.step(t.len());
            }
        }
        let tp = ConvTranspose2dParams { stride, padding, output_padding, dilation, groups };
        let tw = int_tensor([wc, out_c, small(kernel[0]), small(kernel[1])], 5);
        let tf = conv_transpose2d(x.view(), tw.view(), None, tp);
        let tr = conv_transpose2d_reference(x.view(), tw.view(), None, tp);
        prop_assert_eq!(tf.is_ok(), tr.is_ok());
        if dims[0] > 0
            && let Ok(t) = ConvTransposeTrace::new(x.view(), 0, tw.view(), None, tp)
        {
            let _ = (t.upsampled_size(), t.upsampled_padding());
            let _ = t.step(0);
            let _ = t.step(t.len().saturating_sub(1));
            let _ = t.step(t.len());
        }
        let pp = Pool2dParams { kernel, stride, padding };
        for kind in [PoolKind::Max, PoolKind::Average, PoolKind::Sum] {
            if let Ok(y) = pool2d(x.view(), kind, pp) {
                prop_assert!(y.len() <= 1 << 20);
            }
            if dims[0] > 0
                && let Ok(t) = PoolTrace::new(x.view(), 0, kind, pp)
            {
                let _ = t.step(0);
            }
        }
        let _ = Conv2dGeometry::new(dims, out_c, kernel, p);
        let _ = Conv2dGeometry::new([kernel[0], stride[0], padding[0], dilation[0]], groups, kernel, p);
        let _ = conv_output_size_explained(dims[2], kernel[0], stride[0], padding[0], dilation[0]);
        let _ = conv_output_size_explained(padding[1], kernel[1], stride[1], padding[0], dilation[1]);
    }
}

/// Shrunk failures are kept here as named regression tests.
#[test]
fn regression_tap_entirely_in_padding_with_dilation() {
    // Shrunk from conv2d_fast_path_equals_reference_exactly: W = 1, F_w = 4, D_w = 2,
    // P_w = 3, so taps 0 and 1 lie left of the input and their valid column range is empty.
    let x = int_tensor([1, 1, 1, 1], 0);
    let w = int_tensor([1, 1, 1, 4], 1);
    let p = Conv2dParams {
        stride: [3, 1],
        padding: [3, 3],
        dilation: [1, 2],
        groups: 1,
    };
    let fast = conv2d(x.view(), w.view(), None, p).unwrap();
    assert_eq!(fast, conv2d_reference(x.view(), w.view(), None, p).unwrap());
    assert_eq!(fast.shape(), &[1, 1, 3, 1]);
}

#[test]
fn regression_a_column_tap_in_padding_with_a_maximal_stride() {
    // Shrunk from no_parameters_make_anything_panic (with one sample instead of none):
    // W = 0, F_w = 2, S_w = usize::MAX, P_w = 2^63 − 1 give one output column, which every
    // tap reads in the padding; the reference loop asked for the input column of output 1,
    // past the last, and its position overflowed.
    let x = int_tensor([1, 2, 0, 0], 3);
    let w = int_tensor([1, 2, 1, 2], 4);
    let b = Array1::from_elem(1, 1.0f32);
    let p = Conv2dParams {
        stride: [usize::MAX, usize::MAX],
        padding: [1, usize::MAX / 2],
        dilation: [1, 1],
        groups: 1,
    };
    let fast = conv2d(x.view(), w.view(), Some(b.view()), p).unwrap();
    let reference = conv2d_reference(x.view(), w.view(), Some(b.view()), p).unwrap();
    assert_eq!(fast.shape(), &[1, 1, 1, 1]);
    assert_eq!(fast, reference);
    assert_eq!(fast[[0, 0, 0, 0]], 1.0, "all padding: the bias alone");
}

#[test]
fn huge_stride_and_padding_give_a_small_all_padding_output() {
    // padded = 1 + 2^41, stride 2^40: 3 × 3 windows, only the centre one touches the input.
    let x = int_tensor([1, 1, 1, 1], 9);
    let w = Array4::from_elem([1, 1, 1, 1], 2.0f32);
    let p = Conv2dParams::default()
        .with_stride(1 << 40)
        .with_padding(1 << 40);
    let y = conv2d(x.view(), w.view(), None, p).unwrap();
    assert_eq!(y.shape(), &[1, 1, 3, 3]);
    assert_eq!(y, conv2d_reference(x.view(), w.view(), None, p).unwrap());
    assert_eq!(y[[0, 0, 1, 1]], 2.0 * x[[0, 0, 0, 0]]);
}

#[test]
fn regression_empty_batch_with_an_overflowing_output_area_is_an_error() {
    // Shrunk from no_parameters_make_anything_panic: batch 0 makes the output empty, so
    // only the im2col matrix's own check sees that H2·W2 overflows.
    let g = Conv2dGeometry::new(
        [0, 1, 0, 0],
        1,
        [1, usize::MAX],
        Conv2dParams {
            padding: [usize::MAX / 2; 2],
            ..Conv2dParams::default()
        },
    );
    assert!(g.is_err(), "{g:?}");
}

/// Shrunk from `no_parameters_make_anything_panic` (a fresh-clone run): an empty batch whose
/// transposed output would be 6 × 6,442,450,945 × 4,294,967,302 made ndarray panic (the
/// product of the non-zero axes overflows), where it must be refused with the numbers.
#[test]
fn regression_empty_batch_with_an_overflowing_transposed_output_is_an_error() {
    let x = Array4::<f32>::zeros((0, 1, 2, 2));
    let w = Array4::<f32>::zeros((1, 6, 1, 1));
    let p = ConvTranspose2dParams {
        stride: [6_442_450_944, 4_294_967_301],
        ..ConvTranspose2dParams::default()
    };
    for result in [
        conv_transpose2d(x.view(), w.view(), None, p),
        conv_transpose2d_reference(x.view(), w.view(), None, p),
    ] {
        let e = result
            .expect_err("an output this large is refused")
            .to_string();
        assert!(e.contains("the output"), "{e}");
    }
    // An empty batch of sensible sizes is still fine: an empty output.
    let ok = conv_transpose2d(x.view(), w.view(), None, ConvTranspose2dParams::default()).unwrap();
    assert_eq!(ok.shape(), [0, 6, 2, 2]);
}

/// A decimal of the syntax `format::parse_f32` reads: sign, digits around an optional point,
/// an optional exponent.
fn decimal() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(""), Just("-"), Just("+")],
        "[0-9]{0,12}",
        prop::option::of("[0-9]{0,12}"),
        prop::option::of((
            "[eE]",
            prop_oneof![Just(""), Just("-"), Just("+")],
            -60i32..60,
        )),
    )
        .prop_filter("digits on one side of the point", |(_, w, f, _)| {
            !w.is_empty() || f.as_ref().is_some_and(|f| !f.is_empty())
        })
        .prop_map(|(sign, whole, fraction, exponent)| {
            let mut s = format!("{sign}{whole}");
            if let Some(f) = fraction {
                s.push('.');
                s.push_str(&f);
            }
            if let Some((e, esign, n)) = exponent {
                s.push_str(&format!("{e}{esign}{}", n.unsigned_abs()));
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// The one reader of typed numbers rounds as the standard library's does, to `f32` and to
    /// `f64` (values beyond `f32`'s range are refused, where `str::parse` says infinity).
    #[test]
    fn typed_numbers_read_as_the_standard_library_reads_them(s in decimal()) {
        use convscope_core::format::{parse_f32, parse_f64};
        let std32: f32 = s.parse().unwrap();
        match parse_f32(&s) {
            Some(v) => prop_assert_eq!(v.to_bits(), std32.to_bits(), "{}", s),
            None => prop_assert!(std32.is_infinite(), "{} refused, std reads {}", s, std32),
        }
        let std64: f64 = s.parse().unwrap();
        match parse_f64(&s) {
            Some(v) => prop_assert_eq!(v.to_bits(), std64.to_bits(), "{}", s),
            None => prop_assert!(std64.is_infinite(), "{} refused, std reads {}", s, std64),
        }
    }

    /// Every finite `f32`, written as Rust writes it (shortest, and in exponent form), reads
    /// back bit for bit.
    #[test]
    fn every_written_f32_reads_back(bits in any::<u32>()) {
        let v = f32::from_bits(bits);
        prop_assume!(v.is_finite());
        for s in [format!("{v}"), format!("{v:e}"), format!("{v:E}")] {
            prop_assert_eq!(convscope_core::format::parse_f32(&s).map(f32::to_bits), Some(bits), "{}", s);
        }
    }
}
