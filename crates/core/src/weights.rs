//! Weights files: any [`Network`] as safetensors, with PyTorch `state_dict` names and
//! layouts, and its description in the metadata so that a file alone rebuilds its network.
//!
//! Tensors: every parameter and buffer under its name (`conv1.weight` `[6, 1, 5, 5]`,
//! `fc1.bias` `[120]`, `block1.bn1.running_mean` `[16]`), `F32` little-endian, and batch
//! norm's `num_batches_tracked` as a 0-dimensional `I64`, exactly what
//! `safetensors.torch.load_file` gives `module.load_state_dict(..., strict=True)`.
//!
//! `__metadata__` (all strings): `format` = `pt`; `network` = the description as JSON (the
//! serde form of [`Architecture`]); `architecture` = its name; `dataset` (`mnist`,
//! `fashion`), `class_names` (a JSON array, one name per output), and optionally `accuracy`
//! (fraction in `[0, 1]`) with `accuracy_on` describing the test set.
//!
//! Files written before descriptions travelled (the shipped LeNet-5 files of earlier
//! releases) have no `network` key: they load as [`zoo::lenet5_with`] the `activation` and
//! `pooling` they record (ReLU and max pooling when absent, as for a file exported from
//! PyTorch).
//!
//! [`from_safetensors`] takes bytes (`&[u8]`), so the web app can load a fetched file; it
//! never panics: a malformed file, a description that cannot be built, a missing or
//! unexpected tensor, a wrong shape or dtype, or a NaN/∞ value is a [`WeightsError`] naming
//! the tensor. Nor does it allocate more than the file's size for the network's
//! parameters: a description with more parameters than the file has bytes for is refused
//! before the network is built ([`WeightsError::TooManyParameters`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use thiserror::Error;

use crate::activation::Activation;
use crate::arch::{Architecture, zoo};
use crate::data::DatasetKind;
use crate::format::parse_f64;
use crate::nn::{Network, NnError};
use crate::pool::PoolKind;
use crate::rng::Rng;

/// The largest description (JSON bytes) a file may carry: far above any network this
/// crate can train, far below what would strain a browser tab.
pub const MAX_DESCRIPTION_BYTES: usize = 1 << 20;

/// Why weights cannot be read or written.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum WeightsError {
    /// Not a safetensors file (bad header, truncated data, …).
    #[error("not a valid safetensors file: {message}")]
    Malformed { message: String },
    /// The description in the file cannot be built into a network.
    #[error("the network described in the file cannot be built: {0}")]
    Network(NnError),
    /// The description has more parameters than the file has bytes for: refused before
    /// anything is allocated, so a small file cannot make the loader allocate gigabytes.
    #[error(
        "the network described in the file has {parameters} parameters, {needed} bytes as F32, but the whole file has only {file_bytes} bytes"
    )]
    TooManyParameters {
        parameters: u64,
        needed: u64,
        file_bytes: u64,
    },
    /// A tensor of the network is absent.
    #[error("tensor '{name}' is missing")]
    MissingTensor { name: String },
    /// The file holds a tensor the network does not have.
    #[error("tensor '{name}' is not part of the network {network}")]
    UnexpectedTensor { name: String, network: String },
    /// A tensor has another shape.
    #[error("tensor '{name}' has shape {got:?} but the network needs {expected:?}")]
    WrongShape {
        name: String,
        got: Vec<usize>,
        expected: Vec<usize>,
    },
    /// A tensor has another dtype.
    #[error("tensor '{name}' has dtype {got} but {expected} is needed")]
    WrongDtype {
        name: String,
        got: String,
        expected: &'static str,
    },
    /// A tensor holds NaN or ±∞ (or a negative count).
    #[error("tensor '{name}' holds the invalid value {value} at flat index {index}")]
    NonFinite {
        name: String,
        index: usize,
        value: f64,
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

/// What a weights file records besides the network.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelMetadata {
    /// The dataset it was trained on, if known.
    pub dataset: Option<DatasetKind>,
    /// The class names in label order, one per output.
    pub class_names: Vec<String>,
    /// Measured accuracy in `[0, 1]`, if any.
    pub accuracy: Option<f64>,
    /// What the accuracy was measured on (e.g. "2000 held-out digits").
    pub accuracy_on: Option<String>,
}

