//! 2-D convolution (NCHW): a reference loop, an im2col + GEMM fast path, and transposed
//! convolution, all validated through [`Conv2dGeometry`] /
//! [`ConvTranspose2dGeometry`](crate::shape::ConvTranspose2dGeometry).
//!
//! - [`conv2d`] / [`conv2d_into`]: the fast path, im2col + GEMM: natively faer's product
//!   (`product`: runtime SIMD dispatch up to AVX-512), fed for stride 1 by the shifted
//!   layout of `shifted` (one copy per kernel tap); on wasm, for stride 1 and few output
//!   channels, output channels in the lanes read straight from the padded input (`pixels`,
//!   no im2col), otherwise our own packed simd128 GEMM (`gemm`) fed for stride 1 by the
//!   quads of `quads` (four output positions per vector load) or by a row-by-row im2col
//!   (`im2col` has every path).
//! - [`conv2d_reference`]: the plain loop, the definition every other path is tested against
//!   and whose summation order the trace ([`crate::trace::ConvTrace`]) reproduces bitwise.
//! - [`conv_transpose2d`] and [`conv_transpose2d_reference`]: PyTorch's `ConvTranspose2d`.
//!
//! The gradients of [`conv2d`] are in [`crate::nn::conv`]; a trainable convolution is a
//! layer of an [`crate::nn::Network`].

mod gemm;
pub(crate) use gemm::mat_vec;
pub(crate) mod im2col;
mod padded;
mod pixels;
mod product;
pub(crate) use product::{Accum, mat_mul};
mod quads;
mod reference;
pub(crate) mod shifted;
mod transposed;

use ndarray::{Array4, ArrayView1, ArrayView4, ArrayViewMut4};

pub(crate) use reference::{conv2d_loop as reference_loop, signed, window_taps};
pub use transposed::{
    conv_transpose2d, conv_transpose2d_into, conv_transpose2d_reference,
    conv_transpose2d_reference_into,
};
pub(crate) use transposed::{
    reference_loop as transposed_reference_loop, source as transposed_source,
};

use crate::error::CoreError;
use crate::shape::{Conv2dGeometry, Conv2dParams};
use crate::tensor::{check_bias, check_out, dims4};

/// Reusable buffers of the fast paths (the im2col / col2im matrix). Keep one per layer
/// during training to avoid reallocating every call.
#[derive(Debug, Default, Clone)]
pub struct ConvScratch {
    pub(crate) cols: Vec<f32>,
    /// One im2col row (the forward fast path packs the im2col matrix row by row).
    pub(crate) row: Vec<f32>,
    /// The GEMM's packed `A`: the weight (forward, input gradient) or one sample's im2col
    /// matrix (weight gradient).
    pub(crate) packed_w: Vec<f32>,
    /// The im2col matrix of one sample, packed for the forward GEMM.
    pub(crate) packed_cols: Vec<gemm::lanes::F32x4>,
    /// One sample's output gradient, packed over output positions (the backward passes).
    pub(crate) packed_dy: Vec<gemm::lanes::F32x4>,
    /// The weight gradient's transpose, summed over the batch.
    pub(crate) grad: Vec<f32>,
    /// One sample's padded input planes (stride 1: `conv::padded`).
    pub(crate) padded: Vec<f32>,
    /// One sample's output (forward) or output gradient (backward) in the shifted layout
    /// (native), or an output gradient over whole quads (wasm's weight gradient).
    pub(crate) wide: Vec<f32>,
}

/// Random small geometries for the tests that hold the fast paths to the reference.
#[cfg(test)]
pub(crate) mod testing {
    use crate::shape::{Conv2dGeometry, Conv2dParams};

