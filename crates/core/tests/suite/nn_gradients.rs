//! Finite-difference checks of every backward pass.
//!
//! For a layer `y = f(x, W, b)` and a fixed random `r`, the scalar `L = Σ r ⊙ y` (summed in
//! f64) has `∂L/∂y = r`; each backward function given `dy = r` must match the central
//! difference `(L(θ + ε) − L(θ − ε)) / 2ε` of every input, weight and bias entry. The error
//! is `‖analytic − numeric‖₂ / max(‖analytic‖₂, ‖numeric‖₂)` and must be ≤ 1e-3. Inputs are
//! small and kept away from kinks (ReLU at 0, max-pool ties) by construction.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use crate::common;

use convscope_core::arch::{Architecture, zoo};
use convscope_core::nn::init::{fill_uniform, pytorch_default_bound};
use convscope_core::nn::{
    Network, Rng, Trainer, activation_x_backward, activation_x_backward_in_place,
    conv2d_bias_backward, conv2d_weight_backward, conv2d_x_backward, linear_bias_backward,
    linear_forward_into, linear_weight_backward, linear_x_backward, softmax_cross_entropy,
};
use convscope_core::pool::pool2d_x_backward_into;
use convscope_core::shape::Pool2dParams;
use convscope_core::{Activation, Conv2dParams, PoolKind, conv2d, max_pool2d_with_indices, pool2d};
use ndarray::{Array1, Array2, Array4, ArrayD};

const TOL: f64 = 1e-3;

fn random(len: usize, rng: &mut Rng, scale: f32) -> Vec<f32> {
    (0..len).map(|_| rng.uniform(-scale, scale)).collect()
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum()
}

/// Central differences of `loss` at `theta`, one entry at a time.
fn numeric(theta: &[f32], eps: f32, loss: impl Fn(&[f32]) -> f64) -> Vec<f64> {
    let mut t = theta.to_vec();
    (0..theta.len())
        .map(|i| {
            t[i] = theta[i] + eps;
            let plus = loss(&t);
            t[i] = theta[i] - eps;
            let minus = loss(&t);
            t[i] = theta[i];
            (plus - minus) / (2.0 * f64::from(eps))
        })
        .collect()
}

fn assert_close(what: &str, analytic: &[f32], numeric: &[f64]) {
    assert_eq!(analytic.len(), numeric.len(), "{what}: lengths");
    let rel = common::rel_error(analytic, numeric)
        .unwrap_or_else(|| panic!("{what}: gradient is zero, the check would be vacuous"));
    assert!(
        rel <= TOL,
        "{what}: relative error {rel:e} > {TOL:e}\nanalytic {analytic:?}\nnumeric {numeric:?}"
    );
}

#[test]
fn linear_gradients() {
    let mut rng = Rng::seed_from_u64(1);
    let (n, i, o) = (3, 5, 4);
    // PyTorch's default initialisation, as a network's linear layer: weight, then bias.
    let bound = pytorch_default_bound(i);
    let mut w = Array2::zeros((o, i));
    fill_uniform(w.as_slice_mut().unwrap(), bound, &mut rng);
    let mut b = Array1::zeros(o);
    fill_uniform(b.as_slice_mut().unwrap(), bound, &mut rng);
    let x = Array2::from_shape_vec((n, i), random(n * i, &mut rng, 1.0)).unwrap();
    let r = random(n * o, &mut rng, 1.0);
    let dy = Array2::from_shape_vec((n, o), r.clone()).unwrap();
    let loss = |x: &[f32], w: &[f32], b: &[f32]| {
        let mut y = Array2::zeros((n, o));
        linear_forward_into(
            Array2::from_shape_vec((n, i), x.to_vec()).unwrap().view(),
            Array2::from_shape_vec((o, i), w.to_vec()).unwrap().view(),
            Some(Array1::from(b.to_vec()).view()),
            y.view_mut(),
        )
        .unwrap();
        dot(y.as_slice().unwrap(), &r)
    };
    let (xs, ws, bs) = (
        x.as_slice().unwrap(),
        w.as_slice().unwrap(),
        b.as_slice().unwrap(),
    );
    let dx = linear_x_backward(dy.view(), w.view()).unwrap();
    assert_eq!(dx.dim(), (n, i));
    assert_close(
        "linear dx",
        dx.as_slice().unwrap(),
        &numeric(xs, 1e-2, |t| loss(t, ws, bs)),
    );
    let dw = linear_weight_backward(x.view(), dy.view()).unwrap();
    assert_eq!(dw.dim(), (o, i));
    assert_close(
        "linear dW",
        dw.as_slice().unwrap(),
        &numeric(ws, 1e-2, |t| loss(xs, t, bs)),
    );
    let db = linear_bias_backward(dy.view());
    assert_close(
        "linear db",
        db.as_slice().unwrap(),
        &numeric(bs, 1e-2, |t| loss(xs, ws, t)),
    );
}

