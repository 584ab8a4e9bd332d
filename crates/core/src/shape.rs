//! Shape arithmetic: output sizes of convolutions and pooling, parameter counts, MACs.
//!
//! The lecture's formula is W2 = (W1 − F + 2P)/S + 1; with dilation D PyTorch computes
//! ⌊(W1 + 2P − D(F − 1) − 1)/S⌋ + 1, which equals it for D = 1 whenever S divides evenly.
//! [`conv_output_size_explained`] also says when it does not divide evenly, by how much, and
//! which strides or paddings would. Every product is computed with checked arithmetic.
//!
//! The 2-D geometries ([`Conv2dGeometry`], [`ConvTranspose2dGeometry`], [`Pool2dGeometry`])
//! validate a whole layer once; the kernels index only after that validation.
//!
//! One concern per file: `error` (the error type), `advice` (what to change), `axis` (one axis: output sizes and
//! the window's positions), `conv`, `transposed` and `pool` (the 2-D geometries).

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The largest number of elements any tensor (or scratch buffer) the core allocates may have:
/// 2^28 `f32` values, i.e. 1 GiB. Larger requests fail with [`ShapeError::TooLarge`] instead of
/// aborting on allocation failure (a wasm32 page holds at most 4 GiB).
pub const MAX_ELEMENTS: usize = 1 << 28;

mod advice;
mod axis;
mod conv;
mod error;
mod pool;
mod transposed;

pub use advice::min_padding_to_fit;
pub use axis::{
    DivisibilityNote, OutputSize, WindowAxis, conv_output_size, conv_output_size_explained,
    conv_transpose_output_size, pool_output_size,
};
pub use conv::{Conv2dGeometry, Conv2dParams};
pub use error::ShapeError;
pub use pool::{Pool2dGeometry, Pool2dParams};
pub use transposed::{ConvTranspose2dGeometry, ConvTranspose2dParams};

fn overflow(what: &'static str) -> ShapeError {
    ShapeError::Overflow { what }
}

/// `a · b` or an overflow error naming `what`.
pub(crate) fn mul(a: usize, b: usize, what: &'static str) -> Result<usize, ShapeError> {
    a.checked_mul(b).ok_or(overflow(what))
}

