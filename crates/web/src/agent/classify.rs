//! Classification in the worker: prepare the image (a drawing; files come prepared by the
//! image worker, [`super::decode`]), run a kept model, return every layer.

use convscope_core::arch::LayerKind;
use convscope_core::data::{IMAGE_PIXELS, IMAGE_SIZE};
use convscope_core::nn::{Network, Workspace};
use convscope_core::preprocess::{self, GrayImage, Preprocessed, Style};
use serde::{Deserialize, Serialize};

use super::model;

/// The image to classify.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClassifyInput {
    /// A ready network input: 784 values in `[0, 1]`, white ink on black (a dataset sample).
    Ready(#[serde(with = "crate::wire::floats")] Vec<f32>),
    /// A grayscale drawing in `[0, 1]`, any background: preprocessed like a file.
    Drawing {
        width: u32,
        height: u32,
        #[serde(with = "crate::wire::floats")]
        pixels: Vec<f32>,
    },
    /// An image file (PNG, JPEG, GIF, WebP, BMP). The core's worker does not decode files:
    /// the page has the image worker prepare it ([`super::decode::prepare`]) and sends the
    /// [`ClassifyInput::Prepared`] result.
    File(#[serde(with = "crate::wire::bytes")] Vec<u8>),
    /// A file the image worker decoded and framed for the model's style.
    Prepared(Box<Prepared>),
}

/// An image file made into a network input by the image worker: the input and its stages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prepared {
    /// The network input, 28×28 row-major.
    #[serde(with = "crate::wire::floats")]
    pub input: Vec<f32>,
    /// How it was prepared.
    pub stages: Stages,
}

/// A grayscale image for display, values in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row-major values.
    #[serde(with = "crate::wire::floats")]
    pub pixels: Vec<f32>,
}

impl From<GrayImage> for Stage {
    fn from(g: GrayImage) -> Self {
        Self {
            width: g.width,
            height: g.height,
            pixels: g.pixels,
        }
    }
}

/// The preprocessing of a drawing or a file, stage by stage (see `convscope_core::preprocess`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stages {
    /// Decoded to grayscale (at most 256 px a side).
    pub grayscale: Stage,
    /// Whether a light background was detected and the image inverted.
    pub inverted: bool,
    /// Inverted (if needed), background removed, ink stretched to 1.
    pub cleaned: Stage,
    /// The ink's bounding box `[x0, y0, x1, y1)` in the original pixels.
    pub bounding_box: [u32; 4],
    /// The ink cropped.
    pub cropped: Stage,
    /// Scaled to fit (20×20 for digits, 28×28 for objects).
    pub scaled: Stage,
    /// "digit" (MNIST recipe: 20×20 box, centre of mass centred) or "object".
    pub style: String,
}

/// One layer's output: its name, what it is, its shape and row-major values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerOutput {
    /// The layer's path: `conv1`, `relu1`, `block1.conv2` (a block's layers follow it).
    pub name: String,
    /// What kind of layer.
    pub kind: LayerKind,
    /// The explorer's description: `6 5x5 filters at stride 1, pad 2`.
    pub description: String,
    /// `[C, H, W]` for maps, `[units]` for a 1×1 volume.
    pub shape: Vec<usize>,
    /// Row-major values.
    #[serde(with = "crate::wire::floats")]
    pub values: Vec<f32>,
}

/// The worker's answer to a classification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classified {
    /// The model's name.
    pub model: String,
    /// How the image was prepared; `None` for a ready input.
    pub stages: Option<Stages>,
    /// The network input, 28×28 row-major.
    #[serde(with = "crate::wire::floats")]
    pub input: Vec<f32>,
    /// Every layer's output, input to output (a residual block's layers after the block).
    pub layers: Vec<LayerOutput>,
    /// Softmax of the last layer's output.
    pub probabilities: Vec<f32>,
    /// The most probable class.
    pub top: usize,
    /// Its probability.
    pub confidence: f32,
    /// Microseconds the forward pass took in the worker (input to probabilities), when a
    /// clock is available (in the browser).
    pub forward_micros: Option<f64>,
}

