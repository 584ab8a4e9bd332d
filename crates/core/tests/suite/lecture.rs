//! The lecture's worked examples (CS167, "CNN Implementation"), as named tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use convscope_core::tensor::from_rows;
use convscope_core::{
    Activation, Conv2dGeometry, Conv2dParams, ConvTrace, Pool2dParams, PoolKind, PoolTrace,
    Stepper, conv_output_size, conv2d, conv2d_reference, pool_output_size, pool2d, sigmoid,
};
use ndarray::{Array4, array};

fn lecture_image() -> Array4<f32> {
    from_rows(&[
        [1.0, 1.0, 1.0, 0.0, 0.0],
        [0.0, 1.0, 1.0, 1.0, 0.0],
        [0.0, 0.0, 1.0, 1.0, 1.0],
        [0.0, 0.0, 1.0, 1.0, 0.0],
        [0.0, 1.0, 1.0, 0.0, 0.0],
    ])
    .unwrap()
}

fn lecture_kernel() -> Array4<f32> {
    from_rows(&[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]).unwrap()
}

#[test]
fn lecture_5x5_image_with_3x3_kernel_gives_4_at_first_position() {
    let (x, w) = (lecture_image(), lecture_kernel());
    let want = array![[4.0f32, 3.0, 4.0], [2.0, 4.0, 3.0], [2.0, 3.0, 4.0]];
    for y in [
        conv2d(x.view(), w.view(), None, Conv2dParams::default()).unwrap(),
        conv2d_reference(x.view(), w.view(), None, Conv2dParams::default()).unwrap(),
    ] {
        assert_eq!(y.shape(), &[1, 1, 3, 3]);
        assert_eq!(y[[0, 0, 0, 0]], 4.0);
        assert_eq!(
            y.index_axis_move(ndarray::Axis(0), 0)
                .index_axis_move(ndarray::Axis(0), 0),
            want
        );
    }
}

#[test]
fn lecture_first_window_trace_lists_the_nine_products_and_sigmoid_0_98() {
    let (x, w) = (lecture_image(), lecture_kernel());
    let trace = ConvTrace::new(
        x.view(),
        0,
        w.view(),
        None,
        Conv2dParams::default(),
        Activation::Sigmoid,
    )
    .unwrap();
    assert_eq!(trace.len(), 9);
    let step = trace.step(0).unwrap();
    // convolution = 1·1 + 1·0 + 1·1 + 0·0 + 1·1 + 1·0 + 0·1 + 0·0 + 1·1 = 4
    let products: Vec<f32> = step.taps.iter().map(|t| t.product.unwrap()).collect();
    assert_eq!(products, vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    assert_eq!(step.sum, 4.0);
    assert_eq!(step.output, [0, 0, 0]);
    // Sigmoid(4) = 1 / (1 + exp(−4)) = 0.98
    assert_eq!((step.value * 100.0).round() / 100.0, 0.98);
    assert_eq!(step.value, sigmoid(4.0));
}

#[test]
fn lecture_sigmoid_of_4_is_0_98() {
    assert_eq!((sigmoid(4.0) * 100.0).round() / 100.0, 0.98);
}

#[test]
fn lecture_alexnet_conv1_227_f11_s4_p0_gives_55() {
    assert_eq!(conv_output_size(227, 11, 4, 0, 1), Ok(55));
    let g = Conv2dGeometry::new(
        [1, 3, 227, 227],
        96,
        [11, 11],
        Conv2dParams::default().with_stride(4),
    )
    .unwrap();
    assert_eq!(g.output_shape(), [1, 96, 55, 55]);
    // Number of filter weight parameters = (F·F·D1)·K, bias parameters = K.
    assert_eq!(g.weight_count(), 11 * 11 * 3 * 96);
    assert_eq!(g.parameter_count(true), 11 * 11 * 3 * 96 + 96);
    assert!(g.axes()[0].note.is_none());
}

#[test]
fn lecture_alexnet_feature_sizes() {
    let conv = |w, f, s, p| conv_output_size(w, f, s, p, 1).unwrap();
    let pool = |w| pool_output_size(w, 3, 2, 0).unwrap();
    assert_eq!(pool(55), 27); // MAX POOL1
    assert_eq!(conv(27, 5, 1, 2), 27); // CONV2
    assert_eq!(pool(27), 13); // MAX POOL2
    assert_eq!(conv(13, 3, 1, 1), 13); // CONV3..5
    assert_eq!(pool(13), 6); // MAX POOL3
}

#[test]
fn lecture_max_and_sum_pooling_on_a_4x4_slice() {
    let x = from_rows(&[
        [1.0, 1.0, 2.0, 4.0],
        [5.0, 6.0, 7.0, 8.0],
        [3.0, 2.0, 1.0, 0.0],
        [1.0, 2.0, 3.0, 4.0],
    ])
    .unwrap();
    let p = Pool2dParams::new(2);
    let max = pool2d(x.view(), PoolKind::Max, p).unwrap();
    assert_eq!(max.into_raw_vec_and_offset().0, vec![6.0, 8.0, 3.0, 4.0]);
    let sum = pool2d(x.view(), PoolKind::Sum, p).unwrap();
    assert_eq!(sum.into_raw_vec_and_offset().0, vec![13.0, 21.0, 8.0, 8.0]);
    let avg = pool2d(x.view(), PoolKind::Average, p).unwrap();
    assert_eq!(avg.into_raw_vec_and_offset().0, vec![3.25, 5.25, 2.0, 2.0]);
    let trace = PoolTrace::new(x.view(), 0, PoolKind::Max, p).unwrap();
    let step = trace.step(1).unwrap();
    assert_eq!((step.value, step.argmax), (8.0, Some([1, 3])));
    assert_eq!(step.cells.iter().filter(|c| c.is_argmax).count(), 1);
}
