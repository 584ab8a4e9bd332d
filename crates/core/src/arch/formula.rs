//! A layer's arithmetic as text, with its values substituted — what the web page shows
//! next to each row.

use serde::{Deserialize, Serialize};

use super::{LayerKind, LayerReport, Window};
use crate::format::thousands;

/// The two formulas of a layer with values substituted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerFormulas {
    /// Output width: `W2 = (227 − 11 + 2·0)/4 + 1 = 55` for convolution and pooling,
    /// `W2 = 6 (adaptive: fixed output size)` for adaptive pooling; `None` for layers that
    /// keep or discard the spatial size.
    pub output_width: Option<String>,
    /// Output height, only when it differs from the width's formula (non-square input).
    pub output_height: Option<String>,
    /// Parameter count: `params = (11·11·3)·96 + 96 = 34,944`.
    pub params: String,
}

/// Renders the output-size and parameter formulas of an evaluated layer.
///
/// A floor bracket `⌊…⌋` appears only when the division is not exact; dilation D > 1 uses
/// PyTorch's form `⌊(W1 + 2P − D·(F − 1) − 1)/S⌋ + 1`.
#[must_use]
pub fn formulas(layer: &LayerReport) -> LayerFormulas {
    let (output_width, output_height) = match (layer.kind, layer.window) {
        (_, Some(w)) => (
            Some(size_formula("W", layer.input.w, w, layer.output.w)),
            (layer.input.h != layer.input.w)
                .then(|| size_formula("H", layer.input.h, w, layer.output.h)),
        ),
        (LayerKind::AdaptiveAvgPool, None) => (
            Some(format!(
                "W2 = {} (adaptive: fixed output size)",
                layer.output.w
            )),
            (layer.output.h != layer.output.w)
                .then(|| format!("H2 = {} (adaptive: fixed output size)", layer.output.h)),
        ),
        _ => (None, None),
    };
    LayerFormulas {
        output_width,
        output_height,
        params: params_formula(layer),
    }
}

fn size_formula(axis: &str, input: usize, w: Window, output: usize) -> String {
    let Window {
        kernel: f,
        stride: s,
        padding: p,
        dilation: d,
    } = w;
    let span = d.saturating_mul(f.saturating_sub(1)).saturating_add(1);
    let exact = input
        .saturating_add(p.saturating_mul(2))
        .saturating_sub(span)
        .is_multiple_of(s.max(1));
    let inner = if d == 1 {
        format!("({input} − {f} + 2·{p})/{s}")
    } else {
        format!("({input} + 2·{p} − {d}·({f} − 1) − 1)/{s}")
    };
    let inner = if exact {
        inner
    } else {
        format!("⌊{inner}⌋")
    };
    format!("{axis}2 = {inner} + 1 = {output}")
}

fn params_formula(layer: &LayerReport) -> String {
    let total = thousands(layer.params);
    match layer.kind {
        LayerKind::Conv => {
            let (f, k) = (
                layer.window.map_or(0, |w| w.kernel),
                layer.filters.unwrap_or(0),
            );
            // Each filter reads D1/G channels in a grouped convolution (G = D1 / depth).
            let d1 = layer.input.c;
            let per_filter = (f as u64).saturating_mul(f as u64).saturating_mul(k as u64);
            let depth = layer.weights.checked_div(per_filter).unwrap_or(d1 as u64);
            let weights = if depth > 0 && depth < d1 as u64 {
                format!("({f}·{f}·{d1}/{})·{k}", d1 as u64 / depth)
            } else {
                format!("({f}·{f}·{d1})·{k}")
            };
            with_bias(&weights, layer.biases, &total)
        }
        LayerKind::Linear => {
            let k = layer.filters.unwrap_or(0);
            let i = layer.input;
            let inputs = if i.h == 1 && i.w == 1 {
                i.c.to_string()
            } else {
                format!("({}·{}·{})", i.h, i.w, i.c)
            };
            with_bias(&format!("{inputs}·{k}"), layer.biases, &total)
        }
        LayerKind::BatchNorm => format!("params = 2·{} = {total}", layer.input.c),
        LayerKind::BasicBlock | LayerKind::Bottleneck => {
            let parts: Vec<String> = layer
                .main
                .iter()
                .chain(&layer.shortcut)
                .filter(|l| l.params > 0)
                .map(|l| thousands(l.params))
                .collect();
            if parts.is_empty() {
                format!("params = {total}")
            } else {
                format!("params = {} = {total}", parts.join(" + "))
            }
        }
        _ => format!("params = {total}"),
    }
}

fn with_bias(weights: &str, biases: u64, total: &str) -> String {
    if biases == 0 {
        format!("params = {weights} = {total}")
    } else {
        format!("params = {weights} + {biases} = {total}")
    }
}
