//! The architectures page: LeNet, AlexNet, VGG and ResNet layer by layer, for any input size,
//! and the "ImageNet winners" comparison. Every number comes from `convscope_core::arch`;
//! the page's state is the pure [`state::ArchLab`], kept in the URL hash's query
//! (`#/architectures?net=alexnet_lecture&input=227x227x3`) so a reload or a shared link
//! shows the same network.

mod compare;
mod comparison;
mod controls;
mod detail;
mod diagram;
mod format;
mod layout;
mod reference;
mod state;
mod table;
mod totals;

use web_sys::Element;
use yew::prelude::*;

use crate::by_ptr::ByPtr;

use crate::hooks::{initial_query, use_hash_query, use_query_sync};
use crate::route::Route;
use crate::url::Query;
use comparison::Comparison;
use controls::NetControls;
use detail::LayerDetail;
use diagram::BlockDiagram;
use state::{ArchAction, ArchLab, LayerPath, default_input};
use table::LayerTable;
use totals::TotalsPanel;

/// Scrolls the details panel (the element in `place`) into view when its top lies below the
/// window's bottom, as it does where the table and the panel are stacked.
fn reveal(place: &NodeRef) {
    let Some(panel) = place
        .cast::<Element>()
        .and_then(|p| p.first_element_child())
    else {
        return;
    };
    let below = web_sys::window()
        .and_then(|w| w.inner_height().ok())
        .and_then(|h| h.as_f64())
        .is_some_and(|h| panel.get_bounding_client_rect().top() > h);
    if below {
        panel.scroll_into_view();
    }
}

/// The architectures page.
#[component]
pub fn ArchitecturesPage() -> Html {
    let lab = use_reducer(|| ArchLab::from_query(&initial_query()));
    let top = use_node_ref();
    // Where a narrow screen puts the layer's details: after the whole table (ResNet-152's is
    // thousands of pixels long), so a row chosen there brings them into view.
    let detail = use_node_ref();
    {
        let detail = detail.clone();
        let first = use_mut_ref(|| true);
        use_effect_with(lab.selected, move |selected| {
            let first = std::mem::replace(&mut *first.borrow_mut(), false);
            if !first && selected.is_some() {
                reveal(&detail);
            }
        });
    }

    // The state → the URL, and a followed or pasted link → the state.
    use_query_sync(Route::Architectures, lab.to_query());
    {
        let on_query = use_callback(lab.dispatcher(), |q: Query, d| {
            d.dispatch(ArchAction::Query(q))
        });
        use_hash_query(Route::Architectures, on_query);
    }

    // Made once: the children they go to are not rendered again for a new callback.
    let dispatch = lab.dispatcher();
    let on_pick = use_callback(dispatch.clone(), |net: String, d| {
        d.dispatch(ArchAction::PickNet(net))
    });
    let on_input = use_callback(dispatch.clone(), |text: String, d| {
        d.dispatch(ArchAction::EditInput(text))
    });
    let on_reset = use_callback(dispatch.clone(), |(), d| d.dispatch(ArchAction::ResetInput));
    let on_select = use_callback(dispatch.clone(), |path: LayerPath, d| {
        d.dispatch(ArchAction::Select(path))
    });
    let on_toggle = use_callback(dispatch.clone(), |i: usize, d| {
        d.dispatch(ArchAction::Toggle(i))
    });
    let on_expand_all = use_callback(dispatch.clone(), |(), d| d.dispatch(ArchAction::ExpandAll));
    let on_collapse_all = use_callback(dispatch.clone(), |(), d| {
        d.dispatch(ArchAction::CollapseAll)
    });
    let on_open = use_callback((dispatch, top.clone()), |net: String, (d, top)| {
        d.dispatch(ArchAction::PickNet(net));
        if let Some(el) = top.cast::<Element>() {
            el.scroll_into_view();
        }
    });

    let default = default_input(lab.net)
        .map(|v| v.to_string())
        .unwrap_or_default();
    let broken = lab.problem.as_ref().and_then(|p| p.layer.clone());
    let alert = lab.problem.as_ref().map(|p| {
        let shown = lab
            .report
            .as_ref()
            .map(|r| format!(" The table below still shows the last size that works, {}.", r.input))
            .unwrap_or_default();
        html! {
            <div class="arch-alert" role="alert" id="arch-error" data-testid="arch-error">
                <strong>{ if p.layer.is_some() { "This input size breaks a layer: " } else { "Not an input size: " } }</strong>
                <span data-testid="arch-error-message">{ p.message.clone() }</span>
                <span class="arch-alert-note">{ shown }</span>
            </div>
        }
    });
    let body = match &lab.report {
        None => html! {},
        Some(report) => {
            let selected_layer = lab.selected_layer().cloned();
            let full_name = lab.selected.and_then(|p| p.full_name(report));
            html! {
                <>
                    <BlockDiagram report={ByPtr::of(report)} selected={lab.selected}
                        broken={broken.clone()} on_select={on_select.clone()} />
                    <div class="arch-grid">
                        <LayerTable report={ByPtr::of(report)} selected={lab.selected}
                            expanded={lab.expanded.clone()} broken={broken}
                            {on_select} {on_toggle} {on_expand_all} {on_collapse_all} />
                        <div class="arch-detail-place" ref={detail}>
                            <LayerDetail layer={selected_layer} {full_name} totals={report.totals} />
                        </div>
                    </div>
                    <TotalsPanel net={lab.net} report={ByPtr::of(report)} />
                </>
            }
        }
    };
    html! {
        <section class="page arch-page" aria-labelledby="page-title" ref={top}>
            <h2 id="page-title">{ Route::Architectures.title() }</h2>
            <p class="lead">
                {"LeNet, AlexNet, VGG and ResNet layer by layer: every output volume, parameter count, multiply-accumulate and receptive field is computed by the Rust core for the input size you type."}
            </p>
            <NetControls net={lab.net} input_text={lab.input_text.clone()} default_input={default}
                invalid={lab.problem.is_some()} {on_pick} {on_input} {on_reset} />
            { alert.unwrap_or_default() }
            { body }
            <Comparison {on_open} />
        </section>
    }
}