impl ModelMetadata {
    /// Metadata for a model trained on `dataset` (its class names), no accuracy.
    pub fn new(dataset: DatasetKind) -> Self {
        Self {
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

/// Serialises `net` and `meta` as safetensors bytes.
///
/// # Errors
/// [`WeightsError::Serialize`] if the description cannot be written as JSON or the
/// safetensors writer fails.
pub fn to_safetensors(net: &Network, meta: &ModelMetadata) -> Result<Vec<u8>, WeightsError> {
    let ser = |e: &dyn std::fmt::Display| WeightsError::Serialize {
        message: e.to_string(),
    };
    let floats = net.parameters().iter().chain(net.buffers());
    let mut data: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = floats
        .map(|t| {
            let bytes = t.data.iter().flat_map(|v| v.to_le_bytes()).collect();
            (t.name.clone(), Dtype::F32, t.shape.clone(), bytes)
        })
        .collect();
    for (name, count) in net.batches_tracked() {
        let count = i64::try_from(*count).unwrap_or(i64::MAX);
        data.push((
            name.clone(),
            Dtype::I64,
            Vec::new(),
            count.to_le_bytes().to_vec(),
        ));
    }
    let mut views = Vec::with_capacity(data.len());
    for (name, dtype, shape, bytes) in &data {
        views.push((
            name.as_str(),
            TensorView::new(*dtype, shape.clone(), bytes).map_err(|e| ser(&e))?,
        ));
    }
    let description = net.description();
    let mut info = BTreeMap::new();
    info.insert("format".to_owned(), "pt".to_owned());
    info.insert(
        "network".to_owned(),
        serde_json::to_string(description).map_err(|e| ser(&e))?,
    );
    info.insert("architecture".to_owned(), description.name.clone());
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
    serialize_sorted(views, info).map_err(|e| ser(&e))
}

/// `safetensors::serialize` with the metadata in key order. The crate writes its metadata
/// map in a `HashMap`'s order, which differs from map to map, so the same tensors written
/// twice differed in their header: a model retrained bit for bit the same was still a
/// changed file. The header is written again with `metadata` sorted (same length: only the
/// order changes); the tensors' entries are the crate's (perhaps listed in another order:
/// their offsets, not their order, place them) and so are the data.
///
/// # Errors
/// The crate's, for tensors it cannot write.
pub(crate) fn serialize_sorted<V: safetensors::View>(
    views: Vec<(&str, V)>,
    metadata: BTreeMap<String, String>,
) -> Result<Vec<u8>, safetensors::SafeTensorError> {
    use serde_json::{Map, Value};
    let bytes = safetensors::serialize(views, Some(metadata.clone().into_iter().collect()))?;
    let Some(&len) = bytes.first_chunk::<8>() else {
        return Ok(bytes);
    };
    let n = usize::try_from(u64::from_le_bytes(len)).unwrap_or(usize::MAX);
    let Some(Ok(Value::Object(mut header))) = bytes
        .get(8..8usize.saturating_add(n))
        .map(serde_json::from_slice::<Value>)
    else {
        return Ok(bytes);
    };
    let sorted: Map<String, Value> = metadata
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    header.insert("__metadata__".to_owned(), Value::Object(sorted));
    match serde_json::to_string(&Value::Object(header)) {
        // The same entries in another order: never longer than the crate's header.
        Ok(text) if text.len() <= n => {
            let mut out = Vec::with_capacity(bytes.len());
            out.extend_from_slice(&len);
            out.extend_from_slice(text.as_bytes());
            out.resize(8 + n, b' ');
            out.extend_from_slice(&bytes[8 + n..]);
            Ok(out)
        }
        _ => Ok(bytes),
    }
}

fn check_dtype(
    name: &str,
    t: &TensorView<'_>,
    dtype: Dtype,
    expected: &'static str,
) -> Result<(), WeightsError> {
    if t.dtype() == dtype {
        Ok(())
    } else {
        Err(WeightsError::WrongDtype {
            name: name.to_owned(),
            got: format!("{:?}", t.dtype()),
            expected,
        })
    }
}

fn read_f32(
    st: &SafeTensors<'_>,
    name: &str,
    expected: &[usize],
) -> Result<Vec<f32>, WeightsError> {
    let t = st.tensor(name).map_err(|_| WeightsError::MissingTensor {
        name: name.to_owned(),
    })?;
    check_dtype(name, &t, Dtype::F32, "F32")?;
    if t.shape() != expected {
        return Err(WeightsError::WrongShape {
            name: name.to_owned(),
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
        return Err(WeightsError::NonFinite {
            name: name.to_owned(),
            index,
            value: f64::from(value),
        });
    }
    Ok(values)
}

fn read_count(st: &SafeTensors<'_>, name: &str) -> Result<u64, WeightsError> {
    let t = st.tensor(name).map_err(|_| WeightsError::MissingTensor {
        name: name.to_owned(),
    })?;
    check_dtype(name, &t, Dtype::I64, "I64")?;
    if !(t.shape().is_empty() || t.shape() == [1]) {
        return Err(WeightsError::WrongShape {
            name: name.to_owned(),
            got: t.shape().to_vec(),
            expected: Vec::new(),
        });
    }
    let b = t.data();
    let v = b
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, i64::from_le_bytes);
    u64::try_from(v).map_err(|_| WeightsError::NonFinite {
        name: name.to_owned(),
        index: 0,
        value: v as f64,
    })
}

/// The description a file carries, or for a file without one LeNet-5 with the activation
/// and pooling it records.
fn description(info: &HashMap<String, String>) -> Result<Architecture, WeightsError> {
    if let Some(json) = info.get("network") {
        if json.len() > MAX_DESCRIPTION_BYTES {
            return Err(WeightsError::Metadata {
                key: "network",
                value: format!("{} bytes of JSON", json.len()),
                message: format!("a description may take at most {MAX_DESCRIPTION_BYTES} bytes"),
            });
        }
        return Architecture::from_json(json).map_err(|e| WeightsError::Metadata {
            key: "network",
            value: json.chars().take(80).collect(),
            message: e.to_string(),
        });
    }
    if let Some(name) = info
        .get("architecture")
        .filter(|n| !n.starts_with("lenet5"))
    {
        return Err(WeightsError::Metadata {
            key: "architecture",
            value: name.clone(),
            message: "the file has no 'network' description; only LeNet-5 files may omit it"
                .to_owned(),
        });
    }
    let activation = info
        .get("activation")
        .map_or(Ok(Activation::Relu), |s| parse_meta("activation", s))?;
    let pool = info
        .get("pooling")
        .map_or(Ok(PoolKind::Max), |s| parse_meta("pooling", s))?;
    Ok(zoo::lenet5_with(activation, pool))
}

/// Reads a network and its metadata from safetensors bytes, strictly: every tensor of the
/// network must be present with its shape, and no other tensor may be.
///
/// # Errors
/// [`WeightsError`] naming the problem and, for tensors, the tensor.
pub fn from_safetensors(bytes: &[u8]) -> Result<(Network, ModelMetadata), WeightsError> {
    let malformed = |e: &dyn std::fmt::Display| WeightsError::Malformed {
        message: e.to_string(),
    };
    let st = SafeTensors::deserialize(bytes).map_err(|e| malformed(&e))?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| malformed(&e))?;
    let empty = HashMap::new();
    let info = header.metadata().as_ref().unwrap_or(&empty);
    let arch = description(info)?;
    // Every parameter is an F32 tensor in the file: a description with more parameters than
    // the file has bytes for cannot match it, and building it first could exhaust memory.
    let report = arch
        .evaluate()
        .map_err(|e| WeightsError::Network(NnError::Description(e)))?;
    // A network over the memory limit gets that message, whatever the file holds.
    crate::nn::network::check_parameter_memory(&arch.name, report.totals.params)
        .map_err(WeightsError::Network)?;
    let needed = report.totals.params.saturating_mul(4);
    let file_bytes = bytes.len() as u64;
    if needed > file_bytes {
        return Err(WeightsError::TooManyParameters {
            parameters: report.totals.params,
            needed,
            file_bytes,
        });
    }
    // Initialisation is overwritten tensor by tensor; the seed does not matter.
    let mut net =
        Network::build(&arch, &mut Rng::seed_from_u64(0)).map_err(WeightsError::Network)?;
    let dataset = match info.get("dataset") {
        None => None,
        Some(s) => Some(parse_meta::<DatasetKind>("dataset", s)?),
    };
    let classes = net.output_len();
    let class_names: Vec<String> = match info.get("class_names") {
        Some(s) => {
            let names: Vec<String> =
                serde_json::from_str(s).map_err(|e| WeightsError::Metadata {
                    key: "class_names",
                    value: s.clone(),
                    message: e.to_string(),
                })?;
            if names.len() != classes {
                return Err(WeightsError::Metadata {
                    key: "class_names",
                    value: s.clone(),
                    message: format!(
                        "{} names, but the network has {classes} outputs",
                        names.len()
                    ),
                });
            }
            names
        }
        None => match dataset {
            Some(d) if d.class_names().len() == classes => {
                d.class_names().iter().map(|s| (*s).to_owned()).collect()
            }
            _ if classes == 10 && dataset.is_none() => DatasetKind::Mnist
                .class_names()
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            _ => (0..classes).map(|i| format!("class {i}")).collect(),
        },
    };
    let accuracy = match info.get("accuracy") {
        None => None,
        Some(s) => Some(
            parse_f64(s)
                .filter(|a| (0.0..=1.0).contains(a))
                .ok_or_else(|| WeightsError::Metadata {
                    key: "accuracy",
                    value: s.clone(),
                    message: "expected a fraction in [0, 1]".into(),
                })?,
        ),
    };
    let expected: Vec<(String, Vec<usize>)> = net
        .parameters()
        .iter()
        .chain(net.buffers())
        .map(|t| (t.name.clone(), t.shape.clone()))
        .collect();
    let counters: Vec<String> = net
        .batches_tracked()
        .iter()
        .map(|(n, _)| n.clone())
        .collect();
    let known: HashSet<&str> = expected
        .iter()
        .map(|(n, _)| n.as_str())
        .chain(counters.iter().map(String::as_str))
        .collect();
    // The alphabetically first tensor the network does not have, so the message is the same
    // whatever the file's order.
    if let Some(extra) = st.names().into_iter().filter(|n| !known.contains(n)).min() {
        return Err(WeightsError::UnexpectedTensor {
            name: extra.to_owned(),
            network: arch.name.clone(),
        });
    }
    for (name, shape) in &expected {
        let values = read_f32(&st, name, shape)?;
        net.set_tensor(name, &values)
            .map_err(WeightsError::Network)?;
    }
    for name in &counters {
        let count = read_count(&st, name)?;
        net.set_batches_tracked(name, count)
            .map_err(WeightsError::Network)?;
    }
    Ok((
        net,
        ModelMetadata {
            dataset,
            class_names,
            accuracy,
            accuracy_on: info.get("accuracy_on").cloned(),
        },
    ))
}
