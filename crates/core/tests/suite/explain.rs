//! Explanations of one prediction (`convscope_core::explain`), held to what they claim:
//! saliency equals finite differences of the logits, an occlusion value equals a separate
//! forward pass of the occluded image, Grad-CAM's weights are the mean gradient of the
//! layer's maps (known exactly when a linear layer reads them), the bilinear upsampling is
//! PyTorch's; a unit's traced field is its kernel at the first layer, its gradient equals
//! finite differences of its value, and it never reaches outside the receptive field the
//! Architectures page reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use convscope_core::arch::{Architecture, zoo};
use convscope_core::explain::{
    AscentConfig, OcclusionConfig, class_weights, grad_cam, input_gradient, keep_largest, maximize,
    occluded, occlusion, saliency, scores, smooth_grad, softmax, top_patches, unit_field,
    upsample_bilinear,
};
use convscope_core::nn::{Network, Rng, Workspace};

use crate::common;

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

/// The derivative of `Σ w_k score_k` along pixel `i` by the five-point central difference
/// `(−s(2h) + 8·s(h) − 8·s(−h) + s(−2h)) / 12h`, in f64 (see [`unit_difference`]).
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
    (-score(2.0 * h) + 8.0 * score(h) - 8.0 * score(-h) + score(-2.0 * h)) / (12.0 * f64::from(h))
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
    check_saliency(&smooth, 2, 4, 5e-2, 1e-3);
    // LeNet-5 (ReLU, max pooling) on a 28×28 image: steps small enough not to cross kinks.
    let lenet = Network::build(&zoo::lenet5(), &mut Rng::seed_from_u64(5)).unwrap();
    check_saliency(&lenet, 3, 8, 1e-3, 2e-2);
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
        Ok(vec![0.0, 0.25, 0.75, 1.0])
    );
    assert_eq!(
        upsample_bilinear(&[2.0; 4], [2, 2], [3, 5]),
        Ok(vec![2.0; 15])
    );
    assert_eq!(upsample_bilinear(&[], [0, 0], [2, 2]), Ok(vec![0.0; 4]));
}

#[test]
fn keep_largest_is_a_stable_sort_by_value_descending_cut_to_k() {
    // (key, tag): equal keys keep the order they had.
    let items = vec![
        (1.0, 'a'),
        (3.0, 'b'),
        (2.0, 'c'),
        (3.0, 'd'),
        (f32::NEG_INFINITY, 'e'),
        (2.0, 'f'),
    ];
    for k in 0..=items.len() + 2 {
        let mut kept = items.clone();
        keep_largest(&mut kept, k, |p| p.0);
        let mut sorted = items.clone();
        sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
        sorted.truncate(k);
        assert_eq!(kept, sorted, "k = {k}");
    }
}

#[test]
fn softmax_sums_to_one() {
    let p = softmax(&[1.0, 2.0, 3.0, 1000.0]);
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    assert!(p[3] > 0.999);
}

/// Every layer path of `net`'s report with its output volume, blocks' layers included.
fn layers(net: &Network) -> Vec<(String, convscope_core::arch::Volume)> {
    fn walk(
        layers: &[convscope_core::arch::LayerReport],
        prefix: &str,
        out: &mut Vec<(String, convscope_core::arch::Volume)>,
    ) {
        for l in layers {
            let path = format!("{prefix}{}", l.name);
            out.push((path.clone(), l.output));
            walk(&l.main, &format!("{path}."), out);
            walk(&l.shortcut, &format!("{path}."), out);
        }
    }
    let mut out = Vec::new();
    walk(&net.report().layers, "", &mut out);
    out
}

