//! Networks built from descriptions: the text form, LeNet-5 as a description (against the
//! same network by hand and the draws of the hand-wired LeNet it replaced), finite-
//! difference gradient checks of every layer kind (training and evaluation modes), and the
//! messages for descriptions that cannot run.
//!
//! Gradient checks: for a network `y = f(x, θ)` and a fixed random `r`, `L = Σ r ⊙ y`
//! (summed in f64) has `∂L/∂y = r`; the backward pass given `dy = r` must match the central
//! difference of every input value and every parameter. Dropout's mask is fixed by
//! reseeding its random stream for every evaluation. Error: `‖a − n‖₂ / max(‖a‖₂, ‖n‖₂)`
//! ≤ 1e-3.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use convscope_core::arch::{Architecture, zoo};
use convscope_core::nn::network::{Gradients, Mode, Network, Trainer, Workspace};
use convscope_core::nn::{NnError, Rng, SgdConfig, linear_forward_into};
use convscope_core::shape::Pool2dParams;
use convscope_core::{Activation, Conv2dParams, PoolKind, conv2d, pool2d};
use ndarray::{Array2, ArrayView1, ArrayView2, ArrayView4};

use crate::common;

const TOL: f64 = 1e-3;

fn random(len: usize, rng: &mut Rng, scale: f32) -> Vec<f32> {
    (0..len).map(|_| rng.uniform(-scale, scale)).collect()
}

