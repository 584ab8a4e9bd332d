//! The learned filters of every convolution, each layer on one diverging colour scale: a
//! row of kernels for a convolution reading one channel (LeNet's conv1), a grid of slices
//! (one column per filter, one row per input map) for the others, cut to the first 16
//! filters and 8 input maps when the layer has more.

use std::rc::Rc;

use yew::prelude::*;

use super::plane_canvas::PlaneCanvas;
use crate::agent::ConvSummary;
use crate::components::Legend;
use crate::lab::ColorScale;

/// Filters shown per layer, at most.
const MAX_FILTERS: usize = 16;
/// Input maps shown per filter, at most.
const MAX_MAPS: usize = 8;

/// Props of [`Filters`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct FiltersProps {
    /// The model's convolutions.
    pub convs: Rc<Vec<ConvSummary>>,
}

/// Every convolution's filters.
#[component]
pub fn Filters(props: &FiltersProps) -> Html {
    let layers = props.convs.iter().map(conv_filters);
    html! {
        <div class="filters" data-testid="filters">{ for layers }</div>
    }
}

fn conv_filters(c: &ConvSummary) -> Html {
    let [k_all, depth, f, _] = c.shape;
    let area = f * f;
    let scale = ColorScale::fit(c.weight.iter());
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
    let shown = if ks < k_all || ms < depth {
        format!(" (showing {ks} filters × {ms} input maps)")
    } else {
        String::new()
    };
    let title = format!("{}: {k_all} filters of {f}×{f}×{depth}{shown}", c.name);
    let testid = |k: usize| AttrValue::from(format!("filter-{}-{k}", c.name));
    if depth == 1 {
        let kernels = (0..ks).map(|k| html! {
            <figure class="fmap">
                <PlaneCanvas values={slice(k, 0)} rows={f} cols={f} scale={Some(scale)} size={50.0}
                    label={format!("{} filter {k}", c.name)} testid={Some(testid(k))} />
                <figcaption>{ k }</figcaption>
            </figure>
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
    let rows = (0..ms).map(|m| html! {
        <div class="filter-row">
            <span class="filter-row-label">{ format!("map {m}") }</span>
            { for (0..ks).map(|k| html! {
                <PlaneCanvas values={slice(k, m)} rows={f} cols={f} scale={Some(scale)} size={32.0}
                    label={format!("{} filter {k}, slice over map {m}", c.name)} />
            }) }
        </div>
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
