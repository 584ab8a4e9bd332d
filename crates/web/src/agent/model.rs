//! The models the worker keeps: parsed once from safetensors, then used by name.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use convscope_core::data::DatasetKind;
use convscope_core::nn::LeNet;
use convscope_core::preprocess::Style;
use convscope_core::weights::{self, ModelMetadata};
use serde::{Deserialize, Serialize};

thread_local! {
    static MODELS: RefCell<HashMap<String, Rc<Kept>>> = RefCell::new(HashMap::new());
}

/// A model the worker keeps, with how its inputs are framed.
#[derive(Debug)]
pub struct Kept {
    /// The network.
    pub net: LeNet,
    /// Fashion-MNIST models frame an object; others (MNIST, unknown) a digit.
    pub style: Style,
}

/// What the page needs to know about a loaded model: its metadata and its convolution
/// filters (for the filter views and the convolution stepper).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// The name it is kept under.
    pub name: String,
    /// The ten class names in label order.
    pub class_names: Vec<String>,
    /// Dataset it was trained on ("MNIST", "Fashion-MNIST"), if the file says.
    pub dataset: Option<String>,
    /// Activation after conv1, conv2, fc1, fc2, in [`convscope_core::Activation`]'s
    /// one spelling (`Display`, parsed back with `FromStr`).
    pub activation: String,
    /// Pooling, in [`convscope_core::PoolKind`]'s one spelling.
    pub pool: String,
    /// Accuracy recorded in the file, in `[0, 1]`.
    pub accuracy: Option<f64>,
    /// What that accuracy was measured on.
    pub accuracy_on: Option<String>,
    /// Trainable parameters (61,706 for LeNet-5).
    pub parameters: usize,
    /// conv1 weights `[6, 1, 5, 5]`, row-major.
    pub conv1_weight: Vec<f32>,
    /// conv1 biases `[6]`.
    pub conv1_bias: Vec<f32>,
    /// conv2 weights `[16, 6, 5, 5]`, row-major.
    pub conv2_weight: Vec<f32>,
    /// conv2 biases `[16]`.
    pub conv2_bias: Vec<f32>,
}

/// Parses `bytes` as a LeNet safetensors file and keeps it under `name`.
///
/// # Errors
/// The core's message for a file that is not a LeNet-5 safetensors file.
pub fn load(name: String, bytes: &[u8]) -> Result<ModelSummary, String> {
    if bytes.is_empty() {
        return Err("the model file is empty".into());
    }
    let (net, meta) = weights::from_safetensors(bytes).map_err(|e| e.to_string())?;
    super::classify::warm_up(&net);
    let summary = summarize(&name, &net, &meta);
    let style = match meta.dataset {
        Some(DatasetKind::Fashion) => Style::Object,
        _ => Style::Digit,
    };
    MODELS.with(|m| m.borrow_mut().insert(name, Rc::new(Kept { net, style })));
    Ok(summary)
}

/// The model kept under `name`.
///
/// # Errors
/// When no model of that name was loaded.
pub fn get(name: &str) -> Result<Rc<Kept>, String> {
    MODELS
        .with(|m| m.borrow().get(name).cloned())
        .ok_or_else(|| format!("no model named {name:?} is loaded in the worker"))
}

fn flat(a: impl IntoIterator<Item = f32>) -> Vec<f32> {
    a.into_iter().collect()
}

/// Describes a model.
pub fn summarize(name: &str, net: &LeNet, meta: &ModelMetadata) -> ModelSummary {
    let bias =
        |b: Option<&ndarray::Array1<f32>>| b.map(|b| flat(b.iter().copied())).unwrap_or_default();
    ModelSummary {
        name: name.to_owned(),
        class_names: meta.class_names.clone(),
        dataset: meta.dataset.map(|d| d.name().to_owned()),
        activation: net.config().activation.to_string(),
        pool: net.config().pool.to_string(),
        accuracy: meta.accuracy,
        accuracy_on: meta.accuracy_on.clone(),
        parameters: net.parameter_count(),
        conv1_weight: flat(net.conv1().weight().iter().copied()),
        conv1_bias: bias(net.conv1().bias()),
        conv2_weight: flat(net.conv2().weight().iter().copied()),
        conv2_bias: bias(net.conv2().bias()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MNIST: &[u8] = include_bytes!("../../../../www/models/lenet-mnist.safetensors");

    #[test]
    fn loads_the_shipped_model_and_describes_it() -> Result<(), String> {
        let s = load("mnist".into(), MNIST)?;
        assert_eq!(s.parameters, 61_706);
        assert_eq!(s.class_names.len(), 10);
        assert_eq!(s.conv1_weight.len(), 6 * 25);
        assert_eq!(s.conv1_bias.len(), 6);
        assert_eq!(s.conv2_weight.len(), 16 * 6 * 25);
        assert_eq!(s.conv2_bias.len(), 16);
        assert!(get("mnist").is_ok());
        Ok(())
    }

    #[test]
    fn refuses_empty_and_garbage_files() {
        assert!(load("x".into(), &[]).is_err_and(|e| e.contains("empty")));
        assert!(load("x".into(), b"not a model").is_err());
        assert!(get("never-loaded").is_err_and(|e| e.contains("never-loaded")));
    }
}
