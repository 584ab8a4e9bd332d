//! What the cargo-fuzz targets (`fuzz/`, `cargo xtask fuzz`) found, one named test per
//! finding, with the minimized input written out in code. Each of these panicked, hung or
//! ran out of memory before its fix; now each returns a value or a typed error whose
//! message names the values.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::collections::HashMap;

use convscope_core::arch::{
    Architecture, BlockKind, DescriptionError, Layer, MAX_BLOCK_NESTING, Op, Residual, zoo,
};
use convscope_core::nn::{Network, NnError, Rng};
use convscope_core::shape::ShapeError;
use convscope_core::weights::{WeightsError, from_safetensors};
use safetensors::tensor::TensorView;

// ------------------------------------------------------------------ shape (advice)

/// `shape`: advice for a `GroupsDoNotDivide` with zero groups divided by zero
/// (`channels % groups`).
#[test]
fn advice_for_zero_groups_does_not_divide_by_zero() {
    let e = ShapeError::GroupsDoNotDivide {
        op: "conv2d",
        groups: 0,
        channels: 163,
        what: "input channels",
    };
    let advice = e.advice().expect("advice");
    assert!(advice.contains("groups = 1"), "{advice}");
}

/// `shape`: advice for channels near `usize::MAX` searched every divisor from the channels
/// down (2^64 candidates: a hang), and `lower_k + groups` overflowed.
#[test]
fn advice_for_huge_channel_counts_returns_at_once() {
    let e = ShapeError::GroupsDoNotDivide {
        op: "conv2d",
        groups: 10,
        channels: usize::MAX - 1,
        what: "output channels",
    };
    let advice = e.advice().expect("advice");
    // usize::MAX − 1 on this target (64- or 32-bit): the nearest smaller group count that
    // divides it, its remainder, the multiple of 10 below it (the next one overflows).
    let n = usize::MAX - 1;
    let lower = (1..10).rev().find(|g| n % g == 0).unwrap();
    assert!(
        advice.contains(&format!("remainder {}", n % 10))
            && advice.contains(&format!("Nearest valid: groups = {lower}"))
            && advice.ends_with(&format!("or {} channels.", n - n % 10)),
        "{advice}"
    );
    let e = ShapeError::GroupsDoNotDivide {
        op: "conv2d",
        groups: usize::MAX,
        channels: usize::MAX - 1,
        what: "input channels",
    };
    let advice = e.advice().expect("advice");
    assert!(advice.contains("remainder"), "{advice}");
}

/// `shape`: advice for a kernel too large computed `W + 2P` unchecked.
#[test]
fn advice_for_a_huge_padded_input_saturates() {
    let e = ShapeError::KernelTooLarge {
        input: usize::MAX,
        kernel: 3,
        padding: usize::MAX / 2 + 1,
        dilation: 1,
        span: 3,
        padded: usize::MAX,
    };
    let advice = e.advice().expect("advice");
    assert!(
        advice.contains(&format!("W + 2P = {}", usize::MAX)),
        "{advice}"
    );
}

/// The advice for groups still names the nearest valid settings.
#[test]
fn advice_for_groups_names_the_nearest_divisors() {
    let e = ShapeError::GroupsDoNotDivide {
        op: "conv2d",
        groups: 3,
        channels: 4,
        what: "output channels",
    };
    assert_eq!(
        e.advice().as_deref(),
        Some(
            "Which term: 4 channels cannot be split into 3 equal groups (remainder 1). Nearest valid: groups = 2 or groups = 4, or 3 or 6 channels."
        )
    );
}

// ------------------------------------------------------------------ weights