fn check_conv(
    label: &str,
    input: [usize; 4],
    out_channels: usize,
    kernel: [usize; 2],
    params: Conv2dParams,
) {
    let mut rng = Rng::seed_from_u64(2);
    let [_, c, _, _] = input;
    let wshape = [out_channels, c / params.groups, kernel[0], kernel[1]];
    let x = Array4::from_shape_vec(input, random(input.iter().product(), &mut rng, 1.0)).unwrap();
    let w = Array4::from_shape_vec(wshape, random(wshape.iter().product(), &mut rng, 0.5)).unwrap();
    let b = Array1::from(random(out_channels, &mut rng, 0.5));
    let y = conv2d(x.view(), w.view(), Some(b.view()), params).unwrap();
    let yshape = y.shape().to_vec();
    let r = random(y.len(), &mut rng, 1.0);
    let dy =
        Array4::from_shape_vec([yshape[0], yshape[1], yshape[2], yshape[3]], r.clone()).unwrap();
    let loss = |x: &[f32], w: &[f32], b: &[f32]| {
        let y = conv2d(
            Array4::from_shape_vec(input, x.to_vec()).unwrap().view(),
            Array4::from_shape_vec(wshape, w.to_vec()).unwrap().view(),
            Some(Array1::from(b.to_vec()).view()),
            params,
        )
        .unwrap();
        dot(y.as_slice().unwrap(), &r)
    };
    let (xs, ws, bs) = (
        x.as_slice().unwrap(),
        w.as_slice().unwrap(),
        b.as_slice().unwrap(),
    );
    let dx = conv2d_x_backward(dy.view(), w.view(), params, input).unwrap();
    assert_eq!(dx.shape(), &input);
    assert_close(
        &format!("{label} dx"),
        dx.as_slice().unwrap(),
        &numeric(xs, 1e-2, |t| loss(t, ws, bs)),
    );
    let dw = conv2d_weight_backward(x.view(), dy.view(), params, wshape).unwrap();
    assert_eq!(dw.shape(), &wshape);
    assert_close(
        &format!("{label} dW"),
        dw.as_slice().unwrap(),
        &numeric(ws, 1e-2, |t| loss(xs, t, bs)),
    );
    let db = conv2d_bias_backward(dy.view());
    assert_close(
        &format!("{label} db"),
        db.as_slice().unwrap(),
        &numeric(bs, 1e-2, |t| loss(xs, ws, t)),
    );
}

#[test]
fn conv_gradients_plain() {
    check_conv("conv 3x3", [2, 2, 6, 5], 3, [3, 3], Conv2dParams::default());
}

#[test]
fn conv_gradients_lenet_shapes() {
    check_conv(
        "conv1-like",
        [2, 1, 8, 8],
        2,
        [5, 5],
        Conv2dParams::default().with_padding(2),
    );
    check_conv(
        "conv2-like",
        [1, 3, 9, 9],
        2,
        [5, 5],
        Conv2dParams::default(),
    );
}

#[test]
fn conv_gradients_stride_padding_dilation_groups() {
    check_conv(
        "stride 2 pad 1",
        [2, 2, 7, 6],
        2,
        [3, 3],
        Conv2dParams::default().with_stride(2).with_padding(1),
    );
    check_conv(
        "dilation 2",
        [1, 2, 7, 7],
        2,
        [3, 2],
        Conv2dParams::default().with_dilation(2),
    );
    check_conv(
        "groups 2",
        [1, 4, 5, 5],
        4,
        [3, 3],
        Conv2dParams::default().with_groups(2).with_padding(1),
    );
    let p = Conv2dParams {
        stride: [2, 1],
        padding: [0, 2],
        dilation: [1, 2],
        groups: 1,
    };
    check_conv("asymmetric", [1, 2, 6, 5], 3, [2, 3], p);
}

