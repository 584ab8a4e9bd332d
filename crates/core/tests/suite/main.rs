//! The core's integration tests, one module per concern, built as one test binary: natively
//! and in headless Chromium (`cargo xtask test` runs both) that is one link, one
//! `wasm-bindgen` pass and one browser start instead of one per file. Select a module by
//! name, e.g. `cargo test -p convscope-core --test suite lecture`.
//!
//! `wasm_bench.rs` stays a test binary of its own (`cargo xtask bench-wasm`, release, not
//! part of `cargo test`).

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;
#[path = "../fixtures/compare.rs"]
#[allow(clippy::expect_used)]
mod compare;

mod arch_formulas;
mod arch_inputs;
mod arch_text;
mod arch_zoo;
mod bounds;
mod data_pack;
mod explain;
mod explain_torch;
mod fixtures;
mod fuzz_regressions;
mod lecture;
mod nn_data;
mod nn_fixtures;
mod nn_gradients;
mod nn_lenet5;
mod nn_network;
mod nn_preprocess;
mod nn_weights;
mod proptests;
mod torch_equivalence;
mod trace;
mod trace_transposed;
mod wasm_smoke;
