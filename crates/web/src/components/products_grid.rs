//! The current window's elementwise products, one small grid per input channel, and the
//! sum written out as the lecture writes it: 1·1 + 1·0 + 1·1 + … = 4.

use std::rc::Rc;

use convscope_core::{ConvStep, ConvTap};
use yew::prelude::*;

use crate::lab::fmt_num;

/// Props of [`ProductsGrid`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct ProductsGridProps {
    /// The step, from the core's trace.
    pub step: Rc<ConvStep>,
    /// Kernel side F.
    pub kernel: usize,
    /// Input depth D1 (names the channels R, G, B when 3).
    pub depth: usize,
    /// In transposed mode, the last cell `[y, x]` of the zero-inserted input: a tap that adds
    /// nothing inside `[0, y] × [0, x]` is a stride "hole", outside it "pad" (without it
    /// every such tap is padding).
    #[prop_or_default]
    pub holes_within: Option<[isize; 2]>,
}

/// What a tap that adds nothing at `[y, x]` is called: a stride hole inside `holes_within`,
/// else padding.
fn skipped_name([y, x]: [isize; 2], holes_within: Option<[isize; 2]>) -> &'static str {
    match holes_within {
        Some([ly, lx]) if (0..=ly).contains(&y) && (0..=lx).contains(&x) => "hole",
        _ => "pad",
    }
}

/// The name of input channel `c`.
pub fn channel_name(c: usize, depth: usize) -> String {
    if depth == 3 {
        ["R", "G", "B"][c % 3].to_string()
    } else {
        format!("channel {c}")
    }
}

/// Terms written out before the expression is shortened.
const MAX_TERMS: usize = 27;

fn factor(v: f32) -> String {
    let s = fmt_num(v);
    if v < 0.0 { format!("({s})") } else { s }
}

/// The sum as the lecture writes it, from the step's products (padding skipped).
pub fn sum_expression(step: &ConvStep) -> String {
    // Only the terms shown are formatted (an 11×11 window has 121).
    let count = step.taps.iter().filter(|t| t.product.is_some()).count();
    let terms: Vec<String> = step
        .taps
        .iter()
        .filter(|t| t.product.is_some())
        .take(MAX_TERMS)
        .map(|t| format!("{}·{}", factor(t.value), factor(t.weight)))
        .collect();
    let shown = if terms.is_empty() {
        "0 (the window lies in the padding)".to_string()
    } else if count > MAX_TERMS {
        format!(
            "{} + … ({} more terms)",
            terms.join(" + "),
            count - MAX_TERMS
        )
    } else {
        terms.join(" + ")
    };
    let bias = step
        .bias
        .map(|b| format!(" + {}", factor(b)))
        .unwrap_or_default();
    format!("{shown}{bias} = {}", fmt_num(step.pre_activation))
}

/// Props of [`ProductCell`]: one tap, compared by value, so that a step that changes one
/// product renders one cell (an 11×11 window has 121, each with its tooltip).
#[derive(Debug, Clone, Properties, PartialEq)]
struct ProductCellProps {
    tap: ConvTap,
    skipped: &'static str,
}

/// One tap: the input value times the weight, and the product.
#[component]
fn ProductCell(props: &ProductCellProps) -> Html {
    let t = &props.tap;
    let title = match t.product {
        Some(p) => format!(
            "input ({}, {}) = {} × weight {} = {}",
            t.input[0],
            t.input[1],
            fmt_num(t.value),
            fmt_num(t.weight),
            fmt_num(p)
        ),
        None => format!(
            "({}, {}) is {}: skipped",
            t.input[0], t.input[1], props.skipped
        ),
    };
    html! {
        <td class={classes!(t.padding.then_some("pad"), t.product.is_some_and(|p| p != 0.0).then_some("hot"))}
            title={title}
            data-testid={format!("product-{}-{}-{}", t.channel, t.kernel[0], t.kernel[1])}>
            <span class="factors">{ format!("{}·{}", fmt_num(t.value), fmt_num(t.weight)) }</span>
            <span class="product">{ t.product.map_or_else(|| props.skipped.to_string(), fmt_num) }</span>
        </td>
    }
}

/// The products of the current window.
#[component]
pub fn ProductsGrid(props: &ProductsGridProps) -> Html {
    let step = &props.step;
    let f = props.kernel.max(1);
    let channels: Vec<usize> = step.channel_sums.iter().map(|(c, _)| *c).collect();
    let grid = |c: usize| {
        let taps: Vec<_> = step.taps.iter().filter(|t| t.channel == c).collect();
        let rows = taps.chunks(f).map(|row| {
            html! {
                <tr>
                    { for row.iter().map(|t| html! {
                        <ProductCell key={t.kernel[0] * f + t.kernel[1]} tap={**t} skipped={skipped_name(t.input, props.holes_within)} />
                    }) }
                </tr>
            }
        });
        html! {
            <figure class="products-grid">
                <table aria-label={format!("products, {}", channel_name(c, props.depth))}>
                    <tbody>{ for rows }</tbody>
                </table>
                if props.depth > 1 {
                    <figcaption>{ channel_name(c, props.depth) }</figcaption>
                }
            </figure>
        }
    };
    let channel_sums = (channels.len() > 1).then(|| {
        let parts: Vec<String> = step
            .channel_sums
            .iter()
            .map(|(c, s)| format!("{} {}", channel_name(*c, props.depth), fmt_num(*s)))
            .collect();
        html! {
            <p class="channel-sums" data-testid="channel-sums">
                {"summed across depth: "}{ parts.join(" + ") }{" = "}<strong>{ fmt_num(step.sum) }</strong>
            </p>
        }
    });
    html! {
        <div class="products" data-testid="products">
            <div class="products-grids">{ for channels.iter().map(|&c| grid(c)) }</div>
            { channel_sums }
            <p class="sum-expression" data-testid="sum-expression">
                <span class="muted">{"convolution = "}</span>{ sum_expression(step) }
            </p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::skipped_name;

    #[test]
    fn a_skipped_tap_is_a_hole_inside_the_zero_inserted_input_and_padding_outside() {
        // A 3 × 3 input at S = 2: its cells sit at 0, 2 and 4 of the upsampled grid.
        let within = Some([4, 4]);
        assert_eq!(skipped_name([1, 2], within), "hole");
        assert_eq!(skipped_name([4, 3], within), "hole");
        assert_eq!(skipped_name([-1, 2], within), "pad");
        assert_eq!(skipped_name([2, 5], within), "pad");
        // At S = 1 there are no holes: every skipped tap lies outside, in the padding.
        assert_eq!(skipped_name([-2, 0], Some([2, 2])), "pad");
        // A forward convolution's skipped taps are padding.
        assert_eq!(skipped_name([1, 1], None), "pad");
    }
}
