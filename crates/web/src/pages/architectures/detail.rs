//! The selected layer: its formulas with the numbers substituted, its receptive field, and
//! where its parameters go.

use convscope_core::arch::{LayerKind, LayerReport, Totals, formulas};
use yew::prelude::*;

use super::format::{compact, fraction, percent, thousands};

/// Props of [`LayerDetail`].
#[derive(Debug, Properties, PartialEq)]
pub struct LayerDetailProps {
    /// The selected layer, if any.
    pub layer: Option<LayerReport>,
    /// Its full name (`layer2.0.conv1` inside a block).
    pub full_name: Option<String>,
    /// The network's totals, for the shares.
    pub totals: Totals,
}

/// Formulas, receptive field and parameter breakdown of one layer.
#[component]
pub fn LayerDetail(props: &LayerDetailProps) -> Html {
    let Some(layer) = &props.layer else {
        return html! {
            <aside class="arch-detail arch-detail-empty" data-testid="arch-detail" aria-live="polite">
                <h3>{"Layer details"}</h3>
                <p>{"Choose a layer in the table or the diagram to see how its output size and its parameters are computed, with your numbers."}</p>
            </aside>
        };
    };
    let name = props
        .full_name
        .clone()
        .unwrap_or_else(|| layer.name.clone());
    let f = formulas(layer);
    let t = &props.totals;
    let rf = layer.receptive_field;
    let (i, o) = (layer.input, layer.output);
    let size_note = match (layer.kind, layer.window) {
        (_, Some(w)) => Some(format!(
            "W1 = {}, F = {}, S = {}, P = {}{}",
            i.w,
            w.kernel,
            w.stride,
            w.padding,
            if w.dilation > 1 {
                format!(", D = {}", w.dilation)
            } else {
                String::new()
            }
        )),
        _ => None,
    };
    let weight_share = fraction(layer.weights, t.params);
    let bias_share = fraction(layer.biases, t.params);
    let params_text = match layer.kind {
        LayerKind::BatchNorm => "γ (scales)",
        _ => "weights",
    };
    let bias_text = match layer.kind {
        LayerKind::BatchNorm => "β (shifts)",
        _ => "biases",
    };
    let no_params = match layer.kind {
        LayerKind::MaxPool => {
            "Max pooling has no parameters: it keeps the largest value of each window, in each depth slice."
        }
        LayerKind::AvgPool | LayerKind::AdaptiveAvgPool => {
            "Average pooling has no parameters: it averages each window, in each depth slice."
        }
        LayerKind::SumPool => {
            "Sum pooling has no parameters: it adds up each window, in each depth slice."
        }
        LayerKind::LocalResponseNorm => "Local response normalisation has no learned parameters.",
        LayerKind::Activation => "An activation has no parameters: it is applied to every value.",
        LayerKind::Dropout => {
            "Dropout has no parameters: during training it zeroes values at random."
        }
        LayerKind::Flatten => {
            "Flatten has no parameters: it only reorders the volume into a vector."
        }
        _ => "This layer has no parameters.",
    };
    let parts: Vec<&LayerReport> = layer
        .main
        .iter()
        .chain(&layer.shortcut)
        .filter(|l| l.params > 0)
        .collect();
    html! {
        <aside class="arch-detail" data-testid="arch-detail" aria-live="polite">
            <h3 data-testid="arch-detail-name">{ name }</h3>
            <p class="arch-detail-line"><code>{ layer.lecture_line() }</code></p>
            <p class="arch-detail-io">
                { format!("input {i} → output {o}") }
            </p>

            <h4>{"Output size"}</h4>
            if let Some(note) = size_note {
                <p class="arch-detail-note">{ note }</p>
            }
            if let Some(w) = &f.output_width {
                <p class="arch-formula" data-testid="formula-width">{ w.clone() }</p>
            }
            if let Some(h) = &f.output_height {
                <p class="arch-formula" data-testid="formula-height">{ h.clone() }</p>
            }
            if f.output_width.is_none() {
                <p class="arch-detail-note">{ size_unchanged(layer) }</p>
            }

            <h4>{"Parameters"}</h4>
            <p class="arch-formula" data-testid="formula-params">{ f.params.clone() }</p>
            if layer.params == 0 {
                <p class="arch-detail-note">{ no_params }</p>
            } else {
                <div class="arch-share" data-testid="arch-share">
                    <div class="arch-share-bar" role="img"
                        aria-label={format!("{} of the network's parameters", percent(layer.params, t.params))}>
                        <span class="arch-share-weights" style={format!("width: {:.3}%", weight_share * 100.0)}></span>
                        <span class="arch-share-biases" style={format!("width: {:.3}%", bias_share * 100.0)}></span>
                    </div>
                    <dl class="arch-share-list">
                        <dt><span class="arch-key arch-share-weights"></span>{ params_text }</dt>
                        <dd>{ thousands(layer.weights) }<small>{ format!(" ({} of the layer)", percent(layer.weights, layer.params)) }</small></dd>
                        <dt><span class="arch-key arch-share-biases"></span>{ bias_text }</dt>
                        <dd>{ thousands(layer.biases) }<small>{ format!(" ({} of the layer)", percent(layer.biases, layer.params)) }</small></dd>
                        <dt>{"share of the network"}</dt>
                        <dd data-testid="arch-param-share">
                            <strong>{ percent(layer.params, t.params) }</strong>
                            <small>{ format!(" of {}", thousands(t.params)) }</small>
                        </dd>
                    </dl>
                </div>
            }
            if !parts.is_empty() {
                <ul class="arch-parts">
                    { for parts.iter().map(|p| html! {
                        <li><code>{ p.name.clone() }</code>{ format!(" {} ({} of the block)", thousands(p.params), percent(p.params, layer.params)) }</li>
                    }) }
                </ul>
            }

            <h4>{"Multiply-accumulates"}</h4>
            <p class="arch-detail-note">
                if layer.macs == 0 {
                    {"None counted (only convolutions and fully connected layers are)."}
                } else {
                    <strong>{ thousands(layer.macs) }</strong>
                    { format!(" ({}, {} of the network's {})", compact(layer.macs), percent(layer.macs, t.macs), compact(t.macs)) }
                    if layer.kind == LayerKind::Conv {
                        <br />
                        <small>{ conv_macs(layer) }</small>
                    }
                }
            </p>

            <h4>{"Receptive field"}</h4>
            <p class="arch-detail-note" data-testid="arch-rf">
                { format!("Each output value of {} sees a {}×{} patch of the input image", layer.name, rf.size, rf.size) }
                { " (padding included); neighbouring outputs are " }
                <strong>{ format!("{} pixel{}", rf.jump, if rf.jump == 1 { "" } else { "s" }) }</strong>
                { " apart — the jump, the product of the strides so far." }
            </p>
        </aside>
    }
}

fn size_unchanged(layer: &LayerReport) -> String {
    match layer.kind {
        LayerKind::Linear => format!(
            "A fully connected layer of {} neurons outputs a vector of {}, whatever its input's shape.",
            layer.filters.unwrap_or(0),
            layer.output.c
        ),
        LayerKind::Flatten => format!("{} values laid out as one vector.", layer.output.c),
        LayerKind::BasicBlock | LayerKind::Bottleneck => format!(
            "The main path gives {}; the shortcut must give the same so the two can be added.",
            layer.output
        ),
        _ => format!("Same size as the input: {}.", layer.output),
    }
}

fn conv_macs(layer: &LayerReport) -> String {
    let f = layer.window.map_or(0, |w| w.kernel);
    format!(
        "= H2·W2·K·(F·F·D1) = {}·{}·{}·({f}·{f}·{})",
        layer.output.h, layer.output.w, layer.output.c, layer.input.c
    )
}
