//! Why did the network say this? The Classify page's explanations, computed in the worker
//! by `convscope_core::explain` for the model kept under a name, on the network input the
//! page shows (the preprocessed image).

use convscope_core::explain::{self, OcclusionConfig};
use convscope_core::nn::Workspace;
use serde::{Deserialize, Serialize};

use super::classify::now_ms;
use super::model;

/// Which explanation, for which class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExplainRequest {
    /// The gradient of the class's score (minus `versus`'s, when given) with respect to
    /// every input pixel; with `smooth = Some((σ, count))`, SmoothGrad over that many noisy
    /// copies.
    Saliency {
        class: usize,
        versus: Option<usize>,
        smooth: Option<(f32, usize)>,
    },
    /// A gray patch slid over the input: the drop in the class probability per position.
    Occlusion {
        class: usize,
        patch: usize,
        stride: usize,
    },
    /// Grad-CAM of the class (minus `versus`'s) at a layer.
    GradCam {
        class: usize,
        versus: Option<usize>,
        layer: String,
    },
    /// What value `[channel, row, column]` of a layer sees: its receptive field and the
    /// value's gradient with respect to each input pixel.
    Field { layer: String, unit: [usize; 3] },
}

/// The receptive field of one value (an [`ExplainRequest::Field`] answer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldInfo {
    /// The value itself.
    pub value: f32,
    /// `[first, end)` input rows the field covers (may reach into the padding).
    pub rows: [i64; 2],
    /// `[first, end)` input columns.
    pub cols: [i64; 2],
    /// The field's side (the Architectures page's RF column).
    pub size: usize,
}

/// An explanation's result, and how long the worker took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explained {
    /// What was asked.
    pub request: ExplainRequest,
    /// `[rows, cols]` of `map`.
    pub dims: [usize; 2],
    /// The map, row-major: input gradients, probability drops, or Grad-CAM at the layer.
    #[serde(with = "crate::wire::floats")]
    pub map: Vec<f32>,
    /// The map upsampled bilinearly onto the input's grid, when it is coarser (occlusion,
    /// Grad-CAM past a stride); `None` when `map` is on the input's grid already.
    pub on_input: Option<Vec<f32>>,
    /// The class probability of the image as it is (occlusion), else `None`.
    pub baseline: Option<f32>,
    /// Grad-CAM's weight of each map of the layer (the mean gradient), else empty.
    #[serde(with = "crate::wire::floats")]
    pub weights: Vec<f32>,
    /// The receptive field, for [`ExplainRequest::Field`].
    pub field: Option<FieldInfo>,
    /// Milliseconds in the worker, when it has a clock.
    pub millis: Option<f64>,
}

/// The parts of an [`Explained`] a method computes.
struct Parts {
    dims: [usize; 2],
    map: Vec<f32>,
    on_input: Option<Vec<f32>>,
    baseline: Option<f32>,
    weights: Vec<f32>,
    field: Option<FieldInfo>,
}

/// `map` on the input's grid, when it is not on it already.
///
/// # Errors
/// The core's message for a map of the wrong length or an input grid too large.
fn upsampled(map: &[f32], dims: [usize; 2], input: [usize; 2]) -> Result<Option<Vec<f32>>, String> {
    if dims == input {
        return Ok(None);
    }
    explain::upsample_bilinear(map, dims, input)
        .map(Some)
        .map_err(|e| e.to_string())
}

thread_local! {
    static WORKSPACE: std::cell::RefCell<Workspace> = std::cell::RefCell::new(Workspace::new());
}