#[test]
fn a_first_layer_unit_weighs_its_pixels_by_its_own_kernel() {
    let lenet = Network::build(&zoo::lenet5(), &mut Rng::seed_from_u64(5)).unwrap();
    let x = image(&lenet, 2);
    let w = &lenet.tensor("conv1.weight").unwrap().data;
    let mut ws = Workspace::new();
    // conv1: 5×5 at pad 2; unit (3, 0, 10) sees rows −2..3 (two of them padding).
    let f = unit_field(&lenet, &x, "conv1", [3, 0, 10], &mut ws).unwrap();
    assert_eq!((f.rows, f.cols, f.size), ([-2, 3], [8, 13], 5));
    for r in 0..28 {
        for c in 0..28 {
            let (ky, kx) = (r as i64 + 2, c as i64 - 8);
            let expected = if (0..5).contains(&ky) && (0..5).contains(&kx) && ky >= 2 {
                w[3 * 25 + (ky as usize) * 5 + kx as usize]
            } else {
                0.0
            };
            assert_eq!(f.gradient[r * 28 + c], expected, "pixel ({r}, {c})");
        }
    }
    // Its value is the layer's output there.
    lenet.infer(&x, 1, &mut ws).unwrap();
    let outputs = ws.outputs(&lenet);
    let conv1 = outputs.iter().find(|o| o.name == "conv1").unwrap();
    assert_eq!(f.value, conv1.values[3 * 28 * 28 + 10]);
}

/// The derivative of output `unit` of `layer` along pixel `i` by the five-point central
/// difference `(−v(2h) + 8·v(h) − 8·v(−h) + v(−2h)) / 12h`: its truncation error is of
/// order `h⁴`, so a step large enough to keep the forward pass's f32 rounding small
/// (rounding differs with the order of a product's sums, which differs by target) still
/// gives the derivative to far better than the test's 1e-3.
fn unit_difference(net: &Network, x: &[f32], layer: &str, unit: usize, i: usize, h: f32) -> f64 {
    let mut ws = Workspace::new();
    let mut value = |d: f32| {
        let mut y = x.to_vec();
        y[i] += d;
        net.infer(&y, 1, &mut ws).unwrap();
        let outputs = ws.outputs(net);
        f64::from(outputs.iter().find(|o| o.name == layer).unwrap().values[unit])
    };
    (-value(2.0 * h) + 8.0 * value(h) - 8.0 * value(-h) + value(-2.0 * h)) / (12.0 * f64::from(h))
}

#[test]
fn a_units_gradient_equals_finite_differences_of_its_value() {
    let smooth = net(
        "input 12x12x1, conv 4 3x3 pad 1, tanh, avgpool 2, conv 6 3x3, sigmoid, flatten, linear 5",
        1,
    );
    let x = image(&smooth, 4);
    let mut ws = Workspace::new();
    for (layer, v) in layers(&smooth) {
        let unit = [v.c - 1, v.h / 2, v.w / 2];
        let f = unit_field(&smooth, &x, &layer, unit, &mut ws).unwrap();
        let flat = ((v.c - 1) * v.h + v.h / 2) * v.w + v.w / 2;
        // Every pixel of the field (the rest is checked to be zero below).
        let pixels: Vec<usize> = (0..x.len())
            .filter(|&i| {
                let (r, c) = ((i / 12) as i64, (i % 12) as i64);
                (f.rows[0]..f.rows[1]).contains(&r) && (f.cols[0]..f.cols[1]).contains(&c)
            })
            .collect();
        let analytic: Vec<f32> = pixels.iter().map(|&i| f.gradient[i]).collect();
        let numeric: Vec<f64> = pixels
            .iter()
            .map(|&i| unit_difference(&smooth, &x, &layer, flat, i, 5e-2))
            .collect();
        let e = common::rel_error(&analytic, &numeric).expect("a non-zero gradient");
        assert!(e < 1e-3, "{layer}: relative error {e}");
    }
}

