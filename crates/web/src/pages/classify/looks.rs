//! What a filter looks for: for any convolution filter of the model, the nine test-image
//! patches (each cut to the filter's receptive field) that excite it most, searched by the
//! worker over the gallery and the first test images of the dataset, and an image grown by
//! gradient ascent on the input to excite it, with the steps, the rate and the L2
//! regulariser shown ([`crate::agent::filter`]).

use std::rc::Rc;

use convscope_core::data::DatasetKind;
use yew::prelude::*;

use crate::core_worker::use_core;
use convscope_core::format::{parse_f32, thousands};
use yew::platform::spawn_local;

use crate::agent::{
    ConvSummary, CoreReply, CoreRequest, FilterJob, FilterLooks, FilterStep, PatchSource,
};
use crate::by_ptr::ByPtr;
use crate::components::{MatrixCanvas, field_frame};
use crate::hooks::WorkerAnswer;
use crate::lab::classify::Gallery;
use crate::lab::fmt_num;

/// Props of [`FilterLooksPanel`].
#[derive(Properties, PartialEq)]
pub struct FilterLooksProps {
    /// The worker's name of the model.
    pub model: AttrValue,
    /// Its dataset (whose test split the worker searches).
    pub dataset: Option<DatasetKind>,
    /// The gallery on the page (searched too).
    pub gallery: Option<ByPtr<Gallery>>,
    /// The model's convolutions.
    pub convs: ByPtr<Vec<ConvSummary>>,
    /// Class names in label order.
    pub classes: ByPtr<Vec<String>>,
}

/// What the visitor chose.
#[derive(Debug, Clone, PartialEq)]
struct Choice {
    layer: Option<String>,
    filter: usize,
    steps: usize,
    rate: f32,
    decay: f32,
}

impl Default for Choice {
    fn default() -> Self {
        Self {
            layer: None,
            filter: 0,
            steps: 40,
            rate: 0.05,
            decay: 0.01,
        }
    }
}

/// Runs a filter search part by part whenever `request` changes: the newest search's
/// answer, and how many of its images were searched while it runs. An older search stops
/// at its next part.
#[hook]
fn use_filter_search(
    request: Option<CoreRequest>,
) -> (
    UseStateHandle<WorkerAnswer<FilterLooks>>,
    Option<(usize, usize)>,
) {
    let runner = use_core();
    let answer = use_state(|| WorkerAnswer::Waiting);
    let progress = use_state(|| None::<(usize, usize)>);
    let generation = use_mut_ref(|| 0u64);
    {
        let (answer, progress) = (answer.clone(), progress.clone());
        use_effect_with(request, move |request| {
            let Some(request) = request.clone() else {
                return;
            };
            let n = {
                let mut g = generation.borrow_mut();
                *g += 1;
                *g
            };
            answer.set(WorkerAnswer::Waiting);
            progress.set(None);
            spawn_local(async move {
                let mut reply = runner.run(request).await;
                loop {
                    if *generation.borrow() != n {
                        return;
                    }
                    match reply {
                        CoreReply::Filter(Ok(FilterStep::Progress {
                            search,
                            done,
                            total,
                        })) => {
                            progress.set(Some((done, total)));
                            reply = runner.run(CoreRequest::FilterNext { search }).await;
                        }
                        CoreReply::Filter(Ok(FilterStep::Done(l))) => {
                            answer.set(WorkerAnswer::Done(ByPtr(Rc::from(l)), n));
                            return;
                        }
                        CoreReply::Filter(Err(e)) => {
                            answer.set(WorkerAnswer::Failed(e));
                            return;
                        }
                        other => {
                            answer.set(WorkerAnswer::Failed(crate::agent::unexpected(
                                other,
                                "a filter search",
                            )));
                            return;
                        }
                    }
                }
            });
        });
    }
    (answer, *progress)
}