    /// A xorshift stream: `next(m)` is uniform enough in `0..m` for drawing test cases.
    pub(crate) fn xorshift(mut seed: u32) -> impl FnMut(u32) -> u32 {
        move |m| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed % m
        }
    }

    /// A geometry drawn from `next`: 1–3 groups of 1–3 input and 1–9 output channels,
    /// planes up to 11 × 11, kernels up to 4 × 4, strides up to 3, paddings up to 2,
    /// dilations up to 2 and batches up to `max_batch` — partial tiles and panels of every
    /// kind. `None` when the draw is not a valid convolution (a window larger than its
    /// input).
    pub(crate) fn random_geometry(
        next: &mut impl FnMut(u32) -> u32,
        max_batch: u32,
    ) -> Option<Conv2dGeometry> {
        let mut draw = |m: u32| next(m) as usize;
        let groups = 1 + draw(3);
        let (cg, kg) = (1 + draw(3), 1 + draw(9));
        let size = [1 + draw(11), 1 + draw(11)];
        let kernel = [1 + draw(4), 1 + draw(4)];
        let p = Conv2dParams {
            stride: [1 + draw(3), 1 + draw(3)],
            padding: [draw(3), draw(3)],
            dilation: [1 + draw(2), 1 + draw(2)],
            groups,
        };
        let input = [1 + draw(max_batch), cg * groups, size[0], size[1]];
        Conv2dGeometry::new(input, kg * groups, kernel, p).ok()
    }

    /// Stride-1 geometries with every output width from 1 to 14, in a batch of 2 with 3
    /// channels in — wasm's tiles of positions in one row, whole or cut short
    /// (`super::pixels`: 4, 5 and 6 channels out, strips of three vectors of positions and
    /// single vectors, the last block of channels part empty or whole; 16 out, tiles of two
    /// positions × sixteen channels (5 × 5, 75 taps) or of four × eight (3 × 3, 27 taps)),
    /// and its quads of positions in one row, straddling two rows or read lane by lane
    /// (`super::quads`: 10 channels out, and 5 out with taps two apart along rows).
    pub(crate) fn stride_one_widths() -> impl Iterator<Item = Conv2dGeometry> {
        (1..=14).flat_map(|ow| {
            [
                (1, 1, 0, 5, 1),
                (3, 3, 1, 10, 1),
                (2, 5, 0, 4, 1),
                (2, 5, 0, 16, 1),
                (2, 3, 1, 16, 1),
                (1, 3, 1, 7, 1),
                (2, 5, 0, 6, 1),
                (2, 3, 1, 5, 2),
            ]
            .map(move |(oh, f, pad, k, dw)| {
                let input = [2, 3, oh + f - 1 - 2 * pad, ow + (f - 1) * dw - 2 * pad];
                let p = Conv2dParams {
                    dilation: [1, dw],
                    ..Conv2dParams::default().with_padding(pad)
                };
                match Conv2dGeometry::new(input, k, [f, f], p) {
                    Ok(g) if g.output_size() == [oh, ow] => g,
                    other => panic!("{input:?} with F {f}, P {pad}, D {dw}: {other:?}"),
                }
            })
        })
    }
}

/// Validates tensors against each other for a forward convolution.
fn geometry(
    op: &'static str,
    input: &ArrayView4<'_, f32>,
    weight: &ArrayView4<'_, f32>,
    bias: Option<&ArrayView1<'_, f32>>,
    params: Conv2dParams,
) -> Result<Conv2dGeometry, CoreError> {
    let g = Conv2dGeometry::from_shapes(dims4(input), dims4(weight), params)?;
    check_bias(op, bias, g.out_channels())?;
    Ok(g)
}

/// 2-D convolution, fast path (im2col + GEMM).
///
/// # Shapes
/// - input: `[batch, in_channels, height, width]`
/// - weight: `[out_channels, in_channels / groups, kernel_h, kernel_w]`
/// - bias: `[out_channels]`
/// - output: `[batch, out_channels, out_h, out_w]` with `out_h`, `out_w` from
///   [`crate::conv_output_size`]
///
/// # Errors
/// [`CoreError`] when the shapes or hyper-parameters are inconsistent; the message names
/// the values (e.g. "conv2d: input has 3 channels but the weight expects 1 per group × 1
/// groups").
pub fn conv2d(
    input: ArrayView4<'_, f32>,
    weight: ArrayView4<'_, f32>,
    bias: Option<ArrayView1<'_, f32>>,
    params: Conv2dParams,
) -> Result<Array4<f32>, CoreError> {
    let g = geometry("conv2d", &input, &weight, bias.as_ref(), params)?;
    let mut out = Array4::zeros(g.output_shape());
    im2col::conv2d_gemm(
        &g,
        &input,
        &weight,
        bias.as_ref(),
        &mut out.view_mut(),
        &mut ConvScratch::default(),
    )?;
    Ok(out)
}

