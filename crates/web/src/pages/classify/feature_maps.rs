//! One layer's feature maps side by side, drawn with one colour scale, with its legend.
//! Maps of a convolution can be clicked to open the convolution behind a pixel.
//!
//! For the keyboard a clickable layer is one tab stop (a roving `tabindex`): the map being
//! explained, else the last one reached, is in the tab order; Page Up / Page Down (or `[` /
//! `]`) move the focus to the previous / next map, explaining the same pixel there when
//! this layer's pixel is open.

use std::rc::Rc;

use web_sys::HtmlElement;
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
    let count = l.planes.len();
    // One ref per map (a cloned `NodeRef` would share one element).
    let nodes = use_memo(count, |n| {
        (0..*n).map(|_| NodeRef::default()).collect::<Vec<_>>()
    });
    // The map last reached with Page Up / Page Down (the explained map wins).
    let reached = use_state_eq(|| 0_usize);
    let active = props.focus.map_or(*reached, |[k, _, _]| k);
    let maps = l.planes.iter().enumerate().map(|(k, plane)| {
        let on_cell = props.on_pixel.clone().map(|f| {
            Callback::from(move |[y, x]: [usize; 2]| f.emit([k, y, x]))
        });
        let on_switch = props.on_pixel.as_ref().map(|on_pixel| {
            let (nodes, reached, on_pixel, focus) =
                (nodes.clone(), reached.clone(), on_pixel.clone(), props.focus);
            Callback::from(move |step: isize| {
                let next = k.saturating_add_signed(step).min(count.saturating_sub(1));
                reached.set(next);
                if let Some([_, y, x]) = focus {
                    on_pixel.emit([next, y, x]);
                }
                if let Some(el) = nodes.get(next).and_then(NodeRef::cast::<HtmlElement>) {
                    let _ = el.focus();
                }
            })
        });
        let focus = props
            .focus
            .and_then(|[fk, y, x]| (fk == k).then_some([y, x]));
        let label = if props.on_pixel.is_some() {
            format!(
                "{} map {k} of {count}: Enter explains the outlined pixel (the centre when none), arrows move it, Page Up and Page Down switch maps",
                props.title
            )
        } else {
            format!("{} map {k}", props.title)
        };
        html! {
            <figure class="fmap">
                <PlaneCanvas values={plane.clone()} rows={l.rows} cols={l.cols} scale={Some(l.scale)}
                    size={props.size} on_cell={on_cell} focus={focus} on_switch={on_switch}
                    tab_stop={k == active} node={nodes.get(k).cloned()}
                    label={label}
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
