//! `convscope bench`: the figures it writes, the fixture it exports, bad arguments.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn convscope(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_convscope"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run convscope: {e}"))
}

#[test]
fn bench_writes_its_figures_and_a_fixture_the_core_loads() {
    let dir = std::env::temp_dir().join(format!("convscope-bench-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("native.json");
    let fixture = dir.join("fixture.safetensors");
    let out = convscope(&[
        "bench",
        "--seed",
        "4",
        "--warmup",
        "1",
        "--runs",
        "5",
        "--batch",
        "3",
        "--seconds",
        "0",
        "--export",
        fixture.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("one image:"), "{stdout}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["engine"], "convscope");
    assert_eq!(v["infer1"]["runs"], 5);
    assert_eq!(v["infer_batch"]["batch"], 3);
    assert_eq!(v["train64"]["batch"], 64);
    assert!(v["machine"]["cpu"].is_string());
    // The exported weights are the seed's network, by PyTorch name.
    let bytes = std::fs::read(&fixture).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let model = convscope_bench::Fixture::new(4).unwrap().model;
    for t in model.parameters() {
        let stored: Vec<f32> = st
            .tensor(&t.name)
            .unwrap()
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(stored, t.data, "{}", t.name);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bench_refuses_bad_durations_and_run_counts() {
    let out = convscope(&["bench", "--seconds=-1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--seconds must be between 0 and 600, got -1"),
        "{err}"
    );
    let out = convscope(&["bench", "--runs", "0"]);
    assert!(!out.status.success());
}
