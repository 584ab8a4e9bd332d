//! Advice for a [`ShapeError`]: which term of the formula fails and the nearest settings
//! that work.

use super::ShapeError;

impl ShapeError {
    /// What to change: which term fails and the nearest values that work, when there is a
    /// simple answer (for the calculator and the lab's formula panel).
    ///
    /// Total for any values, including errors built by hand with fields that no shape
    /// function would produce: the arithmetic saturates and every search is bounded
    /// (4,096 candidate group counts on each side of G).
    #[must_use]
    pub fn advice(&self) -> Option<String> {
        use ShapeError as E;
        match self {
            E::KernelTooLarge {
                input,
                span,
                padding,
                ..
            } => {
                let padded = padding.saturating_mul(2).saturating_add(*input);
                Some(format!(
                    "Which term: W + 2P = {padded} is smaller than the kernel's span {span}. Nearest valid: P = {} (keeping F), or a kernel spanning at most {padded} cells (keeping P).",
                    min_padding_to_fit(*input, *span),
                ))
            }
            E::ZeroStride { .. } => Some(
                "Which term: S divides (W − F + 2P), so S = 0 is undefined. Nearest valid: S = 1."
                    .into(),
            ),
            E::ZeroKernel { .. } => {
                Some("Which term: F = 0 means no filter. Nearest valid: F = 1.".into())
            }
            E::ZeroDilation { .. } => Some(
                "Which term: dilation D = 0 collapses the kernel. Nearest valid: D = 1 (a dense kernel)."
                    .into(),
            ),
            E::GroupsDoNotDivide {
                groups, channels, ..
            } => groups_advice(*groups, *channels),
            E::ZeroChannels { what, .. } => {
                Some(format!("Which term: {what} = 0. Nearest valid: 1."))
            }
            E::ZeroGroups { .. } => Some(ZERO_GROUPS.into()),
            _ => None,
        }
    }
}

/// How far below and above the given groups [`ShapeError::advice`] looks for a divisor of
/// the channels (1 always divides, so a lower one is found whenever G ≤ 4097).
const GROUPS_SEARCH: usize = 4096;

const ZERO_GROUPS: &str = "Which term: groups = 0. Nearest valid: groups = 1.";

/// `channels` cannot be split into `groups`: the nearest group counts that divide it and
/// the nearest channel counts that `groups` divides.
fn groups_advice(groups: usize, channels: usize) -> Option<String> {
    if groups == 0 {
        return Some(ZERO_GROUPS.into());
    }
    let remainder = channels % groups;
    if remainder == 0 {
        return None;
    }
    let divides = |g: &usize| channels.is_multiple_of(*g);
    let lower = (groups.saturating_sub(GROUPS_SEARCH).max(1)
        ..groups.min(channels.saturating_add(1)))
        .rev()
        .find(divides);
    let higher = (groups.saturating_add(1)..=channels.min(groups.saturating_add(GROUPS_SEARCH)))
        .find(divides);
    let nearest: Vec<String> = [lower, higher]
        .iter()
        .flatten()
        .map(|g| format!("groups = {g}"))
        .collect();
    let lower_k = channels - remainder;
    let channel_counts = match (lower_k > 0, lower_k.checked_add(groups)) {
        (true, Some(upper)) => format!("{lower_k} or {upper} channels"),
        (true, None) => format!("{lower_k} channels"),
        (false, _) => format!("{groups} channels"),
    };
    let nearest = if nearest.is_empty() {
        channel_counts
    } else {
        format!("{}, or {channel_counts}", nearest.join(" or "))
    };
    Some(format!(
        "Which term: {channels} channels cannot be split into {groups} equal groups (remainder {remainder}). Nearest valid: {nearest}.",
    ))
}

/// The smallest padding for which a kernel spanning `span` cells fits an input of `input`
/// cells (for the calculator's explanation of [`ShapeError::KernelTooLarge`]).
pub fn min_padding_to_fit(input: usize, span: usize) -> usize {
    span.saturating_sub(input).div_ceil(2)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn advice_names_the_nearest_valid_values() {
        let e = crate::conv_output_size_explained(227, 300, 4, 0, 1).expect_err("too large");
        let a = e.advice().expect("advice");
        assert!(a.contains("P = 37"), "{a}");
        let e = ShapeError::GroupsDoNotDivide {
            op: "conv2d",
            groups: 3,
            channels: 4,
            what: "output channels",
        };
        let a = e.advice().expect("advice");
        assert!(a.contains("groups = 2 or groups = 4"), "{a}");
        assert!(a.contains("3 or 6 channels"), "{a}");
    }

    #[test]
    fn min_padding() {
        assert_eq!(min_padding_to_fit(5, 7), 1);
        assert_eq!(min_padding_to_fit(5, 8), 2);
        assert_eq!(min_padding_to_fit(5, 3), 0);
    }
}
