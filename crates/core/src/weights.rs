//! LeNet-5 weights as safetensors, with PyTorch `state_dict` names and layouts.
//!
//! Tensors: `conv1.weight` `[6, 1, 5, 5]`, `conv1.bias` `[6]`, `conv2.weight`
//! `[16, 6, 5, 5]`, `conv2.bias` `[16]`, `fc1.weight` `[120, 400]`, `fc1.bias` `[120]`,
//! `fc2.weight` `[84, 120]`, `fc2.bias` `[84]`, `fc3.weight` `[10, 84]`, `fc3.bias` `[10]`,
//! all `F32` little-endian — the file `torch.save`-free PyTorch code reads with
//! `safetensors.torch.load_file` into `LeNet5().load_state_dict(...)`.
//!
//! `__metadata__` (all strings): `format` = `pt`, `architecture` = `lenet5`,
//! `activation` (`relu`, `tanh`, `sigmoid`, `identity`, `leaky_relu:<slope>`),
//! `pooling` (`max`, `average`, `sum`), `dataset` (`mnist`, `fashion`), `class_names`
//! (a JSON array of ten strings), and optionally `accuracy` (fraction in `[0, 1]`) with
//! `accuracy_on` describing the test set. A file without our metadata (e.g. exported from
//! PyTorch) loads as ReLU + max pooling with digit class names.
//!
//! [`from_safetensors`] takes bytes (`&[u8]`), so the web app can load a fetched file; it
//! never panics: a malformed file, a missing tensor, a wrong shape or dtype, or a NaN/∞
//! value is a [`WeightsError`] naming the tensor.

use std::collections::HashMap;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use thiserror::Error;

use crate::activation::Activation;
use crate::data::DatasetKind;
use crate::nn::lenet::{LeNet, LeNetConfig, PARAMETER_NAMES, parameter_shapes};
use crate::pool::PoolKind;

/// Why weights cannot be read or written.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum WeightsError {
    /// Not a safetensors file (bad header, truncated data, …).
    #[error("not a valid safetensors file: {message}")]
    Malformed { message: String },
    /// A LeNet-5 tensor is absent.
    #[error("tensor '{name}' is missing")]
    MissingTensor { name: &'static str },
    /// A tensor has another shape.
    #[error("tensor '{name}' has shape {got:?} but LeNet-5 needs {expected:?}")]
    WrongShape {
        name: &'static str,
        got: Vec<usize>,
        expected: Vec<usize>,
    },
    /// A tensor is not F32.
    #[error("tensor '{name}' has dtype {got} but F32 is needed")]
    WrongDtype { name: &'static str, got: String },
    /// A tensor holds NaN or ±∞.
    #[error("tensor '{name}' holds the non-finite value {value} at flat index {index}")]
    NonFinite {
        name: &'static str,
        index: usize,
        value: f32,
    },
    /// A metadata entry cannot be understood.
    #[error("metadata '{key}' = '{value}': {message}")]
    Metadata {
        key: &'static str,
        value: String,
        message: String,
    },
    /// Writing failed.
    #[error("cannot write safetensors: {message}")]
    Serialize { message: String },
}

/// What a weights file records besides the tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelMetadata {
    /// Activation and pooling.
    pub config: LeNetConfig,
    /// The dataset it was trained on, if known.
    pub dataset: Option<DatasetKind>,
    /// The ten class names in label order.
    pub class_names: Vec<String>,
    /// Measured accuracy in `[0, 1]`, if any.
    pub accuracy: Option<f64>,
    /// What the accuracy was measured on (e.g. "2000 held-out digits").
    pub accuracy_on: Option<String>,
}

impl ModelMetadata {
    /// Metadata for a model of `config` trained on `dataset` (its class names), no accuracy.
    pub fn new(config: LeNetConfig, dataset: DatasetKind) -> Self {
        Self {
            config,
            dataset: Some(dataset),
            class_names: dataset
                .class_names()
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            accuracy: None,
            accuracy_on: None,
        }
    }
}

fn parse_meta<T: std::str::FromStr>(key: &'static str, s: &str) -> Result<T, WeightsError>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| WeightsError::Metadata {
        key,
        value: s.to_owned(),
        message: e.to_string(),
    })
}

