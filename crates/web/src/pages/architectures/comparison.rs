//! The lecture's "ImageNet winners" slide, AlexNet (2012) → VGG (2014) → ResNet (2015),
//! computed live: depth, parameters, MACs and the published top-5 errors.

use yew::prelude::*;

use super::compare::{kind_label, rows, winners};
use super::format::{compact, fraction};

/// Props of [`Comparison`].
#[derive(Debug, Properties, PartialEq)]
pub struct ComparisonProps {
    /// Open a network in the explorer above (its zoo name).
    pub on_open: Callback<String>,
}

/// AlexNet → VGG → ResNet side by side, then every variant in a table.
#[component]
pub fn Comparison(props: &ComparisonProps) -> Html {
    let rows = use_memo((), |_| rows());
    let winners = use_memo(rows.clone(), |rows| winners(rows));
    let max_depth = rows.iter().map(|r| r.depth).max().unwrap_or(1) as u64;
    let max_params = rows.iter().map(|r| r.params).max().unwrap_or(1);
    let max_error = 20.0;
    let cards = winners.iter().enumerate().map(|(i, w)| {
        let open = {
            let cb = props.on_open.clone();
            let net = w.row.net.to_owned();
            Callback::from(move |_: MouseEvent| cb.emit(net.clone()))
        };
        html! {
            <>
                if i > 0 {
                    <div class="arch-arrow" aria-hidden="true">{"→"}</div>
                }
                <article class={classes!("arch-winner", format!("arch-winner-{}", w.family.to_ascii_lowercase()))}
                    data-testid="arch-winner" data-family={w.family}>
                    <h4>{ w.family }<span class="arch-year">{ w.year }</span></h4>
                    <p class="arch-winner-net">
                        <button type="button" class="arch-link" onclick={open}>{ w.row.label.clone() }</button>
                    </p>
                    <dl>
                        <dt>{"weight layers"}</dt>
                        <dd data-testid="arch-winner-depth"><strong>{ w.row.depth }</strong>
                            <span class="arch-bar"><span style={bar(fraction(w.row.depth as u64, max_depth))}></span></span></dd>
                        <dt>{"parameters"}</dt>
                        <dd><strong>{ compact(w.row.params) }</strong>
                            <span class="arch-bar"><span style={bar(fraction(w.row.params, max_params))}></span></span></dd>
                        <dt>{"MACs / image"}</dt>
                        <dd><strong>{ compact(w.row.macs) }</strong><small>{ format!(" at {}", w.row.input) }</small></dd>
                        if let Some(c) = w.challenge {
                            <dt>{"top-5 error"}</dt>
                            <dd data-testid="arch-winner-error"><strong class="arch-error-figure">{ format!("{} %", c.top5_error_percent) }</strong>
                                <span class="arch-bar arch-bar-error"><span style={bar((c.top5_error_percent / max_error).clamp(0.0, 1.0))}></span></span>
                                <small class="arch-source">{ format!("{} — {}", c.setting, c.source) }</small>
                            </dd>
                        }
                    </dl>
                </article>
            </>
        }
    });
    let table_rows = rows.iter().map(|r| {
        let open = {
            let cb = props.on_open.clone();
            let net = r.net.to_owned();
            Callback::from(move |_: MouseEvent| cb.emit(net.clone()))
        };
        html! {
            <tr data-testid="arch-compare-row" data-net={r.net} data-family={r.family}>
                <th scope="row"><button type="button" class="arch-link" onclick={open}>{ r.label.clone() }</button></th>
                <td class="arch-num">{ r.depth }</td>
                <td class="arch-num">{ compact(r.params) }</td>
                <td class="arch-num">{ compact(r.macs) }</td>
                <td>
                    if r.errors.is_empty() {
                        <span class="arch-muted">{"—"}</span>
                    }
                    { for r.errors.iter().map(|e| html! {
                        <div class="arch-error-entry">
                            <strong>{ format!("{} %", e.top5_error_percent) }</strong>
                            { format!(" {} ({}, {})", kind_label(e.kind), e.year, e.setting) }
                            <small class="arch-source">{ format!(" — {}", e.source) }</small>
                        </div>
                    }) }
                </td>
            </tr>
        }
    });
    html! {
        <section class="arch-card arch-compare" aria-labelledby="arch-compare-title" data-testid="arch-compare">
            <h3 id="arch-compare-title">{"ImageNet winners: AlexNet (2012) → VGG (2014) → ResNet (2015)"}</h3>
            <p class="arch-muted">
                {"Depth, parameters and multiply-accumulates are computed live by the core from each network's layers; the top-5 errors are published figures, each with what was evaluated and where it was reported."}
            </p>
            <div class="arch-winners">{ for cards }</div>
            <div class="table-scroll">
            <table class="arch-compare-table">
                <caption>{"Every AlexNet, VGG and ResNet in the zoo (batch-norm variants have the same depth and almost the same counts)"}</caption>
                <thead>
                    <tr>
                        <th scope="col">{"Network"}</th>
                        <th scope="col" class="arch-num">{"Depth"}</th>
                        <th scope="col" class="arch-num">{"Params"}</th>
                        <th scope="col" class="arch-num">{"MACs"}</th>
                        <th scope="col">{"Published ImageNet top-5 error"}</th>
                    </tr>
                </thead>
                <tbody>{ for table_rows }</tbody>
            </table>
            </div>
        </section>
    }
}

fn bar(f: f64) -> String {
    format!("width: {:.1}%", f * 100.0)
}