/// Runs `request` with the model kept under `model_name` on `image` (the network input).
///
/// # Errors
/// The core's message (a class the model does not have, a patch larger than the image, a
/// layer it does not have, an input of the wrong size) or a missing model.
#[inline(never)] // compiled on its first call only: see `agent::answer`
pub fn explain(
    model_name: &str,
    image: &[f32],
    request: ExplainRequest,
) -> Result<Explained, String> {
    let kept = model::get(model_name)?;
    let net = &kept.net;
    let v = net.input();
    let input_dims = [v.h, v.w];
    let start = now_ms();
    let e = |e: convscope_core::nn::NnError| e.to_string();
    let result: Result<Parts, String> = WORKSPACE.with(|ws| {
        let ws = &mut *ws.borrow_mut();
        match &request {
            ExplainRequest::Saliency {
                class,
                versus,
                smooth,
            } => {
                let w = explain::class_weights(net, *class, *versus).map_err(e)?;
                let map = match smooth {
                    Some((sigma, count)) => {
                        explain::smooth_grad(net, image, &w, *sigma, *count, 1, ws).map_err(e)?
                    }
                    None => explain::input_gradient(net, image, &w, ws).map_err(e)?,
                };
                // One channel (28×28 grayscale inputs): the map is the input's grid.
                Ok(Parts {
                    dims: input_dims,
                    on_input: None,
                    map,
                    baseline: None,
                    weights: Vec::new(),
                    field: None,
                })
            }
            ExplainRequest::Occlusion {
                class,
                patch,
                stride,
            } => {
                let config = OcclusionConfig {
                    patch: *patch,
                    stride: *stride,
                    ..OcclusionConfig::default()
                };
                let o = explain::occlusion(net, image, *class, config, ws, &mut |_, _| {})
                    .map_err(e)?;
                let on_input = upsampled(&o.drops, o.dims, input_dims)?;
                Ok(Parts {
                    dims: o.dims,
                    map: o.drops,
                    on_input,
                    baseline: Some(o.baseline),
                    weights: Vec::new(),
                    field: None,
                })
            }
            ExplainRequest::GradCam {
                class,
                versus,
                layer,
            } => {
                let w = explain::class_weights(net, *class, *versus).map_err(e)?;
                let cam = explain::grad_cam(net, image, &w, layer, ws).map_err(e)?;
                let on_input = upsampled(&cam.map, cam.dims, input_dims)?;
                Ok(Parts {
                    dims: cam.dims,
                    map: cam.map,
                    on_input,
                    baseline: None,
                    weights: cam.weights,
                    field: None,
                })
            }
            ExplainRequest::Field { layer, unit } => {
                let f = explain::unit_field(net, image, layer, *unit, ws).map_err(e)?;
                Ok(Parts {
                    dims: input_dims,
                    map: f.gradient,
                    on_input: None,
                    baseline: None,
                    weights: Vec::new(),
                    field: Some(FieldInfo {
                        value: f.value,
                        rows: f.rows,
                        cols: f.cols,
                        size: f.size,
                    }),
                })
            }
        }
    });
    let p = result?;
    Ok(Explained {
        request,
        dims: p.dims,
        map: p.map,
        on_input: p.on_input,
        baseline: p.baseline,
        weights: p.weights,
        field: p.field,
        millis: start.zip(now_ms()).map(|(a, b)| b - a),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;

    fn loaded() -> Result<Vec<f32>, String> {
        let bytes = include_bytes!("../../../../www/models/lenet-mnist.safetensors");
        model::load("explain-mnist".into(), bytes)?;
        // A vertical bar: a one.
        Ok((0..784)
            .map(|i| {
                if (12..16).contains(&(i % 28)) && (4..24).contains(&(i / 28)) {
                    1.0
                } else {
                    0.0
                }
            })
            .collect())
    }

    #[test]
    fn every_explanation_runs_on_a_shipped_model() -> Result<(), String> {
        let x = loaded()?;
        let s = explain(
            "explain-mnist",
            &x,
            ExplainRequest::Saliency {
                class: 1,
                versus: Some(7),
                smooth: None,
            },
        )?;
        assert_eq!((s.dims, s.map.len()), ([28, 28], 784));
        assert!(s.map.iter().any(|&g| g != 0.0));
        let o = explain(
            "explain-mnist",
            &x,
            ExplainRequest::Occlusion {
                class: 1,
                patch: 8,
                stride: 2,
            },
        )?;
        // (28 − 8)/2 + 1 = 11.
        assert_eq!(
            (o.dims, o.map.len(), o.on_input.as_ref().map(Vec::len)),
            ([11, 11], 121, Some(784))
        );
        assert!(
            o.baseline.is_some_and(|p| p > 0.5),
            "the bar is a one: {:?}",
            o.baseline
        );
        let g = explain(
            "explain-mnist",
            &x,
            ExplainRequest::GradCam {
                class: 1,
                versus: None,
                layer: "conv2".into(),
            },
        )?;
        assert_eq!(
            (g.dims, g.weights.len(), g.on_input.as_ref().map(Vec::len)),
            ([10, 10], 16, Some(784))
        );
        // pool2 value (15, 2, 3) of LeNet-5 sees the 16×16 input pixels at rows 6..22,
        // columns 10..26 (the Architectures page's RF column says 16).
        let f = explain(
            "explain-mnist",
            &x,
            ExplainRequest::Field {
                layer: "pool2".into(),
                unit: [15, 2, 3],
            },
        )?;
        let info = f.field.expect("a field");
        assert_eq!((info.rows, info.cols, info.size), ([6, 22], [10, 26], 16));
        assert_eq!(f.map.len(), 784);
        Ok(())
    }

    #[test]
    fn bad_requests_are_messages() -> Result<(), String> {
        let x = loaded()?;
        let e = explain(
            "explain-mnist",
            &x,
            ExplainRequest::GradCam {
                class: 1,
                versus: None,
                layer: "conv9".into(),
            },
        )
        .expect_err("no conv9");
        assert!(e.contains("conv9"), "{e}");
        let e = explain(
            "explain-mnist",
            &x,
            ExplainRequest::Occlusion {
                class: 1,
                patch: 40,
                stride: 1,
            },
        )
        .expect_err("a patch larger than the image");
        assert!(e.contains("40"), "{e}");
        assert!(
            explain(
                "explain-mnist",
                &x,
                ExplainRequest::Saliency {
                    class: 12,
                    versus: None,
                    smooth: None
                }
            )
            .is_err()
        );
        assert!(
            explain(
                "never-loaded",
                &x,
                ExplainRequest::Saliency {
                    class: 1,
                    versus: None,
                    smooth: None
                }
            )
            .is_err()
        );
        Ok(())
    }
}