/// The network input and the stages of `p`, prepared in `style`.
pub(crate) fn stages(p: Preprocessed, style: Style) -> (Vec<f32>, Stages) {
    let stages = Stages {
        grayscale: p.grayscale.into(),
        inverted: p.inverted,
        cleaned: p.cleaned.into(),
        bounding_box: p.bounding_box,
        cropped: p.cropped.into(),
        scaled: p.scaled.into(),
        style: match style {
            Style::Digit => "digit".into(),
            Style::Object => "object".into(),
        },
    };
    (p.input, stages)
}

thread_local! {
    /// The worker's buffers for one image, kept between requests.
    static WORKSPACE: std::cell::RefCell<Workspace> = std::cell::RefCell::new(Workspace::new());
}

/// A whole classification of a blank image by the model kept under `model`, its reply
/// encoded as the worker sends it and dropped: run when a model loads. Browsers compile a
/// wasm function on its first call, and the workspace sizes its buffers on its first batch:
/// with only a forward pass here, the visitor's first classification still compiled the
/// softmax, the copy of every layer and the reply's encoding, and V8 was still optimising
/// the forward pass's code: on first visits of the Classify page (AMD EPYC Zen 4, Chromium
/// 156, 16 visits of each build, `bench/first-visit.mjs`), the first forward pass ÷ a warm
/// one went from a median of 2.6× to 1.6×, and the first request in the worker from 5–12 ms
/// to about 4 ms; the load takes about as long as before.
pub(crate) fn warm_up(model: &str) {
    let reply = classify(model, ClassifyInput::Ready(vec![0.0; IMAGE_PIXELS])).map(Box::new);
    // A failure here would recur, and be reported, on the first real request.
    let _ = super::protocol::to_bytes(&super::protocol::FromWorker::Reply {
        id: 0,
        reply: super::CoreReply::Classified(reply),
    });
}

/// Milliseconds from the worker's (or window's) `performance` clock.
#[cfg(target_arch = "wasm32")]
pub(crate) fn now_ms() -> Option<f64> {
    use wasm_bindgen::JsCast;
    let global = js_sys::global();
    let perf = js_sys::Reflect::get(&global, &"performance".into()).ok()?;
    perf.dyn_into::<web_sys::Performance>()
        .ok()
        .map(|p| p.now())
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn now_ms() -> Option<f64> {
    None
}

/// Prepares `input` (a drawing) and runs the model kept under `model_name` on it.
///
/// The style of preprocessing follows the model's dataset ([`Style::for_dataset`]).
///
/// # Errors
/// The preprocessing error (a blank drawing), an input of the wrong size, a file not
/// prepared yet, or a missing model.
#[inline(never)] // compiled on its first call only: see `agent::answer`
pub fn classify(model_name: &str, input: ClassifyInput) -> Result<Classified, String> {
    let kept = model::get(model_name)?;
    let (net, style) = (&kept.net, kept.style);
    let (input, stages) = match input {
        ClassifyInput::Ready(v) => (network_input(v, "a ready input")?, None),
        ClassifyInput::Drawing {
            width,
            height,
            pixels,
        } => {
            let p = preprocess::preprocess_luma(
                GrayImage {
                    width,
                    height,
                    pixels,
                },
                style,
            )
            .map_err(|e| e.to_string())?;
            let (i, s) = stages(p, style);
            (i, Some(s))
        }
        ClassifyInput::File(_) => {
            return Err(
                "an image file is decoded by the image worker before it is classified \
                 (the page sends it prepared)"
                    .to_owned(),
            );
        }
        ClassifyInput::Prepared(p) => {
            let Prepared { input, stages } = *p;
            (network_input(input, "a prepared input")?, Some(stages))
        }
    };
    let (layers, probabilities, forward_micros) = WORKSPACE.with(|ws| {
        let mut ws = ws.borrow_mut();
        let start = now_ms();
        let logits = net.infer(&input, 1, &mut ws).map_err(|e| e.to_string())?;
        let probabilities = convscope_core::softmax(logits);
        let forward_micros = start.zip(now_ms()).map(|(a, b)| (b - a) * 1000.0);
        // Every layer's copy for the page is not the forward pass: it is not timed.
        Ok::<_, String>((layer_outputs(net, &ws), probabilities, forward_micros))
    })?;
    let (top, confidence) =
        probabilities
            .iter()
            .copied()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |best, (i, p)| {
                if p > best.1 { (i, p) } else { best }
            });
    Ok(Classified {
        model: model_name.to_owned(),
        stages,
        input,
        layers,
        probabilities,
        top,
        confidence,
        forward_micros,
    })
}

