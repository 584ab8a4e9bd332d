//! The output volume of the lab's layer: W2 = (W1 − F + 2P)/S + 1 with the current numbers,
//! D2 = K, the weights (F·F·D1)·K and the biases K — every result from the core.

use convscope_core::{
    Conv2dGeometry, Conv2dParams, OutputSize, conv_output_size_explained,
    conv_transpose_output_size,
};
use yew::prelude::*;

/// Props of [`VolumeFormula`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct VolumeFormulaProps {
    /// `[W1, H1, D1]`.
    pub input: [usize; 3],
    /// F.
    pub kernel: usize,
    /// S, P, dilation, groups.
    pub params: Conv2dParams,
    /// K.
    pub filters: usize,
    /// Transposed convolution.
    pub transposed: bool,
}

/// One axis of a window's output size, its arithmetic written out (`⌊…⌋` when S does not
/// divide): the Convolution lab's volume and the Pooling lab's.
pub fn axis_line(
    name: &str,
    w: usize,
    f: usize,
    s: usize,
    p: usize,
    d: usize,
    o: &OutputSize,
) -> String {
    let sub = if d == 1 {
        format!("{name}2 = ({name}1 − F + 2P)/S + 1 = ({w} − {f} + 2·{p})/{s} + 1")
    } else {
        format!(
            "{name}2 = ({name}1 + 2P − D·(F − 1) − 1)/S + 1 = ({w} + 2·{p} − {d}·({f} − 1) − 1)/{s} + 1"
        )
    };
    let div = if o.remainder == 0 {
        format!("{}/{s}", o.numerator)
    } else {
        format!("⌊{}/{s}⌋", o.numerator)
    };
    format!("{sub} = {div} + 1 = {}", o.size)
}

/// The output-volume panel.
#[component]
pub fn VolumeFormula(props: &VolumeFormulaProps) -> Html {
    let [w1, h1, d1] = props.input;
    let (f, k, prm) = (props.kernel, props.filters, props.params);
    let (s, p, d, g) = (prm.stride[0], prm.padding[0], prm.dilation[0], prm.groups);
    if props.transposed {
        let size = |n: usize| conv_transpose_output_size(n, f, s, p, 0, d);
        let body = match (size(w1), size(h1)) {
            (Ok(w2), Ok(h2)) => html! {
                <>
                    <p>{ format!("W2 = (W1 − 1)·S − 2P + D·(F − 1) + 1 = ({w1} − 1)·{s} − 2·{p} + {d}·({f} − 1) + 1 = {w2}") }</p>
                    <p>{ format!("H2 = ({h1} − 1)·{s} − 2·{p} + {d}·({f} − 1) + 1 = {h2}") }</p>
                    <p class="volume" data-testid="volume-dims">{ format!("output volume W2 × H2 × D2 = {w2} × {h2} × {k}") }</p>
                </>
            },
            (Err(e), _) | (_, Err(e)) => {
                html! { <p class="error" role="alert" data-testid="volume-error">{ e.to_string() }</p> }
            }
        };
        return html! { <div class="formula" data-testid="volume-formula">{ body }</div> };
    }
    let geometry = Conv2dGeometry::new([1, d1, h1, w1], k, [f, f], prm);
    let body = match geometry {
        Ok(geo) => {
            let [ax_h, ax_w] = geo.axes();
            let [_, d2, h2, w2] = geo.output_shape();
            let weights = geo.weight_count();
            let biases = geo.parameter_count(true) - weights;
            let per = geo.in_channels_per_group();
            let weight_line = if g == 1 {
                format!("weights (F·F·D1)·K = ({f}·{f}·{d1})·{k} = {weights}")
            } else {
                format!("weights (F·F·D1/groups)·K = ({f}·{f}·{per})·{k} = {weights}  ({g} groups)")
            };
            let notes: Vec<String> = [ax_w, ax_h]
                .iter()
                .filter_map(|a| a.note.as_ref().map(ToString::to_string))
                .collect();
            html! {
                <>
                    <p data-testid="volume-w2">{ axis_line("W", w1, f, s, p, d, ax_w) }</p>
                    <p>{ axis_line("H", h1, f, s, p, d, ax_h) }</p>
                    <p>{ format!("D2 = K = {d2}") }</p>
                    <p class="volume" data-testid="volume-dims">{ format!("output volume W2 × H2 × D2 = {w2} × {h2} × {d2}") }</p>
                    <p data-testid="volume-weights">{ weight_line }</p>
                    <p>{ format!("biases K = {biases}; parameters {}", weights + biases) }</p>
                    if let Some(n) = notes.first() {
                        <p class="note" data-testid="volume-note">{ n.clone() }</p>
                    }
                </>
            }
        }
        Err(e) => {
            // Say which axis term failed, with the core's explanation of the axis.
            let axis = conv_output_size_explained(w1, f, s, p, d);
            html! {
                <div role="alert" data-testid="volume-error">
                    <p class="error">{ format!("This layer cannot run: {e}.") }</p>
                    if let Some(a) = e.advice() { <p data-testid="volume-advice">{ a }</p> }
                    if let Err(axis) = axis {
                        if axis != e { <p>{ format!("Along the width: {axis}.") }</p> }
                    }
                </div>
            }
        }
    };
    html! { <div class="formula" data-testid="volume-formula">{ body }</div> }
}
