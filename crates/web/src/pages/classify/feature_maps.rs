//! One layer's feature maps side by side, drawn with one colour scale, with its legend.
//! Maps of a convolution can be clicked to open the convolution behind a pixel.

use std::rc::Rc;

use yew::prelude::*;

use super::plane_canvas::PlaneCanvas;
use crate::components::Legend;
use crate::lab::classify::MapLayer;

/// Props of [`FeatureMaps`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct FeatureMapsProps {
    /// Heading, e.g. "conv1: 6 maps of 28×28".
    pub title: AttrValue,
    /// A line under the heading.
    #[prop_or_default]
    pub note: AttrValue,
    /// The maps.
    pub layer: Rc<MapLayer>,
    /// `data-testid` prefix: map `k` is `<prefix>-<k>`.
    pub testid: AttrValue,
    /// Displayed width of one map in CSS pixels.
    #[prop_or(84.0)]
    pub size: f64,
    /// Clicking pixel `[y, x]` of map `k` emits `[k, y, x]`.
    #[prop_or_default]
    pub on_pixel: Option<Callback<[usize; 3]>>,
    /// The pixel `[k, y, x]` being explained.
    #[prop_or_default]
    pub focus: Option<[usize; 3]>,
}

/// A layer's maps.
#[component]
pub fn FeatureMaps(props: &FeatureMapsProps) -> Html {
    let l = &props.layer;
    let maps = l.planes.iter().enumerate().map(|(k, plane)| {
        let on_cell = props.on_pixel.clone().map(|f| {
            Callback::from(move |[y, x]: [usize; 2]| f.emit([k, y, x]))
        });
        let focus = props
            .focus
            .and_then(|[fk, y, x]| (fk == k).then_some([y, x]));
        html! {
            <figure class="fmap">
                <PlaneCanvas values={plane.clone()} rows={l.rows} cols={l.cols} scale={Some(l.scale)}
                    size={props.size} on_cell={on_cell} focus={focus}
                    label={format!("{} map {k}", props.title)}
                    testid={Some(AttrValue::from(format!("{}-{k}", props.testid)))} />
                <figcaption>{ k }</figcaption>
            </figure>
        }
    });
    html! {
        <section class="layer-maps" data-testid={props.testid.clone()}>
            <h4>{ props.title.clone() }</h4>
            if !props.note.is_empty() {
                <p class="muted small">{ props.note.clone() }</p>
            }
            <div class="fmaps">{ for maps }</div>
            <Legend scale={l.scale} />
        </section>
    }
}
