//! The drawing pad: Pointer Events (mouse, touch and pen alike, `touch-action: none`),
//! strokes kept in page coordinates, a brush size and a clear button. While a stroke goes
//! on, the drawing is emitted at most once per animation frame.

use std::rc::Rc;

use gloo_render::{AnimationFrame, request_animation_frame};
use web_sys::{HtmlCanvasElement, HtmlSelectElement, PointerEvent};
use yew::prelude::*;

use crate::by_ptr::ByPtr;
use crate::lab::classify::Drawing;
use crate::lab::classify::drawing::{BRUSHES, DEFAULT_BRUSH, PAD_SIDE};

/// Props of [`DrawPad`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct DrawPadProps {
    /// The drawing the pad starts with (restored from the last visit).
    pub initial: ByPtr<Drawing>,
    /// The drawing changed: `(drawing, stroke finished)`.
    pub on_change: Callback<(Rc<Drawing>, bool)>,
}

/// Draws every stroke (a few hundred points: cheap enough to redo on each move).
fn paint(el: &HtmlCanvasElement, d: &Drawing) {
    let side = f64::from(PAD_SIDE);
    let Some(ctx) = crate::canvas::fit(el, [side, side]) else {
        return;
    };
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, side, side);
    ctx.set_stroke_style_str("#111111");
    ctx.set_fill_style_str("#111111");
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
    for s in &d.strokes {
        let w = f64::from(s.width) * side;
        let pt = |p: &[f32; 2]| (f64::from(p[0]) * side, f64::from(p[1]) * side);
        match s.points.as_slice() {
            [] => {}
            [p] => {
                let (x, y) = pt(p);
                ctx.begin_path();
                let _ = ctx.arc(x, y, w / 2.0, 0.0, std::f64::consts::TAU);
                ctx.fill();
            }
            [first, rest @ ..] => {
                ctx.set_line_width(w);
                ctx.begin_path();
                let (x, y) = pt(first);
                ctx.move_to(x, y);
                for p in rest {
                    let (x, y) = pt(p);
                    ctx.line_to(x, y);
                }
                ctx.stroke();
            }
        }
    }
}

/// The pointer's position in page coordinates `[0, 1]²`.
fn position(e: &PointerEvent, el: &HtmlCanvasElement) -> [f32; 2] {
    let r = el.get_bounding_client_rect();
    let w = r.width().max(1.0);
    let h = r.height().max(1.0);
    [
        ((f64::from(e.client_x()) - r.left()) / w) as f32,
        ((f64::from(e.client_y()) - r.top()) / h) as f32,
    ]
}

/// The drawing pad.
#[component]
pub fn DrawPad(props: &DrawPadProps) -> Html {
    let canvas = use_node_ref();
    let drawing = use_mut_ref(|| (*props.initial).clone());
    let brush = use_state(|| DEFAULT_BRUSH);
    // The pointer drawing the current stroke.
    let active = use_mut_ref(|| None::<i32>);
    // The scheduled frame and whether one is pending.
    let frame = use_mut_ref(|| None::<AnimationFrame>);
    let pending = use_mut_ref(|| false);
    {
        let canvas = canvas.clone();
        let drawing = drawing.clone();
        use_effect_with((), move |_| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>() {
                paint(&el, &drawing.borrow());
            }
        });
    }
    // Emits the drawing on the next animation frame, once however many moves come first.
    let schedule = {
        let drawing = drawing.clone();
        let frame = frame.clone();
        let pending = pending.clone();
        let on_change = props.on_change.clone();
        move || {
            if pending.replace(true) {
                return;
            }
            let drawing = drawing.clone();
            let pending = pending.clone();
            let on_change = on_change.clone();
            let handle = request_animation_frame(move |_| {
                *pending.borrow_mut() = false;
                let d = Rc::new(drawing.borrow().clone());
                on_change.emit((d, false));
            });
            *frame.borrow_mut() = Some(handle);
        }
    };
    let onpointerdown = {
        let canvas = canvas.clone();
        let drawing = drawing.clone();
        let active = active.clone();
        let brush = *brush;
        let schedule = schedule.clone();
        Callback::from(move |e: PointerEvent| {
            if e.button() != 0 || active.borrow().is_some() {
                return;
            }
            let Some(el) = canvas.cast::<HtmlCanvasElement>() else {
                return;
            };
            e.prevent_default();
            let _ = el.set_pointer_capture(e.pointer_id());
            *active.borrow_mut() = Some(e.pointer_id());
            drawing.borrow_mut().begin(position(&e, &el), brush);
            paint(&el, &drawing.borrow());
            schedule();
        })
    };
    let onpointermove = {
        let canvas = canvas.clone();
        let drawing = drawing.clone();
        let active = active.clone();
        let schedule = schedule.clone();
        Callback::from(move |e: PointerEvent| {
            if *active.borrow() != Some(e.pointer_id()) {
                return;
            }
            let Some(el) = canvas.cast::<HtmlCanvasElement>() else {
                return;
            };
            drawing.borrow_mut().extend(position(&e, &el));
            paint(&el, &drawing.borrow());
            schedule();
        })
    };
    let end = {
        let drawing = drawing.clone();
        let active = active.clone();
        let frame = frame.clone();
        let pending = pending.clone();
        let on_change = props.on_change.clone();
        Callback::from(move |e: PointerEvent| {
            if *active.borrow() != Some(e.pointer_id()) {
                return;
            }
            *active.borrow_mut() = None;
            // The final drawing goes out now: the frame still pending would send it a
            // second time, so it is cancelled (dropping the handle cancels it).
            drop(frame.borrow_mut().take());
            *pending.borrow_mut() = false;
            on_change.emit((Rc::new(drawing.borrow().clone()), true));
        })
    };
    let on_clear = {
        let canvas = canvas.clone();
        let drawing = drawing.clone();
        let on_change = props.on_change.clone();
        Callback::from(move |_: MouseEvent| {
            *drawing.borrow_mut() = Drawing::default();
            if let Some(el) = canvas.cast::<HtmlCanvasElement>() {
                paint(&el, &drawing.borrow());
            }
            on_change.emit((Rc::new(Drawing::default()), true));
        })
    };
    let on_brush = {
        let brush = brush.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(b) = select.value().parse() {
                brush.set(b);
            }
        })
    };
    html! {
        <div class="pad">
            <canvas ref={canvas} class="pad-canvas" data-testid="draw-pad"
                role="img" aria-label="drawing pad: draw with the mouse, a finger or a pen"
                style={format!("width:{PAD_SIDE}px;height:{PAD_SIDE}px")}
                onpointerdown={onpointerdown} onpointermove={onpointermove}
                onpointerup={end.clone()} onpointercancel={end} />
            <div class="row pad-tools">
                <label class="field">
                    <span class="field-label"><strong>{"brush"}</strong></span>
                    <select data-testid="brush" onchange={on_brush}>
                        { for BRUSHES.iter().map(|&b| html! {
                            <option value={b.to_string()} selected={b == *brush}>{ format!("{b} px") }</option>
                        }) }
                    </select>
                </label>
                <button type="button" data-testid="clear-pad" onclick={on_clear}>{"clear"}</button>
            </div>
        </div>
    }
}
