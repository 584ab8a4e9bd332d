//! "Why this class?": the prediction explained, computed by the core in the web worker for
//! the model that made it ([`crate::agent::explain`]):
//!
//! - **saliency**: how each input pixel moves the class's score (or the difference of two
//!   classes' scores: "why 3 and not 8?"), plain or SmoothGrad;
//! - **occlusion**: a gray patch slid over the input like a kernel — its positions follow
//!   the lecture's output-size formula, shown — and the drop in the class probability at
//!   each, animated with the lab's player ([`super::occlusion`]);
//! - **Grad-CAM** at any convolution layer, upsampled onto the input.
//!
//! The settings are the page's, in its URL ([`crate::lab::classify::ExplainSettings`]).

use std::rc::Rc;

use convscope_core::data::IMAGE_SIZE;
use convscope_core::format::parse_f32;
use yew::prelude::*;

use crate::agent::{CoreReply, CoreRequest, ExplainRequest, Explained};
use crate::by_ptr::ByPtr;
use crate::components::{Legend, MatrixCanvas};
use crate::hooks::{WorkerAnswer, use_worker_answer};
use crate::lab::classify::{ExplainSettings, Method};

use super::occlusion::OcclusionPlayer;
use crate::lab::{ColorScale, fmt_num};

/// Props of [`ExplainPanel`].
#[derive(Properties, PartialEq)]
pub struct ExplainPanelProps {
    /// The worker's name of the model that made the prediction.
    pub model: AttrValue,
    /// The network input it classified (28×28, `[0, 1]`).
    pub input: ByPtr<Vec<f32>>,
    /// Class names in label order.
    pub classes: ByPtr<Vec<String>>,
    /// The predicted class.
    pub top: usize,
    /// The model's convolution layers (for Grad-CAM), in order.
    pub convs: ByPtr<Vec<String>>,
    /// What the visitor set (kept by the page, in its URL).
    pub settings: ExplainSettings,
    /// New settings.
    pub on_settings: Callback<ExplainSettings>,
}

/// The worker's explanation.
pub type Answer = WorkerAnswer<Explained>;

/// Asks the worker for `request` on `model`'s prediction for `input` whenever one of them
/// changes; the newest answer.
#[hook]
pub fn use_explained(
    model: AttrValue,
    input: ByPtr<Vec<f32>>,
    request: Option<ExplainRequest>,
) -> UseStateHandle<Answer> {
    let request = request.map(|request| CoreRequest::Explain {
        model: model.to_string(),
        image: input.0.to_vec(),
        request,
    });
    use_worker_answer(request, |reply| match reply {
        CoreReply::Explained(r) => r,
        other => Err(crate::agent::unexpected(other, "an explanation")),
    })
}

