//! LeNet-5 built from its description (`arch::zoo::lenet5()` and LeCun's
//! `zoo::lenet5_with(Tanh, Average)`): parameter count and PyTorch layouts, every layer's
//! output with its shape, determinism, data-parallel gradients, and a 300-image overfit run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use convscope_core::arch::{Architecture, Volume, zoo};
use convscope_core::data::{CLASSES, IMAGE_PIXELS, IMAGE_SIZE};
use convscope_core::nn::network::{WorkspaceOutput, predictions};
use convscope_core::nn::{
    AdamConfig, Mode, Network, NnError, OptimizerConfig, Rng, SgdConfig, Trainer, Workspace,
};
use convscope_core::{Activation, Conv2dParams, PoolKind, conv2d, softmax};
use ndarray::{Array1, ArrayView4};

use crate::common::LENET5_PARAMETERS as PARAMETERS;

fn lenet(arch: &Architecture, seed: u64) -> Network {
    Network::build(arch, &mut Rng::seed_from_u64(seed)).unwrap()
}

fn lecun() -> Architecture {
    zoo::lenet5_with(Activation::Tanh, PoolKind::Average)
}

/// A synthetic, always-available 10-class set: each class is a fixed random pattern of
/// strokes; each image is its class pattern shifted by up to ±2 px plus uniform noise.
fn synthetic(n: usize, seed: u64) -> (Vec<f32>, Vec<u8>) {
    let mut rng = Rng::seed_from_u64(seed);
    let templates: Vec<Vec<f32>> = (0..10)
        .map(|_| {
            let mut t = vec![0.0f32; IMAGE_PIXELS];
            for _ in 0..3 {
                // A horizontal or vertical bar at a random place.
                let (x0, y0) = (4 + rng.below(16), 4 + rng.below(16));
                let horizontal = rng.below(2) == 0;
                for k in 0..8 {
                    let (x, y) = if horizontal {
                        (x0 + k, y0)
                    } else {
                        (x0, y0 + k)
                    };
                    t[y.min(27) * 28 + x.min(27)] = 1.0;
                }
            }
            t
        })
        .collect();
    let mut images = Vec::with_capacity(n * IMAGE_PIXELS);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % 10;
        let (dx, dy) = (rng.below(5) as isize - 2, rng.below(5) as isize - 2);
        for y in 0..28isize {
            for x in 0..28isize {
                let (sx, sy) = (x - dx, y - dy);
                let v = if (0..28).contains(&sx) && (0..28).contains(&sy) {
                    templates[c][(sy * 28 + sx) as usize]
                } else {
                    0.0
                };
                images.push((v + rng.uniform(0.0, 0.3)).min(1.0));
            }
        }
        labels.push(c as u8);
    }
    (images, labels)
}

#[test]
fn lenet5_has_61706_parameters_in_pytorch_layouts() {
    for arch in [zoo::lenet5(), lecun()] {
        let net = lenet(&arch, 0);
        assert_eq!(net.parameter_count(), 61_706, "{}", arch.name);
        assert_eq!(
            (net.input_len(), net.output_len()),
            (IMAGE_PIXELS, CLASSES),
            "{}",
            arch.name
        );
        let got: Vec<(&str, &[usize])> = net
            .parameters()
            .iter()
            .map(|t| (t.name.as_str(), &t.shape[..]))
            .collect();
        assert_eq!(got, PARAMETERS, "{}", arch.name);
        for t in net.parameters() {
            assert_eq!(
                t.data.len(),
                t.shape.iter().product::<usize>(),
                "{}",
                t.name
            );
        }
        let total: usize = net.parameters().iter().map(|t| t.data.len()).sum();
        assert_eq!(total, 61_706);
        // No batch norm: no buffers, nothing else in the state_dict.
        assert!(net.buffers().is_empty() && net.batches_tracked().is_empty());
    }
}