/// [`conv2d`] writing into a caller-owned `out` of shape `[N, C_out, H2, W2]` and reusing
/// `scratch`. Returns the validated geometry.
///
/// # Errors
/// As [`conv2d`], plus [`CoreError::OutputShape`] when `out` has the wrong shape.
pub fn conv2d_into(
    input: ArrayView4<'_, f32>,
    weight: ArrayView4<'_, f32>,
    bias: Option<ArrayView1<'_, f32>>,
    params: Conv2dParams,
    mut out: ArrayViewMut4<'_, f32>,
    scratch: &mut ConvScratch,
) -> Result<Conv2dGeometry, CoreError> {
    let g = geometry("conv2d", &input, &weight, bias.as_ref(), params)?;
    check_out("conv2d", &out, g.output_shape())?;
    im2col::conv2d_gemm(&g, &input, &weight, bias.as_ref(), &mut out, scratch)?;
    Ok(g)
}

/// 2-D convolution, reference loop: for every output cell, the sum over input channels
/// (of its group), kernel rows and kernel columns — in that order — of input × weight,
/// padding cells skipped, then `+ bias`.
///
/// # Shapes
/// As [`conv2d`].
///
/// # Errors
/// As [`conv2d`].
pub fn conv2d_reference(
    input: ArrayView4<'_, f32>,
    weight: ArrayView4<'_, f32>,
    bias: Option<ArrayView1<'_, f32>>,
    params: Conv2dParams,
) -> Result<Array4<f32>, CoreError> {
    let g = geometry("conv2d_reference", &input, &weight, bias.as_ref(), params)?;
    let mut out = Array4::zeros(g.output_shape());
    reference::conv2d_loop(&g, &input, &weight, bias.as_ref(), &mut out.view_mut());
    Ok(out)
}