/// The "Why this class?" panel.
#[component]
pub fn ExplainPanel(p: &ExplainPanelProps) -> Html {
    let request = p.settings.request(p.top, p.convs.last());
    let answer = use_explained(p.model.clone(), p.input.clone(), request);
    let s = p.settings.clone();
    let class = s.class.unwrap_or(p.top);
    let name = |i: usize| p.classes.get(i).cloned().unwrap_or_else(|| i.to_string());
    let set = |f: fn(&mut ExplainSettings, String)| {
        let (settings, on_settings) = (p.settings.clone(), p.on_settings.clone());
        Callback::from(move |e: Event| {
            let value = crate::components::control_value(&e);
            let mut next = settings.clone();
            f(&mut next, value);
            on_settings.emit(next);
        })
    };
    let on_method = set(|s, v| {
        if let Some(m) = Method::ALL.into_iter().find(|m| m.key() == v) {
            s.method = m;
        }
    });
    let on_class = set(|s, v| s.class = v.parse().ok());
    let on_versus = set(|s, v| s.versus = v.parse().ok());
    let on_patch = set(|s, v| {
        if let Ok(n) = v.parse::<usize>() {
            s.patch = n.clamp(1, IMAGE_SIZE);
        }
    });
    let on_stride = set(|s, v| {
        if let Ok(n) = v.parse::<usize>() {
            s.stride = n.clamp(1, IMAGE_SIZE);
        }
    });
    let on_sigma = set(|s, v| {
        if let Some(x) = parse_f32(&v) {
            s.sigma = x.clamp(0.0, 1.0);
        }
    });
    let on_count = set(|s, v| {
        if let Ok(n) = v.parse::<usize>() {
            s.count = n.clamp(1, 200);
        }
    });
    let on_layer = set(|s, v| s.layer = Some(v));
    let class_options = |selected: Option<usize>, none: Option<&'static str>| {
        html! {
            <>
                if let Some(label) = none {
                    <option value="" selected={selected.is_none()}>{ label }</option>
                }
                { for (0..p.classes.len()).map(|i| html! {
                    <option value={i.to_string()} selected={selected == Some(i)}>
                        { format!("{i}: {}{}", name(i), if i == p.top { " (predicted)" } else { "" }) }
                    </option>
                }) }
            </>
        }
    };
    let what = match (s.method, s.versus.filter(|&v| v != class)) {
        (Method::Occlusion, _) => format!(
            "How much the probability of {} drops when the gray patch covers each position.",
            name(class)
        ),
        (Method::GradCam, None) => format!(
            "Where conv maps that raise {}'s score are active.",
            name(class)
        ),
        (Method::GradCam, Some(v)) => format!(
            "Where conv maps that raise {}'s score more than {}'s are active.",
            name(class),
            name(v)
        ),
        (_, None) => format!(
            "How much each pixel raises (red) or lowers (blue) the score of {}.",
            name(class)
        ),
        (_, Some(v)) => format!(
            "Why {} and not {}: the gradient of score({}) − score({}).",
            name(class),
            name(v),
            name(class),
            name(v)
        ),
    };
    let formula = (s.method == Method::Occlusion).then(|| {
        match convscope_core::conv_output_size_explained(IMAGE_SIZE, s.patch, s.stride, 0, 1) {
            Ok(o) => format!(
                "positions each way: (W − F)/S + 1 = ({IMAGE_SIZE} − {})/{} + 1 = {}{}",
                s.patch,
                s.stride,
                o.size,
                if o.remainder > 0 {
                    format!(
                        " (the last {} pixels are never the patch's start)",
                        o.remainder
                    )
                } else {
                    String::new()
                }
            ),
            Err(e) => format!("{e}"),
        }
    });
    let body = match &*answer {
        Answer::Waiting => html! {
            <p class="pending" role="status" data-testid="explain-status">
                <progress aria-label="explaining"></progress>{" explaining in the web worker…"}
            </p>
        },
        Answer::Failed(e) => html! {
            <p class="error" role="alert" data-testid="explain-status">{ e.clone() }</p>
        },
        Answer::Done(x, n) => {
            html! { <ExplainResult answer={x.clone()} request={*n} input={p.input.clone()} class={AttrValue::from(name(class))} /> }
        }
    };
    html! {
        <section class="panel explain" aria-labelledby="explain-title" data-testid="explain-panel">
            <h3 id="explain-title">{ format!("Why {}?", name(p.top)) }</h3>
            <div class="explain-controls">
                <label class="field">
                    <span class="field-label"><strong>{"method"}</strong></span>
                    <select data-testid="explain-method" onchange={on_method}>
                        { for Method::ALL.iter().map(|m| html! {
                            <option value={m.key()} selected={*m == s.method}>{ m.label() }</option>
                        }) }
                    </select>
                </label>
                <label class="field">
                    <span class="field-label"><strong>{"class"}</strong></span>
                    <select data-testid="explain-class" onchange={on_class}>{ class_options(Some(class), None) }</select>
                </label>
                if s.method != Method::Occlusion {
                    <label class="field">
                        <span class="field-label"><strong>{"and not"}</strong></span>
                        <select data-testid="explain-versus" onchange={on_versus}>{ class_options(s.versus, Some("—")) }</select>
                    </label>
                }
                if s.method == Method::SmoothGrad {
                    <label class="field">
                        <span class="field-label"><strong>{"σ"}</strong><span class="muted">{" noise"}</span></span>
                        <input type="number" step="0.05" min="0" max="1" value={s.sigma.to_string()}
                            data-testid="explain-sigma" onchange={on_sigma} />
                    </label>
                    <label class="field">
                        <span class="field-label"><strong>{"copies"}</strong></span>
                        <input type="number" min="1" max="200" value={s.count.to_string()}
                            data-testid="explain-count" onchange={on_count} />
                    </label>
                }
                if s.method == Method::Occlusion {
                    <label class="field">
                        <span class="field-label"><strong>{"F"}</strong><span class="muted">{" patch"}</span></span>
                        <input type="number" min="1" max={IMAGE_SIZE.to_string()} value={s.patch.to_string()}
                            data-testid="explain-patch" onchange={on_patch} />
                    </label>
                    <label class="field">
                        <span class="field-label"><strong>{"S"}</strong><span class="muted">{" stride"}</span></span>
                        <input type="number" min="1" max={IMAGE_SIZE.to_string()} value={s.stride.to_string()}
                            data-testid="explain-stride" onchange={on_stride} />
                    </label>
                }
                if s.method == Method::GradCam {
                    <label class="field">
                        <span class="field-label"><strong>{"layer"}</strong></span>
                        <select data-testid="explain-layer" onchange={on_layer}>
                            { for p.convs.iter().map(|l| {
                                let selected = s.layer.as_ref().or(p.convs.last()) == Some(l);
                                html! { <option value={l.clone()} {selected}>{ l.clone() }</option> }
                            }) }
                        </select>
                    </label>
                }
            </div>
            <p class="muted" data-testid="explain-what">{ what }</p>
            if let Some(f) = formula {
                <p class="formula" data-testid="explain-formula">{ f }</p>
            }
            { body }
        </section>
    }
}

