//! The block diagram: one SVG block per layer, sized by its output volume, clickable.

use convscope_core::arch::NetworkReport;
use yew::prelude::*;

use crate::by_ptr::ByPtr;

use super::layout::{BlockClass, layout};
use super::state::LayerPath;

/// Props of [`BlockDiagram`].
#[derive(Debug, Properties, PartialEq)]
pub struct BlockDiagramProps {
    /// The evaluated network.
    pub report: ByPtr<NetworkReport>,
    /// The selected layer (its top-level block is highlighted).
    pub selected: Option<LayerPath>,
    /// The layer that breaks at the typed size, if any (its block is marked).
    pub broken: Option<String>,
    /// A block was chosen.
    pub on_select: Callback<LayerPath>,
}

/// The network as blocks: height ∝ log of the spatial size, width ∝ log of the depth.
#[component]
pub fn BlockDiagram(props: &BlockDiagramProps) -> Html {
    let diagram = {
        let report = props.report.clone();
        use_memo(report, |r| layout(r))
    };
    let selected_top = props.selected.map(|p| p.index);
    let broken_top = props.broken.as_deref().and_then(|b| {
        props
            .report
            .layers
            .iter()
            .position(|l| b == l.name || b.starts_with(&format!("{}.", l.name)))
    });
    let blocks = diagram.blocks.iter().map(|b| {
        let cx = b.x + b.width / 2.0;
        let top = b.y;
        let bottom = b.y + b.height;
        let volume_label = html! {
            <text class="arch-block-volume" x={fmt(cx)} y={fmt(top - 6.0)}
                transform={format!("rotate(-40 {} {})", fmt(cx), fmt(top - 6.0))}>
                { b.volume.clone() }
            </text>
        };
        let name_label = html! {
            <text class="arch-block-name" x={fmt(cx)} y={fmt(bottom + 14.0)}
                transform={format!("rotate(40 {} {})", fmt(cx), fmt(bottom + 14.0))}>
                { b.name.clone() }
            </text>
        };
        let rect = html! {
            <rect x={fmt(b.x)} y={fmt(top)} width={fmt(b.width)} height={fmt(b.height)} rx="2.5" />
        };
        match b.path {
            None => html! {
                <g class={classes!("arch-block", format!("arch-block-{}", b.class.css()))}>
                    <title>{ format!("[{}] INPUT", b.volume) }</title>
                    { rect }{ volume_label }{ name_label }
                </g>
            },
            Some(path) => {
                let is_selected = selected_top == Some(path.index);
                let is_broken = broken_top == Some(path.index);
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
                // Named by the labels it shows (volume, layer); the lecture's line describes it.
                let line = props
                    .report
                    .layers
                    .get(path.index)
                    .map(|l| l.lecture_line())
                    .unwrap_or_default();
                html! {
                    <g class={classes!(
                            "arch-block",
                            format!("arch-block-{}", b.class.css()),
                            is_selected.then_some("selected"),
                            is_broken.then_some("broken"),
                        )}
                        role="button" tabindex="0"
                        aria-description={line}
                        aria-pressed={if is_selected { "true" } else { "false" }}
                        data-testid="arch-block" data-layer={b.name.clone()}
                        {onclick} {onkeydown}>
                        { rect }{ volume_label }{ name_label }
                    </g>
                }
            }
        }
    });
    let min_width = diagram.width;
    html! {
        <figure class="arch-diagram" data-testid="arch-diagram">
            <div class="arch-diagram-scroll">
                <svg viewBox={format!("0 0 {} {}", fmt(diagram.width), fmt(diagram.height))}
                    style={format!("min-width: {}px; max-width: {}px", fmt(min_width), fmt(min_width * 1.15))}
                    role="group" aria-label="Block diagram of the network; choose a block to see its layer">
                    <line class="arch-diagram-axis" x1="0" x2={fmt(diagram.width)}
                        y1={fmt(diagram.mid)} y2={fmt(diagram.mid)} />
                    { for blocks }
                </svg>
            </div>
            <figcaption>
                <span class="arch-legend">
                    { for BlockClass::ALL.iter().map(|c| html! {
                        <span class="arch-legend-item">
                            <span class={classes!("arch-swatch", format!("arch-block-{}", c.css()))} aria-hidden="true"></span>
                            { c.legend() }
                        </span>
                    }) }
                </span>
                <span class="arch-diagram-note">
                    {"Height ∝ log₂ of the spatial size, width ∝ log₂ of the depth. ReLU, dropout and batch-norm layers keep the volume and are not drawn."}
                </span>
            </figcaption>
        </figure>
    }
}

fn fmt(x: f64) -> String {
    format!("{x:.1}")
}
