//! Finite-difference checks of every backward pass.
//!
//! For a layer `y = f(x, W, b)` and a fixed random `r`, the scalar `L = Σ r ⊙ y` (summed in
//! f64) has `∂L/∂y = r`; each backward function given `dy = r` must match the central
//! difference `(L(θ + ε) − L(θ − ε)) / 2ε` of every input, weight and bias entry. The error
//! is `‖analytic − numeric‖₂ / max(‖analytic‖₂, ‖numeric‖₂)` and must be ≤ 1e-3. Inputs are
//! small and kept away from kinks (ReLU at 0, max-pool ties) by construction.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use convscope_core::nn::{
    self, ActivationLayer, Flatten, LeNetConfig, LinearConfig, Pool2dConfig, Rng, Trainer,
    activation_x_backward, conv2d_bias_backward, conv2d_weight_backward, conv2d_x_backward,
    linear_bias_backward, linear_weight_backward, linear_x_backward, softmax_cross_entropy,
};
use convscope_core::{Activation, Conv2dParams, PoolKind, conv2d};
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
    let diff: f64 = analytic
        .iter()
        .zip(numeric)
        .map(|(&a, &n)| (f64::from(a) - n).powi(2))
        .sum::<f64>()
        .sqrt();
    let na = analytic
        .iter()
        .map(|&a| f64::from(a).powi(2))
        .sum::<f64>()
        .sqrt();
    let nn = numeric.iter().map(|n| n.powi(2)).sum::<f64>().sqrt();
    let scale = na.max(nn);
    assert!(
        scale > 1e-6,
        "{what}: gradient is zero, the check would be vacuous"
    );
    let rel = diff / scale;
    assert!(
        rel <= TOL,
        "{what}: relative error {rel:e} > {TOL:e}\nanalytic {analytic:?}\nnumeric {numeric:?}"
    );
}

