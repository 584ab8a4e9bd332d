//! Explanations of one prediction (`convscope_core::explain`), held to what they claim:
//! saliency equals finite differences of the logits, an occlusion value equals a separate
//! forward pass of the occluded image, Grad-CAM's weights are the mean gradient of the
//! layer's maps (known exactly when a linear layer reads them), the bilinear upsampling is
//! PyTorch's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use convscope_core::arch::{Architecture, zoo};
use convscope_core::explain::{
    OcclusionConfig, class_weights, grad_cam, input_gradient, occluded, occlusion, saliency,
    scores, smooth_grad, softmax, upsample_bilinear,
};
use convscope_core::nn::{Network, Rng, Workspace};

mod common;

fn net(text: &str, seed: u64) -> Network {
    let arch = Architecture::from_text(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    Network::build(&arch, &mut Rng::seed_from_u64(seed)).unwrap()
}

fn image(net: &Network, seed: u64) -> Vec<f32> {
    let mut rng = Rng::seed_from_u64(seed);
    (0..net.input_len())
        .map(|_| rng.uniform(0.0, 1.0))
        .collect()
}

/// `(score(x + h·e_i) − score(x − h·e_i)) / 2h` of `Σ w_k score_k`, in f64.
fn finite_difference(net: &Network, x: &[f32], w: &[f32], i: usize, h: f32) -> f64 {
    let mut ws = Workspace::new();
    let mut score = |d: f32| {
        let mut y = x.to_vec();
        y[i] += d;
        let s = scores(net, &y, 1, &mut ws).unwrap();
        s[0].logits
            .iter()
            .zip(w)
            .map(|(&z, &k)| f64::from(z) * f64::from(k))
            .sum::<f64>()
    };
    (score(h) - score(-h)) / (2.0 * f64::from(h))
}

/// Checks the saliency of `class` (and of `class` versus `versus`) against finite
/// differences on 40 sampled pixels.
fn check_saliency(net: &Network, class: usize, versus: usize, h: f32, tol: f64) {
    let x = image(net, 7);
    let mut ws = Workspace::new();
    let mut rng = Rng::seed_from_u64(3);
    let pixels: Vec<usize> = (0..40).map(|_| rng.below(x.len())).collect();
    for w in [
        class_weights(net, class, None).unwrap(),
        class_weights(net, class, Some(versus)).unwrap(),
    ] {
        let g = input_gradient(net, &x, &w, &mut ws).unwrap();
        let analytic: Vec<f32> = pixels.iter().map(|&i| g[i]).collect();
        let numeric: Vec<f64> = pixels
            .iter()
            .map(|&i| finite_difference(net, &x, &w, i, h))
            .collect();
        let e = common::rel_error(&analytic, &numeric).expect("a non-zero gradient");
        assert!(e < tol, "relative error {e} ≥ {tol}");
    }
}

#[test]
fn saliency_equals_finite_differences_of_the_logits() {
    // Smooth layers: tight.
    let smooth = net(
        "input 12x12x1, conv 4 3x3 pad 1, tanh, avgpool 2, conv 6 3x3, sigmoid, flatten, linear 5",
        1,
    );
    check_saliency(&smooth, 2, 4, 1e-2, 1e-3);
    // LeNet-5 (ReLU, max pooling) on a 28×28 image: steps small enough not to cross kinks.
    let lenet = Network::build(&zoo::lenet5(), &mut Rng::seed_from_u64(5)).unwrap();
    check_saliency(&lenet, 3, 8, 2e-3, 2e-2);
}

#[test]
fn class_comparison_is_the_difference_of_two_saliencies() {
    let lenet = Network::build(&zoo::lenet5(), &mut Rng::seed_from_u64(5)).unwrap();
    let x = image(&lenet, 9);
    let mut ws = Workspace::new();
    let a = saliency(&lenet, &x, 3, &mut ws).unwrap();
    let b = saliency(&lenet, &x, 8, &mut ws).unwrap();
    let d = input_gradient(
        &lenet,
        &x,
        &class_weights(&lenet, 3, Some(8)).unwrap(),
        &mut ws,
    )
    .unwrap();
    for ((a, b), d) in a.iter().zip(&b).zip(&d) {
        assert!(
            (a - b - d).abs() <= 1e-5 * (1.0 + d.abs()),
            "{a} − {b} ≠ {d}"
        );
    }
    assert!(class_weights(&lenet, 10, None).is_err_and(|e| e.to_string().contains("10")));
    assert!(saliency(&lenet, &x[..10], 3, &mut ws).is_err());
}

#[test]
fn smooth_grad_without_noise_is_the_saliency_and_averages_with_it() {
    let lenet = Network::build(&zoo::lenet5(), &mut Rng::seed_from_u64(5)).unwrap();
    let x = image(&lenet, 11);
    let mut ws = Workspace::new();
    let w = class_weights(&lenet, 1, None).unwrap();
    let plain = input_gradient(&lenet, &x, &w, &mut ws).unwrap();
    assert_eq!(
        smooth_grad(&lenet, &x, &w, 0.0, 3, 1, &mut ws).unwrap(),
        plain
    );
    let noisy = smooth_grad(&lenet, &x, &w, 0.15, 8, 1, &mut ws).unwrap();
    assert_eq!(noisy.len(), plain.len());
    assert_ne!(noisy, plain);
    assert_eq!(
        noisy,
        smooth_grad(&lenet, &x, &w, 0.15, 8, 1, &mut ws).unwrap(),
        "seeded"
    );
    assert!(smooth_grad(&lenet, &x, &w, 0.1, 0, 1, &mut ws).is_err());
    assert!(smooth_grad(&lenet, &x, &w, f32::NAN, 2, 1, &mut ws).is_err());
}

fn cfg(patch: usize, stride: usize) -> OcclusionConfig {
    OcclusionConfig {
        patch,
        stride,
        fill: 0.5,
    }
}

#[test]
fn an_occlusion_value_is_a_separate_forward_pass_of_the_occluded_image() {
    let lenet = Network::build(&zoo::lenet5(), &mut Rng::seed_from_u64(5)).unwrap();
    let x = image(&lenet, 13);
    let mut ws = Workspace::new();
    let mut calls = Vec::new();
    let o = occlusion(&lenet, &x, 4, cfg(8, 4), &mut ws, &mut |done, total| {
        calls.push((done, total))
    })
    .unwrap();
    // (28 − 8)/4 + 1 = 6 positions each way.
    assert_eq!(o.dims, [6, 6]);
    assert_eq!(o.drops.len(), 36);
    assert_eq!(calls.last(), Some(&(36, 36)));
    let base = scores(&lenet, &x, 1, &mut Workspace::new()).unwrap()[0].probabilities[4];
    assert_eq!(o.baseline, base);
    for index in [0, 7, 20, 35] {
        let covered = occluded(&lenet, &x, o.origin(index), 8, 0.5).unwrap();
        let p = scores(&lenet, &covered, 1, &mut Workspace::new()).unwrap()[0].probabilities[4];
        assert!(
            (o.drops[index] - (base - p)).abs() < 1e-6,
            "position {index}"
        );
    }
    assert_eq!(o.origin(7), [4, 4]);
    // The output-size formula refuses a patch larger than the image.
    assert!(occlusion(&lenet, &x, 4, cfg(29, 1), &mut ws, &mut |_, _| {}).is_err());
    assert!(occlusion(&lenet, &x, 4, cfg(8, 0), &mut ws, &mut |_, _| {}).is_err());
}

#[test]
fn grad_cam_weights_are_the_mean_gradient_of_the_maps() {
    // conv → linear: the score's gradient at conv's output is the linear row itself.
    let n = net("input 6x6x1, conv 2 3x3, flatten, linear 3", 21);
    let x = image(&n, 1);
    let mut ws = Workspace::new();
    let w = class_weights(&n, 2, None).unwrap();
    let names: Vec<String> = ws_names(&n, &x);
    let conv = names.first().cloned().unwrap();
    let cam = grad_cam(&n, &x, &w, &conv, &mut ws).unwrap();
    assert_eq!(cam.dims, [4, 4]);
    let lin = n
        .parameters()
        .iter()
        .find(|t| t.shape == [3, 32])
        .expect("the linear weight [3, 32]");
    let row = &lin.data[2 * 32..3 * 32];
    for k in 0..2 {
        let mean: f32 = row[k * 16..(k + 1) * 16].iter().sum::<f32>() / 16.0;
        assert!(
            (cam.weights[k] - mean).abs() < 1e-6,
            "map {k}: {} vs {mean}",
            cam.weights[k]
        );
    }
    // The map: ReLU(Σ α_k A_k) from the layer's own outputs.
    n.infer(&x, 1, &mut ws).unwrap();
    let a = ws.outputs(&n)[0].values.to_vec();
    for (i, m) in cam.map.iter().enumerate() {
        let want = (cam.weights[0] * a[i] + cam.weights[1] * a[16 + i]).max(0.0);
        assert!((m - want).abs() < 1e-5);
    }
    assert!(grad_cam(&n, &x, &w, "nope", &mut ws).is_err_and(|e| e.to_string().contains("nope")));
}

fn ws_names(n: &Network, x: &[f32]) -> Vec<String> {
    let mut ws = Workspace::new();
    n.infer(x, 1, &mut ws).unwrap();
    ws.outputs(n).iter().map(|o| o.name.to_owned()).collect()
}

#[test]
fn bilinear_upsampling_is_pytorchs() {
    // F.interpolate(torch.tensor([[[[0., 1.]]]]), size=(1, 4), mode="bilinear",
    // align_corners=False) = [0, 0.25, 0.75, 1].
    assert_eq!(
        upsample_bilinear(&[0.0, 1.0], [1, 2], [1, 4]),
        vec![0.0, 0.25, 0.75, 1.0]
    );
    assert_eq!(upsample_bilinear(&[2.0; 4], [2, 2], [3, 5]), vec![2.0; 15]);
    assert_eq!(upsample_bilinear(&[], [0, 0], [2, 2]), vec![0.0; 4]);
}

#[test]
fn softmax_sums_to_one() {
    let p = softmax(&[1.0, 2.0, 3.0, 1000.0]);
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    assert!(p[3] > 0.999);
}