/// Props of [`ExplainResult`].
#[derive(Properties, PartialEq)]
struct ExplainResultProps {
    answer: ByPtr<Explained>,
    /// The number of its request.
    request: u64,
    input: ByPtr<Vec<f32>>,
    /// The class explained.
    class: AttrValue,
}

/// The maps of one explanation, with the input beside them (shared with the canvases once
/// per answer: a render of the page draws nothing again).
#[component]
fn ExplainResult(p: &ExplainResultProps) -> Html {
    let x = &p.answer;
    let [rows, cols] = x.dims;
    let maps = use_memo(p.answer.clone(), |x| {
        let map = Rc::new(x.map.clone());
        (
            ColorScale::fit(map.iter()),
            map.iter().fold(0.0f32, |m, v| m.max(v.abs())),
            x.on_input.as_ref().map(|v| Rc::new(v.clone())),
            map,
        )
    });
    let (scale, peak, on_input, map) = (maps.0, maps.1, maps.2.clone(), maps.3.clone());
    let map_rc = map.clone();
    let title = match &x.request {
        ExplainRequest::Saliency { smooth: None, .. } => "input gradient".to_owned(),
        ExplainRequest::Saliency {
            smooth: Some((sigma, count)),
            ..
        } => format!("mean input gradient over {count} copies with noise σ = {sigma}"),
        ExplainRequest::Occlusion { patch, stride, .. } => {
            format!(
                "probability drop, {rows}×{cols} positions of a {patch}×{patch} patch every {stride} px"
            )
        }
        ExplainRequest::GradCam { layer, .. } => format!("Grad-CAM at {layer}, {rows}×{cols}"),
        ExplainRequest::Field { layer, unit } => format!("gradient of {layer} {unit:?}"),
    };
    html! {
        <div class="explain-result" data-testid="explain-result" data-request={p.request.to_string()}
            data-millis={x.millis.map(|m| format!("{m:.2}"))} data-rows={rows.to_string()} data-cols={cols.to_string()}>
            <div class="maps">
                <div class="map">
                    <MatrixCanvas values={p.input.0.clone()} rows={IMAGE_SIZE} cols={IMAGE_SIZE} size={168.0}
                        label="the network's input" testid="explain-input" />
                    <p class="map-caption">{"input"}</p>
                </div>
                <div class="map">
                    <MatrixCanvas values={map} rows={rows} cols={cols} scale={scale} size={168.0}
                        label={title.clone()} testid="explain-map" />
                    <p class="map-caption">{ title }</p>
                </div>
                <div class="map">
                    <MatrixCanvas values={on_input.clone().unwrap_or_else(|| map_rc.clone())} under={p.input.0.clone()}
                        rows={IMAGE_SIZE} cols={IMAGE_SIZE} scale={scale} size={168.0}
                        label={if on_input.is_some() { "the same, upsampled onto the input's 28×28 grid and laid over the input" } else { "the same, laid over the input" }}
                        testid="explain-over" />
                    <p class="map-caption">
                        { if on_input.is_some() { "upsampled, over the input" } else { "over the input" } }
                        { if scale.diverging { "" } else { " (red where strong)" } }
                    </p>
                </div>
            </div>
            <Legend scale={scale} />
            if let (ExplainRequest::Occlusion { patch, stride, .. }, Some(baseline)) = (&x.request, x.baseline) {
                <OcclusionPlayer input={p.input.clone()} dims={x.dims} drops={ByPtr(map_rc.clone())} patch={*patch}
                    stride={*stride} baseline={baseline} class={p.class.clone()} scale={scale} />
            }
            <p class="muted small" data-testid="explain-numbers">
                { format!("largest magnitude {}", fmt_num(peak)) }
                { x.baseline.map(|b| format!("; probability of the image as it is {}", fmt_num(b))).unwrap_or_default() }
                { x.millis.map(|m| format!("; computed by the web worker in {m:.1} ms")).unwrap_or_default() }
            </p>
        </div>
    }
}