/// Product of `dims`, failing on overflow or when above [`MAX_ELEMENTS`].
///
/// The limit applies to the product of the non-zero axes: ndarray refuses (panics on) a
/// shape whose non-zero axes overflow even when another axis is 0, so an empty batch with
/// absurd spatial sizes is refused here too.
pub(crate) fn elements(dims: &[usize], what: &'static str) -> Result<usize, ShapeError> {
    let n = dims
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |acc, &d| mul(acc, d, what))?;
    if n > MAX_ELEMENTS {
        return Err(ShapeError::TooLarge {
            what,
            elements: n,
            limit: MAX_ELEMENTS,
        });
    }
    Ok(if dims.contains(&0) { 0 } else { n })
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn alexnet_conv1_gives_55() {
        assert_eq!(conv_output_size(227, 11, 4, 0, 1), Ok(55));
    }

    #[test]
    fn lecture_5x5_with_3x3_gives_3() {
        assert_eq!(conv_output_size(5, 3, 1, 0, 1), Ok(3));
    }

    #[test]
    fn zero_stride_is_an_error() {
        assert_eq!(
            conv_output_size(5, 3, 0, 0, 1),
            Err(ShapeError::ZeroStride { stride: 0 })
        );
    }

    #[test]
    fn zero_kernel_and_dilation_are_errors() {
        assert_eq!(
            conv_output_size(5, 0, 1, 0, 1),
            Err(ShapeError::ZeroKernel { kernel: 0 })
        );
        assert_eq!(
            conv_output_size(5, 3, 1, 0, 0),
            Err(ShapeError::ZeroDilation { dilation: 0 })
        );
    }

    #[test]
    fn dilated_kernel_too_large_names_the_values() {
        let err = conv_output_size(5, 3, 1, 0, 3).err();
        assert_eq!(
            err,
            Some(ShapeError::KernelTooLarge {
                input: 5,
                kernel: 3,
                padding: 0,
                dilation: 3,
                span: 7,
                padded: 5
            })
        );
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("spans 7") && msg.contains("only 5"), "{msg}");
    }

    #[test]
    fn pytorch_dilation_formula() {
        // ⌊(10 + 2·1 − 2·(3 − 1) − 1)/2⌋ + 1 = ⌊7/2⌋ + 1 = 4
        assert_eq!(conv_output_size(10, 3, 2, 1, 2), Ok(4));
    }

    #[test]
    fn overflow_is_an_error() {
        assert!(matches!(
            conv_output_size(1, 2, 1, usize::MAX, 1),
            Err(ShapeError::Overflow { .. })
        ));
        assert!(matches!(
            conv_output_size(1, usize::MAX, 1, 0, 2),
            Err(ShapeError::Overflow { .. })
        ));
    }

    #[test]
    fn alexnet_divides_evenly_so_no_note() {
        let o = conv_output_size_explained(227, 11, 4, 0, 1);
        assert_eq!(
            o.as_ref().map(|o| (o.size, o.note.is_none())),
            Ok((55, true))
        );
    }

    #[test]
    fn uneven_stride_explains_remainder_and_alternatives() {
        // 224 − 11 + 0 = 213, 213 mod 4 = 1: PyTorch floors to 53 + 1 = 54.
        let o = conv_output_size_explained(224, 11, 4, 0, 1);
        let Ok(o) = o else { panic!("{o:?}") };
        assert_eq!((o.size, o.numerator, o.remainder), (54, 213, 1));
        let Some(note) = o.note else {
            panic!("expected a note")
        };
        assert_eq!(note.smaller_stride, Some(3)); // 213 = 3 · 71
        assert_eq!(note.larger_stride, Some(71));
        assert_eq!(note.smaller_padding, None); // 2P is even: 213 + 2P' odd, 4 never divides
        assert_eq!(note.larger_padding, None);
        let text = note.to_string();
        assert!(
            text.contains("213") && text.contains("remainder 1"),
            "{text}"
        );
        // With S = 3 on 8 − 3 + 0 = 5: P = 2 gives 9, divisible.
        let o = conv_output_size_explained(8, 3, 3, 0, 1);
        let note = o.ok().and_then(|o| o.note);
        assert_eq!(note.as_ref().and_then(|n| n.larger_padding), Some(2));
        assert_eq!(note.as_ref().and_then(|n| n.larger_stride), Some(5));
    }

    #[test]
    fn transposed_size_matches_pytorch() {
        // (4 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 8
        assert_eq!(conv_transpose_output_size(4, 3, 2, 1, 1, 1), Ok(8));
        assert!(matches!(
            conv_transpose_output_size(4, 3, 2, 1, 2, 1),
            Err(ShapeError::OutputPaddingTooLarge { .. })
        ));
        assert!(matches!(
            conv_transpose_output_size(1, 1, 1, 1, 0, 1),
            Err(ShapeError::EmptyOutput { .. })
        ));
    }

    #[test]
    fn lenet_conv1_geometry_counts_params_and_macs() {
        let g = Conv2dGeometry::new(
            [1, 1, 28, 28],
            6,
            [5, 5],
            Conv2dParams::default().with_padding(2),
        );
        let Ok(g) = g else { panic!("{g:?}") };
        assert_eq!(g.output_shape(), [1, 6, 28, 28]);
        assert_eq!(g.parameter_count(true), 5 * 5 * 6 + 6);
        assert_eq!(g.macs(), 6 * 28 * 28 * 25);
        assert_eq!(g.macs_per_sample(), 6 * 28 * 28 * 25);
    }

    #[test]
    fn alexnet_conv1_geometry() {
        let g = Conv2dGeometry::new(
            [1, 3, 227, 227],
            96,
            [11, 11],
            Conv2dParams::default().with_stride(4),
        );
        let Ok(g) = g else { panic!("{g:?}") };
        assert_eq!(g.output_shape(), [1, 96, 55, 55]);
        assert_eq!(g.parameter_count(true), 11 * 11 * 3 * 96 + 96);
    }

    #[test]
    fn geometry_errors_name_channels_and_groups() {
        let p = Conv2dParams::default().with_groups(2);
        let e = Conv2dGeometry::new([1, 3, 8, 8], 4, [3, 3], p).err();
        assert_eq!(
            e,
            Some(ShapeError::GroupsDoNotDivide {
                op: "conv2d",
                groups: 2,
                channels: 3,
                what: "input channels"
            })
        );
        let e = Conv2dGeometry::new([1, 0, 8, 8], 4, [3, 3], Conv2dParams::default()).err();
        assert!(matches!(e, Some(ShapeError::ZeroChannels { .. })));
        let e = Conv2dGeometry::new([1, 2, 8, 8], 0, [3, 3], Conv2dParams::default()).err();
        assert!(matches!(e, Some(ShapeError::ZeroChannels { .. })));
        let e = Conv2dGeometry::from_shapes([1, 3, 8, 8], [4, 1, 3, 3], Conv2dParams::default());
        let msg = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            msg,
            "conv2d: input has 3 channels but the weight expects 1 per group × 1 groups"
        );
    }

    #[test]
    fn huge_sizes_are_errors_not_aborts() {
        let e = Conv2dGeometry::new(
            [1 << 20, 1 << 20, 1 << 20, 1],
            1,
            [1, 1],
            Conv2dParams::default(),
        );
        assert!(matches!(
            e,
            Err(ShapeError::TooLarge { .. } | ShapeError::Overflow { .. })
        ));
        let e = Conv2dGeometry::new(
            [usize::MAX, usize::MAX, 3, 3],
            1,
            [1, 1],
            Conv2dParams::default(),
        );
        assert!(matches!(
            e,
            Err(ShapeError::Overflow { .. } | ShapeError::TooLarge { .. })
        ));
    }

    #[test]
    fn pool_padding_above_half_window_is_an_error() {
        assert_eq!(
            pool_output_size(8, 2, 2, 2),
            Err(ShapeError::PoolPaddingTooLarge {
                padding: 2,
                kernel: 2
            })
        );
        // AlexNet MAX POOL1: 55 → 27 with 3×3 windows at stride 2 (overlapping).
        assert_eq!(pool_output_size(55, 3, 2, 0), Ok(27));
    }
}