/// `v` when it is one network input (28×28 values); `what` names it in the error.
fn network_input(v: Vec<f32>, what: &str) -> Result<Vec<f32>, String> {
    if v.len() == IMAGE_PIXELS {
        Ok(v)
    } else {
        Err(format!(
            "{what} needs {IMAGE_PIXELS} values ({IMAGE_SIZE}×{IMAGE_SIZE}), got {}",
            v.len()
        ))
    }
}

/// Every layer's output of the batch of one in `ws`, named and described by the explorer's
/// evaluation.
pub(crate) fn layer_outputs(net: &Network, ws: &Workspace) -> Vec<LayerOutput> {
    let report = net.report();
    ws.outputs(net)
        .into_iter()
        .map(|o| {
            let layer = report.find(o.name);
            let v = o.volume;
            LayerOutput {
                name: o.name.to_owned(),
                kind: layer.map_or(LayerKind::Activation, |l| l.kind),
                description: layer.map(|l| l.description.clone()).unwrap_or_default(),
                shape: if v.h == 1 && v.w == 1 {
                    vec![v.c]
                } else {
                    vec![v.c, v.h, v.w]
                },
                values: o.values.to_vec(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MNIST: &[u8] = include_bytes!("../../../../www/models/lenet-mnist.safetensors");

    /// Loading a model classifies once (its code compiled, the workspace sized for one
    /// image) before any request arrives.
    #[test]
    fn loading_a_model_runs_it_once() -> Result<(), String> {
        WORKSPACE.with(|ws| *ws.borrow_mut() = Workspace::new());
        model::load("warm-mnist".into(), MNIST)?;
        assert_eq!(WORKSPACE.with(|ws| ws.borrow().batch()), 1);
        Ok(())
    }

    /// A vertical bar: a "1" on a white page, as a user would draw it.
    fn drawn_one() -> ClassifyInput {
        let (w, h) = (60u32, 80u32);
        let mut pixels = vec![1.0f32; (w * h) as usize];
        for y in 10..70 {
            for x in 27..33 {
                pixels[(y * w + x) as usize] = 0.0;
            }
        }
        ClassifyInput::Drawing {
            width: w,
            height: h,
            pixels,
        }
    }

    #[test]
    fn a_drawn_bar_is_a_one_and_every_layer_has_its_shape() -> Result<(), String> {
        model::load("mnist-test".into(), MNIST)?;
        let c = classify("mnist-test", drawn_one())?;
        assert_eq!(c.top, 1, "probabilities {:?}", c.probabilities);
        let shapes: Vec<(&str, Vec<usize>)> = c
            .layers
            .iter()
            .map(|l| (l.name.as_str(), l.shape.clone()))
            .collect();
        assert_eq!(
            shapes,
            vec![
                ("conv1", vec![6, 28, 28]),
                ("relu1", vec![6, 28, 28]),
                ("pool1", vec![6, 14, 14]),
                ("conv2", vec![16, 10, 10]),
                ("relu2", vec![16, 10, 10]),
                ("pool2", vec![16, 5, 5]),
                ("flatten", vec![400]),
                ("fc1", vec![120]),
                ("relu3", vec![120]),
                ("fc2", vec![84]),
                ("relu4", vec![84]),
                ("fc3", vec![10]),
            ]
        );
        assert_eq!(c.layers[0].kind, LayerKind::Conv);
        assert_eq!(c.layers[0].description, "6 5x5 filters at stride 1, pad 2");
        let sum: f32 = c.probabilities.iter().sum();
        assert!((sum - 1.0).abs() < 1e-5, "sum {sum}");
        let stages = c.stages.ok_or("a drawing has stages")?;
        assert!(stages.inverted, "a white page is inverted");
        assert_eq!(c.input.len(), 784);
        Ok(())
    }

    #[test]
    fn the_residual_digit_model_reads_the_drawn_bar_too() -> Result<(), String> {
        model::load(
            "digit-resnet-test".into(),
            include_bytes!("../../../../www/models/digit-resnet.safetensors"),
        )?;
        let c = classify("digit-resnet-test", drawn_one())?;
        assert_eq!(c.top, 1, "probabilities {:?}", c.probabilities);
        assert!(c.layers.iter().any(|l| l.name == "block1.conv2"));
        Ok(())
    }

    fn blank_stage() -> Stage {
        Stage {
            width: 1,
            height: 1,
            pixels: vec![0.0],
        }
    }

    /// A file goes through the image worker ([`crate::agent::decode::prepare`]) and its
    /// result through the core's: the same answer as the same picture drawn.
    #[test]
    fn a_prepared_file_is_classified_as_the_same_drawing() -> Result<(), String> {
        model::load("mnist-prepared".into(), MNIST)?;
        let ClassifyInput::Drawing {
            width,
            height,
            pixels,
        } = drawn_one()
        else {
            return Err("drawn_one is a drawing".into());
        };
        let png = preprocess::encode_png_gray(&GrayImage {
            width,
            height,
            pixels: pixels.clone(),
        })
        .map_err(|e| e.to_string())?;
        let prepared = crate::agent::decode::prepare(&png, Style::Digit)?;
        let from_file = classify(
            "mnist-prepared",
            ClassifyInput::Prepared(Box::new(prepared)),
        )?;
        let drawn = classify(
            "mnist-prepared",
            ClassifyInput::Drawing {
                width,
                height,
                pixels,
            },
        )?;
        assert_eq!(from_file.top, 1);
        assert_eq!(
            from_file.input, drawn.input,
            "black and white survive the PNG's 8 bits"
        );
        assert_eq!(from_file.stages, drawn.stages);
        Ok(())
    }

    #[test]
    fn bad_inputs_are_messages() -> Result<(), String> {
        model::load("mnist-bad".into(), MNIST)?;
        let err = |i| classify("mnist-bad", i).err().unwrap_or_default();
        // Files are the image worker's to decode.
        assert!(err(ClassifyInput::File(vec![])).contains("image worker"));
        assert!(err(ClassifyInput::Ready(vec![0.0; 10])).contains("784"));
        let short = Prepared {
            input: vec![0.0; 10],
            stages: Stages {
                grayscale: blank_stage(),
                inverted: false,
                cleaned: blank_stage(),
                bounding_box: [0, 0, 1, 1],
                cropped: blank_stage(),
                scaled: blank_stage(),
                style: "digit".into(),
            },
        };
        assert!(err(ClassifyInput::Prepared(Box::new(short))).contains("784"));
        let blank = ClassifyInput::Drawing {
            width: 4,
            height: 4,
            pixels: vec![1.0; 16],
        };
        assert!(err(blank).contains("blank"));
        assert!(classify("nope", ClassifyInput::Ready(vec![0.0; 784])).is_err());
        Ok(())
    }
}