/// [`conv2d_reference`] writing into a caller-owned `out`.
///
/// # Errors
/// As [`conv2d_into`].
pub fn conv2d_reference_into(
    input: ArrayView4<'_, f32>,
    weight: ArrayView4<'_, f32>,
    bias: Option<ArrayView1<'_, f32>>,
    params: Conv2dParams,
    mut out: ArrayViewMut4<'_, f32>,
) -> Result<Conv2dGeometry, CoreError> {
    let g = geometry("conv2d_reference", &input, &weight, bias.as_ref(), params)?;
    check_out("conv2d_reference", &out, g.output_shape())?;
    reference::conv2d_loop(&g, &input, &weight, bias.as_ref(), &mut out);
    Ok(g)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use ndarray::Array1;

    use super::*;
    use crate::shape::ShapeError;

    #[test]
    fn channel_mismatch_message_names_the_values() {
        let x = Array4::<f32>::zeros([1, 3, 5, 5]);
        let w = Array4::<f32>::zeros([2, 1, 3, 3]);
        let e = conv2d(x.view(), w.view(), None, Conv2dParams::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "conv2d: input has 3 channels but the weight expects 1 per group × 1 groups"
        );
    }

    #[test]
    fn bias_and_output_buffer_are_checked() {
        let x = Array4::<f32>::zeros([1, 1, 5, 5]);
        let w = Array4::<f32>::zeros([2, 1, 3, 3]);
        let b = Array1::<f32>::zeros(3);
        let e = conv2d(x.view(), w.view(), Some(b.view()), Conv2dParams::default()).unwrap_err();
        assert_eq!(
            e,
            CoreError::BiasLength {
                op: "conv2d",
                got: 3,
                expected: 2
            }
        );
        let mut out = Array4::<f32>::zeros([1, 2, 4, 4]);
        let e = conv2d_into(
            x.view(),
            w.view(),
            None,
            Conv2dParams::default(),
            out.view_mut(),
            &mut ConvScratch::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("[1, 2, 4, 4]"), "{e}");
    }

    #[test]
    fn groups_that_do_not_divide_are_an_error() {
        let x = Array4::<f32>::zeros([1, 3, 5, 5]);
        let w = Array4::<f32>::zeros([2, 1, 3, 3]);
        let e = conv2d(
            x.view(),
            w.view(),
            None,
            Conv2dParams::default().with_groups(2),
        );
        assert!(matches!(
            e,
            Err(CoreError::Shape(ShapeError::GroupsDoNotDivide {
                groups: 2,
                channels: 3,
                ..
            }))
        ));
    }

    #[test]
    fn depthwise_convolution_keeps_channels_apart() {
        // groups = C_in = C_out: channel c only sees input channel c.
        let x = Array4::from_shape_fn([1, 2, 3, 3], |(_, c, _, _)| (c + 1) as f32);
        let w = Array4::from_elem([2, 1, 3, 3], 1.0f32);
        let p = Conv2dParams::default().with_groups(2);
        let y = conv2d(x.view(), w.view(), None, p).unwrap();
        assert_eq!(y.into_raw_vec_and_offset().0, vec![9.0, 18.0]);
    }

    #[test]
    fn bias_is_added_to_every_output_cell() {
        let w =
            Array4::from_shape_vec([1, 1, 3, 3], vec![1., 0., 1., 0., 1., 0., 1., 0., 1.]).unwrap();
        let b = Array1::from_elem(1, 0.5);
        let x = Array4::from_elem([1, 1, 5, 5], 1.0f32);
        let p = Conv2dParams::default();
        let y = conv2d(x.view(), w.view(), Some(b.view()), p).unwrap();
        assert_eq!(y.shape(), &[1, 1, 3, 3]);
        assert!(y.iter().all(|&v| v == 5.5));
        let g = Conv2dGeometry::from_shapes([1, 1, 5, 5], dims4(&w), p).unwrap();
        assert_eq!(g.parameter_count(true), 10);
        // A weight with other input channels than the input does not fit.
        let w2 = Array4::<f32>::zeros([1, 2, 3, 3]);
        assert!(conv2d(x.view(), w2.view(), None, p).is_err());
        // Groups must divide the output channels too (4 input, 3 output channels).
        let x4 = Array4::<f32>::zeros([1, 4, 5, 5]);
        let w3 = Array4::<f32>::zeros([3, 2, 3, 3]);
        let e = conv2d(x4.view(), w3.view(), None, p.with_groups(2));
        assert!(
            matches!(
                e,
                Err(CoreError::Shape(ShapeError::GroupsDoNotDivide {
                    groups: 2,
                    channels: 3,
                    ..
                }))
            ),
            "{e:?}"
        );
    }

    #[test]
    fn non_standard_layouts_give_the_same_result() {
        let x = Array4::from_shape_fn([2, 3, 6, 5], |(n, c, y, x)| {
            (n + 2 * c + 3 * y + x) as f32 % 5.0 - 2.0
        });
        let w = Array4::from_shape_fn([4, 3, 3, 3], |(k, c, y, x)| {
            (k + c * y + x) as f32 % 3.0 - 1.0
        });
        let p = Conv2dParams::default().with_padding(1).with_stride(2);
        let want = conv2d_reference(x.view(), w.view(), None, p).unwrap();
        // Transposed copies: same values, Fortran layout.
        let xf = x.t().as_standard_layout().to_owned();
        let xf = xf.t();
        let wf = w.t().as_standard_layout().to_owned();
        let wf = wf.t();
        assert_eq!(conv2d(xf, wf, None, p).unwrap(), want);
        let mut out_f = Array4::<f32>::zeros(want.raw_dim()).reversed_axes();
        let out_view = out_f.view_mut().reversed_axes();
        conv2d_into(
            x.view(),
            w.view(),
            None,
            p,
            out_view,
            &mut ConvScratch::default(),
        )
        .unwrap();
        assert_eq!(out_f.reversed_axes(), want);
    }
}
