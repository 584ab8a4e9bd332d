//! The layer table: the lecture's line, output volume, parameters, MACs and receptive field of
//! every layer, residual blocks expandable to their main and shortcut paths, and totals.

use std::collections::BTreeSet;

use convscope_core::arch::{LayerReport, NetworkReport};
use yew::prelude::*;

use crate::by_ptr::ByPtr;

use super::compare::weight_layers;
use super::format::{compact, thousands};
use super::state::{Branch, LayerPath};

/// Props of [`LayerTable`].
#[derive(Debug, Properties, PartialEq)]
pub struct LayerTableProps {
    /// The evaluated network.
    pub report: ByPtr<NetworkReport>,
    /// The selected layer.
    pub selected: Option<LayerPath>,
    /// Open residual blocks (top-level indices).
    pub expanded: BTreeSet<usize>,
    /// The layer that breaks at the typed size (`MAX POOL3`, `layer4.0.conv1`), if any.
    pub broken: Option<String>,
    /// A row was chosen.
    pub on_select: Callback<LayerPath>,
    /// A residual block's toggle was pressed.
    pub on_toggle: Callback<usize>,
    /// Open every block.
    pub on_expand_all: Callback<()>,
    /// Close every block.
    pub on_collapse_all: Callback<()>,
}

/// The network layer by layer, as the lecture's AlexNet table, with the counts added.
#[component]
pub fn LayerTable(props: &LayerTableProps) -> Html {
    let report = &props.report;
    let has_blocks = report.layers.iter().any(|l| !l.main.is_empty());
    let mut rows: Vec<Html> = Vec::new();
    rows.push(html! {
        <tr class="arch-row arch-row-input" data-testid="layer-row" data-layer="INPUT">
            <td class="arch-line"><code>{ format!("[{}] INPUT", report.input) }</code></td>
            <td class="arch-num">{ report.input.to_string() }</td>
            <td class="arch-num">{"—"}</td>
            <td class="arch-num">{"—"}</td>
            <td class="arch-num">{"1 / 1"}</td>
        </tr>
    });
    for (i, layer) in report.layers.iter().enumerate() {
        let is_block = !layer.main.is_empty();
        let open = props.expanded.contains(&i);
        let toggle = is_block.then(|| {
            let on_toggle = props.on_toggle.clone();
            let onclick = Callback::from(move |e: MouseEvent| {
                e.stop_propagation();
                on_toggle.emit(i);
            });
            let onkeydown = Callback::from(|e: KeyboardEvent| e.stop_propagation());
            html! {
                <button type="button" class="arch-toggle" {onclick} {onkeydown}
                    aria-expanded={if open { "true" } else { "false" }}
                    aria-label={format!("{} {}", if open { "Close" } else { "Open" }, layer.name)}
                    data-testid="arch-toggle">
                    { if open { "▾" } else { "▸" } }
                </button>
            }
        });
        rows.push(row(props, layer, LayerPath::top(i), &layer.name, toggle));
        if is_block && open {
            for (branch, list) in [
                (Branch::Main, &layer.main),
                (Branch::Shortcut, &layer.shortcut),
            ] {
                for (j, sub) in list.iter().enumerate() {
                    let full = format!("{}.{}", layer.name, sub.name);
                    rows.push(row(props, sub, LayerPath::inner(i, branch, j), &full, None));
                }
            }
            if layer.shortcut.is_empty() {
                rows.push(html! {
                    <tr class="arch-row arch-row-sub arch-row-note">
                        <td colspan="5"><span class="arch-branch">{"shortcut"}</span>{"identity: the input is added unchanged"}</td>
                    </tr>
                });
            }
        }
    }
    let t = &report.totals;
    // The network's output as the lecture writes a vector: `1000`, not `1x1x1000`.
    let output_label = if t.output.h == 1 && t.output.w == 1 {
        t.output.c.to_string()
    } else {
        t.output.to_string()
    };
    let expand_buttons = has_blocks.then(|| {
        let expand = props.on_expand_all.reform(|_: MouseEvent| ());
        let collapse = props.on_collapse_all.reform(|_: MouseEvent| ());
        html! {
            <div class="arch-table-tools">
                <button type="button" onclick={expand} data-testid="arch-expand-all">{"Open all blocks"}</button>
                <button type="button" onclick={collapse}>{"Close all blocks"}</button>
            </div>
        }
    });
    html! {
        <div class="arch-table-wrap">
            { for expand_buttons }
            <table class="arch-table" data-testid="arch-table">
                <caption>
                    { format!("{} — input {}. ", report.title, report.input) }
                    <span class="arch-hint">{"Click a row, or focus it and press Enter, for its formulas."}</span>
                </caption>
                <thead>
                    <tr>
                        <th scope="col">{"Layer (in the lecture's notation)"}</th>
                        <th scope="col" class="arch-num">{"Output"}</th>
                        <th scope="col" class="arch-num">{"Params"}</th>
                        <th scope="col" class="arch-num">{"MACs"}</th>
                        <th scope="col" class="arch-num" title="receptive field size / jump, in input pixels">{"RF / jump"}</th>
                    </tr>
                </thead>
                <tbody>{ for rows }</tbody>
                <tfoot>
                    <tr data-testid="arch-totals-row">
                        <th scope="row">{ format!("Total ({} weight layers)", weight_layers(report)) }</th>
                        <td class="arch-num">{ output_label }</td>
                        <td class="arch-num" data-testid="arch-total-params">{ thousands(t.params) }</td>
                        <td class="arch-num" title={thousands(t.macs)}>{ compact(t.macs) }</td>
                        <td class="arch-num">{ format!("{} / {}", t.receptive_field.size, t.receptive_field.jump) }</td>
                    </tr>
                </tfoot>
            </table>
        </div>
    }
}

