//! Weights files made hostile from the shipped MNIST LeNet-5.

use convscope_core::arch::{Architecture, MAX_LAYERS};
use convscope_core::data::DatasetKind;
use convscope_core::nn::{Network, Rng};
use convscope_core::weights::{ModelMetadata, to_safetensors};
use serde_json::{Map, Value};

use crate::{Case, Expect, Kind, refused};

/// How many evenly spaced truncation points through the file (besides the header's edges).
pub const TRUNCATIONS: usize = 16;

/// The file's header and data.
struct Parts {
    header: Map<String, Value>,
    data: Vec<u8>,
}

fn split(file: &[u8]) -> Result<Parts, String> {
    let len = u64::from_le_bytes(
        file.get(..8)
            .ok_or("short file")?
            .try_into()
            .map_err(|_| "short")?,
    );
    let end = 8 + usize::try_from(len).map_err(|e| e.to_string())?;
    let header: Value = serde_json::from_slice(file.get(8..end).ok_or("short header")?)
        .map_err(|e| e.to_string())?;
    let Value::Object(header) = header else {
        return Err("the header is not an object".into());
    };
    Ok(Parts {
        header,
        data: file[end..].to_vec(),
    })
}

/// A file from raw header bytes (padded with spaces to 8 bytes, as the format asks).
fn join_raw(mut header: Vec<u8>, data: &[u8]) -> Vec<u8> {
    while !header.len().is_multiple_of(8) {
        header.push(b' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out
}

fn join(header: &Map<String, Value>, data: &[u8]) -> Result<Vec<u8>, String> {
    Ok(join_raw(
        serde_json::to_vec(header).map_err(|e| e.to_string())?,
        data,
    ))
}

/// `parts` with `edit` applied to the header.
fn edited(parts: &Parts, edit: impl FnOnce(&mut Map<String, Value>)) -> Result<Vec<u8>, String> {
    let mut h = parts.header.clone();
    edit(&mut h);
    join(&h, &parts.data)
}

fn set(h: &mut Map<String, Value>, path: &[&str], v: Value) {
    let mut node = h;
    for key in &path[..path.len() - 1] {
        let Some(Value::Object(next)) = node.get_mut(*key) else {
            return;
        };
        node = next;
    }
    node.insert(path[path.len() - 1].to_owned(), v);
}

/// The byte offset in the data of element `index` of tensor `name`.
fn offset(parts: &Parts, name: &str, index: usize) -> Result<usize, String> {
    let start = parts.header[name]["data_offsets"][0]
        .as_u64()
        .ok_or(format!("{name} has no offsets"))?;
    Ok(usize::try_from(start).map_err(|e| e.to_string())? + 4 * index)
}

/// The description `text` as the JSON a weights file carries.
fn description_json(text: &str) -> Result<String, String> {
    let arch = Architecture::from_text(text).map_err(|e| e.to_string())?;
    serde_json::to_string(&arch).map_err(|e| e.to_string())
}

/// The weights cases.
///
/// # Errors
/// When the model is not a safetensors file or a network cannot be built.
pub fn cases(model: &[u8]) -> Result<Vec<Case>, String> {
    let case = |group: &str, name: &str, expect: Expect, bytes: Vec<u8>| {
        Case::new(group, name, "safetensors", Kind::Weights, expect, bytes)
    };
    let malformed = || refused("not a valid safetensors file");
    let parts = split(model)?;
    let header_end = model.len() - parts.data.len();
    let mut out = vec![case(
        "valid",
        "weights-lenet-mnist",
        Expect::Accepted,
        model.to_vec(),
    )];

    // Truncated: inside the length, at the header's edges, then evenly through the data.
    let mut points = vec![
        1,
        7,
        8,
        9,
        header_end / 2,
        header_end - 1,
        header_end,
        header_end + 1,
    ];
    points.extend(
        (1..=TRUNCATIONS).map(|k| header_end + (model.len() - header_end) * k / (TRUNCATIONS + 1)),
    );
    points.push(model.len() - 1);
    points.sort_unstable();
    points.dedup();
    for len in points {
        out.push(case(
            "truncated",
            &format!("weights-truncated-{len:06}-of-{}", model.len()),
            malformed(),
            model[..len].to_vec(),
        ));
    }
    // The Classify page says so before the loader sees it.
    out.push(case(
        "truncated",
        "weights-empty",
        refused("not a valid safetensors file | empty"),
        Vec::new(),
    ));

    // Headers that lie.
    let mut b = model.to_vec();
    b[..8].copy_from_slice(&(model.len() as u64 * 2).to_le_bytes());
    out.push(case(
        "header",
        "weights-header-larger-than-file",
        malformed(),
        b,
    ));
    let mut b = model.to_vec();
    b[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    out.push(case(
        "header",
        "weights-header-length-u64-max",
        malformed(),
        b,
    ));
    out.push(case(
        "header",
        "weights-header-not-json",
        malformed(),
        join_raw(
            b"{\"conv1.weight\": {\"dtype\": \"F32\", \"shape\": [6, 1, 5".to_vec(),
            &parts.data,
        ),
    ));
    out.push(case(
        "header",
        "weights-header-array",
        malformed(),
        join_raw(b"[1, 2, 3]".to_vec(), &parts.data),
    ));
    let mut h = serde_json::to_vec(&parts.header).map_err(|e| e.to_string())?;
    let at = h
        .windows(5)
        .position(|w| w == b"mnist")
        .ok_or("no 'mnist' in the header")?;
    h[at] = 0xFF; // invalid UTF-8
    out.push(case(
        "header",
        "weights-header-invalid-utf8",
        malformed(),
        join_raw(h, &parts.data),
    ));

    // Shapes: huge (the product overflows; a billion elements), or disagreeing.
    out.push(case(
        "shape",
        "weights-shape-overflow",
        malformed(),
        edited(&parts, |h| {
            set(
                h,
                &["conv1.weight", "shape"],
                serde_json::json!([
                    1_000_000_000u64,
                    1_000_000_000u64,
                    1_000_000_000u64,
                    1_000_000_000u64
                ]),
            )
        })?,
    ));
    out.push(case(
        "shape",
        "weights-shape-billion",
        malformed(),
        edited(&parts, |h| {
            set(
                h,
                &["fc1.weight", "shape"],
                serde_json::json!([1_000_000_000u64]),
            )
        })?,
    ));
    out.push(case(
        "shape",
        "weights-shape-disagrees",
        refused("has shape"),
        edited(&parts, |h| {
            set(
                h,
                &["conv1.weight", "shape"],
                serde_json::json!([3, 2, 5, 5]),
            )
        })?,
    ));
    let lenet = convscope_core::arch::zoo::lenet5_with(
        convscope_core::Activation::Relu,
        convscope_core::PoolKind::Max,
    )
    .to_text();
    // fc2 with 80 outputs instead of 84: fewer parameters than the file holds, so the
    // shapes are what disagree.
    let wider = lenet.replacen("linear 84", "linear 80", 1);
    if wider == lenet {
        return Err(format!("no 'linear 84' in {lenet}"));
    }
    let wider = description_json(&wider)?;
    out.push(case(
        "shape",
        "weights-description-disagrees",
        refused("has shape"),
        edited(&parts, |h| {
            set(h, &["__metadata__", "network"], Value::String(wider))
        })?,
    ));
    out.push(case(
        "shape",
        "weights-dtype-i32",
        refused("dtype"),
        edited(&parts, |h| {
            set(h, &["conv1.weight", "dtype"], Value::String("I32".into()))
        })?,
    ));

    // Values.
    for (name, tensor, index, value) in [
        ("weights-nan", "conv1.weight", 7, f32::NAN),
        ("weights-inf", "fc1.bias", 0, f32::INFINITY),
        ("weights-neg-inf", "fc3.weight", 839, f32::NEG_INFINITY),
    ] {
        let mut b = model.to_vec();
        let at = header_end + offset(&parts, tensor, index)?;
        b[at..at + 4].copy_from_slice(&value.to_le_bytes());
        out.push(case("values", name, refused("invalid value"), b));
    }

    // Metadata.
    out.push(case(
        "metadata",
        "weights-network-garbage",
        refused("metadata 'network'"),
        edited(&parts, |h| {
            set(
                h,
                &["__metadata__", "network"],
                Value::String("{\"layers\": [ not json".into()),
            )
        })?,
    ));
    out.push(case(
        "metadata",
        "weights-class-names-garbage",
        refused("metadata 'class_names'"),
        edited(&parts, |h| {
            set(
                h,
                &["__metadata__", "class_names"],
                Value::String("[\"0\", \"1\"".into()),
            )
        })?,
    ));
    out.push(case(
        "metadata",
        "weights-accuracy-garbage",
        refused("metadata 'accuracy'"),
        edited(&parts, |h| {
            set(
                h,
                &["__metadata__", "accuracy"],
                Value::String("NaN".into()),
            )
        })?,
    ));

    // Descriptions: a billion parameters with LeNet's tensors, and a real network of
    // 10,000 layers written by the core.
    let billion = description_json("input 28x28x1, flatten, linear 1275000, linear 10")?;
    out.push(case(
        "description",
        "weights-billion-parameters",
        refused("parameters"),
        edited(&parts, |h| {
            set(h, &["__metadata__", "network"], Value::String(billion))
        })?,
    ));
    let deep = crate::networks::nested_json(40)?;
    out.push(case(
        "description",
        "weights-blocks-nested-40",
        refused("nest"),
        edited(&parts, |h| {
            set(h, &["__metadata__", "network"], Value::String(deep))
        })?,
    ));
    // A real network at the layer limit, written by the core; and the same file whose
    // description says 10,000 layers.
    let text = crate::networks::relu_tower(MAX_LAYERS);
    let arch = Architecture::from_text(&text).map_err(|e| e.to_string())?;
    let net = Network::build(&arch, &mut Rng::seed_from_u64(1)).map_err(|e| e.to_string())?;
    let file =
        to_safetensors(&net, &ModelMetadata::new(DatasetKind::Mnist)).map_err(|e| e.to_string())?;
    out.push(case(
        "description",
        "weights-1000-layers",
        Expect::Accepted,
        file.clone(),
    ));
    let tower = split(&file)?;
    let json = crate::networks::relu_tower_json(10_000)?;
    out.push(case(
        "description",
        "weights-10000-layers",
        refused("at most 1000 layers"),
        edited(&tower, |h| {
            set(h, &["__metadata__", "network"], Value::String(json))
        })?,
    ));
    Ok(out)
}
