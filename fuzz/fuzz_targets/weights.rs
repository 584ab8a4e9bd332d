//! A `.safetensors` file given to the Classify page or `convscope eval`: `from_safetensors`,
//! and when it loads, one inference on a zero image of the network's input size. The
//! loader must refuse what it cannot hold (a file cannot carry more parameters than its
//! bytes), so only the inference is capped here, by the network's own memory estimate.
#![no_main]

use convscope_core::nn::Workspace;
use convscope_core::weights;
use libfuzzer_sys::fuzz_target;

/// The most memory one inference may need here (the core allows 8 GiB natively).
const INFERENCE_BYTES: u64 = 256 << 20;

fuzz_target!(|data: &[u8]| {
    let Ok((net, meta)) = weights::from_safetensors(data) else {
        return;
    };
    assert_eq!(meta.class_names.len(), net.output_len());
    if net.memory(1).total() > INFERENCE_BYTES {
        return;
    }
    let image = vec![0.0f32; net.input_len()];
    let mut ws = Workspace::new();
    match net.infer(&image, 1, &mut ws) {
        Ok(out) => assert_eq!(out.len(), net.output_len()),
        // A layer that cannot run in evaluation is refused with a message, as is a batch
        // too large for the memory limit.
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
