//! How the image became the network's input, stage by stage: original → grayscale →
//! inverted (if its background was light), cleaned and cropped → the 28×28 input.

use std::rc::Rc;

use yew::prelude::*;

use super::plane_canvas::PlaneCanvas;
use crate::agent::{Stage, Stages};

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
    pub stages: Option<Rc<Stages>>,
    /// The 28×28 input.
    pub input: Rc<Vec<f32>>,
}

const SIZE: f64 = 96.0;

fn stage(title: &str, s: &Stage, frame: Option<[u32; 4]>, testid: &'static str) -> Html {
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
            <PlaneCanvas values={Rc::new(s.pixels.clone())} rows={h} cols={w} size={size}
                frame={frame} label={format!("{title}, {w}×{h}")} />
            <figcaption>{ title.to_string() }<br/><span class="muted">{ format!("{w}×{h}") }</span></figcaption>
        </figure>
    }
}

/// The preprocessing strip.
#[component]
pub fn PreprocessView(props: &PreprocessViewProps) -> Html {
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
    let stages = props.stages.as_ref().map(|s| {
        let note = if s.inverted {
            "inverted (light background), cleaned"
        } else {
            "cleaned (dark background kept)"
        };
        html! {
            <>
                { stage("grayscale", &s.grayscale, None, "stage-grayscale") }
                { arrow.clone() }
                { stage(note, &s.cleaned, Some(s.bounding_box), "stage-cleaned") }
                { arrow.clone() }
                { stage("cropped to the ink", &s.cropped, None, "stage-cropped") }
                { arrow.clone() }
                { stage(if s.style == "digit" { "scaled to 20×20 box" } else { "scaled to fit 28×28" }, &s.scaled, None, "stage-scaled") }
                { arrow.clone() }
            </>
        }
    });
    html! {
        <div class="stages" data-testid="stages"
            data-inverted={props.stages.as_ref().map(|s| s.inverted.to_string())}>
            { original }
            if props.stages.is_some() && props.original != Original::Pad { { arrow.clone() } }
            { stages }
            <figure class="stage-fig" data-testid="stage-input">
                <PlaneCanvas values={props.input.clone()} rows={28} cols={28} size={SIZE}
                    label="the network's 28×28 input" />
                <figcaption>{"network input"}<br/><span class="muted">{"28×28"}</span></figcaption>
            </figure>
        </div>
    }
}
