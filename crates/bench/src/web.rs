//! The thin binding the benchmark page (`bench/page/bench.mjs`) calls: a [`Bench`] handle
//! around the [`Fixture`], its inference workspace and a training state. No math here; the
//! page does all timing, the same way for every engine.

use convscope_core::nn::Workspace;
use convscope_core::{Conv2dParams, ConvScratch, conv2d_into};
use ndarray::{Array1, Array4};
use wasm_bindgen::prelude::*;

use crate::fixture::{Fixture, Training};
use crate::peak;

fn js(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// The fixture for one seed, ready to infer and train.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Bench {
    fixture: Fixture,
    ws: Workspace,
    training: Training,
    conv2: Conv2Case,
}

/// LeNet's conv2 on a batch of 64 (`[64, 6, 14, 14]` ∗ `[16, 6, 5, 5]` → `[64, 16, 10, 10]`),
/// with its buffers: the convolution the GFLOP/s figure is about.
#[derive(Debug)]
struct Conv2Case {
    input: Array4<f32>,
    weight: Array4<f32>,
    bias: Array1<f32>,
    output: Array4<f32>,
    scratch: ConvScratch,
}

impl Conv2Case {
    const BATCH: usize = 64;

    fn new() -> Self {
        let v = |n: usize| -> Vec<f32> {
            (0..n)
                .map(|i| ((i * 7919) % 997) as f32 / 997.0 - 0.5)
                .collect()
        };
        let shape_in = (Self::BATCH, 6, 14, 14);
        let shape_w = (16, 6, 5, 5);
        Self {
            input: Array4::from_shape_vec(shape_in, v(Self::BATCH * 6 * 14 * 14))
                .unwrap_or_else(|_| Array4::zeros(shape_in)),
            weight: Array4::from_shape_vec(shape_w, v(16 * 150))
                .unwrap_or_else(|_| Array4::zeros(shape_w)),
            bias: Array1::zeros(16),
            output: Array4::zeros((Self::BATCH, 16, 10, 10)),
            scratch: ConvScratch::default(),
        }
    }

    /// Multiply-accumulates of one call.
    const MACS: usize = Self::BATCH * 16 * 10 * 10 * 6 * 25;
}

#[wasm_bindgen]
impl Bench {
    /// The fixture made with `seed` (the same seed gives the same weights as natively).
    ///
    /// # Errors
    /// If the core cannot build LeNet-5 (it can).
    #[wasm_bindgen(constructor)]
    pub fn new(seed: u64) -> Result<Bench, JsError> {
        let fixture = Fixture::new(seed).map_err(js)?;
        let training = fixture.training(1).map_err(js)?;
        Ok(Self {
            fixture,
            ws: Workspace::new(),
            training,
            conv2: Conv2Case::new(),
        })
    }

    /// LeNet's conv2 on a batch of 64, once, through the core's fast path (`conv2d_into`).
    ///
    /// # Errors
    /// If the core refuses the shapes (it does not).
    #[wasm_bindgen(js_name = conv2Batch64)]
    pub fn conv2_batch64(&mut self) -> Result<(), JsError> {
        let c = &mut self.conv2;
        conv2d_into(
            c.input.view(),
            c.weight.view(),
            Some(c.bias.view()),
            Conv2dParams::default(),
            c.output.view_mut(),
            &mut c.scratch,
        )
        .map(|_| ())
        .map_err(js)
    }

    /// Floating-point operations of one [`Bench::conv2_batch64`] (2 per multiply-add).
    #[wasm_bindgen(js_name = conv2Flops)]
    pub fn conv2_flops() -> f64 {
        2.0 * Conv2Case::MACS as f64
    }

    /// The chain counts of the simd128 peak kernel ([`peak::CHAIN_COUNTS`]).
    #[wasm_bindgen(js_name = simdPeakChains)]
    pub fn simd_peak_chains() -> Vec<u32> {
        peak::CHAIN_COUNTS.iter().map(|&c| c as u32).collect()
    }

