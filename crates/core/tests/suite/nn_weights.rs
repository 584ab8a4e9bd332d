//! Safetensors weights: round trip (LeNet-5 and a batch-norm / residual network from its
//! text form), PyTorch names and layouts, files written before descriptions travelled (no
//! `network` key, and the shipped models), and one error per defect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::collections::HashMap;

use convscope_core::arch::{Architecture, LayerError, zoo};
use convscope_core::data::DatasetKind;
use convscope_core::data::samples::SampleSet;
use convscope_core::nn::{Mode, Network, NnError, Rng, SgdConfig, Trainer, Workspace};
use convscope_core::weights::{
    MAX_DESCRIPTION_BYTES, ModelMetadata, WeightsError, from_safetensors, to_safetensors,
};
use convscope_core::{Activation, PoolKind};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::common::LENET5_PARAMETERS as PARAMETERS;

/// A small network with batch norm (running statistics, `num_batches_tracked`) and a
/// residual block.
const RESIDUAL: &str = "input 8x8x1, conv 4 3x3 pad 1 nobias, bn, relu, basic(conv 4 3x3 pad 1 nobias, bn, relu, conv 4 3x3 pad 1 nobias, bn), adaptiveavgpool 1x1, flatten, linear 3";

/// One tensor of a file: name, dtype, shape, raw bytes.
type Entry = (String, Dtype, Vec<usize>, Vec<u8>);

fn build(arch: &Architecture) -> Network {
    Network::build(arch, &mut Rng::seed_from_u64(9)).unwrap()
}

fn lecun() -> Architecture {
    zoo::lenet5_with(Activation::Tanh, PoolKind::Average)
}

fn fashion_meta() -> ModelMetadata {
    let mut meta = ModelMetadata::new(DatasetKind::Fashion);
    meta.accuracy = Some(0.9123);
    meta.accuracy_on = Some("10000 test images".into());
    meta
}

fn random_images(net: &Network, n: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::seed_from_u64(seed);
    (0..n * net.input_len()).map(|_| rng.next_f32()).collect()
}

fn logits(net: &Network, x: &[f32], n: usize) -> Vec<f32> {
    let mut ws = Workspace::new();
    net.forward(x, n, Mode::Eval, &mut ws, &mut Rng::seed_from_u64(0))
        .unwrap()
        .to_vec()
}

/// The residual network after five training steps: running statistics moved away from
/// 0 and 1, `num_batches_tracked` = 5.
fn trained_residual() -> Network {
    let arch = Architecture::from_text(RESIDUAL).unwrap();
    let mut rng = Rng::seed_from_u64(3);
    let mut net = Network::build(&arch, &mut rng).unwrap();
    let n = 12;
    let x: Vec<f32> = (0..n * 64).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
    let mut opt = SgdConfig::new(0.1).init().unwrap();
    let mut trainer = Trainer::new();
    for _ in 0..5 {
        trainer
            .train_batch(&mut net, &mut opt, &x, &labels, &mut rng)
            .unwrap();
    }
    net
}

fn abc_meta() -> ModelMetadata {
    ModelMetadata {
        dataset: None,
        class_names: vec!["a".into(), "b".into(), "c".into()],
        accuracy: None,
        accuracy_on: None,
    }
}

/// Every tensor of a file, sorted by name.
fn entries(bytes: &[u8]) -> Vec<Entry> {
    let st = SafeTensors::deserialize(bytes).unwrap();
    let mut list: Vec<Entry> = st
        .tensors()
        .into_iter()
        .map(|(n, t)| (n, t.dtype(), t.shape().to_vec(), t.data().to_vec()))
        .collect();
    list.sort_by(|a, b| a.0.cmp(&b.0));
    list
}

