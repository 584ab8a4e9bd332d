//! LeNet-5: parameter count, shapes of the trace, determinism, and a 300-image overfit run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use convscope_core::nn::lenet::{PARAMETER_COUNT, PARAMETER_NAMES, parameter_shapes};
use convscope_core::nn::{AdamConfig, LeNetConfig, NnError, Rng, SgdConfig, Trainer};
use convscope_core::{Activation, PoolKind};
use ndarray::Array4;

/// A synthetic, always-available 10-class set: each class is a fixed random pattern of
/// strokes; each image is its class pattern shifted by up to ±2 px plus uniform noise.
fn synthetic(n: usize, seed: u64) -> (Vec<f32>, Vec<u8>) {
    let mut rng = Rng::seed_from_u64(seed);
    let templates: Vec<Vec<f32>> = (0..10)
        .map(|_| {
            let mut t = vec![0.0f32; 784];
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
    let mut images = Vec::with_capacity(n * 784);
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
fn lenet_has_61706_parameters_in_pytorch_layouts() {
    let model = LeNetConfig::default()
        .init(&mut Rng::seed_from_u64(0))
        .unwrap();
    assert_eq!(model.parameter_count(), 61_706);
    assert_eq!(PARAMETER_COUNT, 61_706);
    let params = model.parameters().unwrap();
    let shapes = parameter_shapes();
    assert_eq!(
        shapes
            .iter()
            .map(|s| s.iter().product::<usize>())
            .sum::<usize>(),
        61_706
    );
    for ((p, s), name) in params.iter().zip(&shapes).zip(PARAMETER_NAMES) {
        assert_eq!(p.len(), s.iter().product::<usize>(), "{name}");
    }
    assert_eq!(model.conv1().weight().shape(), &[6, 1, 5, 5]);
    assert_eq!(model.conv2().weight().shape(), &[16, 6, 5, 5]);
    assert_eq!(model.fc1().weight().shape(), &[120, 400]);
    assert_eq!(model.fc2().weight().shape(), &[84, 120]);
    assert_eq!(model.fc3().weight().shape(), &[10, 84]);
}

#[test]
fn initialisation_follows_pytorch_bounds_and_seed() {
    let a = LeNetConfig::default()
        .init(&mut Rng::seed_from_u64(42))
        .unwrap();
    let b = LeNetConfig::default()
        .init(&mut Rng::seed_from_u64(42))
        .unwrap();
    let c = LeNetConfig::default()
        .init(&mut Rng::seed_from_u64(43))
        .unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    let bounds = [
        25.0f32, 25.0, 150.0, 150.0, 400.0, 400.0, 120.0, 120.0, 84.0, 84.0,
    ]
    .map(|f| 1.0 / f.sqrt());
    for ((p, bound), name) in a
        .parameters()
        .unwrap()
        .iter()
        .zip(bounds)
        .zip(PARAMETER_NAMES)
    {
        let max = p.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(max <= bound, "{name}: {max} > {bound}");
        assert!(
            max > 0.8 * bound,
            "{name}: {max} does not spread to {bound}"
        );
    }
}

#[test]
fn trace_has_every_intermediate_with_its_shape() {
    let model = LeNetConfig::default()
        .init(&mut Rng::seed_from_u64(1))
        .unwrap();
    let (images, _) = synthetic(3, 9);
    let x = Array4::from_shape_vec([3, 1, 28, 28], images).unwrap();
    let t = model.forward_trace(x.view()).unwrap();
    assert_eq!(t.conv1.shape(), &[3, 6, 28, 28]);
    assert_eq!(t.act1.shape(), &[3, 6, 28, 28]);
    assert_eq!(t.pool1.shape(), &[3, 6, 14, 14]);
    assert_eq!(t.conv2.shape(), &[3, 16, 10, 10]);
    assert_eq!(t.act2.shape(), &[3, 16, 10, 10]);
    assert_eq!(t.pool2.shape(), &[3, 16, 5, 5]);
    assert_eq!(t.fc1.shape(), &[3, 120]);
    assert_eq!(t.act3.shape(), &[3, 120]);
    assert_eq!(t.fc2.shape(), &[3, 84]);
    assert_eq!(t.act4.shape(), &[3, 84]);
    assert_eq!(t.logits.shape(), &[3, 10]);
    assert_eq!(t.probabilities.shape(), &[3, 10]);
    for row in t.probabilities.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-5);
    }
    // The trace agrees with the plain forward pass and with the layers one by one.
    assert_eq!(model.forward(x.view()).unwrap(), t.logits);
    let conv1 = model.conv1().forward(x.view()).unwrap();
    assert_eq!(conv1, t.conv1);
    assert_eq!(t.act1, conv1.mapv(|v| v.max(0.0)));
    assert!(t.act3.iter().all(|&v| v >= 0.0));
    // Max pooling: each pool1 value is the max of its 2×2 window of act1.
    let window = [
        t.act1[[0, 2, 4, 6]],
        t.act1[[0, 2, 4, 7]],
        t.act1[[0, 2, 5, 6]],
        t.act1[[0, 2, 5, 7]],
    ];
    assert_eq!(
        t.pool1[[0, 2, 2, 3]],
        window.into_iter().fold(f32::MIN, f32::max)
    );
}

#[test]
fn forward_rejects_wrong_shapes() {
    let model = LeNetConfig::default()
        .init(&mut Rng::seed_from_u64(1))
        .unwrap();
    let x = Array4::<f32>::zeros([1, 1, 32, 32]);
    assert!(matches!(
        model.forward(x.view()),
        Err(NnError::Shape { .. })
    ));
    let x = Array4::<f32>::zeros([0, 1, 28, 28]);
    assert!(matches!(
        model.forward(x.view()),
        Err(NnError::EmptyBatch { .. })
    ));
    let mut trainer = Trainer::new();
    assert!(matches!(
        trainer.compute_gradients(&model, &[0.0; 784], &[10]),
        Err(NnError::Label { label: 10, .. })
    ));
    assert!(matches!(
        trainer.compute_gradients(&model, &[0.0; 700], &[1]),
        Err(NnError::Shape { .. })
    ));
}

fn overfit(config: LeNetConfig, adam: bool, max_epochs: usize) -> (f64, usize) {
    let (images, labels) = synthetic(300, 11);
    let mut rng = Rng::seed_from_u64(5);
    let mut model = config.init(&mut rng).unwrap();
    let mut opt = if adam {
        convscope_core::nn::OptimizerConfig::Adam(AdamConfig::new(2e-3))
            .init()
            .unwrap()
    } else {
        convscope_core::nn::OptimizerConfig::Sgd(SgdConfig::new(0.05))
            .init()
            .unwrap()
    };
    let mut trainer = Trainer::new();
    for epoch in 1..=max_epochs {
        trainer
            .train_epoch(
                &mut model,
                &mut opt,
                &images,
                &labels,
                32,
                &mut rng,
                None,
                |_| {},
            )
            .unwrap();
        let eval = trainer.evaluate(&model, &images, &labels, 100).unwrap();
        if eval.stats.correct == 300 {
            return (eval.stats.accuracy(), epoch);
        }
    }
    let eval = trainer.evaluate(&model, &images, &labels, 100).unwrap();
    (eval.stats.accuracy(), max_epochs)
}

#[test]
fn overfits_300_images_to_100_percent_relu_max_adam() {
    let (acc, epochs) = overfit(LeNetConfig::default(), true, 40);
    assert_eq!(acc, 1.0, "after {epochs} epochs");
}

#[test]
fn overfits_300_images_to_100_percent_tanh_average_sgd() {
    let (acc, epochs) = overfit(LeNetConfig::lecun(), false, 60);
    assert_eq!(acc, 1.0, "after {epochs} epochs");
}

#[test]
fn same_seed_same_training() {
    let (images, labels) = synthetic(64, 3);
    let run = || {
        let mut rng = Rng::seed_from_u64(77);
        let mut model = LeNetConfig::default()
            .with_activation(Activation::Tanh)
            .with_pool(PoolKind::Max)
            .init(&mut rng)
            .unwrap();
        let mut opt = SgdConfig::new(0.01).init().unwrap();
        let mut trainer = Trainer::new();
        trainer
            .train_epoch(
                &mut model,
                &mut opt,
                &images,
                &labels,
                16,
                &mut rng,
                None,
                |_| {},
            )
            .unwrap();
        model
    };
    assert_eq!(run(), run());
}

#[test]
fn evaluation_counts_and_confusion() {
    let (images, labels) = synthetic(50, 4);
    let model = LeNetConfig::default()
        .init(&mut Rng::seed_from_u64(2))
        .unwrap();
    let mut trainer = Trainer::new();
    let e = trainer.evaluate(&model, &images, &labels, 7).unwrap();
    assert_eq!(e.stats.count, 50);
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
}

/// A kept workspace gives the same trace as a fresh one, across batch sizes and after a
/// larger batch (the web worker keeps one workspace for every request).
#[test]
fn forward_trace_with_a_kept_workspace_matches_a_fresh_one() {
    let mut rng = Rng::seed_from_u64(3);
    let net = LeNetConfig::default().init(&mut rng).unwrap();
    let mut ws = convscope_core::nn::Workspace::new();
    for n in [1usize, 3, 1, 2] {
        let images: Vec<f32> = (0..n * 784).map(|_| rng.next_f32()).collect();
        let x = ndarray::ArrayView4::from_shape((n, 1, 28, 28), &images).unwrap();
        let fresh = net.forward_trace(x).unwrap();
        let kept = net.forward_trace_with(x, &mut ws).unwrap();
        assert_eq!(fresh, kept, "batch {n}");
    }
}

/// The dense layers' dot-product path (batches of up to 4) agrees with the GEMM path
/// (a batch of 8) image by image.
#[test]
fn one_image_at_a_time_agrees_with_a_batch() {
    let mut rng = Rng::seed_from_u64(4);
    let net = LeNetConfig::default().init(&mut rng).unwrap();
    let images: Vec<f32> = (0..8 * 784).map(|_| rng.next_f32()).collect();
    let x = ndarray::ArrayView4::from_shape((8, 1, 28, 28), &images).unwrap();
    let batched = net.forward(x).unwrap();
    for i in 0..8 {
        let image = &images[i * 784..(i + 1) * 784];
        let one = ndarray::ArrayView4::from_shape((1, 1, 28, 28), image).unwrap();
        let one = net.forward(one).unwrap();
        for (a, b) in batched.row(i).iter().zip(one.iter()) {
            assert!(
                (a - b).abs() <= 1e-4 * (1.0 + a.abs()),
                "image {i}: {a} vs {b}"
            );
        }
    }
}

/// `logits_with` (the benchmarks' inference path) gives `forward`'s logits in a kept
/// workspace across batch sizes, and refuses an empty batch or a wrong length.
#[test]
fn logits_with_a_kept_workspace_equal_forward() {
    let mut rng = Rng::seed_from_u64(5);
    let net = LeNetConfig::default().init(&mut rng).unwrap();
    let mut ws = convscope_core::nn::Workspace::new();
    for n in [1usize, 5, 2] {
        let images: Vec<f32> = (0..n * 784).map(|_| rng.next_f32()).collect();
        let x = ndarray::ArrayView4::from_shape((n, 1, 28, 28), &images).unwrap();
        let expected = net.forward(x).unwrap();
        let got = net.logits_with(&images, n, &mut ws).unwrap();
        assert_eq!(got, expected.as_slice().unwrap(), "batch {n}");
    }
    assert!(matches!(
        net.logits_with(&[], 0, &mut ws),
        Err(NnError::EmptyBatch { .. })
    ));
    assert!(matches!(
        net.logits_with(&[0.0; 783], 1, &mut ws),
        Err(NnError::Shape { .. })
    ));
}

/// Data-parallel training: the batch's gradient from two threads' shares equals one
/// thread's up to float rounding, for even, odd and small batches (a batch too small to
/// share runs on one thread, bit for bit).
#[test]
fn two_threads_compute_the_gradients_of_one() {
    let mut rng = Rng::seed_from_u64(6);
    let net = LeNetConfig::default().init(&mut rng).unwrap();
    for n in [64usize, 37, 9] {
        let (images, labels) = synthetic(n, 10 + n as u64);
        let mut one = Trainer::new();
        let mut two = Trainer::with_threads(2);
        let a = one.compute_gradients(&net, &images, &labels).unwrap();
        let b = two.compute_gradients(&net, &images, &labels).unwrap();
        assert_eq!((a.correct, a.count), (b.correct, b.count), "batch {n}");
        assert!(
            (a.loss - b.loss).abs() <= 1e-6 * (1.0 + a.loss.abs()),
            "batch {n}: {} vs {}",
            a.loss,
            b.loss
        );
        for (name, (ga, gb)) in PARAMETER_NAMES.iter().zip(
            one.gradients()
                .tensors()
                .iter()
                .zip(two.gradients().tensors()),
        ) {
            let scale = ga.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
            for (i, (x, y)) in ga.iter().zip(gb).enumerate() {
                assert!(
                    (x - y).abs() <= 1e-5 * scale,
                    "batch {n}, {name}[{i}]: {x} vs {y}"
                );
            }
            if n < 16 {
                assert_eq!(*ga, gb, "batch {n} is too small to share: one thread");
            }
        }
    }
    let expected = if cfg!(target_arch = "wasm32") { 1 } else { 2 };
    assert_eq!(Trainer::with_threads(2).threads(), expected);
    assert_eq!(Trainer::with_threads(0).threads(), 1);
}

/// Two threads train: the loss on a fixed batch falls as with one.
#[test]
fn two_threads_train_lenet() {
    let mut rng = Rng::seed_from_u64(7);
    let mut net = LeNetConfig::default().init(&mut rng).unwrap();
    let (images, labels) = synthetic(64, 8);
    let mut opt = AdamConfig::new(1e-3).init().unwrap();
    let mut trainer = Trainer::with_threads(2);
    let first = trainer
        .train_batch(&mut net, &mut opt, &images, &labels)
        .unwrap()
        .loss;
    let mut last = first;
    for _ in 0..40 {
        last = trainer
            .train_batch(&mut net, &mut opt, &images, &labels)
            .unwrap()
            .loss;
    }
    assert!(last < 0.5 * first, "loss {first} → {last}");
}
