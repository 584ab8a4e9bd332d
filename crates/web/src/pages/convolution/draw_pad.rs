//! The drawing grid: click a cell to toggle it, drag to paint; its size is chosen here.

use std::rc::Rc;

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::by_ptr::ByPtr;

use super::Dispatch;
use crate::components::MatrixCanvas;
use crate::lab::conv::DRAW_SIZES;
use crate::lab::{ColorScale, ConvAction};

/// Props of [`DrawPad`].
#[derive(Properties, PartialEq)]
pub struct DrawPadProps {
    /// The grid's side.
    pub size: usize,
    /// `size²` cells, row-major.
    pub drawn: ByPtr<Vec<bool>>,
    /// Where the strokes go.
    pub dispatch: Dispatch,
}

/// The drawing grid.
#[component]
pub fn DrawPad(p: &DrawPadProps) -> Html {
    let n = p.size;
    let values = use_memo(p.drawn.clone(), |d| {
        Rc::new(
            d.iter()
                .map(|&b| if b { 1.0 } else { 0.0 })
                .collect::<Vec<f32>>(),
        )
    });
    let on_paint = use_callback(
        (p.dispatch.clone(), n),
        |([y, x], on): ([usize; 2], bool), (d, n)| {
            d.dispatch(ConvAction::Paint(y * n + x, on));
        },
    );
    let on_size = use_callback(p.dispatch.clone(), |e: Event, d| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        if let Ok(n) = select.value().parse() {
            d.dispatch(ConvAction::DrawSize(n));
        }
    });
    let on_clear = use_callback(p.dispatch.clone(), |_: MouseEvent, d| {
        d.dispatch(ConvAction::ClearDrawing)
    });
    html! {
        <div class="draw-pad">
            <MatrixCanvas values={(*values).clone()} rows={n} cols={n} scale={ColorScale { min: 0.0, max: 1.0, diverging: false }}
                max_size={180.0} max_cell={24.0} label="drawing grid: click a cell to toggle it, drag to paint" testid="draw-pad"
                on_paint={on_paint} />
            <div class="row">
                <label class="field">
                    <span class="field-label"><strong>{"size"}</strong></span>
                    <select data-testid="draw-size" onchange={on_size}>
                        { for DRAW_SIZES.iter().map(|&k| html! {
                            <option value={k.to_string()} selected={k == n}>{ format!("{k}×{k}") }</option>
                        }) }
                    </select>
                </label>
                <button type="button" onclick={on_clear}>{"clear"}</button>
            </div>
            <p class="muted small">{"click a cell to toggle it, drag to paint; the drawing is resampled when the size changes"}</p>
        </div>
    }
}