#[test]
fn a_units_gradient_stays_inside_the_receptive_field_the_architectures_page_reports() {
    let resnet = net(
        "input 16x16x1, conv 4 3x3 pad 1, relu, maxpool 2, basic(conv 4 3x3 pad 1, bn, relu, conv 4 3x3 pad 1, bn), basic(conv 8 3x3 stride 2 pad 1, bn, relu, conv 8 3x3 pad 1, bn | conv 8 1x1 stride 2, bn), adaptiveavgpool 1x1, flatten, linear 3",
        3,
    );
    let lenet = Network::build(&zoo::lenet5(), &mut Rng::seed_from_u64(5)).unwrap();
    for network in [&lenet, &resnet] {
        let x = image(network, 9);
        let side = network.input().w;
        let report = network.report();
        let mut ws = Workspace::new();
        let mut rng = Rng::seed_from_u64(1);
        for (layer, v) in layers(network) {
            for _ in 0..3 {
                let unit = [rng.below(v.c), rng.below(v.h), rng.below(v.w)];
                let f = unit_field(network, &x, &layer, unit, &mut ws).unwrap();
                let rf = report.find(&layer).unwrap().receptive_field;
                assert_eq!(f.size, rf.size, "{layer}");
                if v.h * v.w > 1 {
                    assert_eq!((f.rows, f.cols), (rf.span(unit[1]), rf.span(unit[2])));
                }
                assert_eq!(f.rows[1] - f.rows[0], rf.size as i64);
                for (i, &g) in f.gradient.iter().enumerate() {
                    let (r, c) = ((i / side) as i64, (i % side) as i64);
                    let inside =
                        (f.rows[0]..f.rows[1]).contains(&r) && (f.cols[0]..f.cols[1]).contains(&c);
                    assert!(
                        inside || g == 0.0,
                        "{layer} {unit:?}: pixel ({r}, {c}) = {g}"
                    );
                }
            }
        }
    }
}

#[test]
fn units_that_do_not_exist_are_refused_with_the_layers_shape() {
    let lenet = Network::build(&zoo::lenet5(), &mut Rng::seed_from_u64(5)).unwrap();
    let x = image(&lenet, 2);
    let mut ws = Workspace::new();
    let e = unit_field(&lenet, &x, "conv9", [0, 0, 0], &mut ws).unwrap_err();
    assert!(
        e.to_string().contains("conv9") && e.to_string().contains("conv1"),
        "{e}"
    );
    let e = unit_field(&lenet, &x, "conv1", [6, 0, 0], &mut ws).unwrap_err();
    assert!(e.to_string().contains("channel 6"), "{e}");
}

#[test]
fn top_patches_are_each_images_peak_largest_first_cut_to_the_field() {
    let lenet = Network::build(&zoo::lenet5(), &mut Rng::seed_from_u64(5)).unwrap();
    let n = 70;
    let images: Vec<f32> = (0..n).flat_map(|i| image(&lenet, 100 + i)).collect();
    let mut ws = Workspace::new();
    let mut calls = Vec::new();
    let top = top_patches(
        &lenet,
        &images,
        n as usize,
        "relu2",
        4,
        9,
        &mut ws,
        &mut |d, t| {
            calls.push((d, t));
        },
    )
    .unwrap();
    assert_eq!(calls, vec![(64, 70), (70, 70)]);
    assert_eq!(top.len(), 9);
    assert!(top.windows(2).all(|w| w[0].value >= w[1].value));
    let mut seen: Vec<usize> = top.iter().map(|p| p.image).collect();
    seen.dedup();
    assert_eq!(seen.len(), 9, "one patch per image");
    // Each is that image's largest relu2 value in map 4, found by a separate forward pass.
    let mut one = Workspace::new();
    let mut best_all = f32::NEG_INFINITY;
    for i in 0..n as usize {
        lenet.infer(&images[i * 784..][..784], 1, &mut one).unwrap();
        let outputs = one.outputs(&lenet);
        let relu2 = outputs.iter().find(|o| o.name == "relu2").unwrap();
        let plane = &relu2.values[4 * 100..5 * 100];
        let best = plane.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        best_all = best_all.max(best);
        if let Some(p) = top.iter().find(|p| p.image == i) {
            assert_eq!(p.value, best);
            assert_eq!(plane[p.at[0] * 10 + p.at[1]], best);
        }
    }
    assert_eq!(top[0].value, best_all);
    // relu2's field is 14×14 with jump 2 from −2: the crop is those pixels of the image.
    let p = &top[0];
    assert_eq!(
        p.rows,
        [-2 + 2 * p.at[0] as i64, -2 + 2 * p.at[0] as i64 + 14]
    );
    assert_eq!(p.pixels.len(), 14 * 14);
    let img = &images[p.image * 784..][..784];
    for (j, &v) in p.pixels.iter().enumerate() {
        let (r, c) = (p.rows[0] + (j / 14) as i64, p.cols[0] + (j % 14) as i64);
        let want = if (0..28).contains(&r) && (0..28).contains(&c) {
            img[r as usize * 28 + c as usize]
        } else {
            0.0
        };
        assert_eq!(v, want);
    }
    let e = top_patches(
        &lenet,
        &images,
        n as usize,
        "relu2",
        16,
        9,
        &mut ws,
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("16 channels"), "{e}");
}