/// Distinct values spaced ≥ 0.05 apart, shuffled: no ties, no argmax change under ±ε.
fn spaced(len: usize, rng: &mut Rng) -> Vec<f32> {
    let mut v: Vec<f32> = (0..len)
        .map(|i| i as f32 * 0.05 - len as f32 * 0.025)
        .collect();
    rng.shuffle(&mut v);
    v
}

/// `kind` pooling of `x`, with the argmax for max pooling.
fn pool_forward(
    kind: PoolKind,
    params: Pool2dParams,
    x: &Array4<f32>,
) -> (Array4<f32>, Option<Array4<usize>>) {
    if kind == PoolKind::Max {
        let (y, argmax) = max_pool2d_with_indices(x.view(), params).unwrap();
        (y, Some(argmax))
    } else {
        (pool2d(x.view(), kind, params).unwrap(), None)
    }
}

fn check_pool(label: &str, kind: PoolKind, params: Pool2dParams, input: [usize; 4]) {
    let mut rng = Rng::seed_from_u64(3);
    let x = Array4::from_shape_vec(input, spaced(input.iter().product(), &mut rng)).unwrap();
    let (output, argmax) = pool_forward(kind, params, &x);
    let r = random(output.len(), &mut rng, 1.0);
    let dy = Array4::from_shape_vec(output.raw_dim(), r.clone()).unwrap();
    let mut dx = Array4::zeros(input);
    pool2d_x_backward_into(
        kind,
        params,
        dy.view(),
        argmax.as_ref().map(|a| a.view()),
        dx.view_mut(),
    )
    .unwrap();
    assert_eq!(dx.shape(), &input);
    let loss = |t: &[f32]| {
        let (y, _) = pool_forward(
            kind,
            params,
            &Array4::from_shape_vec(input, t.to_vec()).unwrap(),
        );
        dot(y.as_slice().unwrap(), &r)
    };
    assert_close(
        label,
        dx.as_slice().unwrap(),
        &numeric(x.as_slice().unwrap(), 1e-2, loss),
    );
}

#[test]
fn pool_gradients() {
    for (name, kind) in [
        ("max", PoolKind::Max),
        ("average", PoolKind::Average),
        ("sum", PoolKind::Sum),
    ] {
        check_pool(
            &format!("{name} 2x2"),
            kind,
            Pool2dParams::new(2),
            [2, 2, 6, 6],
        );
        check_pool(
            &format!("{name} 2x2 odd input"),
            kind,
            Pool2dParams::new(2),
            [1, 2, 5, 7],
        );
        let overlapping = Pool2dParams::new(3).with_stride(2).with_padding(1);
        check_pool(
            &format!("{name} 3x3 s2 p1"),
            kind,
            overlapping,
            [1, 2, 7, 6],
        );
    }
}

#[test]
fn activation_gradients() {
    let mut rng = Rng::seed_from_u64(4);
    for act in [
        Activation::Relu,
        Activation::leaky_relu(0.1).unwrap(),
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Identity,
    ] {
        // Away from 0 by at least 0.05 (ReLU's kink).
        let x: Vec<f32> = (0..24)
            .map(|_| {
                let v = rng.uniform(0.05, 2.0);
                if rng.below(2) == 0 { v } else { -v }
            })
            .collect();
        let r = random(24, &mut rng, 1.0);
        let xa = ArrayD::from_shape_vec(vec![2, 3, 4], x.clone()).unwrap();
        let dy = ArrayD::from_shape_vec(vec![2, 3, 4], r.clone()).unwrap();
        let dx = activation_x_backward(act, dy.view(), xa.view()).unwrap();
        // The in-place form (the network's) gives the same values.
        let mut in_place = dy.clone();
        activation_x_backward_in_place(act, in_place.view_mut(), xa.view()).unwrap();
        assert_eq!(dx, in_place);
        let loss = |t: &[f32]| {
            let y = act.forward(
                ArrayD::from_shape_vec(vec![2, 3, 4], t.to_vec())
                    .unwrap()
                    .view(),
            );
            dot(y.as_slice().unwrap(), &r)
        };
        assert_close(act.name(), dx.as_slice().unwrap(), &numeric(&x, 1e-3, loss));
    }
}

