//! Safetensors weights: round trip, PyTorch names and layouts, and one error per defect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::collections::HashMap;

use convscope_core::data::DatasetKind;
use convscope_core::nn::lenet::{PARAMETER_NAMES, parameter_shapes};
use convscope_core::nn::{LeNetConfig, Rng};
use convscope_core::weights::{ModelMetadata, WeightsError, from_safetensors, to_safetensors};
use ndarray::Array4;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

fn model_bytes(config: LeNetConfig) -> (convscope_core::nn::LeNet, Vec<u8>) {
    let model = config.init(&mut Rng::seed_from_u64(9)).unwrap();
    let mut meta = ModelMetadata::new(config, DatasetKind::Fashion);
    meta.accuracy = Some(0.9123);
    meta.accuracy_on = Some("10000 test images".into());
    let bytes = to_safetensors(&model, &meta).unwrap();
    (model, bytes)
}

/// Rewrites a valid file with `edit` applied to its list of (name, dtype, shape, bytes).
fn rewrite(edit: impl FnOnce(&mut Vec<(String, Dtype, Vec<usize>, Vec<u8>)>)) -> Vec<u8> {
    let (_, bytes) = model_bytes(LeNetConfig::default());
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut list: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = PARAMETER_NAMES
        .iter()
        .map(|n| {
            let t = st.tensor(n).unwrap();
            (
                (*n).to_owned(),
                t.dtype(),
                t.shape().to_vec(),
                t.data().to_vec(),
            )
        })
        .collect();
    edit(&mut list);
    let views: Vec<(String, TensorView<'_>)> = list
        .iter()
        .map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize(views, None::<HashMap<String, String>>).unwrap()
}

#[test]
fn round_trip_gives_identical_logits_and_metadata() {
    for config in [LeNetConfig::default(), LeNetConfig::lecun()] {
        let (model, bytes) = model_bytes(config);
        let (loaded, meta) = from_safetensors(&bytes).unwrap();
        assert_eq!(loaded, model);
        assert_eq!(meta.config, config);
        assert_eq!(meta.dataset, Some(DatasetKind::Fashion));
        assert_eq!(meta.class_names[0], "T-shirt/top");
        assert_eq!(meta.class_names[9], "Ankle boot");
        assert!((meta.accuracy.unwrap() - 0.9123).abs() < 1e-9);
        assert_eq!(meta.accuracy_on.as_deref(), Some("10000 test images"));
        let mut rng = Rng::seed_from_u64(1);
        let x = Array4::from_shape_fn([2, 1, 28, 28], |_| rng.next_f32());
        assert_eq!(
            model.forward(x.view()).unwrap(),
            loaded.forward(x.view()).unwrap()
        );
    }
}

#[test]
fn file_uses_pytorch_names_shapes_and_f32_little_endian() {
    let (model, bytes) = model_bytes(LeNetConfig::default());
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort_unstable();
    let mut expected = PARAMETER_NAMES.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected);
    for (name, shape) in PARAMETER_NAMES.iter().zip(parameter_shapes()) {
        let t = st.tensor(name).unwrap();
        assert_eq!(t.dtype(), Dtype::F32);
        assert_eq!(t.shape(), &shape[..], "{name}");
    }
    let w = st.tensor("conv1.weight").unwrap();
    let first = f32::from_le_bytes(w.data()[..4].try_into().unwrap());
    assert_eq!(first, model.conv1().weight()[[0, 0, 0, 0]]);
    let fc1 = st.tensor("fc1.weight").unwrap();
    let at = |i: usize| f32::from_le_bytes(fc1.data()[4 * i..4 * i + 4].try_into().unwrap());
    // [120, 400] row-major: element (1, 3) sits at 1·400 + 3.
    assert_eq!(at(403), model.fc1().weight()[[1, 3]]);
    let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta = header.metadata().as_ref().unwrap();
    assert_eq!(meta["activation"], "relu");
    assert_eq!(meta["pooling"], "max");
    assert_eq!(meta["dataset"], "fashion");
    assert!(meta["class_names"].contains("Ankle boot"));
    assert_eq!(meta["accuracy"], "0.912300");
}