#[test]
fn initialisation_follows_pytorch_bounds_and_seed() {
    let a = lenet(&zoo::lenet5(), 42);
    let b = lenet(&zoo::lenet5(), 42);
    let c = lenet(&zoo::lenet5(), 43);
    assert_eq!(a, b);
    assert_ne!(a, c);
    // U(-1/√fan_in, 1/√fan_in) for weight and bias alike.
    let fan_in = [
        25.0f32, 25.0, 150.0, 150.0, 400.0, 400.0, 120.0, 120.0, 84.0, 84.0,
    ];
    for (t, fan_in) in a.parameters().iter().zip(fan_in) {
        let bound = 1.0 / fan_in.sqrt();
        let max = t.data.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(max <= bound, "{}: {max} > {bound}", t.name);
        assert!(
            max > 0.8 * bound,
            "{}: {max} does not spread to {bound}",
            t.name
        );
    }
}

/// The value at sample `s`, channel `c`, row `y`, column `x` of a layer's output.
fn at(o: &WorkspaceOutput<'_>, s: usize, c: usize, y: usize, x: usize) -> f32 {
    let v = o.volume;
    o.values[((s * v.c + c) * v.h + y) * v.w + x]
}

#[test]
fn every_intermediate_output_has_its_shape() {
    let image = |c: usize, hw: usize| Volume::new(hw, hw, c);
    let features = |c: usize| Volume::new(1, 1, c);
    let (images, _) = synthetic(3, 9);
    for (arch, act, pool) in [
        (zoo::lenet5(), Activation::Relu, PoolKind::Max),
        (lecun(), Activation::Tanh, PoolKind::Average),
    ] {
        let a = if act == Activation::Relu {
            "relu"
        } else {
            "tanh"
        };
        let expected = [
            ("conv1".to_owned(), image(6, 28)),
            (format!("{a}1"), image(6, 28)),
            ("pool1".to_owned(), image(6, 14)),
            ("conv2".to_owned(), image(16, 10)),
            (format!("{a}2"), image(16, 10)),
            ("pool2".to_owned(), image(16, 5)),
            ("flatten".to_owned(), features(400)),
            ("fc1".to_owned(), features(120)),
            (format!("{a}3"), features(120)),
            ("fc2".to_owned(), features(84)),
            (format!("{a}4"), features(84)),
            ("fc3".to_owned(), features(10)),
        ];
        let net = lenet(&arch, 1);
        let mut ws = Workspace::new();
        let logits = net
            .forward(&images, 3, Mode::Eval, &mut ws, &mut Rng::seed_from_u64(0))
            .unwrap()
            .to_vec();
        assert_eq!(logits.len(), 3 * 10);
        let outputs = ws.outputs(&net);
        let got: Vec<(String, Volume)> = outputs
            .iter()
            .map(|o| (o.name.to_owned(), o.volume))
            .collect();
        assert_eq!(got, expected, "{}", arch.name);
        for o in &outputs {
            assert_eq!(
                o.values.len(),
                3 * o.volume.h * o.volume.w * o.volume.c,
                "{}",
                o.name
            );
        }
        let [conv1, act1, pool1, _, _, pool2, flatten, _, act3, _, _, fc3] = &outputs[..] else {
            panic!("12 outputs");
        };
        // The last layer's output is the logits; their softmax is a distribution.
        assert_eq!(fc3.values, &logits[..]);
        for row in logits.chunks_exact(10) {
            let p = softmax(row);
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
        // conv1 is the convolution of the input with conv1's weights, padding 2.
        let w = net.tensor("conv1.weight").unwrap();
        let b = net.tensor("conv1.bias").unwrap();
        let x = ArrayView4::from_shape([3, 1, IMAGE_SIZE, IMAGE_SIZE], &images).unwrap();
        let expected_conv1 = conv2d(
            x,
            ArrayView4::from_shape([6, 1, 5, 5], &w.data).unwrap(),
            Some(Array1::from(b.data.clone()).view()),
            Conv2dParams::default().with_padding(2),
        )
        .unwrap();
        assert_eq!(conv1.values, expected_conv1.as_slice().unwrap());
        // The activation is applied value by value.
        for (y, x) in act1.values.iter().zip(conv1.values) {
            assert_eq!(*y, act.apply(*x));
        }
        assert!(act1.values.iter().any(|&v| v != 0.0));
        if act == Activation::Relu {
            assert!(act3.values.iter().all(|&v| v >= 0.0));
            assert!(conv1.values.iter().any(|&v| v < 0.0), "ReLU had work to do");
        }
        // pool1 (1, 2, 3) is its 2×2 window of act1: rows 4–5, columns 6–7.
        let window = [
            at(act1, 1, 2, 4, 6),
            at(act1, 1, 2, 4, 7),
            at(act1, 1, 2, 5, 6),
            at(act1, 1, 2, 5, 7),
        ];
        let pooled = match pool {
            PoolKind::Max => window.into_iter().fold(f32::MIN, f32::max),
            _ => window.iter().sum::<f32>() / 4.0,
        };
        assert!(
            (at(pool1, 1, 2, 2, 3) - pooled).abs() <= 1e-6,
            "{}: pool1 {} vs {pooled}",
            arch.name,
            at(pool1, 1, 2, 2, 3)
        );
        // Flatten keeps pool2's values in PyTorch's (c, h, w) order.
        assert_eq!(flatten.values, pool2.values);
    }
}

#[test]
fn wrong_input_shapes_and_empty_batches_are_errors() {
    let net = lenet(&zoo::lenet5(), 1);
    let mut ws = Workspace::new();
    let mut rng = Rng::seed_from_u64(0);
    // A 32×32 image, and one image's values announced as two.
    for (len, n) in [(32 * 32, 1), (IMAGE_PIXELS, 2), (IMAGE_PIXELS - 1, 1)] {
        let x = vec![0.0; len];
        assert!(
            matches!(
                net.forward(&x, n, Mode::Eval, &mut ws, &mut rng),
                Err(NnError::Shape { .. })
            ),
            "{len} values as {n} images"
        );
    }
    assert!(matches!(
        net.forward(&[], 0, Mode::Eval, &mut ws, &mut rng),
        Err(NnError::EmptyBatch { .. })
    ));
    let mut trainer = Trainer::new();
    assert!(matches!(
        trainer.compute_gradients(&net, &[0.0; IMAGE_PIXELS], &[10], &mut rng),
        Err(NnError::Label { label: 10, .. })
    ));
    assert!(matches!(
        trainer.compute_gradients(&net, &[0.0; 700], &[1], &mut rng),
        Err(NnError::Shape { .. })
    ));
    assert!(matches!(
        trainer.compute_gradients(&net, &[], &[], &mut rng),
        Err(NnError::EmptyBatch { .. })
    ));
    assert!(matches!(
        trainer.evaluate(&net, &[0.0; IMAGE_PIXELS], &[1], 0),
        Err(NnError::HyperParameter { .. })
    ));
    // After the errors the workspace still works.
    let ok = net
        .forward(&[0.5; IMAGE_PIXELS], 1, Mode::Eval, &mut ws, &mut rng)
        .unwrap();
    assert_eq!(ok.len(), 10);
}

fn overfit(arch: &Architecture, adam: bool, max_epochs: usize) -> (f64, usize) {
    let (images, labels) = synthetic(300, 11);
    let mut rng = Rng::seed_from_u64(5);
    let mut net = Network::build(arch, &mut rng).unwrap();
    let mut opt = if adam {
        OptimizerConfig::Adam(AdamConfig::new(2e-3)).init().unwrap()
    } else {
        OptimizerConfig::Sgd(SgdConfig::new(0.05)).init().unwrap()
    };
    let mut trainer = Trainer::new();
    let before = trainer.evaluate(&net, &images, &labels, 100).unwrap();
    assert!(
        before.stats.accuracy() < 0.5,
        "untrained: {}",
        before.stats.accuracy()
    );
    for epoch in 1..=max_epochs {
        trainer
            .train_epoch(
                &mut net,
                &mut opt,
                &images,
                &labels,
                32,
                &mut rng,
                None,
                |_| {},
            )
            .unwrap();
        let eval = trainer.evaluate(&net, &images, &labels, 100).unwrap();
        if eval.stats.correct == 300 {
            return (eval.stats.accuracy(), epoch);
        }
    }
    let eval = trainer.evaluate(&net, &images, &labels, 100).unwrap();
    (eval.stats.accuracy(), max_epochs)
}

#[test]
fn overfits_300_images_to_100_percent_relu_max_adam() {
    let (acc, epochs) = overfit(&zoo::lenet5(), true, 40);
    assert_eq!(acc, 1.0, "after {epochs} epochs");
}

#[test]
fn overfits_300_images_to_100_percent_tanh_average_sgd() {
    let (acc, epochs) = overfit(&lecun(), false, 60);
    assert_eq!(acc, 1.0, "after {epochs} epochs");
}

#[test]
fn same_seed_same_training() {
    let (images, labels) = synthetic(64, 3);
    let arch = zoo::lenet5_with(Activation::Tanh, PoolKind::Max);
    let run = || {
        let mut rng = Rng::seed_from_u64(77);
        let mut net = Network::build(&arch, &mut rng).unwrap();
        let mut opt = SgdConfig::new(0.01).init().unwrap();
        let mut trainer = Trainer::new();
        trainer
            .train_epoch(
                &mut net,
                &mut opt,
                &images,
                &labels,
                16,
                &mut rng,
                None,
                |_| {},
            )
            .unwrap();
        assert_eq!(trainer.steps(), 4);
        net
    };
    let first = run();
    assert_eq!(first, run());
    // Training moved every parameter tensor away from the seed's initialisation.
    let initial = lenet(&arch, 77);
    for (t, i) in first.parameters().iter().zip(initial.parameters()) {
        assert_ne!(t.data, i.data, "{} did not train", t.name);
    }
}

#[test]
fn evaluation_counts_and_confusion() {
    let (images, labels) = synthetic(50, 4);
    let net = lenet(&zoo::lenet5(), 2);
    let mut trainer = Trainer::new();
    let e = trainer.evaluate(&net, &images, &labels, 7).unwrap();
    assert_eq!(e.stats.count, 50);
    assert_eq!(e.confusion.len(), 10);
    assert!(e.confusion.iter().all(|row| row.len() == 10));
    assert_eq!(e.confusion.iter().flatten().sum::<usize>(), 50);
    assert_eq!(
        (0..10).map(|i| e.confusion[i][i]).sum::<usize>(),
        e.stats.correct
    );
    for (c, row) in e.confusion.iter().enumerate() {
        assert_eq!(
            row.iter().sum::<usize>(),
            labels.iter().filter(|&&l| usize::from(l) == c).count()
        );
    }
    // The columns are the arg-max predictions of one forward pass over all 50 images.
    let mut ws = Workspace::new();
    let logits = net
        .forward(&images, 50, Mode::Eval, &mut ws, &mut Rng::seed_from_u64(0))
        .unwrap();
    let predicted = predictions(logits, 10);
    for c in 0..10 {
        assert_eq!(
            e.confusion.iter().map(|row| row[c]).sum::<usize>(),
            predicted.iter().filter(|&&p| p == c).count(),
            "class {c}"
        );
    }
    let correct = predicted
        .iter()
        .zip(&labels)
        .filter(|(p, l)| **p == usize::from(**l))
        .count();
    assert_eq!(e.stats.correct, correct);
    assert!(e.stats.loss.is_finite() && e.stats.loss > 0.0);
}

/// A kept workspace gives the same outputs, layer by layer, as a fresh one, across batch
/// sizes and after a larger batch (the web worker keeps one workspace for every request).
#[test]
fn a_kept_workspace_matches_a_fresh_one() {
    let mut rng = Rng::seed_from_u64(3);
    let net = Network::build(&zoo::lenet5(), &mut rng).unwrap();
    let mut kept = Workspace::new();
    for n in [1usize, 3, 1, 2] {
        let images: Vec<f32> = (0..n * IMAGE_PIXELS).map(|_| rng.next_f32()).collect();
        let mut fresh = Workspace::new();
        let a = net
            .forward(
                &images,
                n,
                Mode::Eval,
                &mut fresh,
                &mut Rng::seed_from_u64(0),
            )
            .unwrap()
            .to_vec();
        let b = net
            .forward(
                &images,
                n,
                Mode::Eval,
                &mut kept,
                &mut Rng::seed_from_u64(0),
            )
            .unwrap()
            .to_vec();
        assert_eq!(a, b, "batch {n}");
        assert_eq!(a.len(), n * 10);
        let (fo, ko) = (fresh.outputs(&net), kept.outputs(&net));
        assert_eq!(fo.len(), ko.len());
        for (f, k) in fo.iter().zip(&ko) {
            assert_eq!((f.name, f.volume), (k.name, k.volume));
            assert_eq!(f.values, k.values, "batch {n}, {}", f.name);
        }
    }
}

/// The dense layers' dot-product path (batches of up to 4) agrees with the GEMM path
/// (a batch of 8) image by image.
#[test]
fn one_image_at_a_time_agrees_with_a_batch() {
    let mut rng = Rng::seed_from_u64(4);
    let net = Network::build(&zoo::lenet5(), &mut rng).unwrap();
    let images: Vec<f32> = (0..8 * IMAGE_PIXELS).map(|_| rng.next_f32()).collect();
    let mut ws = Workspace::new();
    let batched = net
        .forward(&images, 8, Mode::Eval, &mut ws, &mut rng)
        .unwrap()
        .to_vec();
    for (i, row) in batched.chunks_exact(10).enumerate() {
        let image = &images[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS];
        let one = net
            .forward(image, 1, Mode::Eval, &mut ws, &mut rng)
            .unwrap();
        for (a, b) in row.iter().zip(one) {
            assert!(
                (a - b).abs() <= 1e-4 * (1.0 + a.abs()),
                "image {i}: {a} vs {b}"
            );
        }
    }
}

/// Data-parallel training: the batch's gradient from two threads' shares equals one
/// thread's up to float rounding, for even, odd and small batches (a batch too small to
/// share runs on one thread, bit for bit). The two-thread trainer is the same one from
/// batch to batch, so its shares change size in between (as at an epoch's last batch).
#[test]
fn two_threads_compute_the_gradients_of_one() {
    let net = lenet(&zoo::lenet5(), 6);
    let mut two = Trainer::with_threads(2);
    for (k, n) in [64usize, 37, 9, 64, 30].into_iter().enumerate() {
        let (images, labels) = synthetic(n, 10 + (n + k) as u64);
        let mut one = Trainer::new();
        let a = one
            .compute_gradients(&net, &images, &labels, &mut Rng::seed_from_u64(1))
            .unwrap();
        let b = two
            .compute_gradients(&net, &images, &labels, &mut Rng::seed_from_u64(1))
            .unwrap();
        assert_eq!((a.correct, a.count), (b.correct, b.count), "batch {n}");
        assert_eq!(a.count, n);
        assert!(
            (a.loss - b.loss).abs() <= 1e-6 * (1.0 + a.loss.abs()),
            "batch {n}: {} vs {}",
            a.loss,
            b.loss
        );
        let (ga, gb) = (one.gradients().tensors(), two.gradients().tensors());
        assert_eq!(ga.len(), PARAMETERS.len());
        assert_eq!(gb.len(), PARAMETERS.len());
        for (((name, _), ga), gb) in PARAMETERS.iter().zip(ga).zip(gb) {
            assert_eq!(one.gradients().get(&net, name), Some(ga));
            let scale = ga.iter().fold(0f32, |m, v| m.max(v.abs()));
            assert!(scale > 1e-6, "batch {n}, {name}: zero gradient");
            for (i, (x, y)) in ga.iter().zip(gb).enumerate() {
                assert!(
                    (x - y).abs() <= 1e-5 * scale,
                    "batch {n}, {name}[{i}]: {x} vs {y}"
                );
            }
            if n < 16 {
                assert_eq!(ga, gb, "batch {n} is too small to share: one thread");
            }
        }
    }
    let expected = if cfg!(target_arch = "wasm32") { 1 } else { 2 };
    assert_eq!(Trainer::with_threads(2).threads(), expected);
    assert_eq!(Trainer::with_threads(0).threads(), 1);
}

/// Two threads train: the loss on a fixed batch falls.
#[test]
fn two_threads_train_lenet5() {
    let mut rng = Rng::seed_from_u64(7);
    let mut net = Network::build(&zoo::lenet5(), &mut rng).unwrap();
    let (images, labels) = synthetic(64, 8);
    let mut opt = AdamConfig::new(1e-3).init().unwrap();
    let mut trainer = Trainer::with_threads(2);
    let first = trainer
        .train_batch(&mut net, &mut opt, &images, &labels, &mut rng)
        .unwrap()
        .loss;
    let mut last = first;
    for _ in 0..40 {
        last = trainer
            .train_batch(&mut net, &mut opt, &images, &labels, &mut rng)
            .unwrap()
            .loss;
    }
    assert_eq!(trainer.steps(), 41);
    assert!(last < 0.5 * first, "loss {first} → {last}");
}
