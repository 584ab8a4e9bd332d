//! The learned filters: conv1's six 5×5 kernels, and conv2's sixteen filters of six 5×5
//! slices (one per input map), each layer on one diverging colour scale.

use std::rc::Rc;

use yew::prelude::*;

use super::plane_canvas::PlaneCanvas;
use crate::components::Legend;
use crate::lab::ColorScale;

/// Props of [`Filters`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct FiltersProps {
    /// conv1 weights `[6, 1, 5, 5]`.
    pub conv1: Rc<Vec<f32>>,
    /// conv2 weights `[16, 6, 5, 5]`.
    pub conv2: Rc<Vec<f32>>,
}

fn slices(w: &[f32]) -> Vec<Rc<Vec<f32>>> {
    w.chunks(25).map(|c| Rc::new(c.to_vec())).collect()
}

/// Both layers' filters.
#[component]
pub fn Filters(props: &FiltersProps) -> Html {
    let s1 = ColorScale::fit(props.conv1.iter());
    let s2 = ColorScale::fit(props.conv2.iter());
    let k1 = slices(&props.conv1);
    let k2 = slices(&props.conv2);
    let conv1 = k1.iter().enumerate().map(|(k, v)| html! {
        <figure class="fmap">
            <PlaneCanvas values={v.clone()} rows={5} cols={5} scale={Some(s1)} size={50.0}
                label={format!("conv1 filter {k}")} testid={Some(AttrValue::from(format!("filter1-{k}")))} />
            <figcaption>{ k }</figcaption>
        </figure>
    });
    // One column per filter, one row per input map: 16 × 6 slices.
    let filters = k2.len() / 6;
    let head = (0..filters).map(|k| html! { <span class="filter-col-label">{ k }</span> });
    let rows = (0..6).map(|c| html! {
        <div class="filter-row">
            <span class="filter-row-label">{ format!("map {c}") }</span>
            { for (0..filters).filter_map(|k| k2.get(k * 6 + c)).enumerate().map(|(k, v)| html! {
                <PlaneCanvas values={v.clone()} rows={5} cols={5} scale={Some(s2)} size={32.0}
                    label={format!("conv2 filter {k}, slice over map {c}")} />
            }) }
        </div>
    });
    html! {
        <div class="filters" data-testid="filters">
            <section>
                <h4>{"conv1: 6 filters of 5×5×1"}</h4>
                <div class="fmaps">{ for conv1 }</div>
                <Legend scale={s1} />
            </section>
            <section>
                <h4>{"conv2: 16 filters of 5×5×6"}</h4>
                <p class="muted small">{"one column per filter (0–15), one row per input map it reads (the 6 pooled conv1 maps)"}</p>
                <div class="filter-grid">
                    <div class="filter-row"><span class="filter-row-label"></span>{ for head }</div>
                    { for rows }
                </div>
                <Legend scale={s2} />
            </section>
        </div>
    }
}