/// The patches that excite one filter most, and the image grown for it.
#[component]
pub fn FilterLooksPanel(p: &FilterLooksProps) -> Html {
    let choice = use_state(Choice::default);
    let c = (*choice).clone();
    let conv = c
        .layer
        .as_ref()
        .and_then(|l| p.convs.iter().find(|x| &x.name == l))
        .or_else(|| p.convs.first());
    let filters = conv.map_or(0, |c| c.shape[0]);
    let filter = c.filter.min(filters.saturating_sub(1));
    // The gallery's images, flattened once per gallery.
    let gallery = use_memo(p.gallery.clone(), |g| {
        let g = g.as_ref();
        let images: Vec<f32> = g
            .map(|g| {
                g.samples
                    .iter()
                    .flat_map(|s| s.pixels.iter().copied())
                    .collect()
            })
            .unwrap_or_default();
        let labels: Vec<u8> = g
            .map(|g| g.samples.iter().map(|s| s.label as u8).collect())
            .unwrap_or_default();
        (images, labels)
    });
    let request = conv.map(|conv| {
        CoreRequest::Filter(Box::new(FilterJob {
            model: p.model.to_string(),
            dataset: p.dataset,
            gallery: gallery.0.clone(),
            gallery_labels: gallery.1.clone(),
            layer: conv.name.clone(),
            channel: filter,
            steps: c.steps,
            rate: c.rate,
            decay: c.decay,
        }))
    });
    let (answer, progress) = use_filter_search(request);
    let set = |f: fn(&mut Choice, String)| {
        let choice = choice.clone();
        Callback::from(move |e: Event| {
            let value = crate::components::control_value(&e);
            let mut next = (*choice).clone();
            f(&mut next, value);
            choice.set(next);
        })
    };
    let on_layer = set(|c, v| {
        c.layer = Some(v);
        c.filter = 0;
    });
    let on_filter = set(|c, v| {
        if let Ok(n) = v.parse() {
            c.filter = n;
        }
    });
    let on_steps = set(|c, v| {
        if let Ok(n) = v.parse::<usize>() {
            c.steps = n.clamp(0, 500);
        }
    });
    let on_rate = set(|c, v| {
        if let Some(x) = parse_f32(&v) {
            c.rate = x.clamp(0.0, 1.0);
        }
    });
    let on_decay = set(|c, v| {
        if let Some(x) = parse_f32(&v) {
            c.decay = x.clamp(0.0, 0.5);
        }
    });
    let searched = gallery.1.len() + p.dataset.map_or(0, |_| crate::agent::filter::TEST_IMAGES);
    let body = match &*answer {
        WorkerAnswer::Waiting => {
            let (done, total) = progress.unwrap_or((0, searched));
            html! {
                <div role="status" data-testid="looks-status" data-done={done.to_string()} data-total={total.to_string()}>
                    <progress aria-label="images searched" max={total.max(1).to_string()} value={done.to_string()}></progress>
                    <span class="pending">{ format!(" {} of {} images searched in the web worker…", thousands(done as u64), thousands(total as u64)) }</span>
                </div>
            }
        }
        WorkerAnswer::Failed(e) => html! {
            <p class="error" role="alert" data-testid="looks-status">{ e.clone() }</p>
        },
        WorkerAnswer::Done(l, n) => html! {
            <LooksResult looks={l.clone()} request={*n} classes={p.classes.clone()} />
        },
    };
    html! {
        <section class="looks" data-testid="looks-panel" aria-labelledby="looks-title">
            <h4 id="looks-title">{"What a filter looks for"}</h4>
            <div class="explain-controls">
                <label class="field">
                    <span class="field-label"><strong>{"layer"}</strong></span>
                    <select data-testid="looks-layer" onchange={on_layer}>
                        { for p.convs.iter().map(|x| {
                            let selected = conv.is_some_and(|c| c.name == x.name);
                            html! { <option value={x.name.clone()} {selected}>{ x.name.clone() }</option> }
                        }) }
                    </select>
                </label>
                <label class="field">
                    <span class="field-label"><strong>{"filter"}</strong><span class="muted">{ format!(" 0–{}", filters.saturating_sub(1)) }</span></span>
                    <input type="number" min="0" max={filters.saturating_sub(1).to_string()} value={filter.to_string()}
                        data-testid="looks-filter" onchange={on_filter} />
                </label>
                <label class="field">
                    <span class="field-label"><strong>{"steps"}</strong></span>
                    <input type="number" min="0" max="500" value={c.steps.to_string()} data-testid="looks-steps" onchange={on_steps} />
                </label>
                <label class="field">
                    <span class="field-label"><strong>{"rate"}</strong></span>
                    <input type="number" min="0" max="1" step="0.01" value={c.rate.to_string()} data-testid="looks-rate" onchange={on_rate} />
                </label>
                <label class="field">
                    <span class="field-label"><strong>{"L2 decay"}</strong></span>
                    <input type="number" min="0" max="0.5" step="0.005" value={c.decay.to_string()} data-testid="looks-decay" onchange={on_decay} />
                </label>
            </div>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct LooksResultProps {
    looks: ByPtr<FilterLooks>,
    request: u64,
    classes: ByPtr<Vec<String>>,
}

#[component]
fn LooksResult(p: &LooksResultProps) -> Html {
    let l = &p.looks;
    let drawn = use_memo(p.looks.clone(), |l| {
        (
            l.patches
                .iter()
                .map(|x| Rc::new(x.pixels.clone()))
                .collect::<Vec<_>>(),
            Rc::new(l.ascent.clone()),
            Rc::new(l.unit_field.clone()),
        )
    });
    let class = |i: u8| {
        p.classes
            .get(usize::from(i))
            .cloned()
            .unwrap_or_else(|| i.to_string())
    };
    let patches = l.patches.iter().zip(drawn.0.iter()).enumerate().map(|(i, (x, px))| {
        let from = match x.source {
            PatchSource::Gallery(g) => format!("gallery {g}"),
            PatchSource::Test(t) => format!("test {t}"),
        };
        let caption = format!("{} · {from} ({})", fmt_num(x.value), class(x.label));
        html! {
            <figure class="fmap">
                <MatrixCanvas values={px.clone()} rows={l.size} cols={l.size} size={64.0}
                    label={format!("patch {i}: {caption}, rows {} to {}, columns {} to {}", x.rows[0], x.rows[1] - 1, x.cols[0], x.cols[1] - 1)}
                    testid={format!("looks-patch-{i}")} />
                <figcaption class="small">{ caption }</figcaption>
            </figure>
        }
    });
    // The unit's receptive field, framed on the grown image (its part inside the image).
    let [ah, aw] = l.ascent_dims;
    let field = field_frame(l.unit_rows, l.unit_cols, l.ascent_dims);
    let [uy, ux] = l.unit;
    let side = |[a, b]: [i64; 2]| usize::try_from(b - a).unwrap_or(0);
    let (fh, fw) = (side(l.unit_rows), side(l.unit_cols));
    let first = l.objective.first().copied().unwrap_or(f32::NAN);
    let last = l.objective.last().copied().unwrap_or(f32::NAN);
    let steps = l.objective.len().saturating_sub(1);
    let ms = |m: Option<f64>| {
        m.map(|m| format!("{m:.0} ms"))
            .unwrap_or_else(|| "?".into())
    };
    html! {
        <div class="looks-result" data-testid="looks-result" data-request={p.request.to_string()}
            data-size={l.size.to_string()} data-gallery={l.gallery_searched.to_string()} data-test={l.test_searched.to_string()}
            data-patches={l.patches.len().to_string()}
            data-values={l.patches.iter().map(|x| x.value.to_string()).collect::<Vec<_>>().join(" ")}
            data-objective={format!("{first} {last}")} data-unit={format!("{uy} {ux}")}
            data-millis={format!("{} {}", l.millis[0].unwrap_or(f64::NAN), l.millis[1].unwrap_or(f64::NAN))}>
            <p class="muted small">{ format!(
                "The {} patches of {}×{} pixels (the receptive field of {}) where filter {} is strongest, one per image, strongest first; searched over {} gallery and {} test images in {}.",
                l.patches.len(), l.size, l.size, l.layer, l.channel, l.gallery_searched, l.test_searched, ms(l.millis[0])
            ) }</p>
            if let Some(e) = &l.test_error {
                <p class="error small" data-testid="looks-test-error">{ format!("the test split could not be searched: {e}") }</p>
            }
            <div class="fmaps">{ for patches }</div>
            <div class="maps">
                <div class="map">
                    <MatrixCanvas values={drawn.1.clone()} rows={ah} cols={aw} size={140.0} frame={field}
                        label={format!("an image grown by gradient ascent to excite filter {} of {} at ({uy}, {ux}); its receptive field, rows {} to {} and columns {} to {}, is framed",
                            l.channel, l.layer, l.unit_rows[0], l.unit_rows[1] - 1, l.unit_cols[0], l.unit_cols[1] - 1)}
                        testid="looks-ascent" />
                    <p class="map-caption">{"grown by gradient ascent"}</p>
                </div>
                <div class="map">
                    <MatrixCanvas values={drawn.2.clone()} rows={fh} cols={fw} size={64.0}
                        label={format!("the grown image's receptive field, {fh}×{fw}, enlarged as the patches are")}
                        testid="looks-ascent-field" />
                    <p class="map-caption">{"its field, as the patches"}</p>
                </div>
            </div>
            <p class="muted small" data-testid="looks-objective">{ format!(
                "Filter {} at the centre of its map, ({uy}, {ux}): {} → {} after {steps} steps of gradient ascent on the input (each step moves every pixel by rate × gradient / rms(gradient), then shrinks it by the L2 decay and clips it to [0, 1]), in {}. Only the pixels in its receptive field (framed) move; the pattern there is what the filter responds to most.",
                l.channel, fmt_num(first), fmt_num(last), ms(l.millis[1])
            ) }</p>
        </div>
    }
}