fn net(text: &str, seed: u64) -> Network {
    let arch = Architecture::from_text(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    Network::build(&arch, &mut Rng::seed_from_u64(seed)).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// `Σ r ⊙ f(x)` in f64, dropout reseeded with `seed`.
fn loss(net: &Network, x: &[f32], n: usize, r: &[f32], mode: Mode, seed: u64) -> f64 {
    let mut ws = Workspace::new();
    let y = net
        .forward(x, n, mode, &mut ws, &mut Rng::seed_from_u64(seed))
        .unwrap();
    y.iter()
        .zip(r)
        .map(|(&a, &b)| f64::from(a) * f64::from(b))
        .sum()
}

fn rel_error(analytic: &[f32], numeric: &[f64]) -> f64 {
    common::rel_error(analytic, numeric)
        .unwrap_or_else(|| panic!("the gradient is zero, the check would be vacuous"))
}

/// Checks the input gradient and every parameter's gradient of `text` in `mode`, with
/// steps of 2e-3 (small enough not to cross ReLU's and max pooling's kinks here).
fn check(text: &str, n: usize, mode: Mode) {
    check_with(text, n, mode, 2e-3);
}

/// [`check`] with steps of `eps` (larger for smooth networks, where f32 rounding dominates).
fn check_with(text: &str, n: usize, mode: Mode, eps: f32) {
    let mut net = net(text, 7);
    let mut rng = Rng::seed_from_u64(11);
    let x = random(n * net.input_len(), &mut rng, 1.0);
    let r = random(n * net.output_len(), &mut rng, 1.0);
    const SEED: u64 = 5;
    if mode == Mode::Eval {
        // Running statistics away from their initial 0 and 1.
        for t in net.buffers().to_vec() {
            let values: Vec<f32> = if t.name.ends_with("running_var") {
                (0..t.data.len()).map(|_| rng.uniform(0.5, 2.0)).collect()
            } else {
                random(t.data.len(), &mut rng, 0.5)
            };
            net.set_tensor(&t.name, &values).unwrap();
        }
    }
    let mut ws = Workspace::new();
    net.forward(&x, n, mode, &mut ws, &mut Rng::seed_from_u64(SEED))
        .unwrap();
    ws.output_grad_mut().copy_from_slice(&r);
    let mut grads = Gradients::new(&net);
    net.backward(mode, &mut ws, &mut grads, true).unwrap();
    if mode == Mode::Eval {
        // The explanations' pass (no parameter gradients) leaves the same gradients of every
        // layer and of the input, bit for bit.
        let bits = |ws: &Workspace| -> Vec<Vec<u32>> {
            let mut all: Vec<Vec<u32>> = ws
                .outputs(&net)
                .iter()
                .map(|o| o.grad.iter().map(|g| g.to_bits()).collect())
                .collect();
            all.push(ws.input_grad().iter().map(|g| g.to_bits()).collect());
            all
        };
        let full = bits(&ws);
        ws.output_grad_mut().copy_from_slice(&r);
        net.backward_outputs(&mut ws, true).unwrap();
        assert_eq!(bits(&ws), full, "{text}: backward_outputs");
    }

    let central = |plus: f64, minus: f64| (plus - minus) / (2.0 * f64::from(eps));
    // The input.
    let mut xp = x.clone();
    let numeric: Vec<f64> = (0..x.len())
        .map(|i| {
            xp[i] = x[i] + eps;
            let p = loss(&net, &xp, n, &r, mode, SEED);
            xp[i] = x[i] - eps;
            let m = loss(&net, &xp, n, &r, mode, SEED);
            xp[i] = x[i];
            central(p, m)
        })
        .collect();
    let e = rel_error(ws.input_grad(), &numeric);
    assert!(e <= TOL, "{text} ({mode:?}): input gradient error {e:e}");
    // Every parameter.
    for (k, t) in net.parameters().to_vec().iter().enumerate() {
        let mut probe = net.clone();
        let mut v = t.data.clone();
        let numeric: Vec<f64> = (0..v.len())
            .map(|i| {
                v[i] = t.data[i] + eps;
                probe.set_tensor(&t.name, &v).unwrap();
                let p = loss(&probe, &x, n, &r, mode, SEED);
                v[i] = t.data[i] - eps;
                probe.set_tensor(&t.name, &v).unwrap();
                let m = loss(&probe, &x, n, &r, mode, SEED);
                v[i] = t.data[i];
                central(p, m)
            })
            .collect();
        probe.set_tensor(&t.name, &t.data).unwrap();
        let e = rel_error(grads.tensors()[k], &numeric);
        assert!(
            e <= TOL,
            "{text} ({mode:?}): {} gradient error {e:e}",
            t.name
        );
    }
}

#[test]
fn convolution_gradients_with_stride_padding_dilation_and_groups() {
    check(
        "input 7x7x4, conv 4 3x3 stride 2 pad 1 groups 2, tanh",
        2,
        Mode::Train,
    );
    check(
        "input 7x7x2, conv 3 3x3 pad 2 dilation 2 nobias, sigmoid",
        2,
        Mode::Train,
    );
    check("input 6x6x3, conv 6 1x1 groups 3", 2, Mode::Train);
}

#[test]
fn pooling_gradients() {
    check(
        "input 6x6x2, conv 2 3x3 pad 1, maxpool 3 stride 2 pad 1",
        2,
        Mode::Train,
    );
    check("input 6x6x2, avgpool 2", 2, Mode::Train);
    check("input 5x5x2, sumpool 2 stride 1", 2, Mode::Train);
    check("input 5x5x2, adaptiveavgpool 2x3", 2, Mode::Train);
}

#[test]
fn activation_gradients() {
    for act in ["relu", "leaky_relu:0.1", "sigmoid", "tanh", "identity"] {
        check(
            &format!("input 3x3x2, conv 3 2x2, {act}, linear 4"),
            2,
            Mode::Train,
        );
    }
}

#[test]
fn linear_flatten_and_dropout_gradients() {
    check(
        "input 3x3x2, flatten, linear 5, tanh, linear 3 nobias",
        3,
        Mode::Train,
    );
    check("input 4x4x2, dropout 0.3, linear 4", 3, Mode::Train);
    check("input 4x4x2, dropout 0.3, linear 4", 3, Mode::Eval);
}

#[test]
fn batch_norm_gradients_in_training_and_evaluation() {
    check(
        "input 4x4x3, conv 3 3x3 pad 1 nobias, batchnorm, tanh",
        3,
        Mode::Train,
    );
    check(
        "input 4x4x3, conv 3 3x3 pad 1, batchnorm, tanh",
        3,
        Mode::Eval,
    );
    check(
        "input 2x2x2, linear 5 nobias, bn, sigmoid, linear 2",
        4,
        Mode::Train,
    );
}

#[test]
fn residual_block_gradients() {
    // Identity shortcut.
    check(
        "input 4x4x2, basic(conv 2 3x3 pad 1 nobias, bn, relu, conv 2 3x3 pad 1 nobias, bn)",
        2,
        Mode::Train,
    );
    // Projection shortcut with a stride.
    check(
        "input 5x5x2, basic(conv 3 3x3 stride 2 pad 1 nobias, bn, relu, conv 3 3x3 pad 1 nobias, bn | conv 3 1x1 stride 2 nobias, bn)",
        3,
        Mode::Train,
    );
    // In evaluation, as the explanations run it (with their pass's check in `check_with`);
    // smaller steps: with the running statistics drawn, some sums sit within 2e-3 of the
    // block's ReLU kink.
    check_with(
        "input 5x5x2, basic(conv 3 3x3 stride 2 pad 1 nobias, bn, relu, conv 3 3x3 pad 1 nobias, bn | conv 3 1x1 stride 2 nobias, bn)",
        3,
        Mode::Eval,
        5e-4,
    );
    check(
        "input 4x4x4, bottleneck(conv 2 1x1 nobias, bn, relu, conv 2 3x3 pad 1 nobias, bn, relu, conv 4 1x1 nobias, bn)",
        2,
        Mode::Train,
    );
    // Evaluation mode: running statistics; smooth inside so that a larger step is exact.
    check_with(
        "input 4x4x4, bottleneck(conv 2 1x1 nobias, bn, tanh, conv 2 3x3 pad 1 nobias, bn, tanh, conv 4 1x1 nobias, bn)",
        1,
        Mode::Eval,
        2e-3,
    );
}

#[test]
fn lenet5_text_is_the_zoo_description() {
    let text = "conv 6 5x5 pad 2, relu, maxpool 2, conv 16 5x5, relu, maxpool 2, flatten, linear 120, relu, linear 84, relu, linear 10";
    let parsed = Architecture::from_text(text).unwrap();
    let zoo = zoo::lenet5();
    assert_eq!(parsed.layers, zoo.layers);
    assert_eq!(parsed.input, zoo.input);
    assert_eq!(zoo.to_text(), format!("input 28x28x1, {text}"));
}

/// LeNet-5 by hand from the core's own kernels (`conv2d`, `pool2d`, `Activation::forward`,
/// `linear_forward_into`) on `net`'s weights, read by their PyTorch names and shapes.
fn lenet5_by_hand(net: &Network, x: &[f32], n: usize, act: Activation, pool: PoolKind) -> Vec<f32> {
    let tensor = |name: &str| net.tensor(name).unwrap_or_else(|| panic!("no {name}"));
    let conv = |x: ArrayView4<'_, f32>, name: &str, padding: usize| {
        let w = tensor(&format!("{name}.weight"));
        let shape: [usize; 4] = w.shape.clone().try_into().unwrap();
        let b = tensor(&format!("{name}.bias"));
        conv2d(
            x,
            ArrayView4::from_shape(shape, &w.data).unwrap(),
            Some(ArrayView1::from(&b.data[..])),
            Conv2dParams::default().with_padding(padding),
        )
        .unwrap()
    };
    let dense = |x: ArrayView2<'_, f32>, name: &str| {
        let w = tensor(&format!("{name}.weight"));
        let b = tensor(&format!("{name}.bias"));
        let (o, i) = (w.shape[0], w.shape[1]);
        let mut y = Array2::zeros((x.nrows(), o));
        linear_forward_into(
            x,
            ArrayView2::from_shape((o, i), &w.data).unwrap(),
            Some(ArrayView1::from(&b.data[..])),
            y.view_mut(),
        )
        .unwrap();
        y
    };
    let window = Pool2dParams::new(2);
    let x = ArrayView4::from_shape([n, 1, 28, 28], x).unwrap();
    let h = act.forward(conv(x, "conv1", 2).view());
    let h = pool2d(h.view(), pool, window).unwrap();
    let h = act.forward(conv(h.view(), "conv2", 0).view());
    let h = pool2d(h.view(), pool, window).unwrap();
    assert_eq!(h.shape(), [n, 16, 5, 5]);
    let h = h.into_shape_with_order((n, 400)).unwrap();
    let h = act.forward(dense(h.view(), "fc1").view());
    let h = act.forward(dense(h.view(), "fc2").view());
    dense(h.view(), "fc3").into_raw_vec_and_offset().0
}

