//! How the image became the network's input, stage by stage: original → grayscale →
//! inverted (if its background was light), cleaned and cropped → the 28×28 input.

use std::rc::Rc;

use convscope_core::data::IMAGE_SIZE;
use convscope_core::preprocess::DIGIT_BOX;
use yew::prelude::*;

use crate::agent::{Stage, Stages};
use crate::by_ptr::ByPtr;
use crate::components::MatrixCanvas;

/// The original image.
#[derive(Debug, Clone, PartialEq)]
pub enum Original {
    /// An uploaded file, shown from an object URL.
    Url(AttrValue),
    /// The drawing pad (its image is the grayscale stage).
    Pad,
    /// A dataset sample: already the network's input.
    Sample,
}

/// Props of [`PreprocessView`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct PreprocessViewProps {
    /// The original.
    pub original: Original,
    /// The worker's stages (`None` for a sample).
    pub stages: Option<ByPtr<Stages>>,
    /// The 28×28 input.
    pub input: ByPtr<Vec<f32>>,
}

/// The pixels of the four stages drawn, shared once per result.
#[derive(Debug)]
struct StagePixels([Rc<Vec<f32>>; 4]);

impl StagePixels {
    fn of(s: &Stages) -> Self {
        Self([&s.grayscale, &s.cleaned, &s.cropped, &s.scaled].map(|st| Rc::new(st.pixels.clone())))
    }
}

const SIZE: f64 = 96.0;

/// "scaled to 20×20 box" (digits) or "scaled to fit 28×28" (objects), from the core's sizes.
fn scaled_caption(style: &str) -> String {
    if style == "digit" {
        format!("scaled to {DIGIT_BOX}×{DIGIT_BOX} box")
    } else {
        format!("scaled to fit {IMAGE_SIZE}×{IMAGE_SIZE}")
    }
}

fn stage(
    title: &str,
    s: &Stage,
    pixels: &Rc<Vec<f32>>,
    frame: Option<[u32; 4]>,
    testid: &'static str,
) -> Html {
    let w = s.width as usize;
    let h = s.height as usize;
    // Tall images: keep the height at SIZE.
    let size = if h > w {
        SIZE * w as f64 / h.max(1) as f64
    } else {
        SIZE
    };
    html! {
        <figure class="stage-fig" data-testid={testid}>
            <MatrixCanvas values={pixels.clone()} rows={h} cols={w} size={size}
                frame={frame} label={format!("{title}, {w}×{h}")} />
            <figcaption>{ title.to_string() }<br/><span class="muted">{ format!("{w}×{h}") }</span></figcaption>
        </figure>
    }
}

/// The preprocessing strip.
#[component]
pub fn PreprocessView(props: &PreprocessViewProps) -> Html {
    // Made once per result: the canvases are not drawn again on every render of the page.
    let pixels = use_memo(props.stages.clone(), |s| {
        s.as_ref().map(|s| StagePixels::of(s))
    });
    let arrow = html! { <span class="stage-arrow" aria-hidden="true">{"→"}</span> };
    let original = match &props.original {
        Original::Url(url) => html! {
            <figure class="stage-fig" data-testid="stage-original">
                <img src={url.clone()} alt="the uploaded image" class="stage-img" />
                <figcaption>{"original"}</figcaption>
            </figure>
        },
        Original::Pad => html! {
            <p class="muted small stage-note">{"Your drawing, as the pad sends it:"}</p>
        },
        Original::Sample => html! {
            <p class="muted small stage-note">{"A test image is already the network's input: 28×28, white ink on black, centred."}</p>
        },
    };
    let stages = props.stages.as_ref().zip((*pixels).as_ref()).map(
        |(s, StagePixels([gray, clean, crop, scaled]))| {
            let note = if s.inverted {
                "inverted (light background), cleaned"
            } else {
                "cleaned (dark background kept)"
            };
            html! {
                <>
                    { stage("grayscale", &s.grayscale, gray, None, "stage-grayscale") }
                    { arrow.clone() }
                    { stage(note, &s.cleaned, clean, Some(s.bounding_box), "stage-cleaned") }
                    { arrow.clone() }
                    { stage("cropped to the ink", &s.cropped, crop, None, "stage-cropped") }
                    { arrow.clone() }
                    { stage(&scaled_caption(&s.style), &s.scaled, scaled, None, "stage-scaled") }
                    { arrow.clone() }
                </>
            }
        },
    );
    html! {
        <div class="stages" data-testid="stages"
            data-inverted={props.stages.as_ref().map(|s| s.inverted.to_string())}>
            { original }
            if props.stages.is_some() && props.original != Original::Pad { { arrow.clone() } }
            { stages }
            <figure class="stage-fig" data-testid="stage-input">
                <MatrixCanvas values={props.input.0.clone()} rows={IMAGE_SIZE} cols={IMAGE_SIZE} size={SIZE}
                    label={format!("the network's {IMAGE_SIZE}×{IMAGE_SIZE} input")} />
                <figcaption>{"network input"}<br/><span class="muted">{ format!("{IMAGE_SIZE}×{IMAGE_SIZE}") }</span></figcaption>
            </figure>
        </div>
    }
}