#[test]
fn gradient_ascent_raises_the_channel_it_maximises() {
    let lenet = Network::build(&zoo::lenet5(), &mut Rng::seed_from_u64(5)).unwrap();
    let mut ws = Workspace::new();
    for (layer, channel) in [("conv1", 2), ("relu2", 7), ("fc3", 3)] {
        let a = maximize(&lenet, layer, channel, AscentConfig::default(), &mut ws).unwrap();
        assert_eq!(a.objective.len(), AscentConfig::default().steps + 1);
        assert_eq!(a.image.len(), 784);
        assert!(a.image.iter().all(|v| (0.0..=1.0).contains(v)));
        let (first, last) = (a.objective[0], *a.objective.last().unwrap());
        assert!(last > first, "{layer} {channel}: {first} → {last}");
    }
    // A first-layer filter grows into its own pattern: the unit at the centre of conv1's
    // 28×28 map (14, 14) sees input rows and columns 12–16 (5×5, padding 2); inside that
    // field each clearly signed weight's pixel goes white (positive) or black (negative),
    // outside it nothing pulls the pixels (they only decay).
    let w = &lenet.tensor("conv1.weight").unwrap().data;
    for channel in 0..6 {
        let a = maximize(&lenet, "conv1", channel, AscentConfig::default(), &mut ws).unwrap();
        assert_eq!(a.at, [14, 14]);
        assert_eq!((a.rows, a.cols), ([12, 17], [12, 17]));
        let taps = &w[channel * 25..][..25];
        let big = taps.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        for (i, &wi) in taps.iter().enumerate() {
            let px = a.image[(12 + i / 5) * 28 + 12 + i % 5];
            if wi > 0.2 * big {
                assert!(
                    px > 0.9,
                    "channel {channel} tap {i}: weight {wi}, pixel {px}"
                );
            } else if wi < -0.2 * big {
                assert!(
                    px < 0.1,
                    "channel {channel} tap {i}: weight {wi}, pixel {px}"
                );
            }
        }
        assert_eq!(a.field.len(), 25);
        assert_eq!(
            a.field[7],
            a.image[13 * 28 + 14],
            "the field is the image's 5×5 crop"
        );
        let outside = a.image[0..28 * 12].iter().fold(0.0f32, |m, &x| m.max(x));
        assert!(
            outside < 0.15,
            "channel {channel}: a pixel outside the field reached {outside}"
        );
    }
    let bad = AscentConfig {
        decay: 1.5,
        ..AscentConfig::default()
    };
    let e = maximize(&lenet, "conv1", 0, bad, &mut ws).unwrap_err();
    assert!(e.to_string().contains("decay"), "{e}");
}