/// What the removed hand-wired LeNet (`LeNetConfig::default()` / `::lecun()`, seed 42)
/// drew, recorded before its removal: per tensor the first three values, the last, and the
/// f64 sum; and its logits for two images (`Rng::seed_from_u64(3)`, `uniform(-1, 1)`).
struct OldLeNet {
    tensors: [(&'static str, [f32; 3], f32, f64); 10],
    logits: [f32; 20],
}

const OLD_INIT: [(&str, [f32; 3], f32, f64); 10] = [
    (
        "conv1.weight",
        [-0.16645482, -0.048407912, 0.07201736],
        -0.13596857,
        1.297326222062111,
    ),
    (
        "conv1.bias",
        [0.15779619, -0.11578119, 0.02042368],
        0.08697511,
        -0.114258773624897,
    ),
    (
        "conv2.weight",
        [-0.009166494, 0.032214046, -0.04991419],
        0.022484258,
        -1.9001530930399895,
    ),
    (
        "conv2.bias",
        [0.014988661, 0.0018139556, -0.0596549],
        -0.0071607754,
        -0.01495041698217392,
    ),
    (
        "fc1.weight",
        [0.026554238, -0.043636303, 0.033868108],
        -0.03158924,
        0.8200639076530933,
    ),
    (
        "fc1.bias",
        [0.046920005, -0.031204522, 0.0069889724],
        0.009614937,
        -0.2763687130063772,
    ),
    (
        "fc2.weight",
        [-0.08811813, 0.09029558, -0.032943275],
        0.05649644,
        11.947120800614357,
    ),
    (
        "fc2.bias",
        [0.061146885, -0.07418454, 0.0017776638],
        0.071150005,
        0.06997992843389511,
    ),
    (
        "fc3.weight",
        [-0.021218523, 0.03468796, 0.0731057],
        -0.08293194,
        -1.5429678708314896,
    ),
    (
        "fc3.bias",
        [0.09836047, -0.013639659, -0.1056277],
        0.074436836,
        0.18113048747181892,
    ),
];

const OLD_RELU_MAX: OldLeNet = OldLeNet {
    tensors: OLD_INIT,
    logits: [
        0.08749105,
        -0.0019979132,
        -0.1243756,
        0.071711384,
        -0.017182894,
        0.08599452,
        0.01887589,
        0.0043066368,
        0.007154513,
        0.04177627,
        0.09278409,
        0.0031484049,
        -0.11902978,
        0.06870177,
        -0.037723903,
        0.08160586,
        0.026939195,
        -0.008160297,
        0.010300629,
        0.04829985,
    ],
};

const OLD_TANH_AVERAGE: OldLeNet = OldLeNet {
    tensors: OLD_INIT,
    logits: [
        0.06830182,
        -0.0018924177,
        -0.13615736,
        0.049987987,
        0.010036748,
        0.116522186,
        0.05981218,
        -0.05144679,
        0.024074716,
        0.07222099,
        0.0827046,
        0.005089447,
        -0.13354951,
        0.059523605,
        0.019902226,
        0.12510878,
        0.04688733,
        -0.063137904,
        0.0010588579,
        0.07293622,
    ],
};

#[test]
fn lenet5_from_its_description_matches_lenet5_by_hand_and_the_old_draws() {
    let shapes = common::LENET5_PARAMETERS;
    for (act, pool, old) in [
        (Activation::Relu, PoolKind::Max, OLD_RELU_MAX),
        (Activation::Tanh, PoolKind::Average, OLD_TANH_AVERAGE),
    ] {
        let arch = zoo::lenet5_with(act, pool);
        let net = Network::build(&arch, &mut Rng::seed_from_u64(42)).unwrap();
        let got: Vec<(&str, &[usize])> = net
            .parameters()
            .iter()
            .map(|t| (t.name.as_str(), &t.shape[..]))
            .collect();
        assert_eq!(got, shapes, "{}", arch.name);
        assert_eq!(net.parameter_count(), 61_706);
        // The same draws, in the same order, as the hand-wired LeNet it replaced.
        for (t, (name, first, last, sum)) in net.parameters().iter().zip(old.tensors) {
            assert_eq!(t.name, name);
            assert_eq!(t.data[..3], first, "{name}");
            assert_eq!(t.data.last(), Some(&last), "{name}");
            let s: f64 = t.data.iter().map(|&v| f64::from(v)).sum();
            assert!((s - sum).abs() < 1e-9, "{name}: sum {s} vs {sum}");
        }
        // Five images: the dense layers take their GEMM path (two: their dot products).
        let mut rng = Rng::seed_from_u64(3);
        let x = random(5 * 784, &mut rng, 1.0);
        let mut ws = Workspace::new();
        for n in [5, 2] {
            let y = net
                .forward(&x[..n * 784], n, Mode::Eval, &mut ws, &mut rng)
                .unwrap()
                .to_vec();
            let by_hand = lenet5_by_hand(&net, &x[..n * 784], n, act, pool);
            assert_eq!(y.len(), n * 10);
            assert_eq!(y, by_hand, "{} batch {n}", arch.name);
            for (i, (a, b)) in y.iter().zip(old.logits).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-6,
                    "{} batch {n}, logit {i}: {a} vs the old LeNet's {b}",
                    arch.name
                );
            }
        }
    }
}

