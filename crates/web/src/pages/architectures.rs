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

use gloo_events::EventListener;
use wasm_bindgen::JsValue;
use web_sys::Element;
use yew::prelude::*;

use crate::route::Route;
use comparison::Comparison;
use controls::NetControls;
use detail::LayerDetail;
use diagram::BlockDiagram;
use state::{ArchAction, ArchLab, LayerPath, default_input, query_of};
use table::LayerTable;
use totals::TotalsPanel;

fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Rewrites the hash's query without adding a history entry or firing `hashchange`. A plain
/// `#/architectures` link stays plain while the page shows its defaults.
fn write_query(query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let hash = location_hash();
    if query_of(&hash).is_empty() && query == ArchLab::default().to_query() {
        return;
    }
    let url = Route::Architectures.href_with(query);
    if hash == url {
        return;
    }
    if let Ok(history) = window.history() {
        // Failing to update the URL only loses persistence; the page keeps working.
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

/// The architectures page.
#[component]
pub fn ArchitecturesPage() -> Html {
    let lab = use_reducer(|| ArchLab::from_query(query_of(&location_hash())));
    let top = use_node_ref();

    // The state → the URL.
    {
        let query = lab.to_query();
        use_effect_with(query, |query| write_query(query));
    }
    // A followed or pasted link → the state.
    {
        let dispatch = lab.dispatcher();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "hashchange", move |_| {
                    let hash = location_hash();
                    if Route::from_hash(&hash) == Route::Architectures {
                        dispatch.dispatch(ArchAction::Query(query_of(&hash).to_owned()));
                    }
                })
            });
            move || drop(listener)
        });
    }

    let dispatch = lab.dispatcher();
    let on_pick = {
        let d = dispatch.clone();
        Callback::from(move |net: String| d.dispatch(ArchAction::PickNet(net)))
    };
    let on_input = {
        let d = dispatch.clone();
        Callback::from(move |text: String| d.dispatch(ArchAction::EditInput(text)))
    };
    let on_reset = {
        let d = dispatch.clone();
        Callback::from(move |()| d.dispatch(ArchAction::ResetInput))
    };
    let on_select = {
        let d = dispatch.clone();
        Callback::from(move |path: LayerPath| d.dispatch(ArchAction::Select(path)))
    };
    let on_toggle = {
        let d = dispatch.clone();
        Callback::from(move |i: usize| d.dispatch(ArchAction::Toggle(i)))
    };
    let on_expand_all = {
        let d = dispatch.clone();
        Callback::from(move |()| d.dispatch(ArchAction::ExpandAll))
    };
    let on_collapse_all = {
        let d = dispatch.clone();
        Callback::from(move |()| d.dispatch(ArchAction::CollapseAll))
    };
    let on_open = {
        let d = dispatch;
        let top = top.clone();
        Callback::from(move |net: String| {
            d.dispatch(ArchAction::PickNet(net));
            if let Some(el) = top.cast::<Element>() {
                el.scroll_into_view();
            }
        })
    };

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
                    <BlockDiagram report={report.clone()} selected={lab.selected}
                        broken={broken.clone()} on_select={on_select.clone()} />
                    <div class="arch-grid">
                        <LayerTable report={report.clone()} selected={lab.selected}
                            expanded={lab.expanded.clone()} broken={broken}
                            {on_select} {on_toggle} {on_expand_all} {on_collapse_all} />
                        <LayerDetail layer={selected_layer} {full_name} totals={report.totals} />
                    </div>
                    <TotalsPanel net={lab.net} report={report.clone()} />
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
            { for alert }
            { body }
            <Comparison {on_open} />
        </section>
    }
}
