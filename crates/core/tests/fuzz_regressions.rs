//! What the cargo-fuzz targets (`fuzz/`, `cargo xtask fuzz`) found, one named test per
//! finding, with the minimized input written out in code. Each of these panicked, hung or
//! ran out of memory before its fix; now each returns a value or a typed error whose
//! message names the values.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use convscope_core::shape::ShapeError;

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
    // 18446744073709551614 = 10·1844674407370955161 + 4; the next multiple of 10 overflows.
    assert!(
        advice.contains("remainder 4")
            && advice.contains("groups = 7 or groups = 14,")
            && advice.contains("or 18446744073709551610 channels."),
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