#[test]
fn training_a_small_residual_net_lowers_the_loss() {
    let mut net = net(
        "input 8x8x1, conv 4 3x3 pad 1 nobias, bn, relu, basic(conv 4 3x3 pad 1 nobias, bn, relu, conv 4 3x3 pad 1 nobias, bn), adaptiveavgpool 1x1, flatten, dropout 0.1, linear 3",
        1,
    );
    let mut rng = Rng::seed_from_u64(2);
    let n = 12;
    let x = random(n * 64, &mut rng, 1.0);
    let labels: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
    let mut trainer = Trainer::new();
    let mut opt = SgdConfig::new(0.1).init().unwrap();
    let first = trainer
        .train_batch(&mut net, &mut opt, &x, &labels, &mut rng)
        .unwrap();
    let mut last = first;
    for _ in 0..30 {
        last = trainer
            .train_batch(&mut net, &mut opt, &x, &labels, &mut rng)
            .unwrap();
    }
    assert!(
        last.loss < first.loss * 0.7,
        "{} → {}",
        first.loss,
        last.loss
    );
    // Batch norm tracked 31 batches and its running mean moved.
    assert!(net.batches_tracked().iter().all(|(_, t)| *t == 31));
    let rm = net.tensor("bn1.running_mean").unwrap();
    assert!(rm.data.iter().any(|&v| v != 0.0));
    let names: Vec<&str> = net.parameters().iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"block1.conv1.weight"), "{names:?}");
    assert!(names.contains(&"block1.bn2.bias"), "{names:?}");
}