fn serialize(list: &[Entry], meta: Option<HashMap<String, String>>) -> Vec<u8> {
    let views: Vec<(String, TensorView<'_>)> = list
        .iter()
        .map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize(views, meta).unwrap()
}

fn metadata(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn entry<'a>(list: &'a mut [Entry], name: &str) -> &'a mut Entry {
    list.iter_mut()
        .find(|e| e.0 == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

/// A valid ReLU / max LeNet-5 file, rewritten without metadata after `edit`.
fn rewrite(edit: impl FnOnce(&mut Vec<Entry>)) -> Vec<u8> {
    let bytes = to_safetensors(&build(&zoo::lenet5()), &fashion_meta()).unwrap();
    let mut list = entries(&bytes);
    edit(&mut list);
    serialize(&list, None)
}

/// The trained residual network's file, rewritten with its metadata after `edit`.
fn rewrite_residual(edit: impl FnOnce(&mut Vec<Entry>)) -> Vec<u8> {
    let bytes = to_safetensors(&trained_residual(), &abc_meta()).unwrap();
    let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta = header.metadata().clone();
    let mut list = entries(&bytes);
    edit(&mut list);
    serialize(&list, meta)
}

#[test]
fn round_trip_gives_identical_networks_logits_and_metadata() {
    for arch in [zoo::lenet5(), lecun()] {
        let net = build(&arch);
        let bytes = to_safetensors(&net, &fashion_meta()).unwrap();
        let (loaded, meta) = from_safetensors(&bytes).unwrap();
        assert_eq!(loaded, net, "{}", arch.name);
        assert_eq!(loaded.description(), &arch);
        assert_eq!(meta, fashion_meta());
        assert_eq!(meta.dataset, Some(DatasetKind::Fashion));
        assert_eq!(meta.class_names[0], "T-shirt/top");
        assert_eq!(meta.class_names[9], "Ankle boot");
        assert!((meta.accuracy.unwrap() - 0.9123).abs() < 1e-9);
        assert_eq!(meta.accuracy_on.as_deref(), Some("10000 test images"));
        let x = random_images(&net, 2, 1);
        assert_eq!(logits(&loaded, &x, 2), logits(&net, &x, 2), "{}", arch.name);
    }
}

#[test]
fn round_trip_keeps_batch_norm_statistics_and_counters() {
    let net = trained_residual();
    // The check would be vacuous with the initial statistics.
    let mean = net.tensor("bn1.running_mean").unwrap();
    let var = net.tensor("block1.bn2.running_var").unwrap();
    assert!(mean.data.iter().all(|&v| v != 0.0), "{:?}", mean.data);
    assert!(var.data.iter().all(|&v| v != 1.0), "{:?}", var.data);
    let counters: Vec<(&str, u64)> = net
        .batches_tracked()
        .iter()
        .map(|(n, c)| (n.as_str(), *c))
        .collect();
    assert_eq!(
        counters,
        [
            ("bn1.num_batches_tracked", 5),
            ("block1.bn1.num_batches_tracked", 5),
            ("block1.bn2.num_batches_tracked", 5),
        ]
    );
    let bytes = to_safetensors(&net, &abc_meta()).unwrap();

    // In the file: PyTorch's state_dict, the counters as 0-dimensional I64.
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort_unstable();
    let mut expected = vec![
        "conv1.weight",
        "bn1.weight",
        "bn1.bias",
        "bn1.running_mean",
        "bn1.running_var",
        "bn1.num_batches_tracked",
        "block1.conv1.weight",
        "block1.bn1.weight",
        "block1.bn1.bias",
        "block1.bn1.running_mean",
        "block1.bn1.running_var",
        "block1.bn1.num_batches_tracked",
        "block1.conv2.weight",
        "block1.bn2.weight",
        "block1.bn2.bias",
        "block1.bn2.running_mean",
        "block1.bn2.running_var",
        "block1.bn2.num_batches_tracked",
        "fc1.weight",
        "fc1.bias",
    ];
    expected.sort_unstable();
    assert_eq!(names, expected);
    for (name, _) in &counters {
        let t = st.tensor(name).unwrap();
        assert_eq!(t.dtype(), Dtype::I64, "{name}");
        assert!(t.shape().is_empty(), "{name}: shape {:?}", t.shape());
        assert_eq!(t.data(), 5i64.to_le_bytes(), "{name}");
    }
    for name in ["bn1.running_mean", "block1.bn2.running_var"] {
        let t = st.tensor(name).unwrap();
        assert_eq!((t.dtype(), t.shape()), (Dtype::F32, &[4][..]), "{name}");
    }

    // Loaded: the same network, buffers and counters included.
    let (loaded, meta) = from_safetensors(&bytes).unwrap();
    assert_eq!(meta, abc_meta());
    assert_eq!(loaded.buffers(), net.buffers());
    assert_eq!(loaded.batches_tracked(), net.batches_tracked());
    assert_eq!(loaded, net);
    let x = random_images(&net, 4, 2);
    let y = logits(&loaded, &x, 4);
    assert_eq!(y, logits(&net, &x, 4));
    // Evaluation reads the running statistics: with the initial ones the logits differ.
    let mut fresh = loaded.clone();
    for t in net.buffers() {
        let initial = if t.name.ends_with("running_var") {
            1.0
        } else {
            0.0
        };
        fresh
            .set_tensor(&t.name, &vec![initial; t.data.len()])
            .unwrap();
    }
    assert_ne!(logits(&fresh, &x, 4), y);
}

#[test]
fn file_uses_pytorch_names_shapes_and_f32_little_endian() {
    let net = build(&zoo::lenet5());
    let bytes = to_safetensors(&net, &fashion_meta()).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort_unstable();
    let mut expected: Vec<&str> = PARAMETERS.iter().map(|(n, _)| *n).collect();
    expected.sort_unstable();
    assert_eq!(names, expected);
    for (name, shape) in PARAMETERS {
        let t = st.tensor(name).unwrap();
        assert_eq!(t.dtype(), Dtype::F32, "{name}");
        assert_eq!(t.shape(), shape, "{name}");
        let values: Vec<f32> = t
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        assert_eq!(values, net.tensor(name).unwrap().data, "{name}");
    }
    // [120, 400] row-major: element (1, 3) of fc1.weight sits at 1·400 + 3.
    let fc1 = net.tensor("fc1.weight").unwrap();
    let w = ndarray::ArrayView2::from_shape((120, 400), &fc1.data).unwrap();
    let t = st.tensor("fc1.weight").unwrap();
    let at = |i: usize| f32::from_le_bytes(t.data()[4 * i..4 * i + 4].try_into().unwrap());
    assert_eq!(at(403), w[[1, 3]]);
    let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta = header.metadata().as_ref().unwrap();
    assert_eq!(meta["format"], "pt");
    assert_eq!(meta["architecture"], "lenet5");
    let described: Architecture = serde_json::from_str(&meta["network"]).unwrap();
    assert_eq!(described, zoo::lenet5());
    assert_eq!(meta["dataset"], "fashion");
    let classes: Vec<String> = serde_json::from_str(&meta["class_names"]).unwrap();
    assert_eq!(classes, DatasetKind::Fashion.class_names());
    assert_eq!(meta["accuracy"], "0.912300");
    assert_eq!(meta["accuracy_on"], "10000 test images");
}

#[test]
fn a_file_without_metadata_loads_as_relu_max_lenet5() {
    let bytes = rewrite(|_| {});
    let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
    assert!(header.metadata().is_none());
    let (loaded, meta) = from_safetensors(&bytes).unwrap();
    assert_eq!(loaded.description(), &zoo::lenet5());
    let source = build(&zoo::lenet5());
    assert_eq!(loaded, source);
    let x = random_images(&source, 2, 4);
    assert_eq!(logits(&loaded, &x, 2), logits(&source, &x, 2));
    assert_eq!(meta.dataset, None);
    assert_eq!(meta.class_names, DatasetKind::Mnist.class_names());
    assert_eq!(meta.class_names[3], "3");
    assert_eq!((meta.accuracy, meta.accuracy_on), (None, None));
}

/// Files written before descriptions travelled record `activation` and `pooling` only.
#[test]
fn an_old_file_loads_as_the_lenet5_its_activation_and_pooling_name() {
    for (activation, pooling, arch) in [
        ("tanh", "average", lecun()),
        ("relu", "max", zoo::lenet5()),
        (
            "sigmoid",
            "sum",
            zoo::lenet5_with(Activation::Sigmoid, PoolKind::Sum),
        ),
        (
            "leaky_relu:0.01",
            "max",
            zoo::lenet5_with(Activation::leaky_relu(0.01).unwrap(), PoolKind::Max),
        ),
    ] {
        let net = build(&arch);
        let list = entries(&to_safetensors(&net, &fashion_meta()).unwrap());
        let bytes = serialize(
            &list,
            Some(metadata(&[
                ("format", "pt"),
                ("architecture", "lenet5"),
                ("activation", activation),
                ("pooling", pooling),
                ("dataset", "mnist"),
            ])),
        );
        let (loaded, meta) = from_safetensors(&bytes).unwrap();
        assert_eq!(loaded.description(), &arch, "{activation}/{pooling}");
        assert_eq!(loaded, net, "{activation}/{pooling}");
        let x = random_images(&net, 2, 5);
        assert_eq!(logits(&loaded, &x, 2), logits(&net, &x, 2));
        assert_eq!(meta.dataset, Some(DatasetKind::Mnist));
        assert_eq!(meta.class_names, DatasetKind::Mnist.class_names());
    }
    // LeCun's: tanh layers and average pooling, not the default.
    let e = entries(&to_safetensors(&build(&lecun()), &fashion_meta()).unwrap());
    let old = serialize(
        &e,
        Some(metadata(&[("activation", "tanh"), ("pooling", "average")])),
    );
    let (loaded, _) = from_safetensors(&old).unwrap();
    assert_eq!(loaded.description().name, "lenet5_lecun");
    assert_eq!(loaded.description().layers[1].name, "tanh1");
    assert_ne!(loaded.description(), &zoo::lenet5());
    // A file naming another architecture but carrying no description is refused by name,
    // not read as LeNet-5 with confusing shape errors.
    let other = serialize(&e, Some(metadata(&[("architecture", "resnet18")])));
    let err = from_safetensors(&other).unwrap_err();
    assert!(
        matches!(&err, WeightsError::Metadata { key: "architecture", value, .. } if value == "resnet18"),
        "{err}"
    );
}

/// The models shipped with the web app (written before descriptions travelled) still
/// load, and still classify the shipped held-out samples.
#[test]
fn the_shipped_models_still_load_and_classify_the_shipped_samples() {
    for (kind, model, samples, min_accuracy) in [
        (
            DatasetKind::Mnist,
            &include_bytes!("../../../../www/models/lenet-mnist.safetensors")[..],
            &include_bytes!("../../../../www/samples/mnist-test.safetensors")[..],
            0.95,
        ),
        (
            DatasetKind::Fashion,
            include_bytes!("../../../../www/models/lenet-fashion.safetensors"),
            include_bytes!("../../../../www/samples/fashion-test.safetensors"),
            0.8,
        ),
    ] {
        let (net, meta) = from_safetensors(model).unwrap();
        assert_eq!(net.description(), &zoo::lenet5(), "{kind:?}");
        assert_eq!(meta.dataset, Some(kind));
        assert_eq!(meta.class_names.len(), 10);
        assert_eq!(meta.class_names, kind.class_names());
        let accuracy = meta.accuracy.unwrap();
        assert!((0.9..=1.0).contains(&accuracy), "{kind:?}: {accuracy}");
        let set = SampleSet::from_safetensors(samples).unwrap();
        assert_eq!(set.kind, kind);
        let images: Vec<f32> = (0..set.len()).flat_map(|i| set.input(i).unwrap()).collect();
        let e = Trainer::new()
            .evaluate(&net, &images, &set.labels, 32)
            .unwrap();
        assert!(
            e.stats.count >= 10 && e.stats.accuracy() >= min_accuracy,
            "{kind:?}: {} of {} samples",
            e.stats.correct,
            e.stats.count
        );
    }
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
    let bytes = to_safetensors(&build(&zoo::lenet5()), &fashion_meta()).unwrap();
    let truncated = &bytes[..bytes.len() - 10];
    let e = from_safetensors(truncated).unwrap_err();
    assert!(matches!(e, WeightsError::Malformed { .. }), "{e}");
}

#[test]
fn a_missing_tensor_is_named() {
    let bytes = rewrite(|l| l.retain(|(n, ..)| n != "fc2.bias"));
    let e = from_safetensors(&bytes).unwrap_err();
    assert_eq!(
        e,
        WeightsError::MissingTensor {
            name: "fc2.bias".into()
        }
    );
    assert!(e.to_string().contains("fc2.bias"));
    // Buffers and counters are part of the network too.
    for name in ["block1.bn1.running_var", "block1.bn2.num_batches_tracked"] {
        let bytes = rewrite_residual(|l| l.retain(|(n, ..)| n != name));
        let e = from_safetensors(&bytes).unwrap_err();
        assert_eq!(e, WeightsError::MissingTensor { name: name.into() });
    }
}

#[test]
fn an_unexpected_tensor_is_named() {
    let bytes = rewrite(|l| {
        l.push((
            "fc4.weight".into(),
            Dtype::F32,
            vec![10, 10],
            vec![0; 10 * 10 * 4],
        ));
    });
    let e = from_safetensors(&bytes).unwrap_err();
    assert_eq!(
        e,
        WeightsError::UnexpectedTensor {
            name: "fc4.weight".into(),
            network: "lenet5".into()
        }
    );
    let message = e.to_string();
    assert!(
        message.contains("fc4.weight") && message.contains("lenet5"),
        "{message}"
    );
    // Of several, the alphabetically first, whatever the file's order.
    let bytes = rewrite(|l| {
        for name in ["zz.bias", "fc4.bias", "aa.weight"] {
            l.push((name.into(), Dtype::F32, vec![1], vec![0; 4]));
        }
    });
    assert_eq!(
        from_safetensors(&bytes).unwrap_err(),
        WeightsError::UnexpectedTensor {
            name: "aa.weight".into(),
            network: "lenet5".into()
        }
    );
}

#[test]
fn a_wrong_shape_is_named() {
    // conv1.weight stored as [6, 25] (same element count, wrong layout).
    let bytes = rewrite(|l| entry(l, "conv1.weight").2 = vec![6, 25]);
    let e = from_safetensors(&bytes).unwrap_err();
    assert_eq!(
        e,
        WeightsError::WrongShape {
            name: "conv1.weight".into(),
            got: vec![6, 25],
            expected: vec![6, 1, 5, 5]
        }
    );
    // fc3 for 11 classes.
    let bytes = rewrite(|l| {
        let fc3 = entry(l, "fc3.weight");
        fc3.2 = vec![11, 84];
        fc3.3 = vec![0; 11 * 84 * 4];
    });
    let e = from_safetensors(&bytes).unwrap_err();
    assert!(
        matches!(&e, WeightsError::WrongShape { name, got, .. } if name == "fc3.weight" && got == &vec![11, 84]),
        "{e}"
    );
    assert!(e.to_string().contains("fc3.weight"), "{e}");
    // A counter must be a scalar.
    let bytes = rewrite_residual(|l| {
        let c = entry(l, "bn1.num_batches_tracked");
        c.2 = vec![2];
        c.3 = [5i64.to_le_bytes(), 5i64.to_le_bytes()].concat();
    });
    let e = from_safetensors(&bytes).unwrap_err();
    assert!(
        matches!(&e, WeightsError::WrongShape { name, got, .. } if name == "bn1.num_batches_tracked" && got == &vec![2]),
        "{e}"
    );
}

#[test]
fn a_wrong_dtype_is_named() {
    let bytes = rewrite(|l| {
        let (_, d, s, b) = entry(l, "fc1.bias");
        *d = Dtype::F64;
        *b = vec![0; s.iter().product::<usize>() * 8];
    });
    let e = from_safetensors(&bytes).unwrap_err();
    assert_eq!(
        e,
        WeightsError::WrongDtype {
            name: "fc1.bias".into(),
            got: "F64".into(),
            expected: "F32"
        }
    );
    assert!(e.to_string().contains("F64"));
    // Counters are I64, as PyTorch writes them.
    let bytes = rewrite_residual(|l| {
        let (_, d, _, b) = entry(l, "block1.bn1.num_batches_tracked");
        *d = Dtype::F32;
        *b = 5.0f32.to_le_bytes().to_vec();
    });
    let e = from_safetensors(&bytes).unwrap_err();
    assert_eq!(
        e,
        WeightsError::WrongDtype {
            name: "block1.bn1.num_batches_tracked".into(),
            got: "F32".into(),
            expected: "I64"
        }
    );
}

#[test]
fn nan_infinity_and_negative_counts_are_named() {
    for (value, name) in [
        (f32::NAN, "conv2.weight"),
        (f32::INFINITY, "fc3.bias"),
        (f32::NEG_INFINITY, "fc1.weight"),
    ] {
        let bytes = rewrite(|l| entry(l, name).3[4..8].copy_from_slice(&value.to_le_bytes()));
        match from_safetensors(&bytes).unwrap_err() {
            WeightsError::NonFinite {
                name: got,
                index,
                value: v,
            } => {
                assert_eq!((got.as_str(), index), (name, 1));
                assert!(v.is_nan() == value.is_nan() && (v.is_nan() || v == f64::from(value)));
            }
            other => panic!("{other}"),
        }
    }
    let bytes = rewrite_residual(|l| {
        entry(l, "block1.bn1.running_mean").3[8..12].copy_from_slice(&f32::NAN.to_le_bytes());
    });
    assert!(matches!(
        from_safetensors(&bytes).unwrap_err(),
        WeightsError::NonFinite { name, index: 2, .. } if name == "block1.bn1.running_mean"
    ));
    let bytes = rewrite_residual(|l| {
        entry(l, "bn1.num_batches_tracked").3 = (-1i64).to_le_bytes().to_vec()
    });
    assert_eq!(
        from_safetensors(&bytes).unwrap_err(),
        WeightsError::NonFinite {
            name: "bn1.num_batches_tracked".into(),
            index: 0,
            value: -1.0
        }
    );
}

#[test]
fn bad_metadata_is_an_error() {
    let list = entries(&to_safetensors(&build(&zoo::lenet5()), &fashion_meta()).unwrap());
    let padded = format!(
        "{}{}",
        serde_json::to_string(&zoo::lenet5()).unwrap(),
        " ".repeat(MAX_DESCRIPTION_BYTES)
    );
    for (key, value) in [
        ("activation", "swish"),
        ("pooling", "median"),
        ("dataset", "cifar10"),
        ("class_names", "[\"a\"]"),
        ("class_names", "a, b, c"),
        ("accuracy", "1.5"),
        ("accuracy", "high"),
        ("network", "{not json"),
        ("network", "{\"name\": \"lenet5\"}"),
        // Valid JSON, but larger than any description this crate reads.
        ("network", padded.as_str()),
    ] {
        let file = serialize(&list, Some(metadata(&[(key, value)])));
        let e = from_safetensors(&file).unwrap_err();
        assert!(
            matches!(&e, WeightsError::Metadata { key: k, .. } if *k == key),
            "{key} = {:.40}: {e}",
            value
        );
        assert!(e.to_string().contains(key), "{e}");
    }
}

/// A description whose layer cannot take its input is refused naming the layer, before any
/// tensor is read.
#[test]
fn a_description_that_cannot_be_built_names_the_layer() {
    let arch = Architecture::from_text("input 4x4x1, conv 2 5x5, flatten, linear 10").unwrap();
    let json = serde_json::to_string(&arch).unwrap();
    let file = serialize(&[], Some(metadata(&[("network", &json)])));
    let e = from_safetensors(&file).unwrap_err();
    let WeightsError::Network(NnError::Description(a)) = &e else {
        panic!("{e:?}");
    };
    assert_eq!(a.layer, "conv1");
    assert!(
        matches!(a.reason, LayerError::WindowTooLarge { kernel: 5, .. }),
        "{a}"
    );
    let message = e.to_string();
    assert!(
        message.contains("conv1: 5×5 window is larger than its 4×4 input"),
        "{message}"
    );
}

/// A description declaring more parameters than fit is refused from its arithmetic alone:
/// the network is never allocated (the second one's 5·10¹⁶ parameters could not be: the
/// allocation would abort the test).
#[test]
fn a_description_with_a_billion_parameters_is_refused_without_allocating() {
    for (text, count) in [
        ("input 1000x1000x1, flatten, linear 1000", "1,000,001,000"),
        (
            "input 16000x16000x1, flatten, linear 200000000",
            "51,200,000,200,000,000",
        ),
    ] {
        let arch = Architecture::from_text(text).unwrap();
        let json = serde_json::to_string(&arch).unwrap();
        let file = serialize(&[], Some(metadata(&[("network", &json)])));
        let e = from_safetensors(&file).unwrap_err();
        let WeightsError::Network(NnError::TooLarge { message }) = &e else {
            panic!("{text}: {e:?}");
        };
        assert!(
            message.contains(&format!("{count} learnable parameters")),
            "{text}: {message}"
        );
    }
}

/// A file is a function of what it holds: the same network written twice (each write builds
/// its metadata map afresh) gives the same bytes, with the metadata's keys in order, and the
/// file still loads. Before, the header followed a `HashMap`'s order, so a model retrained
/// bit for bit the same was still a changed file.
#[test]
fn the_same_network_writes_the_same_bytes() {
    let net = build(&zoo::lenet5());
    let first = to_safetensors(&net, &fashion_meta()).unwrap();
    for _ in 0..4 {
        assert_eq!(to_safetensors(&net, &fashion_meta()).unwrap(), first);
    }
    let n = usize::try_from(u64::from_le_bytes(first[..8].try_into().unwrap())).unwrap();
    assert_eq!(n % 8, 0, "the data start 8-byte aligned");
    let header = std::str::from_utf8(&first[8..8 + n]).unwrap();
    let at = |key: &str| {
        header
            .find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("no {key} in {header}"))
    };
    let keys = [
        "accuracy",
        "architecture",
        "class_names",
        "dataset",
        "format",
        "network",
    ];
    let places: Vec<usize> = keys.iter().map(|k| at(k)).collect();
    assert!(places.is_sorted(), "metadata keys out of order: {header}");
    let (loaded, meta) = from_safetensors(&first).unwrap();
    assert_eq!(meta, fashion_meta());
    assert_eq!(loaded.parameters(), net.parameters());
}