    /// Runs the simd128 peak kernel ([`peak::mul_add_chains`]) with `chains` chains,
    /// `iterations` times; returns its checksum.
    #[wasm_bindgen(js_name = simdPeak)]
    pub fn simd_peak(chains: u32, iterations: u32) -> Result<f32, JsError> {
        peak::mul_add_chains(chains as usize, iterations).ok_or_else(|| {
            JsError::new(&format!(
                "no peak kernel with {chains} chains (there are {:?})",
                peak::CHAIN_COUNTS
            ))
        })
    }

    /// Floating-point operations per iteration of [`Bench::simd_peak`] with `chains` chains.
    #[wasm_bindgen(js_name = simdPeakFlopsPerIteration)]
    pub fn simd_peak_flops_per_iteration(chains: u32) -> f64 {
        peak::flops_per_iteration(chains as usize)
    }

    /// The parameter names, in PyTorch's `state_dict` order.
    #[wasm_bindgen(js_name = parameterNames)]
    pub fn parameter_names(&self) -> Vec<String> {
        self.fixture
            .model
            .parameters()
            .iter()
            .map(|t| t.name.clone())
            .collect()
    }

    /// The shape of parameter `name` (PyTorch layout).
    ///
    /// # Errors
    /// For a name that is not one of [`Bench::parameter_names`].
    #[wasm_bindgen(js_name = parameterShape)]
    pub fn parameter_shape(&self, name: &str) -> Result<Vec<u32>, JsError> {
        Ok(self
            .tensor(name)?
            .shape
            .iter()
            .map(|&d| u32::try_from(d).unwrap_or(u32::MAX))
            .collect())
    }

    /// The values of parameter `name`, row-major.
    ///
    /// # Errors
    /// For an unknown name.
    pub fn parameter(&self, name: &str) -> Result<Vec<f32>, JsError> {
        Ok(self.tensor(name)?.data.clone())
    }

    /// The check image, `[1, 1, 28, 28]` row-major.
    #[wasm_bindgen(js_name = checkInput)]
    pub fn check_input(&self) -> Vec<f32> {
        self.fixture.check_input.clone()
    }

    /// The training batch, `[64, 1, 28, 28]` row-major.
    #[wasm_bindgen(js_name = trainImages)]
    pub fn train_images(&self) -> Vec<f32> {
        self.fixture.train_images.clone()
    }

    /// The training labels (64 classes).
    #[wasm_bindgen(js_name = trainLabels)]
    pub fn train_labels(&self) -> Vec<u8> {
        self.fixture.train_labels.clone()
    }

    /// Logits `[n, 10]` for `n` images (`n · 784` values), from a kept workspace.
    ///
    /// # Errors
    /// For a wrong length or `n = 0`, with the numbers.
    pub fn infer(&mut self, images: &[f32], n: usize) -> Result<Vec<f32>, JsError> {
        self.fixture
            .model
            .infer(images, n, &mut self.ws)
            .map(<[f32]>::to_vec)
            .map_err(js)
    }

    fn tensor(&self, name: &str) -> Result<&convscope_core::nn::Tensor, JsError> {
        let net = &self.fixture.model;
        net.parameters()
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = net.parameters().iter().map(|t| t.name.as_str()).collect();
                JsError::new(&format!(
                    "no parameter `{name}`; LeNet-5 has {}",
                    names.join(", ")
                ))
            })
    }

    /// One Adam step on `images` / `labels` (a copy of the model trains; inference keeps
    /// the fixture's weights). Returns the batch's mean loss.
    ///
    /// # Errors
    /// For wrong lengths, labels ≥ 10 or a diverging loss.
    #[wasm_bindgen(js_name = trainStep)]
    pub fn train_step(&mut self, images: &[f32], labels: &[u8]) -> Result<f32, JsError> {
        self.training.step(images, labels).map_err(js)
    }
}