#[test]
fn two_threads_give_the_one_thread_gradient() {
    let net = net("input 6x6x1, conv 3 3x3, relu, maxpool 2, linear 4", 3);
    let mut rng = Rng::seed_from_u64(4);
    let n = 32;
    let x = random(n * 36, &mut rng, 1.0);
    let labels: Vec<u8> = (0..n).map(|i| (i % 4) as u8).collect();
    let mut one = Trainer::new();
    let mut two = Trainer::with_threads(2);
    let a = one
        .compute_gradients(&net, &x, &labels, &mut Rng::seed_from_u64(1))
        .unwrap();
    let b = two
        .compute_gradients(&net, &x, &labels, &mut Rng::seed_from_u64(1))
        .unwrap();
    assert!((a.loss - b.loss).abs() < 1e-5);
    assert_eq!(a.correct, b.correct);
    for (g, h) in one
        .gradients()
        .tensors()
        .iter()
        .zip(two.gradients().tensors())
    {
        for (u, v) in g.iter().zip(h) {
            assert!((u - v).abs() < 1e-5, "{u} vs {v}");
        }
    }
}

#[test]
fn descriptions_that_cannot_run_are_refused_with_the_layer() {
    let build = |text: &str| {
        let arch = Architecture::from_text(text).unwrap();
        Network::build(&arch, &mut Rng::seed_from_u64(0))
            .unwrap_err()
            .to_string()
    };
    let e = build("input 4x4x1, conv 2 5x5");
    assert!(
        e.starts_with("conv1: 5×5 window is larger than its 4×4 input"),
        "{e}"
    );
    let e = build("input 8x8x3, conv 4 3x3 groups 2");
    assert!(
        e.contains("conv1") && e.contains("2 groups must divide both the 3 input channels"),
        "{e}"
    );
    let e = build("input 8x8x2, basic(conv 3 3x3 pad 1)");
    assert!(e.contains("block1") && e.contains("shortcut"), "{e}");
    // Too many parameters to hold.
    let e = build("input 1000x1000x3, flatten, linear 100000");
    assert!(e.contains("300,000,100,000 learnable parameters"), "{e}");
}

