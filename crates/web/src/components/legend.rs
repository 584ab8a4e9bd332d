//! A colour scale's legend: the gradient and its end values.

use yew::prelude::*;

use crate::lab::{ColorScale, fmt_num};

/// Props of [`Legend`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct LegendProps {
    /// The scale drawn.
    pub scale: ColorScale,
}

/// The legend of a colour scale.
#[component]
pub fn Legend(props: &LegendProps) -> Html {
    let s = props.scale;
    html! {
        <div class="legend" aria-label="colour scale">
            <span>{ fmt_num(s.min) }</span>
            <span class="legend-bar" style={format!("background:{}", s.gradient())}></span>
            <span>{ fmt_num(s.max) }</span>
            <span class="muted">{ if s.diverging { "diverging: blue < 0 < red" } else { "0 = white" } }</span>
        </div>
    }
}
