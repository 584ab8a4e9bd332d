//! The models the worker keeps: parsed once from safetensors, then used by name.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use convscope_core::arch::{LayerKind, Op, Volume};
use convscope_core::data::DatasetKind;
use convscope_core::nn::Network;
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
    pub net: Network,
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
    lenet_shaped(&net)?;
    super::classify::warm_up(&net);
    let summary = summarize(&name, &net, &meta)?;
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

/// LeNet-5's layers in order, with each output volume: what this page draws.
const LENET_SHAPE: [(LayerKind, [usize; 3]); 12] = [
    (LayerKind::Conv, [28, 28, 6]),
    (LayerKind::Activation, [28, 28, 6]),
    (LayerKind::MaxPool, [14, 14, 6]),
    (LayerKind::Conv, [10, 10, 16]),
    (LayerKind::Activation, [10, 10, 16]),
    (LayerKind::MaxPool, [5, 5, 16]),
    (LayerKind::Flatten, [1, 1, 400]),
    (LayerKind::Linear, [1, 1, 120]),
    (LayerKind::Activation, [1, 1, 120]),
    (LayerKind::Linear, [1, 1, 84]),
    (LayerKind::Activation, [1, 1, 84]),
    (LayerKind::Linear, [1, 1, 10]),
];

/// Refuses a network this page cannot draw layer by layer: it shows LeNet-5's twelve layers
/// (any activation and pooling).
pub(crate) fn lenet_shaped(net: &Network) -> Result<(), String> {
    let report = net.report();
    let pooling = |k: LayerKind| {
        matches!(
            k,
            LayerKind::MaxPool | LayerKind::AvgPool | LayerKind::SumPool
        )
    };
    let same = report.layers.len() == LENET_SHAPE.len()
        && report
            .layers
            .iter()
            .zip(LENET_SHAPE)
            .all(|(l, (kind, [h, w, c]))| {
                (l.kind == kind || (pooling(l.kind) && pooling(kind)))
                    && l.output == Volume::new(h, w, c)
            })
        && ["conv1.weight", "conv2.weight"]
            .iter()
            .all(|n| net.tensor(n).is_some());
    if same {
        Ok(())
    } else {
        Err(format!(
            "this page draws LeNet-5-shaped networks (conv1 6 5x5 … fc3 10); the file holds {}: {}",
            net.description().name,
            net.description().to_text()
        ))
    }
}

/// Describes a LeNet-shaped model (see [`lenet_shaped`]).
///
/// # Errors
/// When a LeNet-5 tensor is missing.
pub fn summarize(name: &str, net: &Network, meta: &ModelMetadata) -> Result<ModelSummary, String> {
    let layers = &net.description().layers;
    let activation = layers
        .iter()
        .find_map(|l| match l.op {
            Op::Activation { function } => Some(function.to_string()),
            _ => None,
        })
        .unwrap_or_default();
    let pool = layers
        .iter()
        .find_map(|l| l.op.as_pool().map(|(k, _)| k.to_string()))
        .unwrap_or_default();
    let tensor = |n: &str| {
        net.tensor(n)
            .map(|t| t.data.clone())
            .ok_or_else(|| format!("the model has no tensor {n}"))
    };
    Ok(ModelSummary {
        name: name.to_owned(),
        class_names: meta.class_names.clone(),
        dataset: meta.dataset.map(|d| d.name().to_owned()),
        activation,
        pool,
        accuracy: meta.accuracy,
        accuracy_on: meta.accuracy_on.clone(),
        parameters: usize::try_from(net.parameter_count()).unwrap_or(usize::MAX),
        conv1_weight: tensor("conv1.weight")?,
        conv1_bias: tensor("conv1.bias").unwrap_or_default(),
        conv2_weight: tensor("conv2.weight")?,
        conv2_bias: tensor("conv2.bias").unwrap_or_default(),
    })
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
    fn a_network_this_page_cannot_draw_is_refused_with_its_description() -> Result<(), String> {
        use convscope_core::arch::Architecture;
        use convscope_core::nn::Rng;
        let arch = Architecture::from_text("conv 4 3x3, relu, maxpool 2, flatten, linear 10")
            .map_err(|e| e.to_string())?;
        let net = Network::build(&arch, &mut Rng::seed_from_u64(0)).map_err(|e| e.to_string())?;
        let bytes = weights::to_safetensors(&net, &ModelMetadata::new(DatasetKind::Mnist))
            .map_err(|e| e.to_string())?;
        let e = load("small".into(), &bytes).err().unwrap_or_default();
        assert!(e.contains("LeNet-5-shaped"), "{e}");
        assert!(e.contains("conv 4 3x3, relu, maxpool 2"), "{e}");
        Ok(())
    }

    #[test]
    fn refuses_empty_and_garbage_files() {
        assert!(load("x".into(), &[]).is_err_and(|e| e.contains("empty")));
        assert!(load("x".into(), b"not a model").is_err());
        assert!(get("never-loaded").is_err_and(|e| e.contains("never-loaded")));
    }
}