#[test]
fn a_batch_too_large_is_refused_with_the_numbers() {
    let net = Network::build(&zoo::lenet5(), &mut Rng::seed_from_u64(0)).unwrap();
    let e = net.check_batch(100_000).unwrap_err();
    let NnError::TooLarge { message } = &e else {
        panic!("{e}");
    };
    assert!(
        message.starts_with("a batch of 100,000 images needs"),
        "{message}"
    );
    assert!(message.contains("use a batch of at most"), "{message}");
    net.check_batch(64).unwrap();
}

#[test]
fn local_response_normalisation_runs_but_does_not_train() {
    let net = net("input 4x4x4, lrn 3, linear 2", 0);
    let mut ws = Workspace::new();
    let x = vec![0.5; 2 * 64];
    net.forward(&x, 2, Mode::Eval, &mut ws, &mut Rng::seed_from_u64(0))
        .unwrap();
    let e = net.check_trainable().unwrap_err().to_string();
    assert!(e.starts_with("lrn1: local response normalisation"), "{e}");
    let mut trainer = Trainer::new();
    let mut opt = SgdConfig::new(0.1).init().unwrap();
    let mut net = net;
    let e = trainer
        .train_batch(&mut net, &mut opt, &x, &[0, 1], &mut Rng::seed_from_u64(0))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("lrn1:"), "{e}");
}

#[test]
fn batch_norm_refuses_one_value_per_channel_in_training() {
    let net = net("input 1x1x3, bn, linear 2", 0);
    let mut ws = Workspace::new();
    let e = net
        .forward(
            &[1.0, 2.0, 3.0],
            1,
            Mode::Train,
            &mut ws,
            &mut Rng::seed_from_u64(0),
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("bn1: batch norm in training needs more than one value"),
        "{e}"
    );
}

#[test]
fn every_layer_output_is_named() {
    let net = net(
        "input 6x6x1, conv 2 3x3, basic(conv 2 3x3 pad 1), flatten, linear 2",
        0,
    );
    let mut ws = Workspace::new();
    net.forward(
        &[0.1; 36],
        1,
        Mode::Eval,
        &mut ws,
        &mut Rng::seed_from_u64(0),
    )
    .unwrap();
    let names: Vec<&str> = ws.outputs(&net).iter().map(|o| o.name).collect();
    assert_eq!(names, ["conv1", "block1", "block1.conv1", "flatten", "fc1"]);
}

#[test]
fn inference_keeps_every_output_but_nothing_for_a_backward_pass() {
    // Max pooling, batch norm and dropout, inside a residual block too: the forward context
    // reaches nested layers.
    let net = net(
        "input 8x8x1, conv 2 3x3 pad 1, bn, relu, maxpool 2, basic(conv 2 3x3 pad 1, bn), maxpool 2, flatten, dropout 0.5, linear 3",
        4,
    );
    let x = random(2 * 64, &mut Rng::seed_from_u64(5), 1.0);
    let bits = |ws: &Workspace| -> Vec<Vec<u32>> {
        let outputs = ws.outputs(&net);
        outputs
            .iter()
            .map(|o| o.values.iter().map(|v| v.to_bits()).collect())
            .collect()
    };
    let mut kept = Workspace::new();
    net.forward(&x, 2, Mode::Eval, &mut kept, &mut Rng::seed_from_u64(0))
        .unwrap();
    let mut inferred = Workspace::new();
    net.infer(&x, 2, &mut inferred).unwrap();
    assert_eq!(
        bits(&inferred),
        bits(&kept),
        "every layer's output, bit for bit"
    );

    // After inference (or before any forward pass) a backward pass is refused.
    inferred.output_grad_mut().fill(1.0);
    let e = net.backward_outputs(&mut inferred, true).unwrap_err();
    assert!(matches!(e, NnError::NoForward { .. }), "{e}");
    assert!(e.to_string().contains("run Network::forward first"), "{e}");
    let mut grads = Gradients::default();
    let e = net
        .backward(Mode::Eval, &mut Workspace::new(), &mut grads, false)
        .unwrap_err();
    assert!(matches!(e, NnError::NoForward { .. }), "{e}");
    // A forward pass after it keeps them again: the same gradient as the other workspace.
    net.forward(&x, 2, Mode::Eval, &mut inferred, &mut Rng::seed_from_u64(0))
        .unwrap();
    for ws in [&mut kept, &mut inferred] {
        ws.output_grad_mut().fill(1.0);
        net.backward_outputs(ws, true).unwrap();
    }
    assert_eq!(kept.input_grad(), inferred.input_grad());
    assert!(kept.input_grad().iter().any(|&g| g != 0.0));
}
