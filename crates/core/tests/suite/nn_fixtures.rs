//! Reference values for the trainable layers from numpy (`tests/fixtures/gen_nn_fixtures.py`,
//! an independent straightforward float64 implementation with PyTorch's semantics, seeded):
//! convolution and linear forward + backward, pooling and activation backward, softmax
//! cross-entropy, two SGD-with-momentum and two Adam steps. Tolerance: rtol 1e-4, atol 1e-5.
//! The JSON is compiled in with `include_str!`, so these tests also run in wasm.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use convscope_core::nn::{
    AdamConfig, Optimizer, SgdConfig, activation_x_backward, conv2d_bias_backward,
    conv2d_weight_backward, conv2d_x_backward, linear_bias_backward, linear_forward_into,
    linear_weight_backward, linear_x_backward, softmax_cross_entropy,
};
use convscope_core::pool::pool2d_x_backward_into;
use convscope_core::shape::Pool2dParams;
use convscope_core::{Activation, Conv2dParams, PoolKind, conv2d, max_pool2d_with_indices, pool2d};
use ndarray::{Array1, Array2, Array4};
use serde::Deserialize;

use crate::compare;
use compare::{close, tensor};

const JSON: &str = include_str!("../fixtures/nn_reference.json");

#[derive(Deserialize)]
struct Fixtures {
    conv2d: Vec<ConvCase>,
    linear: Vec<LinearCase>,
    pool2d: Vec<PoolCase>,
    activations: Vec<ActCase>,
    cross_entropy: Vec<LossCase>,
    optimizers: Vec<OptimCase>,
}

#[derive(Deserialize)]
struct ConvCase {
    name: String,
    input_shape: [usize; 4],
    input: Vec<f32>,
    weight_shape: [usize; 4],
    weight: Vec<f32>,
    bias: Vec<f32>,
    stride: usize,
    padding: usize,
    groups: usize,
    output_shape: [usize; 4],
    output: Vec<f32>,
    dy: Vec<f32>,
    dx: Vec<f32>,
    dw: Vec<f32>,
    db: Vec<f32>,
}

#[derive(Deserialize)]
struct LinearCase {
    name: String,
    batch: usize,
    in_features: usize,
    out_features: usize,
    x: Vec<f32>,
    weight: Vec<f32>,
    bias: Vec<f32>,
    y: Vec<f32>,
    dy: Vec<f32>,
    dx: Vec<f32>,
    dw: Vec<f32>,
    db: Vec<f32>,
}

#[derive(Deserialize)]
struct PoolCase {
    kind: String,
    input_shape: [usize; 4],
    kernel: usize,
    input: Vec<f32>,
    output: Vec<f32>,
    dy: Vec<f32>,
    dx: Vec<f32>,
}

#[derive(Deserialize)]
struct ActCase {
    name: String,
    x: Vec<f32>,
    y: Vec<f32>,
    dy: Vec<f32>,
    dx: Vec<f32>,
}

#[derive(Deserialize)]
struct LossCase {
    batch: usize,
    classes: usize,
    logits: Vec<f32>,
    labels: Vec<usize>,
    loss: f32,
    grad: Vec<f32>,
}

#[derive(Deserialize)]
struct OptimCase {
    kind: String,
    lr: f32,
    #[serde(default)]
    momentum: f32,
    #[serde(default)]
    beta1: f32,
    #[serde(default)]
    beta2: f32,
    #[serde(default)]
    eps: f32,
    weight_decay: f32,
    param: Vec<f32>,
    grads: Vec<Vec<f32>>,
    after: Vec<Vec<f32>>,
}

fn fixtures() -> Fixtures {
    serde_json::from_str(JSON).expect("nn_reference.json parses")
}

fn matrix(rows: usize, cols: usize, data: &[f32]) -> Array2<f32> {
    Array2::from_shape_vec((rows, cols), data.to_vec()).expect("fixture shape")
}

#[test]
fn conv2d_forward_and_backward_match_numpy() {
    let cases = fixtures().conv2d;
    assert!(cases.iter().any(|c| c.groups > 1), "a grouped case");
    for c in cases {
        let x = tensor(c.input_shape, &c.input);
        let w = tensor(c.weight_shape, &c.weight);
        let b = Array1::from(c.bias.clone());
        let dy = tensor(c.output_shape, &c.dy);
        let p = Conv2dParams {
            stride: [c.stride; 2],
            padding: [c.padding; 2],
            dilation: [1, 1],
            groups: c.groups,
        };
        let y = conv2d(x.view(), w.view(), Some(b.view()), p).unwrap();
        assert_eq!(y.shape(), c.output_shape, "{}", c.name);
        close(
            &format!("conv2d {} y", c.name),
            y.as_slice().unwrap(),
            &c.output,
        );
        let dx = conv2d_x_backward(dy.view(), w.view(), p, c.input_shape).unwrap();
        close(
            &format!("conv2d {} dx", c.name),
            dx.as_slice().unwrap(),
            &c.dx,
        );
        let dw = conv2d_weight_backward(x.view(), dy.view(), p, c.weight_shape).unwrap();
        close(
            &format!("conv2d {} dw", c.name),
            dw.as_slice().unwrap(),
            &c.dw,
        );
        let db = conv2d_bias_backward(dy.view());
        close(
            &format!("conv2d {} db", c.name),
            db.as_slice().unwrap(),
            &c.db,
        );
    }
}

