//! Runs the built `convscope` binary: `arch` tables, JSON, listing and error exits.

use std::process::{Command, Output};

fn convscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convscope"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run convscope: {e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn alexnet_text_table_has_the_lecture_lines() {
    let o = convscope(&["arch", "alexnet_lecture"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for line in [
        "[227x227x3] INPUT",
        "[55x55x96] CONV1: 96 11x11 filters at stride 4, pad 0",
        "[27x27x96] MAX POOL1: 3x3 filters at stride 2",
        "[27x27x96] NORM1: Normalization layer",
        "[27x27x256] CONV2: 256 5x5 filters at stride 1, pad 2",
        "[13x13x256] MAX POOL2: 3x3 filters at stride 2",
        "[13x13x256] NORM2: Normalization layer",
        "[13x13x384] CONV3: 384 3x3 filters at stride 1, pad 1",
        "[13x13x384] CONV4: 384 3x3 filters at stride 1, pad 1",
        "[13x13x256] CONV5: 256 3x3 filters at stride 1, pad 1",
        "[6x6x256] MAX POOL3: 3x3 filters at stride 2",
        "[6x6x256] ADAPTIVE AVG POOL: filters with output size 6x6",
        "[4096] FC6: 4096 neurons",
        "[4096] FC7: 4096 neurons",
        "[1000] FC8: 1000 neurons (class scores)",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    let conv1 = text
        .lines()
        .find(|l| l.starts_with("[55x55x96] CONV1"))
        .unwrap_or_default();
    assert!(
        conv1.contains("34,944") && conv1.contains("105,415,200"),
        "{conv1}"
    );
    assert!(text.contains("62,378,344"), "total params missing:\n{text}");
}

#[test]
fn columns_are_aligned() {
    let text = stdout(&convscope(&["arch", "alexnet_lecture"]));
    let width = |l: &str| l.chars().count();
    let header = text
        .lines()
        .find(|l| l.starts_with("layer"))
        .unwrap_or_default();
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with('[') || l.starts_with("TOTAL"))
        .collect();
    assert_eq!(rows.len(), 16, "INPUT, 14 layers, TOTAL");
    // Every column is right-aligned, so every full row is as wide as the header.
    for row in rows {
        assert_eq!(width(row), width(header), "misaligned: {row:?}");
    }
}

#[test]
fn json_parses_and_has_one_object_per_layer() {
    let o = convscope(&["arch", "alexnet_lecture", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("bad JSON: {e}"));
    let layers = v["layers"].as_array().cloned().unwrap_or_default();
    assert_eq!(layers.len(), 14);
    let conv1 = &layers[0];
    assert_eq!(conv1["name"], "CONV1");
    assert_eq!(conv1["kind"], "conv");
    assert_eq!(conv1["output"], serde_json::json!([55, 55, 96]));
    assert_eq!(conv1["params"], 34_944);
    assert_eq!(conv1["macs"], 105_415_200);
    assert_eq!(conv1["receptive_field"]["size"], 11);
    assert_eq!(conv1["receptive_field"]["jump"], 4);
    assert_eq!(v["totals"]["params"], 62_378_344);
}

#[test]
fn input_option_propagates() {
    let o = convscope(&["arch", "alexnet_lecture", "--input", "259x259x3", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("bad JSON: {e}"));
    assert_eq!(v["layers"][0]["output"], serde_json::json!([63, 63, 96]));
    assert_eq!(v["input"], serde_json::json!([259, 259, 3]));
}

#[test]
fn list_names_every_network() {
    let o = convscope(&["arch", "--list"]);
    assert!(o.status.success());
    let text = stdout(&o);
    for name in convscope_core::arch::zoo::NAMES {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "{name} missing:\n{text}"
        );
    }
    assert!(text.contains("138,357,544"), "{text}");
}

#[test]
fn a_breaking_size_exits_1_and_names_the_layer() {
    let o = convscope(&["arch", "alexnet_lecture", "--input", "51x51x3"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("MAX POOL3: 3×3 window is larger than its 2×2 input"),
        "{}",
        stderr(&o)
    );
    for input in ["0x0x3", "1x1x3", "4000000000x4000000000x3"] {
        let o = convscope(&["arch", "vgg16", "--input", input]);
        assert_eq!(o.status.code(), Some(1), "{input}: {}", stderr(&o));
        assert!(stderr(&o).starts_with("error: "), "{input}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{input}: {}", stderr(&o));
    }
}

#[test]
fn bad_input_strings_and_names_exit_2() {
    for input in [
        "51x51",
        "abc",
        "-1x2x3",
        "1.5x2x3",
        "99999999999999999999999x1x1",
        "",
    ] {
        let o = convscope(&["arch", "alexnet", "--input", input]);
        assert_eq!(o.status.code(), Some(2), "{input:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("HxWxC"), "{input:?}: {}", stderr(&o));
    }
    let o = convscope(&["arch", "resnet9000"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown network 'resnet9000'"));
    assert_eq!(convscope(&["arch"]).status.code(), Some(2));
}

#[test]
fn resnet_blocks_show_their_layers() {
    let text = stdout(&convscope(&["arch", "ResNet-18"]));
    assert!(text.contains("[56x56x64] layer1.0: basic block"), "{text}");
    assert!(
        text.contains("    [56x56x64] conv1: 64 3x3 filters"),
        "{text}"
    );
    assert!(text.contains("11,689,512"), "{text}");
}

#[test]
fn size_still_works() {
    let o = convscope(&["size", "-w", "227", "-f", "11", "-s", "4"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o).trim(), "55");
}
