//! One layer's feature maps side by side, drawn with one colour scale, with its legend.
//! Maps of a convolution can be clicked to open the convolution behind a pixel. A wide layer
//! shows its first [`SHOWN`] maps until asked for all (a network of five merged ones has
//! layers of 160 and 320 maps: some 3,600 canvases in all made each answer take a second).
//!
//! For the keyboard a clickable layer is one tab stop (a roving `tabindex`): the map being
//! explained, else the last one reached, is in the tab order; Page Up / Page Down (or `[` /
//! `]`) move the focus to the previous / next map, explaining the same pixel there when
//! this layer's pixel is open.

use web_sys::HtmlElement;
use yew::prelude::*;

use crate::by_ptr::ByPtr;
use crate::components::{Legend, MatrixCanvas};
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
    pub layer: ByPtr<MapLayer>,
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

/// Maps a layer shows before the button that shows all of them.
const SHOWN: usize = 64;

/// A map's callbacks: a pixel chosen, a switch to a neighbouring map.
type MapCallbacks = (Callback<[usize; 2]>, Callback<isize>);

/// A layer's maps.
#[component]
pub fn FeatureMaps(props: &FeatureMapsProps) -> Html {
    let l = &props.layer;
    let count = l.planes.len();
    let all = use_state_eq(|| false);
    // A map being explained is always shown.
    let shown = if *all || props.focus.is_some_and(|[k, _, _]| k >= SHOWN) {
        count
    } else {
        count.min(SHOWN)
    };
    // One ref per map (a cloned `NodeRef` would share one element).
    let nodes = use_memo(count, |n| {
        (0..*n).map(|_| NodeRef::default()).collect::<Vec<_>>()
    });
    // The map last reached with Page Up / Page Down (the explained map wins).
    let reached = use_state_eq(|| 0_usize);
    let active = props.focus.map_or(*reached, |[k, _, _]| k);
    // The explained pixel as of the last render, read by Page Up / Page Down: the callbacks
    // need not be made again when it changes.
    let focus_now = use_mut_ref(|| None::<[usize; 3]>);
    *focus_now.borrow_mut() = props.focus;
    // Made again only when what they emit changes: the maps' props stay equal otherwise.
    let callbacks = {
        let (nodes, reached) = (nodes.clone(), reached.clone());
        use_memo((props.on_pixel.clone(), shown), move |(on_pixel, shown)| {
            let (on_pixel, count) = (on_pixel.clone()?, *shown);
            let callbacks = (0..count).map(|k| {
                let f = on_pixel.clone();
                let on_cell = Callback::from(move |[y, x]: [usize; 2]| f.emit([k, y, x]));
                let (nodes, reached, on_pixel, focus_now) = (
                    nodes.clone(),
                    reached.clone(),
                    on_pixel.clone(),
                    focus_now.clone(),
                );
                let on_switch = Callback::from(move |step: isize| {
                    let next = k.saturating_add_signed(step).min(count.saturating_sub(1));
                    reached.set(next);
                    if let Some([_, y, x]) = *focus_now.borrow() {
                        on_pixel.emit([next, y, x]);
                    }
                    if let Some(el) = nodes.get(next).and_then(NodeRef::cast::<HtmlElement>) {
                        let _ = el.focus();
                    }
                });
                (on_cell, on_switch)
            });
            Some(callbacks.collect::<Vec<MapCallbacks>>())
        })
    };
    let maps = l.planes.iter().take(shown).enumerate().map(|(k, plane)| {
        let (on_cell, on_switch) = callbacks
            .as_ref()
            .as_ref()
            .and_then(|c| c.get(k).cloned())
            .unzip();
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
                <MatrixCanvas values={plane.clone()} rows={l.rows} cols={l.cols} scale={l.scale}
                    size={props.size} on_cell={on_cell} follow={true} focus={focus} on_switch={on_switch}
                    tab_stop={k == active} node={nodes.get(k).cloned()}
                    label={label}
                    testid={format!("{}-{k}", props.testid)} />
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
            if shown < count {
                <p class="muted small">
                    { format!("The first {shown} of {count} maps. ") }
                    <button type="button" data-testid={format!("{}-all", props.testid)}
                        onclick={move |_| all.set(true)}>{ format!("Show all {count}") }</button>
                </p>
            }
            <Legend scale={l.scale} />
        </section>
    }
}