#[test]
fn linear_forward_and_backward_match_numpy() {
    for c in fixtures().linear {
        let (n, i, o) = (c.batch, c.in_features, c.out_features);
        let x = matrix(n, i, &c.x);
        let w = matrix(o, i, &c.weight);
        let b = Array1::from(c.bias.clone());
        let dy = matrix(n, o, &c.dy);
        let mut y = Array2::zeros((n, o));
        linear_forward_into(x.view(), w.view(), Some(b.view()), y.view_mut()).unwrap();
        close(&format!("linear {} y", c.name), y.as_slice().unwrap(), &c.y);
        let dx = linear_x_backward(dy.view(), w.view()).unwrap();
        close(
            &format!("linear {} dx", c.name),
            dx.as_slice().unwrap(),
            &c.dx,
        );
        let dw = linear_weight_backward(x.view(), dy.view()).unwrap();
        close(
            &format!("linear {} dw", c.name),
            dw.as_slice().unwrap(),
            &c.dw,
        );
        let db = linear_bias_backward(dy.view());
        close(
            &format!("linear {} db", c.name),
            db.as_slice().unwrap(),
            &c.db,
        );
    }
}

#[test]
fn pooling_backward_matches_numpy() {
    for c in fixtures().pool2d {
        let kind = match c.kind.as_str() {
            "max" => PoolKind::Max,
            _ => PoolKind::Average,
        };
        let params = Pool2dParams::new(c.kernel);
        let x = tensor(c.input_shape, &c.input);
        let (output, argmax) = if kind == PoolKind::Max {
            let (y, a) = max_pool2d_with_indices(x.view(), params).unwrap();
            (y, Some(a))
        } else {
            (pool2d(x.view(), kind, params).unwrap(), None)
        };
        close(
            &format!("{} pool y", c.kind),
            output.as_slice().unwrap(),
            &c.output,
        );
        let dy = tensor(
            [
                c.input_shape[0],
                c.input_shape[1],
                output.dim().2,
                output.dim().3,
            ],
            &c.dy,
        );
        let mut dx = Array4::zeros(c.input_shape);
        pool2d_x_backward_into(
            kind,
            params,
            dy.view(),
            argmax.as_ref().map(|a| a.view()),
            dx.view_mut(),
        )
        .unwrap();
        close(
            &format!("{} pool dx", c.kind),
            dx.as_slice().unwrap(),
            &c.dx,
        );
    }
}

#[test]
fn activation_backward_matches_numpy() {
    for c in fixtures().activations {
        let activation = match c.name.as_str() {
            "relu" => Activation::Relu,
            _ => Activation::Tanh,
        };
        let x = Array1::from(c.x.clone());
        let dy = Array1::from(c.dy.clone());
        let y = activation.forward(x.view());
        close(&format!("{} y", c.name), y.as_slice().unwrap(), &c.y);
        let dx = activation_x_backward(activation, dy.view(), x.view()).unwrap();
        close(&format!("{} dx", c.name), dx.as_slice().unwrap(), &c.dx);
    }
}

#[test]
fn cross_entropy_matches_numpy() {
    for c in fixtures().cross_entropy {
        let z = matrix(c.batch, c.classes, &c.logits);
        let (loss, grad) = softmax_cross_entropy(z.view(), &c.labels).unwrap();
        close("cross-entropy loss", &[loss], &[c.loss]);
        close("cross-entropy grad", grad.as_slice().unwrap(), &c.grad);
    }
}

#[test]
fn optimizer_steps_match_numpy() {
    let cases = fixtures().optimizers;
    assert!(cases.iter().any(|c| c.kind == "sgd") && cases.iter().any(|c| c.kind == "adam"));
    for c in cases {
        let mut opt: Box<dyn Optimizer> = match c.kind.as_str() {
            "sgd" => Box::new(
                SgdConfig::new(c.lr)
                    .with_momentum(c.momentum)
                    .with_weight_decay(c.weight_decay)
                    .init()
                    .unwrap(),
            ),
            _ => Box::new(
                AdamConfig {
                    lr: c.lr,
                    beta1: c.beta1,
                    beta2: c.beta2,
                    eps: c.eps,
                    weight_decay: c.weight_decay,
                }
                .init()
                .unwrap(),
            ),
        };
        let mut p = c.param.clone();
        for (step, (g, want)) in c.grads.iter().zip(&c.after).enumerate() {
            opt.step(&mut [&mut p[..]], &[&g[..]]).unwrap();
            close(&format!("{} step {}", c.kind, step + 1), &p, want);
        }
    }
}
