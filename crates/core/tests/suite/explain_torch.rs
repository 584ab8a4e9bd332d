//! convscope's explanations against PyTorch's autograd on the same networks (the files in
//! `tests/fixtures/torch`, loaded by PyTorch with `load_state_dict(strict=True)`): saliency,
//! the saliency of a difference of two classes, Grad-CAM (weights, map, the map upsampled
//! by `F.interpolate(mode="bilinear", align_corners=False)`) and occlusion drops, within
//! 1e-4. The reference is written by `bench/torch_explain.py` (README of crates/core).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use convscope_core::explain::{
    OcclusionConfig, class_weights, grad_cam, input_gradient, occlusion, scores,
};
use convscope_core::nn::Workspace;
use convscope_core::weights::from_safetensors;
use serde::Deserialize;

#[derive(Deserialize)]
struct Cam {
    dims: Vec<usize>,
    weights: Vec<f32>,
    map: Vec<f32>,
    on_input: Vec<f32>,
}

#[derive(Deserialize)]
struct Occ {
    patch: usize,
    stride: usize,
    fill: f32,
    baseline: f32,
    drops: Vec<f32>,
}

#[derive(Deserialize)]
struct Reference {
    torch: String,
    input: Vec<f32>,
    logits: Vec<f32>,
    top: usize,
    second: usize,
    saliency: Vec<f32>,
    versus: Vec<f32>,
    grad_cam: HashMap<String, Cam>,
    occlusion: Occ,
}

fn close(what: &str, ours: &[f32], torch: &[f32]) {
    assert_eq!(ours.len(), torch.len(), "{what}: lengths");
    assert!(
        torch.iter().any(|v| *v != 0.0),
        "{what}: an all-zero reference checks nothing"
    );
    let scale = torch.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    for (i, (&a, &b)) in ours.iter().zip(torch).enumerate() {
        let tol = 1e-4 * (1.0 + b.abs().max(scale * 1e-2));
        assert!(
            (a - b).abs() <= tol,
            "{what}[{i}]: convscope {a} vs PyTorch {b}"
        );
    }
}

#[test]
fn explanations_equal_pytorchs_autograd() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch");
    let json = std::fs::read_to_string(dir.join("explain_reference.json")).unwrap();
    let refs: HashMap<String, Reference> = serde_json::from_str(&json).unwrap();
    assert_eq!(refs.len(), 2, "lenet5 and fashion_resnet");
    for (name, r) in &refs {
        let bytes = std::fs::read(dir.join(format!("{name}.safetensors"))).unwrap();
        let (net, _) = from_safetensors(&bytes).unwrap();
        let mut ws = Workspace::new();
        let what = |s: &str| format!("{name} {s} (PyTorch {})", r.torch);
        let s = &scores(&net, &r.input, 1, &mut ws).unwrap()[0];
        close(&what("logits"), &s.logits, &r.logits);
        let top = class_weights(&net, r.top, None).unwrap();
        let g = input_gradient(&net, &r.input, &top, &mut ws).unwrap();
        close(&what("saliency"), &g, &r.saliency);
        let w = class_weights(&net, r.top, Some(r.second)).unwrap();
        let g = input_gradient(&net, &r.input, &w, &mut ws).unwrap();
        close(&what("saliency of top − second"), &g, &r.versus);
        for (layer, cam) in &r.grad_cam {
            let ours = grad_cam(&net, &r.input, &top, layer, &mut ws).unwrap();
            assert_eq!(ours.dims.to_vec(), cam.dims, "{name} {layer} dims");
            close(
                &what(&format!("Grad-CAM weights at {layer}")),
                &ours.weights,
                &cam.weights,
            );
            close(&what(&format!("Grad-CAM at {layer}")), &ours.map, &cam.map);
            let v = net.input();
            let up = convscope_core::explain::upsample_bilinear(&ours.map, ours.dims, [v.h, v.w])
                .unwrap();
            close(
                &what(&format!("Grad-CAM at {layer}, upsampled")),
                &up,
                &cam.on_input,
            );
        }
        let o = &r.occlusion;
        let config = OcclusionConfig {
            patch: o.patch,
            stride: o.stride,
            fill: o.fill,
        };
        let ours = occlusion(&net, &r.input, r.top, config, &mut ws, &mut |_, _| {}).unwrap();
        close(&what("occlusion baseline"), &[ours.baseline], &[o.baseline]);
        close(&what("occlusion drops"), &ours.drops, &o.drops);
    }
}