/// Serialises `model` and `meta` as safetensors bytes.
///
/// # Errors
/// [`WeightsError::Serialize`] if the safetensors writer fails (it does not for LeNet-5).
pub fn to_safetensors(model: &LeNet, meta: &ModelMetadata) -> Result<Vec<u8>, WeightsError> {
    let ser = |e: &dyn std::fmt::Display| WeightsError::Serialize {
        message: e.to_string(),
    };
    let params = model.parameters().map_err(|e| ser(&e))?;
    let bytes: Vec<Vec<u8>> = params
        .iter()
        .map(|p| p.iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect();
    let mut views = Vec::with_capacity(PARAMETER_NAMES.len());
    for ((name, shape), data) in PARAMETER_NAMES.iter().zip(parameter_shapes()).zip(&bytes) {
        views.push((
            *name,
            TensorView::new(Dtype::F32, shape, data).map_err(|e| ser(&e))?,
        ));
    }
    let mut info = HashMap::new();
    info.insert("format".to_owned(), "pt".to_owned());
    info.insert("architecture".to_owned(), "lenet5".to_owned());
    info.insert("activation".to_owned(), meta.config.activation.to_string());
    info.insert("pooling".to_owned(), meta.config.pool.to_string());
    if let Some(d) = meta.dataset {
        info.insert("dataset".to_owned(), d.name().to_owned());
    }
    info.insert(
        "class_names".to_owned(),
        serde_json::to_string(&meta.class_names).map_err(|e| ser(&e))?,
    );
    if let Some(a) = meta.accuracy {
        info.insert("accuracy".to_owned(), format!("{a:.6}"));
    }
    if let Some(on) = &meta.accuracy_on {
        info.insert("accuracy_on".to_owned(), on.clone());
    }
    safetensors::serialize(views, Some(info)).map_err(|e| ser(&e))
}

fn read_tensor(
    st: &SafeTensors<'_>,
    name: &'static str,
    expected: &[usize],
) -> Result<Vec<f32>, WeightsError> {
    let t = st
        .tensor(name)
        .map_err(|_| WeightsError::MissingTensor { name })?;
    if t.dtype() != Dtype::F32 {
        return Err(WeightsError::WrongDtype {
            name,
            got: format!("{:?}", t.dtype()),
        });
    }
    if t.shape() != expected {
        return Err(WeightsError::WrongShape {
            name,
            got: t.shape().to_vec(),
            expected: expected.to_vec(),
        });
    }
    let values: Vec<f32> = t
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(WeightsError::NonFinite { name, index, value });
    }
    Ok(values)
}

/// Reads a model and its metadata from safetensors bytes.
///
/// # Errors
/// [`WeightsError`] naming the problem and, for tensors, the tensor.
pub fn from_safetensors(bytes: &[u8]) -> Result<(LeNet, ModelMetadata), WeightsError> {
    let malformed = |e: &dyn std::fmt::Display| WeightsError::Malformed {
        message: e.to_string(),
    };
    let st = SafeTensors::deserialize(bytes).map_err(|e| malformed(&e))?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| malformed(&e))?;
    let empty = HashMap::new();
    let info = header.metadata().as_ref().unwrap_or(&empty);
    let activation = info
        .get("activation")
        .map_or(Ok(Activation::Relu), |s| parse_meta("activation", s))?;
    let pool = info
        .get("pooling")
        .map_or(Ok(PoolKind::Max), |s| parse_meta("pooling", s))?;
    let dataset = match info.get("dataset") {
        None => None,
        Some(s) => Some(
            s.parse::<DatasetKind>()
                .map_err(|e| WeightsError::Metadata {
                    key: "dataset",
                    value: s.clone(),
                    message: e.to_string(),
                })?,
        ),
    };
    let class_names: Vec<String> = match info.get("class_names") {
        Some(s) => {
            let names: Vec<String> =
                serde_json::from_str(s).map_err(|e| WeightsError::Metadata {
                    key: "class_names",
                    value: s.clone(),
                    message: e.to_string(),
                })?;
            if names.len() != 10 {
                return Err(WeightsError::Metadata {
                    key: "class_names",
                    value: s.clone(),
                    message: format!("{} names, 10 expected", names.len()),
                });
            }
            names
        }
        None => dataset
            .unwrap_or(DatasetKind::Mnist)
            .class_names()
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
    };
    let accuracy = match info.get("accuracy") {
        None => None,
        Some(s) => Some(
            s.parse::<f64>()
                .ok()
                .filter(|a| (0.0..=1.0).contains(a))
                .ok_or_else(|| WeightsError::Metadata {
                    key: "accuracy",
                    value: s.clone(),
                    message: "expected a fraction in [0, 1]".into(),
                })?,
        ),
    };
    let mut tensors = Vec::with_capacity(PARAMETER_NAMES.len());
    for (name, shape) in PARAMETER_NAMES.iter().zip(parameter_shapes()) {
        tensors.push(read_tensor(&st, name, &shape)?);
    }
    let config = LeNetConfig { activation, pool };
    let model = config.init_with(tensors).map_err(|e| malformed(&e))?;
    Ok((
        model,
        ModelMetadata {
            config,
            dataset,
            class_names,
            accuracy,
            accuracy_on: info.get("accuracy_on").cloned(),
        },
    ))
}
