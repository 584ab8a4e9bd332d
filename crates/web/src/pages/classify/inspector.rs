//! The convolution behind a clicked feature-map pixel: the input window over every input
//! channel, the kernel's slices, the products and their sum (the convolution lab's
//! [`ProductsGrid`]), the bias, and the activation. The numbers come from the core's
//! `ConvTrace`; the clicked map's own value is shown next to them to check.

use web_sys::HtmlElement;
use yew::prelude::*;

use crate::by_ptr::ByPtr;
use crate::components::{Legend, MatrixCanvas, ProductsGrid};
use crate::lab::classify::Inspection;
use crate::lab::{ColorScale, fmt_num};

/// Props of [`Inspector`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct InspectorProps {
    /// The explained pixel.
    pub inspection: ByPtr<Inspection>,
    /// Close the panel.
    pub on_close: Callback<()>,
}

/// The convolution of one pixel.
#[component]
pub fn Inspector(props: &InspectorProps) -> Html {
    let heading = use_node_ref();
    // Opening the panel moves the focus to its heading, so keyboard and screen-reader
    // users land on what they opened (a new pixel in the open panel does not).
    {
        let heading = heading.clone();
        use_effect_with((), move |_| {
            if let Some(h) = heading.cast::<HtmlElement>() {
                let _ = h.focus();
            }
        });
    }
    let i = &props.inspection;
    let step = &i.step;
    let [k, y, x] = step.output;
    let depth = i.inputs.len();
    let in_scale = ColorScale::fit(i.inputs.iter().flat_map(|p| p.iter()));
    let k_scale = ColorScale::fit(i.kernels.iter().flat_map(|p| p.iter()));
    let input_name = if i.padding > 0 {
        format!("{} (padding {})", i.input_name, i.padding)
    } else {
        i.input_name.clone()
    };
    let f = i.kernel;
    let inputs = i.inputs.iter().zip(&i.channels).enumerate().map(|(j, (plane, &c))| {
        html! {
            <div class="map">
                <MatrixCanvas values={plane.clone()} rows={i.input_rows} cols={i.input_cols} pad={i.padding}
                    taps={i.taps.get(j).cloned().unwrap_or_default()} scale={in_scale}
                    max_size={if depth > 1 { 140.0 } else { 224.0 }}
                    label={format!("input channel {c} with the window outlined")}
                    testid={format!("inspect-input-{c}")} />
                if depth > 1 { <p class="map-caption">{ format!("channel {c}") }</p> }
            </div>
        }
    });
    let kernels = i.kernels.iter().zip(&i.channels).map(|(w, &c)| {
        html! {
            <div class="map">
                <MatrixCanvas values={w.clone()} rows={f} cols={f} scale={k_scale}
                    max_size={if depth > 1 { 110.0 } else { 150.0 }}
                    label={format!("kernel {k}, slice for input channel {c}")}
                    testid={format!("inspect-kernel-{c}")} />
                if depth > 1 { <p class="map-caption">{ format!("channel {c}") }</p> }
            </div>
        }
    });
    let bias = step.bias.unwrap_or(0.0);
    let matches = (step.pre_activation - i.map_value).abs() <= 1e-4 * i.map_value.abs().max(1.0);
    let act = step.activation.name();
    html! {
        <section class="panel inspector" aria-labelledby="inspect-title" data-testid="inspector"
            data-layer={i.layer.clone()} data-pixel={format!("{k},{y},{x}")}>
            <div class="inspector-head">
                <h3 id="inspect-title" ref={heading} tabindex="-1" data-testid="inspect-title">{ format!("{} map {k}, pixel ({y}, {x}): the convolution that produced it", i.layer) }</h3>
                <button type="button" data-testid="inspect-close" onclick={props.on_close.reform(|_| ())}>{"close"}</button>
            </div>
            <div class="inspector-grid">
                <div>
                    <h4>{ format!("window over {input_name}") }</h4>
                    <div class="maps">{ for inputs }</div>
                    <Legend scale={in_scale} />
                </div>
                <div>
                    <h4>{ format!("kernel {k}: {depth} slice{} of {f}×{f}", if depth > 1 { "s" } else { "" }) }</h4>
                    <div class="maps">{ for kernels }</div>
                    <Legend scale={k_scale} />
                </div>
            </div>
            <h4>{"window × kernel"}</h4>
            <ProductsGrid step={step.clone()} kernel={f} depth={depth} />
            <p class="output-cell inspect-eq">
                {"sum "}<output data-testid="inspect-sum">{ fmt_num(step.sum) }</output>
                {" + bias "}<output data-testid="inspect-bias">{ fmt_num(bias) }</output>
                {" = "}<output data-testid="inspect-pre">{ fmt_num(step.pre_activation) }</output>
            </p>
            <p class="muted small" data-testid="inspect-exact">
                { format!("to four decimals: {:.4} + ({:.4}) = {:.4}; the map holds {:.4}", step.sum, bias, step.pre_activation, i.map_value) }
            </p>
            <p class={classes!("inspect-check", if matches { "ok" } else { "error" })} data-testid="inspect-check">
                { format!("the {} map's value at ({y}, {x}) from the forward pass: ", i.layer) }
                <output data-testid="inspect-map-value">{ fmt_num(i.map_value) }</output>
                { if matches { " ✓ the same" } else { " ✗ differs" } }
            </p>
            <p class="activation-eq">
                { format!("{act}({}) = ", fmt_num(step.pre_activation)) }
                <output data-testid="inspect-activated">{ fmt_num(step.value) }</output>
                <span class="muted small">{ match &i.activation_layer {
                    Some(name) => format!(" (the {name} map holds {})", fmt_num(i.activated)),
                    None => " (no activation follows this convolution directly)".to_owned(),
                } }</span>
            </p>
        </section>
    }
}
