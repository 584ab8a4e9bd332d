//! The network's computed totals beside the published reference totals.

use convscope_core::arch::NetworkReport;
use yew::prelude::*;

use crate::by_ptr::ByPtr;

use super::compare::weight_layers;
use super::format::{compact, thousands};
use super::reference::reference;

/// Props of [`TotalsPanel`].
#[derive(Debug, Properties, PartialEq)]
pub struct TotalsPanelProps {
    /// The zoo name of the network.
    pub net: &'static str,
    /// The evaluated network.
    pub report: ByPtr<NetworkReport>,
}

/// Computed parameters and MACs beside torchvision's (or the lecture's) published figures.
#[component]
pub fn TotalsPanel(props: &TotalsPanelProps) -> Html {
    let t = &props.report.totals;
    let gmacs = t.macs as f64 / 1e9;
    let reference = reference(props.net);
    let published = match reference {
        None => html! {
            <tr>
                <th scope="row">{"Published"}</th>
                <td colspan="3" class="arch-muted">{"no published reference total for this network (torchvision has no LeNet)"}</td>
            </tr>
        },
        Some(r) => {
            let params_cell = if r.approximate {
                format!("≈ {}", thousands(r.params))
            } else {
                thousands(r.params)
            };
            let verdict = if r.approximate {
                let off = (t.params as f64 - r.params as f64) / r.params as f64 * 100.0;
                format!("within {:.0} % of the rounded figure", off.abs().ceil())
            } else if t.params == r.params {
                "parameters: exact match".to_owned()
            } else {
                format!(
                    "parameters differ by {}",
                    thousands(t.params.abs_diff(r.params))
                )
            };
            let at_224 = props.report.input.h == 224 && props.report.input.w == 224;
            let mac_verdict = match r.gmacs {
                Some(g) if at_224 => format!("; MACs {gmacs:.2} G computed vs {g} G published"),
                Some(_) => "; published MACs are at 224×224, yours are at your input".to_owned(),
                None => String::new(),
            };
            html! {
                <>
                    <tr data-testid="arch-reference-row">
                        <th scope="row">{ if r.approximate { "Published" } else { "torchvision" } }</th>
                        <td class="arch-num">{ params_cell }</td>
                        <td class="arch-num">{ r.gmacs.map_or("—".to_owned(), |g| format!("{g} G")) }</td>
                        <td class="arch-source">{ r.source }</td>
                    </tr>
                    <tr class="arch-verdict">
                        <td colspan="4" data-testid="arch-verdict">{ format!("{verdict}{mac_verdict}") }</td>
                    </tr>
                </>
            }
        }
    };
    html! {
        <section class="arch-card arch-totals" aria-labelledby="arch-totals-title" data-testid="arch-totals">
            <h3 id="arch-totals-title">{"Totals beside the published figures"}</h3>
            <table>
                <thead>
                    <tr>
                        <th scope="col">{"Source"}</th>
                        <th scope="col" class="arch-num">{"Parameters"}</th>
                        <th scope="col" class="arch-num">{"MACs"}</th>
                        <th scope="col">{"Notes"}</th>
                    </tr>
                </thead>
                <tbody>
                    <tr data-testid="arch-computed-row">
                        <th scope="row">{"convscope (computed)"}</th>
                        <td class="arch-num"><strong>{ thousands(t.params) }</strong></td>
                        <td class="arch-num" title={thousands(t.macs)}>{ compact(t.macs) }</td>
                        <td class="arch-source">
                            { format!(
                                "{} weights + {} biases; {} weight layers; {} MACs at {}",
                                thousands(t.weights), thousands(t.biases), weight_layers(&props.report),
                                compact(t.macs), props.report.input
                            ) }
                        </td>
                    </tr>
                    { published }
                </tbody>
            </table>
        </section>
    }
}
