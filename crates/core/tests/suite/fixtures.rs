//! Reference values from numpy (`tests/fixtures/gen_fixtures.py`, an independent
//! straightforward float64 implementation, seeded). Tolerance: rtol 1e-4, atol 1e-5.
//! The JSON is compiled in with `include_str!`, so these tests also run in wasm.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use convscope_core::activation::{log_softmax_backward, softmax_backward};
use convscope_core::{
    Activation, Conv2dParams, ConvTranspose2dParams, Pool2dParams, PoolKind, conv_transpose2d,
    conv_transpose2d_reference, conv2d, conv2d_reference, log_softmax, max_pool2d_with_indices,
    pool2d, softmax,
};
use ndarray::Array1;
use serde::Deserialize;

use crate::compare;
use compare::{close, tensor};

const JSON: &str = include_str!("../fixtures/reference.json");

#[derive(Deserialize)]
struct Fixtures {
    conv2d: Vec<ConvCase>,
    conv_transpose2d: Vec<ConvCase>,
    pool2d: Vec<PoolCase>,
    activations: Vec<ActCase>,
    softmax: Vec<SoftmaxCase>,
}

#[derive(Deserialize)]
struct ConvCase {
    name: String,
    input_shape: [usize; 4],
    input: Vec<f32>,
    weight_shape: [usize; 4],
    weight: Vec<f32>,
    bias: Option<Vec<f32>>,
    stride: [usize; 2],
    padding: [usize; 2],
    #[serde(default)]
    output_padding: [usize; 2],
    dilation: [usize; 2],
    groups: usize,
    output_shape: [usize; 4],
    output: Vec<f32>,
}

#[derive(Deserialize)]
struct PoolCase {
    name: String,
    kind: String,
    input_shape: [usize; 4],
    input: Vec<f32>,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    output_shape: [usize; 4],
    output: Vec<f32>,
    argmax: Option<Vec<usize>>,
}

#[derive(Deserialize)]
struct ActCase {
    name: String,
    slope: Option<f32>,
    x: Vec<f32>,
    y: Vec<f32>,
    dy: Vec<f32>,
}

#[derive(Deserialize)]
struct SoftmaxCase {
    x: Vec<f32>,
    softmax: Vec<f32>,
    log_softmax: Vec<f32>,
    grad: Vec<f32>,
    softmax_backward: Vec<f32>,
    log_softmax_backward: Vec<f32>,
}

fn fixtures() -> Fixtures {
    serde_json::from_str(JSON).expect("reference.json parses")
}

#[test]
fn conv2d_matches_numpy() {
    for c in fixtures().conv2d {
        let x = tensor(c.input_shape, &c.input);
        let w = tensor(c.weight_shape, &c.weight);
        let b = c.bias.map(Array1::from);
        let p = Conv2dParams {
            stride: c.stride,
            padding: c.padding,
            dilation: c.dilation,
            groups: c.groups,
        };
        for (path, y) in [
            (
                "fast",
                conv2d(x.view(), w.view(), b.as_ref().map(|b| b.view()), p),
            ),
            (
                "reference",
                conv2d_reference(x.view(), w.view(), b.as_ref().map(|b| b.view()), p),
            ),
        ] {
            let y = y.unwrap();
            assert_eq!(y.shape(), c.output_shape, "{} {path}", c.name);
            close(
                &format!("conv2d {} {path}", c.name),
                y.as_slice().unwrap(),
                &c.output,
            );
        }
    }
}

#[test]
fn conv_transpose2d_matches_numpy() {
    for c in fixtures().conv_transpose2d {
        let x = tensor(c.input_shape, &c.input);
        let w = tensor(c.weight_shape, &c.weight);
        let b = c.bias.map(Array1::from);
        let p = ConvTranspose2dParams {
            stride: c.stride,
            padding: c.padding,
            output_padding: c.output_padding,
            dilation: c.dilation,
            groups: c.groups,
        };
        for (path, y) in [
            (
                "fast",
                conv_transpose2d(x.view(), w.view(), b.as_ref().map(|b| b.view()), p),
            ),
            (
                "reference",
                conv_transpose2d_reference(x.view(), w.view(), b.as_ref().map(|b| b.view()), p),
            ),
        ] {
            let y = y.unwrap();
            assert_eq!(y.shape(), c.output_shape, "{} {path}", c.name);
            close(
                &format!("conv_transpose2d {} {path}", c.name),
                y.as_slice().unwrap(),
                &c.output,
            );
        }
    }
}

#[test]
fn pooling_matches_numpy() {
    for c in fixtures().pool2d {
        let x = tensor(c.input_shape, &c.input);
        let p = Pool2dParams {
            kernel: c.kernel,
            stride: c.stride,
            padding: c.padding,
        };
        let kind = match c.kind.as_str() {
            "max" => PoolKind::Max,
            "avg" => PoolKind::Average,
            _ => PoolKind::Sum,
        };
        let y = pool2d(x.view(), kind, p).unwrap();
        assert_eq!(y.shape(), c.output_shape, "{}", c.name);
        close(
            &format!("pool2d {}", c.name),
            y.as_slice().unwrap(),
            &c.output,
        );
        if let Some(arg) = c.argmax {
            let (v, idx) = max_pool2d_with_indices(x.view(), p).unwrap();
            assert_eq!(v, y);
            assert_eq!(idx.as_slice().unwrap(), &arg[..], "{} argmax", c.name);
        }
    }
}

#[test]
fn activations_match_numpy() {
    for c in fixtures().activations {
        let a = match c.name.as_str() {
            "relu" => Activation::Relu,
            "leaky_relu" => Activation::leaky_relu(c.slope.unwrap()).unwrap(),
            "sigmoid" => Activation::Sigmoid,
            _ => Activation::Tanh,
        };
        let y: Vec<f32> = c.x.iter().map(|&v| a.apply(v)).collect();
        let dy: Vec<f32> = c.x.iter().map(|&v| a.derivative(v)).collect();
        close(&c.name, &y, &c.y);
        close(&format!("{}'", c.name), &dy, &c.dy);
    }
}

#[test]
fn softmax_and_log_softmax_match_numpy() {
    for c in fixtures().softmax {
        let y = softmax(&c.x);
        close("softmax", &y, &c.softmax);
        let ly = log_softmax(&c.x);
        close("log_softmax", &ly, &c.log_softmax);
        close(
            "softmax backward",
            &softmax_backward(&y, &c.grad).unwrap(),
            &c.softmax_backward,
        );
        close(
            "log_softmax backward",
            &log_softmax_backward(&ly, &c.grad).unwrap(),
            &c.log_softmax_backward,
        );
    }
}