#[test]
fn linear_gradients() {
    let mut rng = Rng::seed_from_u64(1);
    let (n, i, o) = (3, 5, 4);
    let layer = LinearConfig::new(i, o).init(&mut rng);
    let x = Array2::from_shape_vec((n, i), random(n * i, &mut rng, 1.0)).unwrap();
    let r = random(n * o, &mut rng, 1.0);
    let dy = Array2::from_shape_vec((n, o), r.clone()).unwrap();
    let w = layer.weight().clone();
    let b = layer.bias().unwrap().clone();
    let loss = |x: &[f32], w: &[f32], b: &[f32]| {
        let l = LinearConfig::new(i, o)
            .init_with(
                Array2::from_shape_vec((o, i), w.to_vec()).unwrap(),
                Some(Array1::from(b.to_vec())),
            )
            .unwrap();
        let y = l
            .forward(Array2::from_shape_vec((n, i), x.to_vec()).unwrap().view())
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

fn check_pool(label: &str, config: Pool2dConfig, input: [usize; 4]) {
    let mut rng = Rng::seed_from_u64(3);
    let layer = config.init();
    let x = Array4::from_shape_vec(input, spaced(input.iter().product(), &mut rng)).unwrap();
    let out = layer.forward(x.view()).unwrap();
    let r = random(out.output.len(), &mut rng, 1.0);
    let dy = Array4::from_shape_vec(out.output.raw_dim(), r.clone()).unwrap();
    let dx = layer
        .backward(dy.view(), out.argmax.as_ref().map(|a| a.view()), input)
        .unwrap();
    assert_eq!(dx.shape(), &input);
    let loss = |t: &[f32]| {
        let y = layer
            .forward(Array4::from_shape_vec(input, t.to_vec()).unwrap().view())
            .unwrap();
        dot(y.output.as_slice().unwrap(), &r)
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
            Pool2dConfig::new(kind, 2),
            [2, 2, 6, 6],
        );
        check_pool(
            &format!("{name} 2x2 odd input"),
            Pool2dConfig::new(kind, 2),
            [1, 2, 5, 7],
        );
        let overlapping = convscope_core::shape::Pool2dParams::new(3)
            .with_stride(2)
            .with_padding(1);
        check_pool(
            &format!("{name} 3x3 s2 p1"),
            Pool2dConfig::new(kind, 3).with_params(overlapping),
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
        let layer = ActivationLayer::new(act);
        let xa = ArrayD::from_shape_vec(vec![2, 3, 4], x.clone()).unwrap();
        let dy = ArrayD::from_shape_vec(vec![2, 3, 4], r.clone()).unwrap();
        let dx = activation_x_backward(act, dy.view(), xa.view()).unwrap();
        assert_eq!(dx, layer.backward(dy.view(), xa.view()).unwrap());
        let loss = |t: &[f32]| {
            let y = layer.forward(
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
fn flatten_gradient() {
    let mut rng = Rng::seed_from_u64(5);
    let shape = [2, 3, 2, 2];
    let x = Array4::from_shape_vec(shape, random(24, &mut rng, 1.0)).unwrap();
    let y = Flatten.forward(x.view()).unwrap();
    assert_eq!(y.dim(), (2, 12));
    let r = random(24, &mut rng, 1.0);
    let dy = Array2::from_shape_vec((2, 12), r.clone()).unwrap();
    let dx = Flatten.backward(dy.view(), shape).unwrap();
    let loss = |t: &[f32]| {
        dot(
            Flatten
                .forward(Array4::from_shape_vec(shape, t.to_vec()).unwrap().view())
                .unwrap()
                .as_slice()
                .unwrap(),
            &r,
        )
    };
    assert_close(
        "flatten",
        dx.as_slice().unwrap(),
        &numeric(x.as_slice().unwrap(), 1e-2, loss),
    );
    assert!(Flatten.backward(dy.view(), [2, 3, 2, 3]).is_err());
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

/// The whole network: the directional derivative along each parameter tensor's own
/// gradient direction (the strongest signal). The network runs in f32, so a change of
/// the loss of ~1e-4 at a loss of ~2.3 carries ~1e-3 relative rounding noise: this
/// end-to-end check uses 1e-2 (the layer checks above hold every backward pass to 1e-3).
fn check_lenet(config: LeNetConfig, eps: f32, tol: f64) {
    let mut rng = Rng::seed_from_u64(7);
    let model = config.init(&mut rng).unwrap();
    let images: Vec<f32> = (0..4 * 784).map(|_| rng.next_f32()).collect();
    let labels = [1u8, 7, 3, 0];
    let mut trainer = Trainer::new();
    trainer.compute_gradients(&model, &images, &labels).unwrap();
    let grads = trainer.gradients().clone();
    let params: Vec<Vec<f32>> = model
        .parameters()
        .unwrap()
        .iter()
        .map(|p| p.to_vec())
        .collect();
    for (k, name) in nn::lenet::PARAMETER_NAMES.iter().enumerate() {
        let g = grads.get(name).unwrap();
        let mut d = g.to_vec();
        let norm = d.iter().map(|v| v * v).sum::<f32>().sqrt();
        d.iter_mut().for_each(|v| *v /= norm);
        let analytic = dot(g, &d);
        let loss_at = |s: f32| {
            let mut p = params.clone();
            for (v, dv) in p[k].iter_mut().zip(&d) {
                *v += s * dv;
            }
            let m = config.init_with(p).unwrap();
            let mut t = Trainer::new();
            f64::from(t.compute_gradients(&m, &images, &labels).unwrap().loss)
        };
        let numeric = (loss_at(eps) - loss_at(-eps)) / (2.0 * f64::from(eps));
        let rel = (analytic - numeric).abs() / analytic.abs().max(numeric.abs()).max(1e-4);
        assert!(
            rel <= tol,
            "{name}: analytic {analytic:e} numeric {numeric:e} rel {rel:e}"
        );
    }
}

#[test]
fn lenet_gradients_tanh_average() {
    check_lenet(LeNetConfig::lecun(), 1e-2, 1e-2);
}

#[test]
fn lenet_gradients_relu_max() {
    // A smaller step: ReLU and max-pool kinks sit closer than 1e-2 along the gradient.
    check_lenet(LeNetConfig::default(), 2e-3, 1e-2);
}
