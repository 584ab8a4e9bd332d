//! What one value sees: click any feature-map pixel (a convolution's, an activation's, a
//! pooled value) or any dense unit, and its receptive field is outlined on the input, with
//! its size from the core's receptive-field arithmetic (the Architectures page's RF
//! column), and every input pixel weighted by how much it moves the value (its gradient:
//! the chain of kernels, through the ReLUs and max-pool choices this image made). Computed
//! by the core in the web worker ([`crate::agent::explain`]).

use std::rc::Rc;

use web_sys::HtmlElement;
use yew::prelude::*;

use super::explain::{Answer, use_explained};
use crate::agent::{ExplainRequest, Explained};
use crate::by_ptr::ByPtr;
use crate::components::{Legend, MatrixCanvas, field_frame};
use crate::lab::{ColorScale, fmt_num};

/// Props of [`FieldPanel`].
#[derive(Properties, PartialEq)]
pub struct FieldPanelProps {
    /// The worker's name of the model.
    pub model: AttrValue,
    /// The network input (28×28, `[0, 1]`).
    pub input: ByPtr<Vec<f32>>,
    /// The layer's path.
    pub layer: AttrValue,
    /// `[channel, row, column]` of the value.
    pub unit: [usize; 3],
    /// Whether opening the panel moves the focus to its heading (not when the convolution
    /// of the same pixel opened with it and took the focus).
    pub take_focus: bool,
    /// Close the panel.
    pub on_close: Callback<()>,
}

/// `[first, end)` along an axis of `n` pixels as "rows 6 to 21", with what lies in the
/// padding.
fn describe_span(what: &str, [first, end]: [i64; 2], n: usize) -> String {
    let n = n as i64;
    let (a, b) = (first.max(0), end.min(n));
    let outside = (-first).max(0) + (end - n).max(0);
    let mut s = if b > a {
        format!("{what} {a} to {}", b - 1)
    } else {
        format!("no {what} of the image")
    };
    if outside > 0 {
        s.push_str(&format!(
            " ({outside} more in the zero padding: {first} to {})",
            end - 1
        ));
    }
    s
}

/// The receptive field of one value.
#[component]
pub fn FieldPanel(p: &FieldPanelProps) -> Html {
    let heading = use_node_ref();
    {
        let (heading, take) = (heading.clone(), p.take_focus);
        use_effect_with((), move |_| {
            if let Some(h) = heading.cast::<HtmlElement>().filter(|_| take) {
                let _ = h.focus();
            }
        });
    }
    let request = Some(ExplainRequest::Field {
        layer: p.layer.to_string(),
        unit: p.unit,
    });
    let answer = use_explained(p.model.clone(), p.input.clone(), request);
    let [c, y, x] = p.unit;
    let on_close = {
        let f = p.on_close.clone();
        Callback::from(move |_: MouseEvent| f.emit(()))
    };
    let body = match &*answer {
        Answer::Waiting => html! {
            <p class="pending" role="status" data-testid="field-status">{"tracing the value back to the input in the web worker…"}</p>
        },
        Answer::Failed(e) => html! {
            <p class="error" role="alert" data-testid="field-status">{ e.clone() }</p>
        },
        Answer::Done(a, n) => html! {
            <FieldResult answer={a.clone()} request={*n} input={p.input.clone()} layer={p.layer.clone()} />
        },
    };
    html! {
        <section class="panel field" aria-labelledby="field-title" data-testid="field-panel">
            <div class="panel-head">
                <h3 id="field-title" tabindex="-1" ref={heading}>
                    { format!("What {} [{c}, {y}, {x}] sees", p.layer) }
                </h3>
                <button type="button" class="secondary" data-testid="field-close" onclick={on_close}>{"close"}</button>
            </div>
            <p class="muted">{"Its receptive field (outlined): the input pixels that can change it. Inside, each pixel's weight: how much the value moves per unit of that pixel (red raises it, blue lowers it) — the chain of kernels from the input up to this layer, through the ReLUs and max-pool choices this image made."}</p>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct FieldResultProps {
    answer: ByPtr<Explained>,
    request: u64,
    input: ByPtr<Vec<f32>>,
    layer: AttrValue,
}

#[component]
fn FieldResult(p: &FieldResultProps) -> Html {
    let a = &p.answer;
    let drawn = use_memo(p.answer.clone(), |a| {
        let map = Rc::new(a.map.clone());
        (ColorScale::fit(map.iter()), map)
    });
    let (scale, map) = (drawn.0, drawn.1.clone());
    let Some(f) = &a.field else {
        return html! { <p class="error" role="alert" data-testid="field-status">{"the worker sent no field"}</p> };
    };
    let [rows, cols] = a.dims;
    let rect = field_frame(f.rows, f.cols, a.dims);
    let nonzero = a.map.iter().filter(|g| **g != 0.0).count();
    let peak = a.map.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    html! {
        <div class="explain-result" data-testid="field-result" data-request={p.request.to_string()}
            data-size={f.size.to_string()} data-rows={format!("{} {}", f.rows[0], f.rows[1])}
            data-cols={format!("{} {}", f.cols[0], f.cols[1])} data-nonzero={nonzero.to_string()}
            data-millis={a.millis.map(|m| format!("{m:.2}"))}>
            <div class="maps">
                <div class="map">
                    <MatrixCanvas values={p.input.0.clone()} rows={rows} cols={cols} size={168.0} frame={rect}
                        label={format!("the input with the receptive field of {} outlined", p.layer)} testid="field-input" />
                    <p class="map-caption">{"input, field outlined"}</p>
                </div>
                <div class="map">
                    <MatrixCanvas values={map} under={p.input.0.clone()} rows={rows} cols={cols} scale={scale} size={168.0} frame={rect}
                        label="each input pixel's weight on the value (its gradient), laid over the input" testid="field-weights" />
                    <p class="map-caption">{"weight of each pixel, over the input"}</p>
                </div>
            </div>
            <Legend scale={scale} />
            <p data-testid="field-size">
                { format!("Receptive field {s}×{s} pixels", s = f.size) }
                <span class="muted">{" (the RF column of the Architectures page for this layer)"}</span>
            </p>
            if nonzero == 0 {
                <p class="muted" data-testid="field-dead">{ format!(
                    "No pixel moves this value: on this image it is {} and a ReLU (or a max pool's choice) before it passes no change through. Try a value that is not 0, or another image.",
                    fmt_num(f.value)
                ) }</p>
            }
            <p class="muted small" data-testid="field-numbers">
                { format!(
                    "value {}; {}, {}; {nonzero} pixels with a nonzero weight, the largest {}{}",
                    fmt_num(f.value),
                    describe_span("rows", f.rows, rows),
                    describe_span("columns", f.cols, cols),
                    fmt_num(peak),
                    a.millis.map(|m| format!("; traced by the web worker in {m:.1} ms")).unwrap_or_default(),
                ) }
            </p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_say_what_lies_in_the_padding() {
        assert_eq!(describe_span("rows", [6, 22], 28), "rows 6 to 21");
        assert_eq!(
            describe_span("rows", [-2, 3], 28),
            "rows 0 to 2 (2 more in the zero padding: -2 to 2)"
        );
        assert_eq!(
            describe_span("columns", [-2, 30], 28),
            "columns 0 to 27 (4 more in the zero padding: -2 to 29)"
        );
        assert_eq!(
            field_frame([-2, 3], [25, 30], [28, 28]),
            Some([25, 0, 28, 3])
        );
        assert_eq!(field_frame([-2, 3], [28, 33], [28, 28]), None);
    }
}