#[test]
fn softmax_cross_entropy_gradient() {
    let mut rng = Rng::seed_from_u64(6);
    let logits = random(4 * 10, &mut rng, 3.0);
    let labels = [3usize, 0, 9, 3];
    let la = Array2::from_shape_vec((4, 10), logits.clone()).unwrap();
    let (_, grad) = softmax_cross_entropy(la.view(), &labels).unwrap();
    let loss = |t: &[f32]| {
        let a = Array2::from_shape_vec((4, 10), t.to_vec()).unwrap();
        f64::from(softmax_cross_entropy(a.view(), &labels).unwrap().0)
    };
    assert_close(
        "cross-entropy",
        grad.as_slice().unwrap(),
        &numeric(&logits, 1e-2, loss),
    );
}

/// The whole network (LeNet-5 built from its description): the directional derivative
/// along each parameter tensor's own gradient direction (the strongest signal), the
/// gradient from [`Trainer::compute_gradients`] against central differences of the mean
/// cross-entropy. The network runs in f32, so a change of the loss of ~1e-4 at a loss of
/// ~2.3 carries ~1e-3 relative rounding noise: this end-to-end check uses 1e-2 (the layer
/// checks above hold every backward pass to 1e-3).
fn check_lenet(arch: &Architecture, eps: f32, tol: f64) {
    let mut rng = Rng::seed_from_u64(7);
    let net = Network::build(arch, &mut rng).unwrap();
    let images: Vec<f32> = (0..4 * 784).map(|_| rng.next_f32()).collect();
    let labels = [1u8, 7, 3, 0];
    // Nothing random in LeNet-5's forward pass (no dropout): any stream gives the same loss.
    let loss_of = |net: &Network| {
        let mut t = Trainer::new();
        t.compute_gradients(net, &images, &labels, &mut Rng::seed_from_u64(0))
            .unwrap()
            .loss
    };
    let mut trainer = Trainer::new();
    trainer
        .compute_gradients(&net, &images, &labels, &mut Rng::seed_from_u64(0))
        .unwrap();
    let grads = trainer.gradients().clone();
    let names: Vec<&str> = net.parameters().iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "conv1.weight",
            "conv1.bias",
            "conv2.weight",
            "conv2.bias",
            "fc1.weight",
            "fc1.bias",
            "fc2.weight",
            "fc2.bias",
            "fc3.weight",
            "fc3.bias",
        ],
        "{}",
        arch.name
    );
    for t in net.parameters() {
        let name = &t.name;
        let g = grads.get(&net, name).unwrap();
        assert_eq!(g.len(), t.data.len(), "{name}");
        let mut d = g.to_vec();
        let norm = d.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!(
            norm > 0.0,
            "{name}: zero gradient, the check would be vacuous"
        );
        d.iter_mut().for_each(|v| *v /= norm);
        let analytic = dot(g, &d);
        let loss_at = |s: f32| {
            let mut probe = net.clone();
            let moved: Vec<f32> = t.data.iter().zip(&d).map(|(v, dv)| v + s * dv).collect();
            probe.set_tensor(name, &moved).unwrap();
            f64::from(loss_of(&probe))
        };
        let numeric = (loss_at(eps) - loss_at(-eps)) / (2.0 * f64::from(eps));
        let rel = (analytic - numeric).abs() / analytic.abs().max(numeric.abs()).max(1e-4);
        assert!(
            rel <= tol,
            "{} {name}: analytic {analytic:e} numeric {numeric:e} rel {rel:e}",
            arch.name
        );
    }
}

#[test]
fn lenet_gradients_tanh_average() {
    check_lenet(
        &zoo::lenet5_with(Activation::Tanh, PoolKind::Average),
        1e-2,
        1e-2,
    );
}

#[test]
fn lenet_gradients_relu_max() {
    // A smaller step: ReLU and max-pool kinks sit closer than 1e-2 along the gradient.
    check_lenet(&zoo::lenet5(), 2e-3, 1e-2);
}
