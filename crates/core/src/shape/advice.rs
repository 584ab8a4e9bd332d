//! Advice for a [`ShapeError`]: which term of the formula fails and the nearest settings
//! that work.

use super::ShapeError;

impl ShapeError {
    /// What to change: which term fails and the nearest values that work, when there is a
    /// simple answer (for the calculator and the lab's formula panel).
    #[must_use]
    pub fn advice(&self) -> Option<String> {
        use ShapeError as E;
        match self {
        E::KernelTooLarge {
            input,
            span,
            padding,
            ..
        } => Some(format!(
            "Which term: W + 2P = {} is smaller than the kernel's span {span}. Nearest valid: P = {} (keeping F), or a kernel spanning at most {} cells (keeping P).",
            input + 2 * padding,
            min_padding_to_fit(*input, *span),
            input + 2 * padding
        )),
        E::ZeroStride { .. } => Some(
            "Which term: S divides (W − F + 2P), so S = 0 is undefined. Nearest valid: S = 1.".into(),
        ),
        E::ZeroKernel { .. } => Some("Which term: F = 0 means no filter. Nearest valid: F = 1.".into()),
        E::ZeroDilation { .. } => Some(
            "Which term: dilation D = 0 collapses the kernel. Nearest valid: D = 1 (a dense kernel)."
                .into(),
        ),
        E::GroupsDoNotDivide {
            groups, channels, ..
        } => {
            let lower = (1..=*channels).rev().find(|g| channels % g == 0 && g < groups);
            let higher = (*groups + 1..=*channels).find(|g| channels % g == 0);
            let lower_k = channels - channels % groups;
            let nearest: Vec<String> = [lower, higher]
                .iter()
                .flatten()
                .map(|g| format!("groups = {g}"))
                .collect();
            Some(format!(
                "Which term: {channels} channels cannot be split into {groups} equal groups (remainder {}). Nearest valid: {}{}.",
                channels % groups,
                nearest.join(" or "),
                if lower_k > 0 {
                    format!(", or {lower_k} or {} channels", lower_k + groups)
                } else {
                    format!(", or {groups} channels")
                }
            ))
        }
        E::ZeroChannels { what, .. } => Some(format!("Which term: {what} = 0. Nearest valid: 1.")),
        E::ZeroGroups { .. } => Some("Which term: groups = 0. Nearest valid: groups = 1.".into()),
        _ => None,
    }
    }
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