#[test]
fn a_file_without_metadata_loads_with_defaults() {
    let bytes = rewrite(|_| {});
    let (_, meta) = from_safetensors(&bytes).unwrap();
    assert_eq!(meta.config, LeNetConfig::default());
    assert_eq!(meta.class_names[3], "3");
    assert_eq!(meta.accuracy, None);
}

#[test]
fn malformed_bytes_are_errors() {
    for bad in [
        &b""[..],
        b"garbage",
        &[0xff; 64],
        &[8, 0, 0, 0, 0, 0, 0, 0, b'{', b'}'],
    ] {
        assert!(
            matches!(from_safetensors(bad), Err(WeightsError::Malformed { .. })),
            "{bad:?}"
        );
    }
    let (_, bytes) = model_bytes(LeNetConfig::default());
    let truncated = &bytes[..bytes.len() - 10];
    let e = from_safetensors(truncated).unwrap_err();
    assert!(matches!(e, WeightsError::Malformed { .. }), "{e}");
}

#[test]
fn missing_tensor_is_named() {
    let bytes = rewrite(|l| l.retain(|(n, ..)| n != "fc2.bias"));
    let e = from_safetensors(&bytes).unwrap_err();
    assert_eq!(e, WeightsError::MissingTensor { name: "fc2.bias" });
    assert!(e.to_string().contains("fc2.bias"));
}

#[test]
fn wrong_shape_is_named() {
    // conv1.weight stored as [6, 25] (same element count, wrong layout).
    let bytes = rewrite(|l| l[0].2 = vec![6, 25]);
    let e = from_safetensors(&bytes).unwrap_err();
    assert!(
        matches!(&e, WeightsError::WrongShape { name: "conv1.weight", got, .. } if got == &vec![6, 25]),
        "{e}"
    );
    // fc3 for 11 classes.
    let bytes = rewrite(|l| {
        l[8].2 = vec![11, 84];
        l[8].3 = vec![0; 11 * 84 * 4];
    });
    let e = from_safetensors(&bytes).unwrap_err();
    assert!(e.to_string().contains("fc3.weight"), "{e}");
}

#[test]
fn wrong_dtype_is_named() {
    let bytes = rewrite(|l| {
        let (_, d, s, b) = &mut l[5];
        *d = Dtype::F64;
        *b = vec![0; s.iter().product::<usize>() * 8];
    });
    let e = from_safetensors(&bytes).unwrap_err();
    assert!(
        matches!(
            &e,
            WeightsError::WrongDtype {
                name: "fc1.bias",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("F64"));
}

#[test]
fn nan_and_infinity_are_named() {
    for (value, name_index) in [
        (f32::NAN, 2usize),
        (f32::INFINITY, 9),
        (f32::NEG_INFINITY, 4),
    ] {
        let bytes = rewrite(|l| {
            let b = &mut l[name_index].3;
            b[4..8].copy_from_slice(&value.to_le_bytes());
        });
        let e = from_safetensors(&bytes).unwrap_err();
        match e {
            WeightsError::NonFinite { name, index, .. } => {
                assert_eq!(name, PARAMETER_NAMES[name_index]);
                assert_eq!(index, 1);
            }
            other => panic!("{other}"),
        }
    }
}

#[test]
fn bad_metadata_is_an_error() {
    let (model, _) = model_bytes(LeNetConfig::default());
    let params = model.parameters().unwrap();
    let bytes: Vec<Vec<u8>> = params
        .iter()
        .map(|p| p.iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect();
    for (key, value) in [
        ("activation", "swish"),
        ("pooling", "median"),
        ("class_names", "[\"a\"]"),
        ("accuracy", "1.5"),
    ] {
        let views: Vec<(&str, TensorView<'_>)> = PARAMETER_NAMES
            .iter()
            .zip(parameter_shapes())
            .zip(&bytes)
            .map(|((n, s), b)| (*n, TensorView::new(Dtype::F32, s, b).unwrap()))
            .collect();
        let mut info = HashMap::new();
        info.insert(key.to_owned(), value.to_owned());
        let file = safetensors::serialize(views, Some(info)).unwrap();
        let e = from_safetensors(&file).unwrap_err();
        assert!(
            matches!(&e, WeightsError::Metadata { key: k, .. } if *k == key),
            "{e}"
        );
    }
}
