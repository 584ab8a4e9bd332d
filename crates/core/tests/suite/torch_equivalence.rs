//! Our weights files in PyTorch: the same network, the same numbers.
//!
//! For each description below, `tests/fixtures/torch/NAME.safetensors` is a file this crate
//! wrote (seeded weights, batch norm statistics moved away from 0 and 1). PyTorch built the
//! equivalent module from the description in the file's metadata alone
//! (`bench/torch_net.py`), loaded the file with `load_state_dict(strict=True)`, and recorded
//! in `torch_reference.json` its outputs for an input batch: in evaluation mode, in training
//! mode (batch statistics; networks without dropout), and batch norm's running statistics
//! after that one training-mode forward. This test checks that convscope gives the same.
//!
//! Regenerate (where PyTorch is installed, see bench/README.md):
//!
//! ```text
//! CONVSCOPE_WRITE_FIXTURES=1 cargo test -p convscope-core --test suite torch_equivalence
//! ~/.cache/convscope/torch-venv/bin/python bench/torch_net.py crates/core/tests/fixtures/torch
//! ```
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use convscope_core::arch::{Architecture, zoo};
use convscope_core::data::DatasetKind;
use convscope_core::nn::{Mode, Network, Rng, Workspace};
use convscope_core::weights::{ModelMetadata, from_safetensors, to_safetensors};
use convscope_core::{Activation, PoolKind};
use serde::Deserialize;

/// The networks, by fixture name.
fn networks() -> Vec<(&'static str, Architecture)> {
    let text = |s: &str| Architecture::from_text(s).unwrap();
    vec![
        ("lenet5", zoo::lenet5()),
        (
            "lenet5_lecun",
            zoo::lenet5_with(Activation::Tanh, PoolKind::Average),
        ),
        (
            "fashion_resnet",
            Architecture::parse_description(include_str!(
                "../../../../www/nets/fashion-resnet.json"
            ))
            .unwrap(),
        ),
        (
            "every_layer",
            text(
                "input 12x12x4, conv 8 3x3 stride 2 pad 2 dilation 2 groups 2, leaky_relu:0.2, \
                 sumpool 2 stride 1, bn, sigmoid, \
                 bottleneck(conv 2 1x1 nobias, bn, relu, conv 2 3x3 stride 2 pad 1 nobias, bn, relu, conv 8 1x1 nobias, bn \
                 | conv 8 1x1 stride 2 nobias, bn), \
                 maxpool 3 stride 1 pad 1, avgpool 2 stride 1 pad 1, adaptiveavgpool 2x3, tanh, \
                 flatten, linear 12 nobias, bn, identity, linear 5",
            ),
        ),
        (
            "lrn_dropout",
            text("input 6x6x3, conv 6 3x3, lrn 3, relu, dropout 0.4, linear 4"),
        ),
    ]
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch")
}

/// The network written for `name`: seeded weights, running statistics and counters that
/// are not their initial values.
fn network(arch: &Architecture, seed: u64) -> Network {
    let mut net = Network::build(arch, &mut Rng::seed_from_u64(seed)).unwrap();
    let mut rng = Rng::seed_from_u64(seed + 100);
    for t in net.buffers().to_vec() {
        let v: Vec<f32> = if t.name.ends_with("running_var") {
            (0..t.data.len()).map(|_| rng.uniform(0.5, 1.5)).collect()
        } else {
            (0..t.data.len()).map(|_| rng.uniform(-0.3, 0.3)).collect()
        };
        net.set_tensor(&t.name, &v).unwrap();
    }
    for (name, _) in net.batches_tracked().to_vec() {
        net.set_batches_tracked(&name, 7).unwrap();
    }
    net
}

#[derive(Debug, Deserialize)]
struct Reference {
    torch: String,
    batch: usize,
    input: Vec<f32>,
    eval: Vec<f32>,
    /// Absent for networks with dropout (random in training mode).
    train: Option<Vec<f32>>,
    /// Running statistics after the training-mode forward, by buffer name.
    #[serde(default)]
    running: HashMap<String, Vec<f32>>,
}

fn close(what: &str, ours: &[f32], torch: &[f32]) {
    assert_eq!(ours.len(), torch.len(), "{what}: lengths");
    for (i, (&a, &b)) in ours.iter().zip(torch).enumerate() {
        let tol = 1e-4 * (1.0 + b.abs());
        assert!(
            (a - b).abs() <= tol,
            "{what}[{i}]: convscope {a} vs PyTorch {b}"
        );
    }
}

#[test]
fn the_fixture_files_are_the_descriptions_networks() {
    let write = std::env::var_os("CONVSCOPE_WRITE_FIXTURES").is_some();
    for (seed, (name, arch)) in (1u64..).zip(networks()) {
        let net = network(&arch, seed);
        let path = dir().join(format!("{name}.safetensors"));
        if write {
            std::fs::create_dir_all(dir()).unwrap();
            let meta = ModelMetadata {
                dataset: None,
                class_names: (0..net.output_len())
                    .map(|i| format!("class {i}"))
                    .collect(),
                ..ModelMetadata::new(DatasetKind::Mnist)
            };
            let bytes = to_safetensors(&net, &meta).unwrap();
            std::fs::write(&path, bytes).unwrap();
            continue;
        }
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (see this file's docs)", path.display()));
        let (stored, _) = from_safetensors(&bytes).unwrap();
        assert_eq!(stored.description().layers, arch.layers, "{name}");
        assert_eq!(
            stored, net,
            "{name}: regenerate the fixtures (see this file's docs)"
        );
    }
}

#[test]
fn pytorch_computes_what_convscope_computes() {
    let json = std::fs::read_to_string(dir().join("torch_reference.json")).unwrap();
    let refs: HashMap<String, Reference> = serde_json::from_str(&json).unwrap();
    for (name, _) in networks() {
        let r = refs
            .get(name)
            .unwrap_or_else(|| panic!("{name}: no PyTorch reference; regenerate"));
        let bytes = std::fs::read(dir().join(format!("{name}.safetensors"))).unwrap();
        let (mut net, _) = from_safetensors(&bytes).unwrap();
        let mut ws = Workspace::new();
        let eval = net.infer(&r.input, r.batch, &mut ws).unwrap().to_vec();
        close(
            &format!("{name} eval (PyTorch {})", r.torch),
            &eval,
            &r.eval,
        );
        if let Some(train) = &r.train {
            let out = net
                .forward(
                    &r.input,
                    r.batch,
                    Mode::Train,
                    &mut ws,
                    &mut Rng::seed_from_u64(0),
                )
                .unwrap()
                .to_vec();
            close(&format!("{name} train"), &out, train);
            net.track_running_stats(&[(&ws, 1.0)]);
            for (buffer, values) in &r.running {
                let ours = net
                    .tensor(buffer)
                    .unwrap_or_else(|| panic!("{name}: {buffer}"));
                close(&format!("{name} {buffer}"), &ours.data, values);
            }
            for (counter, n) in net.batches_tracked() {
                assert_eq!(*n, 8, "{name} {counter}");
            }
        }
    }
}
