//! Runs a core computation inside headless Chromium (`cargo xtask test` drives it) and
//! natively. Proves the core compiles to wasm32 and computes the lecture's numbers there.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use convscope_core::conv_output_size;

#[test]
fn alexnet_conv1_output_is_55_in_this_target() {
    assert_eq!(conv_output_size(227, 11, 4, 0, 1), Ok(55));
}