fn row(
    props: &LayerTableProps,
    layer: &LayerReport,
    path: LayerPath,
    full_name: &str,
    toggle: Option<Html>,
) -> Html {
    let is_selected = props.selected == Some(path);
    let is_broken = props.broken.as_deref().is_some_and(|b| {
        b == full_name || (path.sub.is_none() && b.starts_with(&format!("{full_name}.")))
    });
    let onclick = {
        let cb = props.on_select.clone();
        Callback::from(move |_: MouseEvent| cb.emit(path))
    };
    let onkeydown = {
        let cb = props.on_select.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                cb.emit(path);
            }
        })
    };
    let branch = path.sub.map(|(b, _)| {
        html! { <span class="arch-branch">{ b.label() }</span> }
    });
    let rf = layer.receptive_field;
    html! {
        <tr class={classes!(
                "arch-row",
                path.sub.is_some().then_some("arch-row-sub"),
                (!layer.main.is_empty()).then_some("arch-row-block"),
                (layer.params == 0 && layer.macs == 0).then_some("arch-row-quiet"),
                is_selected.then_some("selected"),
                is_broken.then_some("broken"),
            )}
            tabindex="0"
            aria-current={is_selected.then_some("true")}
            data-testid="layer-row" data-layer={full_name.to_owned()}
            {onclick} {onkeydown}>
            <td class="arch-line">
                { for toggle }{ for branch }
                <code>{ layer.lecture_line() }</code>
                if is_broken {
                    <span class="arch-broken-tag">{"breaks here"}</span>
                }
            </td>
            <td class="arch-num">{ layer.output_label() }</td>
            <td class="arch-num">{ if layer.params == 0 { "0".to_owned() } else { thousands(layer.params) } }</td>
            <td class="arch-num" title={thousands(layer.macs)}>{ if layer.macs == 0 { "0".to_owned() } else { compact(layer.macs) } }</td>
            <td class="arch-num">{ format!("{} / {}", rf.size, rf.jump) }</td>
        </tr>
    }
}
