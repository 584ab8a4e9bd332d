//! Network descriptions as typed (or pasted) on the Train page.

use convscope_core::arch::{Architecture, MAX_LAYERS};

use crate::{Case, Expect, Kind, refused};

/// `layers` layers: flatten, a linear layer to 10, then ReLUs (valid but for its length).
pub fn relu_tower(layers: usize) -> String {
    let mut s = "input 28x28x1, flatten, linear 10".to_owned();
    for _ in 2..layers {
        s.push_str(", relu");
    }
    s
}

/// The JSON form of [`relu_tower`] (which the text parser refuses past
/// [`convscope_core::arch::MAX_LAYERS`]: JSON can say anything).
///
/// # Errors
/// When the two-layer network cannot be written.
pub fn relu_tower_json(layers: usize) -> Result<String, String> {
    let arch = Architecture::from_text(&relu_tower(2)).map_err(|e| e.to_string())?;
    let mut value = serde_json::to_value(&arch).map_err(|e| e.to_string())?;
    let list = value["layers"]
        .as_array_mut()
        .ok_or("no layers in the JSON form")?;
    for i in 1..layers.saturating_sub(1) {
        list.push(serde_json::json!({"name": format!("relu{i}"), "op": {"kind": "activation", "function": "relu"}}));
    }
    serde_json::to_string(&value).map_err(|e| e.to_string())
}

/// The JSON form of a network whose residual blocks nest `depth` deep (the text form
/// refuses to write it; JSON can say anything).
///
/// # Errors
/// When the one-block network cannot be written.
pub fn nested_json(depth: usize) -> Result<String, String> {
    let arch = Architecture::from_text("input 28x28x1, basic(relu), flatten, linear 10")
        .map_err(|e| e.to_string())?;
    let json = serde_json::to_string(&arch).map_err(|e| e.to_string())?;
    let value: serde_json::Value = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    // Both written from the same `Value`, so the block's text is a substring of the whole.
    let json = serde_json::to_string(&value).map_err(|e| e.to_string())?;
    let block = serde_json::to_string(&value["layers"][0]).map_err(|e| e.to_string())?;
    let relu = block
        .find("{\"name\":\"relu\"")
        .ok_or(format!("no relu layer in {block}"))?;
    // The layer object ends where its `op` object does: `…"relu"}}`.
    let relu_end = relu + block[relu..].find("}}").ok_or("unclosed relu")? + 2;
    let relu_json = &block[relu..relu_end];
    // Replace the block's inner ReLU by the block itself, depth − 1 times.
    let mut nested = block.clone();
    for _ in 1..depth {
        nested = block.replacen(relu_json, &nested, 1);
    }
    Ok(json.replacen(&block, &nested, 1))
}

/// The description cases (UTF-8 text, except the one that is not).
pub fn cases() -> Vec<Case> {
    let case = |group: &str, name: &str, expect: Expect, text: String| {
        Case::new(group, name, "txt", Kind::Network, expect, text.into_bytes())
    };
    let mut out = vec![
        case(
            "valid",
            "net-lenet",
            Expect::Accepted,
            "input 28x28x1, conv 6 5x5 pad 2, relu, maxpool 2, conv 16 5x5, relu, maxpool 2, flatten, linear 120, relu, linear 84, relu, linear 10".into(),
        ),
        case("layers", "net-1000-layers", Expect::Accepted, relu_tower(MAX_LAYERS)),
        case(
            "layers",
            "net-10000-layers",
            refused("at most 1000 layers"),
            relu_tower(10_000),
        ),
        case(
            "layers",
            "net-400-conv-layers",
            refused("allowed here"),
            format!("input 28x28x1{}, flatten, linear 10", ", conv 64 3x3 pad 1, relu".repeat(200)),
        ),
        case(
            "size",
            "net-billion-parameters",
            refused("parameters"),
            "input 28x28x1, flatten, linear 1275000, linear 10".into(),
        ),
        case(
            "size",
            "net-input-100000",
            Expect::MessageOrResult,
            "input 100000x100000x3, conv 64 3x3, flatten, linear 10".into(),
        ),
        case(
            "size",
            "net-conv-4294967296-filters",
            // Natively a count, refused for its parameters; over `usize` in 32-bit wasm.
            refused("parameters | column"),
            "input 28x28x1, conv 4294967296 3x3, flatten, linear 10".into(),
        ),
        case(
            "size",
            "net-kernel-huge",
            Expect::MessageOrResult,
            "input 28x28x1, conv 6 1000000x1000000, flatten, linear 10".into(),
        ),
        case(
            "size",
            "net-number-overflow",
            refused("column"),
            "input 28x28x1, flatten, linear 99999999999999999999999".into(),
        ),
        case(
            "nesting",
            "net-text-nested-10000",
            refused("nest"),
            format!("input 28x28x1, {}relu{}, flatten, linear 10", "basic(".repeat(10_000), ")".repeat(10_000)),
        ),
        case(
            "nesting",
            "net-json-arrays-100000",
            refused("JSON"),
            format!("{{\"layers\": {}", "[".repeat(100_000)),
        ),
        case(
            "long",
            "net-one-word-1mib",
            refused("column"),
            format!("input 28x28x1, {}", "a".repeat(1 << 20)),
        ),
        case(
            "long",
            "net-invisible-characters",
            refused("column"),
            "input 28x28x1, conv\u{200b} 6 5x5, relu\u{202e}, flatten, linear 10".into(),
        ),
        case("long", "net-empty", Expect::MessageOrResult, String::new()),
    ];
    match relu_tower_json(10_000) {
        Ok(json) => out.push(case(
            "layers",
            "net-json-10000-layers",
            refused("at most 1000 layers"),
            json,
        )),
        Err(e) => out.push(case(
            "layers",
            "net-json-10000-layers",
            refused("at most 1000 layers"),
            e,
        )),
    }
    match nested_json(40) {
        Ok(json) => out.push(case(
            "nesting",
            "net-json-blocks-nested-40",
            refused("nest"),
            json,
        )),
        Err(e) => out.push(case(
            "nesting",
            "net-json-blocks-nested-40",
            refused("nest"),
            e,
        )),
    }
    // Not UTF-8: a browser's text field never holds it, a pasted file would be decoded
    // with U+FFFD in place of the bad bytes (as the matrices do).
    let mut bytes = b"input 28x28x1, conv 6 5x5, ".to_vec();
    bytes.extend_from_slice(&[0xFF, 0xFE, 0xC3, 0x28, 0x80]);
    bytes.extend_from_slice(b", flatten, linear 10");
    out.push(Case::new(
        "long",
        "net-invalid-utf8",
        "txt",
        Kind::Network,
        refused("column"),
        bytes,
    ));
    out
}