/// A safetensors file with no tensors whose metadata describes `network` (text form).
fn header_only(network: &str) -> Vec<u8> {
    let arch = Architecture::from_text(network).unwrap();
    let mut info = HashMap::new();
    info.insert("format".to_owned(), "pt".to_owned());
    info.insert("network".to_owned(), serde_json::to_string(&arch).unwrap());
    let none: Vec<(&str, TensorView<'_>)> = Vec::new();
    safetensors::serialize(none, Some(info)).unwrap()
}

/// `weights`: a few hundred bytes describing 50 million parameters made the loader build
/// the network first — 200 MB allocated and filled with random numbers (up to 2 GiB
/// natively and 256 MiB in the browser below the memory limit) — only to find the tensors
/// missing. Now the description is refused before anything is allocated.
#[test]
fn a_small_file_cannot_describe_a_huge_network() {
    let bytes = header_only("input 100x100x1, flatten, linear 5000");
    let e = from_safetensors(&bytes).unwrap_err();
    let WeightsError::TooManyParameters {
        parameters,
        needed,
        file_bytes,
    } = e
    else {
        panic!("{e}");
    };
    assert_eq!(parameters, 50_005_000);
    assert_eq!(needed, 200_020_000);
    assert_eq!(file_bytes, bytes.len() as u64);
    let message = e.to_string();
    assert!(
        message.contains("50005000 parameters") && message.contains("200020000 bytes"),
        "{message}"
    );
}

/// A file that holds every parameter still loads (the shipped LeNet-5 is 61,706 parameters
/// in 247,816 bytes).
#[test]
fn a_file_with_its_parameters_still_loads() {
    let bytes = include_bytes!("../../../../www/models/lenet-mnist.safetensors");
    let (net, _) = from_safetensors(bytes).unwrap();
    assert_eq!(net.parameter_count(), 61_706);
}

// ------------------------------------------------------------------ network_text

/// The fuzzer's input, minimized by hand: VGG-16 as JSON with `relu7` renamed `relu6`. The
/// JSON form took two layers of one name, which the text form refuses, so its printed text
/// did not read back (and the two layers' rows could not be told apart).
#[test]
fn json_with_a_repeated_layer_name_is_refused() {
    let mut vgg = zoo::by_name("vgg16").unwrap();
    let second = vgg.layers.iter().position(|l| l.name == "relu7").unwrap();
    vgg.layers[second].name = "relu6".to_owned();
    let json = serde_json::to_string(&vgg).unwrap();
    let e = Architecture::parse_description(&json).unwrap_err();
    let first = vgg.layers.iter().position(|l| l.name == "relu6").unwrap();
    assert_eq!(
        e,
        DescriptionError::Name {
            sequence: "the network".to_owned(),
            position: second + 1,
            name: "relu6".to_owned(),
            reason: format!(
                "layer {} already has this name; the names of one sequence must differ (they name its parameters)",
                first + 1
            ),
        }
    );
    assert!(e.to_string().starts_with(&format!(
        "layer {} of the network is named \"relu6\": layer {} already",
        second + 1,
        first + 1
    )));
}

/// Names the text form cannot write are refused in JSON too: empty, or with a double quote
/// (either printed as text that did not read back).
#[test]
fn json_names_the_text_form_cannot_write_are_refused() {
    for (name, reason) in [
        ("", "every layer needs a name"),
        (
            "a\"b",
            "the text form cannot write a double quote in a name",
        ),
    ] {
        let mut arch = zoo::lenet5();
        arch.layers[0].name = name.to_owned();
        let json = serde_json::to_string(&arch).unwrap();
        let e = Architecture::parse_description(&json).unwrap_err();
        assert!(
            matches!(&e, DescriptionError::Name { position: 1, reason: r, .. } if r == reason),
            "{e}"
        );
    }
}

/// A block's shortcut may not reuse a name of its main path: both name tensors under the
/// block (`block1.conv1.weight` twice). The text parser, the JSON reader and
/// `Network::build` all refuse it.
#[test]
fn a_shortcut_cannot_reuse_a_main_path_name() {
    let line = "input 8x8x1, basic(conv1=conv 2 1x1 | conv1=conv 2 1x1)";
    let e = Architecture::from_text(line).unwrap_err();
    assert_eq!(e.column, 39, "{e}");
    assert!(e.expected.contains("main path"), "{e}");
    let mut arch =
        Architecture::from_text("input 8x8x1, basic(conv1=conv 2 1x1 | c=conv 2 1x1)").unwrap();
    let Op::Residual(block) = &mut arch.layers[0].op else {
        panic!("not a block")
    };
    block.shortcut[0].name = "conv1".to_owned();
    let json = serde_json::to_string(&arch).unwrap();
    let e = Architecture::parse_description(&json).unwrap_err();
    assert!(
        matches!(&e, DescriptionError::Name { sequence, position: 2, .. } if sequence == "block 'block1'"),
        "{e}"
    );
    let e = Network::build(&arch, &mut Rng::seed_from_u64(0)).unwrap_err();
    assert!(
        matches!(&e, NnError::Layer { layer, .. } if layer == "block1.conv1"),
        "{e}"
    );
}

/// A weights file whose description repeats a name is refused with the reason.
#[test]
fn a_weights_file_with_a_repeated_name_is_refused() {
    let mut arch = zoo::lenet5();
    arch.layers[1].name = "conv1".to_owned();
    let mut info = HashMap::new();
    info.insert("network".to_owned(), serde_json::to_string(&arch).unwrap());
    let none: Vec<(&str, TensorView<'_>)> = Vec::new();
    let bytes = safetensors::serialize(none, Some(info)).unwrap();
    let e = from_safetensors(&bytes).unwrap_err();
    assert!(
        matches!(&e, WeightsError::Metadata { key: "network", message, .. } if message.contains("layer 1 already has this name")),
        "{e}"
    );
}

/// `basic(` nested 3,000 deep (an 18 KB line) overflowed a 2 MiB stack in the parser's
/// recursion, and the browser's 1 MiB wasm stack sooner: a trap, not a message. Beyond the
/// fuzzer's 4 KB inputs and its 8 MiB stack, found by probing the depth it could not reach.
#[test]
fn deeply_nested_blocks_are_refused_not_a_stack_overflow() {
    let nested = |depth: usize| {
        format!(
            "input 8x8x1, {}relu{}",
            "basic(".repeat(depth),
            ")".repeat(depth)
        )
    };
    assert!(Architecture::from_text(&nested(MAX_BLOCK_NESTING)).is_ok());
    let e = Architecture::from_text(&nested(MAX_BLOCK_NESTING + 1)).unwrap_err();
    assert_eq!(e.column, 14 + 6 * MAX_BLOCK_NESTING, "{e}");
    assert!(e.expected.contains("at most 16 blocks may nest"), "{e}");
    let e = Architecture::from_text(&nested(3000)).unwrap_err();
    assert_eq!(e.column, 14 + 6 * MAX_BLOCK_NESTING, "{e}");
    // The JSON form holds to the same limit.
    let mut arch = Architecture::from_text("input 8x8x1, relu").unwrap();
    for _ in 0..=MAX_BLOCK_NESTING {
        let inner = std::mem::take(&mut arch.layers);
        arch.layers = vec![Layer::new(
            "block1",
            Residual {
                block: BlockKind::Basic,
                main: inner,
                shortcut: Vec::new(),
            },
        )];
    }
    let json = serde_json::to_string(&arch).unwrap();
    let e = Architecture::parse_description(&json).unwrap_err();
    assert_eq!(
        e,
        DescriptionError::TooDeep {
            block: format!("block1{}", ".block1".repeat(MAX_BLOCK_NESTING)),
            depth: MAX_BLOCK_NESTING + 1,
        }
    );
}
