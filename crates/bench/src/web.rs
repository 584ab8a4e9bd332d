//! The thin binding the benchmark page (`bench/page/bench.mjs`) calls: a [`Bench`] handle
//! around the [`Fixture`], its inference workspace and a training state. No math here; the
//! page does all timing, the same way for every engine.

use convscope_core::nn::Workspace;
use convscope_core::nn::lenet::{PARAMETER_NAMES, parameter_shapes};
use wasm_bindgen::prelude::*;

use crate::fixture::{Fixture, Training};

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
        })
    }

    /// The parameter names, in PyTorch's `state_dict` order.
    #[wasm_bindgen(js_name = parameterNames)]
    pub fn parameter_names() -> Vec<String> {
        PARAMETER_NAMES.iter().map(|s| (*s).to_owned()).collect()
    }

    /// The shape of parameter `name` (PyTorch layout).
    ///
    /// # Errors
    /// For a name that is not one of [`Bench::parameter_names`].
    #[wasm_bindgen(js_name = parameterShape)]
    pub fn parameter_shape(name: &str) -> Result<Vec<u32>, JsError> {
        let i = index(name)?;
        Ok(parameter_shapes()[i]
            .iter()
            .map(|&d| u32::try_from(d).unwrap_or(u32::MAX))
            .collect())
    }

    /// The values of parameter `name`, row-major.
    ///
    /// # Errors
    /// For an unknown name.
    pub fn parameter(&self, name: &str) -> Result<Vec<f32>, JsError> {
        let i = index(name)?;
        let params = self.fixture.model.parameters().map_err(js)?;
        Ok(params[i].to_vec())
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
            .logits_with(images, n, &mut self.ws)
            .map(<[f32]>::to_vec)
            .map_err(js)
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

fn index(name: &str) -> Result<usize, JsError> {
    PARAMETER_NAMES
        .iter()
        .position(|n| *n == name)
        .ok_or_else(|| {
            JsError::new(&format!(
                "no parameter `{name}`; LeNet-5 has {}",
                PARAMETER_NAMES.join(", ")
            ))
        })
}
