//! The learned filters of every convolution, each layer on one diverging colour scale: a
//! row of kernels for a convolution reading one channel (LeNet's conv1), a grid of slices
//! (one column per filter, one row per input map) for the others, cut to the first 16
//! filters and 8 input maps when the layer has more.

use std::rc::Rc;

use yew::prelude::*;

use crate::agent::ConvSummary;
use crate::by_ptr::ByPtr;
use crate::components::{Legend, MatrixCanvas};
use crate::lab::ColorScale;

/// Filters shown per layer, at most.
const MAX_FILTERS: usize = 16;
/// Input maps shown per filter, at most.
const MAX_MAPS: usize = 8;

/// Props of [`Filters`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct FiltersProps {
    /// The model's convolutions.
    pub convs: ByPtr<Vec<ConvSummary>>,
}

/// The slices shown of one convolution's filters, cut once per model.
#[derive(Debug)]
struct Slices {
    scale: ColorScale,
    /// `[filter][input map]`, at most [`MAX_FILTERS`] × [`MAX_MAPS`].
    planes: Vec<Vec<Rc<Vec<f32>>>>,
}

impl Slices {
    fn of(c: &ConvSummary) -> Self {
        let [k_all, depth, f, _] = c.shape;
        let area = f * f;
        let slice = |k: usize, m: usize| -> Rc<Vec<f32>> {
            let start = (k * depth + m) * area;
            Rc::new(
                c.weight
                    .get(start..start + area)
                    .map(<[f32]>::to_vec)
                    .unwrap_or_default(),
            )
        };
        let (ks, ms) = (k_all.min(MAX_FILTERS), depth.min(MAX_MAPS));
        Self {
            scale: ColorScale::fit(c.weight.iter()),
            planes: (0..ks)
                .map(|k| (0..ms).map(|m| slice(k, m)).collect())
                .collect(),
        }
    }

    fn get(&self, k: usize, m: usize) -> Rc<Vec<f32>> {
        self.planes
            .get(k)
            .and_then(|p| p.get(m))
            .cloned()
            .unwrap_or_default()
    }
}

/// Every convolution's filters.
#[component]
pub fn Filters(props: &FiltersProps) -> Html {
    // Cut once per model: the canvases get the same `Rc`s on every render.
    let slices = use_memo(props.convs.clone(), |c| {
        c.iter().map(Slices::of).collect::<Vec<_>>()
    });
    let layers = props
        .convs
        .iter()
        .zip(slices.iter())
        .map(|(c, s)| conv_filters(c, s));
    html! {
        <div class="filters" data-testid="filters">{ for layers }</div>
    }
}

fn conv_filters(c: &ConvSummary, slices: &Slices) -> Html {
    let [k_all, depth, f, _] = c.shape;
    let scale = slices.scale;
    let slice = |k: usize, m: usize| slices.get(k, m);
    let (ks, ms) = (k_all.min(MAX_FILTERS), depth.min(MAX_MAPS));
    let shown = if ks < k_all || ms < depth {
        format!(" (showing {ks} filters × {ms} input maps)")
    } else {
        String::new()
    };
    let title = format!("{}: {k_all} filters of {f}×{f}×{depth}{shown}", c.name);
    let testid = |k: usize| AttrValue::from(format!("filter-{}-{k}", c.name));
    if depth == 1 {
        let kernels = (0..ks).map(|k| {
            html! {
                <figure class="fmap">
                    <MatrixCanvas values={slice(k, 0)} rows={f} cols={f} scale={scale} size={50.0}
                        label={format!("{} filter {k}", c.name)} testid={testid(k)} />
                    <figcaption>{ k }</figcaption>
                </figure>
            }
        });
        return html! {
            <section>
                <h4>{ title }</h4>
                <div class="fmaps">{ for kernels }</div>
                <Legend scale={scale} />
            </section>
        };
    }
    let input = c.input.clone().unwrap_or_else(|| "the input".to_owned());
    let head = (0..ks).map(|k| html! { <span class="filter-col-label">{ k }</span> });
    let rows = (0..ms).map(|m| {
        html! {
            <div class="filter-row">
                <span class="filter-row-label">{ format!("map {m}") }</span>
                { for (0..ks).map(|k| html! {
                    <MatrixCanvas values={slice(k, m)} rows={f} cols={f} scale={scale} size={32.0}
                        label={format!("{} filter {k}, slice over map {m}", c.name)} />
                }) }
            </div>
        }
    });
    html! {
        <section>
            <h4>{ title }</h4>
            <p class="muted small">{ format!("one column per filter, one row per input map it reads (the maps of {input})") }</p>
            <div class="filter-grid">
                <div class="filter-row"><span class="filter-row-label"></span>{ for head }</div>
                { for rows }
            </div>
            <Legend scale={scale} />
        </section>
    }
}
