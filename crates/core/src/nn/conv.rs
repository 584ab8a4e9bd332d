//! Trainable 2-D convolution: the layer and its three backward passes.
//!
//! The forward pass is the core's fast path ([`crate::conv2d_into`], im2col + GEMM). The
//! backward passes use the same im2col idea per sample and group, with `ndarray`'s GEMM
//! (matrixmultiply):
//! - [`conv2d_weight_backward`]: `dW_g += dY_g · colsᵀ`, cols = im2col(x) `[C/g·F_h·F_w, H2·W2]`.
//! - [`conv2d_x_backward`]: `dcols = W_gᵀ · dY_g`, then col2im scatters every column back
//!   onto the input cells it came from (summing overlaps; padding cells are dropped).
//! - [`conv2d_bias_backward`]: `db_k = Σ_{n, y, x} dY[n, k, y, x]`.

use ndarray::linalg::general_mat_mul;
use ndarray::{
    Array1, Array4, ArrayView2, ArrayView4, ArrayViewMut1, ArrayViewMut2, ArrayViewMut4,
};

use super::error::{NnError, check_shape};
use super::init::{fill_uniform, pytorch_default_bound};
use super::rng::Rng;
use crate::conv::{Conv2dConfig, ConvScratch, conv2d_into};
use crate::shape::{Conv2dGeometry, Conv2dParams};
use crate::tensor::dims4;

/// A trainable convolution layer (the core's [`crate::Conv2d`] with mutable parameters and
/// a random initialisation). Build it from the core's [`Conv2dConfig`] with
/// [`Conv2d::init`].
#[derive(Debug, Clone, PartialEq)]
pub struct Conv2d {
    config: Conv2dConfig,
    weight: Array4<f32>,
    bias: Option<Array1<f32>>,
}

impl Conv2d {
    /// A layer initialised as PyTorch does (see [`super::init`]): `fan_in = C_in/groups ·
    /// F_h · F_w`; weight drawn first in `[C_out, C_in/g, F_h, F_w]` order, then the bias.
    ///
    /// # Errors
    /// [`NnError::Core`] when the configuration is invalid (zero channels, groups that do
    /// not divide the channels, …).
    pub fn init(config: &Conv2dConfig, rng: &mut Rng) -> Result<Self, NnError> {
        let layer = config.init()?;
        let [_, cg, kh, kw] = config.weight_shape();
        let bound = pytorch_default_bound(cg * kh * kw);
        let mut weight = layer.weight().clone();
        fill_uniform(weight.as_slice_mut().unwrap_or(&mut []), bound, rng);
        let bias = layer.bias().map(|b| {
            let mut b = b.clone();
            fill_uniform(b.as_slice_mut().unwrap_or(&mut []), bound, rng);
            b
        });
        Ok(Self {
            config: *config,
            weight,
            bias,
        })
    }

    /// A layer from the core's [`crate::Conv2d`] (e.g. built with
    /// [`Conv2dConfig::init_with`]).
    pub fn from_layer(layer: &crate::Conv2d) -> Self {
        Self {
            config: *layer.config(),
            weight: layer.weight().as_standard_layout().into_owned(),
            bias: layer.bias().cloned(),
        }
    }

    /// The core's inference layer with these parameters.
    ///
    /// # Errors
    /// Never for a layer built by this module; [`NnError::Core`] otherwise.
    pub fn to_layer(&self) -> Result<crate::Conv2d, NnError> {
        Ok(self
            .config
            .init_with(self.weight.clone(), self.bias.clone())?)
    }

    /// The configuration.
    pub fn config(&self) -> &Conv2dConfig {
        &self.config
    }
    /// `[C_out, C_in / groups, F_h, F_w]`.
    pub fn weight(&self) -> &Array4<f32> {
        &self.weight
    }
    /// `[C_out]`, if any.
    pub fn bias(&self) -> Option<&Array1<f32>> {
        self.bias.as_ref()
    }
    /// Mutable weight values (the shape stays fixed).
    pub fn weight_mut(&mut self) -> ArrayViewMut4<'_, f32> {
        self.weight.view_mut()
    }
    /// Mutable bias values.
    pub fn bias_mut(&mut self) -> Option<ArrayViewMut1<'_, f32>> {
        self.bias.as_mut().map(|b| b.view_mut())
    }
    /// Weight and bias as flat row-major slices (for optimizers).
    pub(crate) fn parameters_mut(&mut self) -> (Option<&mut [f32]>, Option<&mut [f32]>) {
        (
            self.weight.as_slice_mut(),
            self.bias.as_mut().and_then(|b| b.as_slice_mut()),
        )
    }
    /// Weights plus biases.
    pub fn parameter_count(&self) -> usize {
        self.weight.len() + self.bias.as_ref().map_or(0, Array1::len)
    }

    /// Forward pass (im2col + GEMM).
    ///
    /// # Shapes
    /// `[N, C_in, H, W]` → `[N, C_out, H2, W2]`.
    ///
    /// # Errors
    /// [`NnError::Core`] when the input does not fit the layer.
    pub fn forward(&self, x: ArrayView4<'_, f32>) -> Result<Array4<f32>, NnError> {
        let g = Conv2dGeometry::from_shapes(dims4(&x), dims4(&self.weight), self.config.params)
            .map_err(crate::CoreError::from)?;
        let mut out = Array4::zeros(g.output_shape());
        self.forward_into(x, out.view_mut(), &mut ConvScratch::default())?;
        Ok(out)
    }

    /// [`Conv2d::forward`] into a caller-owned `out`, reusing `scratch`.
    ///
    /// # Errors
    /// As [`Conv2d::forward`], plus a wrong `out` shape.
    pub fn forward_into(
        &self,
        x: ArrayView4<'_, f32>,
        out: ArrayViewMut4<'_, f32>,
        scratch: &mut ConvScratch,
    ) -> Result<(), NnError> {
        conv2d_into(
            x,
            self.weight.view(),
            self.bias.as_ref().map(|b| b.view()),
            self.config.params,
            out,
            scratch,
        )?;
        Ok(())
    }
}

/// Fills `cols` (`[C/g·F_h·F_w, H2·W2]`, row-major) with the input cells every kernel tap
/// sees at every output position (0 for padding). `planes` holds this group's channel
/// planes back to back.
fn im2col(g: &Conv2dGeometry, planes: &[f32], cols: &mut [f32]) {
    let p = g.params();
    let [kh, kw] = g.kernel();
    let [h, w] = g.input_size();
    let [oh, ow] = g.output_size();
    let area = h * w;
    let mut rows = cols.chunks_exact_mut((oh * ow).max(1));
    for c in 0..g.in_channels_per_group() {
        let plane = &planes[c * area..(c + 1) * area];
        for ky in 0..kh {
            for kx in 0..kw {
                let Some(row) = rows.next() else { return };
                let (lo, hi, off) =
                    valid_columns(kx * p.dilation[1], p.padding[1], p.stride[1], w, ow);
                for (oy, dst) in row.chunks_exact_mut(ow.max(1)).enumerate() {
                    let y = (oy * p.stride[0] + ky * p.dilation[0]).checked_sub(p.padding[0]);
                    match y.filter(|&y| y < h) {
                        None => dst.fill(0.0),
                        Some(y) => {
                            let src = &plane[y * w..(y + 1) * w];
                            dst[..lo].fill(0.0);
                            dst[hi..].fill(0.0);
                            for (ox, d) in (lo..hi).zip(dst[lo..hi].iter_mut()) {
                                *d = src[ox * p.stride[1] + off - p.padding[1]];
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The inverse scatter of [`im2col`]: adds every column entry onto the input cell it was
/// read from (padding entries are dropped). `planes` must be zeroed by the caller.
fn col2im_add(g: &Conv2dGeometry, cols: &[f32], planes: &mut [f32]) {
    let p = g.params();
    let [kh, kw] = g.kernel();
    let [h, w] = g.input_size();
    let [oh, ow] = g.output_size();
    let area = h * w;
    let mut rows = cols.chunks_exact((oh * ow).max(1));
    for c in 0..g.in_channels_per_group() {
        let plane = &mut planes[c * area..(c + 1) * area];
        for ky in 0..kh {
            for kx in 0..kw {
                let Some(row) = rows.next() else { return };
                let (lo, hi, off) =
                    valid_columns(kx * p.dilation[1], p.padding[1], p.stride[1], w, ow);
                for (oy, src) in row.chunks_exact(ow.max(1)).enumerate() {
                    let y = (oy * p.stride[0] + ky * p.dilation[0]).checked_sub(p.padding[0]);
                    if let Some(y) = y.filter(|&y| y < h) {
                        let dst = &mut plane[y * w..(y + 1) * w];
                        for ox in lo..hi {
                            dst[ox * p.stride[1] + off - p.padding[1]] += src[ox];
                        }
                    }
                }
            }
        }
    }
}

/// For a kernel column at padded offset `off`, the output columns `lo..hi` whose input
/// column `ox·S + off − P` lies inside `0..w`. Returns `(lo, hi, off)`.
fn valid_columns(
    off: usize,
    pad: usize,
    stride: usize,
    w: usize,
    ow: usize,
) -> (usize, usize, usize) {
    // ox·S + off ≥ P  ⇔  ox ≥ ceil((P − off) / S)
    let lo = pad.saturating_sub(off).div_ceil(stride).min(ow);
    // ox·S + off − P < w  ⇔  ox·S < w + P − off
    let limit = (w + pad).saturating_sub(off);
    let hi = limit.div_ceil(stride).min(ow).max(lo);
    (lo, hi, off)
}

fn slice_of<'a>(
    op: &'static str,
    what: &'static str,
    a: &'a ArrayView4<'_, f32>,
) -> Result<&'a [f32], NnError> {
    a.as_slice().ok_or(NnError::NotContiguous { op, what })
}

/// Gradient with respect to the input.
///
/// # Shapes
/// - dy: `[N, C_out, H2, W2]`, weight: `[C_out, C_in/g, F_h, F_w]`
/// - input_shape: `[N, C_in, H, W]` (needed: with a stride, several `H` give the same `H2`)
/// - returns dx: `[N, C_in, H, W]`
///
/// # Errors
/// [`NnError`] when the shapes disagree.
pub fn conv2d_x_backward(
    dy: ArrayView4<'_, f32>,
    weight: ArrayView4<'_, f32>,
    params: Conv2dParams,
    input_shape: [usize; 4],
) -> Result<Array4<f32>, NnError> {
    let mut dx = Array4::zeros(input_shape);
    conv2d_x_backward_into(
        dy,
        weight,
        params,
        dx.view_mut(),
        &mut ConvScratch::default(),
    )?;
    Ok(dx)
}

/// [`conv2d_x_backward`] into a caller-owned, contiguous `dx` (overwritten), reusing `scratch`.
///
/// # Errors
/// [`NnError`] when the shapes disagree or `dx` is not contiguous.
pub fn conv2d_x_backward_into(
    dy: ArrayView4<'_, f32>,
    weight: ArrayView4<'_, f32>,
    params: Conv2dParams,
    mut dx: ArrayViewMut4<'_, f32>,
    scratch: &mut ConvScratch,
) -> Result<(), NnError> {
    const OP: &str = "conv2d_x_backward";
    let g = Conv2dGeometry::from_shapes(dims4(&dx.view()), dims4(&weight), params)
        .map_err(crate::CoreError::from)?;
    check_shape(OP, "dy", dy.shape(), &g.output_shape())?;
    let dy = dy.as_standard_layout();
    let dy = dy.view();
    let weight = weight.as_standard_layout();
    let weight = weight.view();
    let [rows, ohw] = g.cols_shape();
    let wmat = ArrayView2::from_shape(
        (g.out_channels(), rows),
        slice_of(OP, "the weight", &weight)?,
    )
    .map_err(|e| crate::tensor::layout(OP, &e))?;
    let dy_s = slice_of(OP, "dy", &dy)?;
    let dx_s = dx
        .as_slice_mut()
        .ok_or(NnError::NotContiguous { op: OP, what: "dx" })?;
    dx_s.fill(0.0);
    let [batch, c_in, h, w] = g.input_shape();
    let (kg, cg, k) = (
        g.out_channels_per_group(),
        g.in_channels_per_group(),
        g.out_channels(),
    );
    if ohw == 0 || batch == 0 {
        return Ok(());
    }
    scratch.cols.resize(rows * ohw, 0.0);
    for n in 0..batch {
        for group in 0..g.params().groups {
            let w_g = wmat.slice_axis(
                ndarray::Axis(0),
                ndarray::Slice::from(group * kg..(group + 1) * kg),
            );
            let d0 = (n * k + group * kg) * ohw;
            let dy_g = ArrayView2::from_shape((kg, ohw), &dy_s[d0..d0 + kg * ohw])
                .map_err(|e| crate::tensor::layout(OP, &e))?;
            let mut dcols = ArrayViewMut2::from_shape((rows, ohw), &mut scratch.cols[..])
                .map_err(|e| crate::tensor::layout(OP, &e))?;
            general_mat_mul(1.0, &w_g.t(), &dy_g, 0.0, &mut dcols);
            let x0 = (n * c_in + group * cg) * h * w;
            col2im_add(&g, &scratch.cols, &mut dx_s[x0..x0 + cg * h * w]);
        }
    }
    Ok(())
}

/// Gradient with respect to the weight (summed over the batch).
///
/// # Shapes
/// x `[N, C_in, H, W]`, dy `[N, C_out, H2, W2]` → dW `weight_shape` = `[C_out, C_in/g, F_h, F_w]`.
///
/// # Errors
/// [`NnError`] when the shapes disagree.
pub fn conv2d_weight_backward(
    x: ArrayView4<'_, f32>,
    dy: ArrayView4<'_, f32>,
    params: Conv2dParams,
    weight_shape: [usize; 4],
) -> Result<Array4<f32>, NnError> {
    let mut dw = Array4::zeros(weight_shape);
    conv2d_weight_backward_into(x, dy, params, dw.view_mut(), &mut ConvScratch::default())?;
    Ok(dw)
}

/// [`conv2d_weight_backward`] into a caller-owned, contiguous `dw` (overwritten).
///
/// # Errors
/// [`NnError`] when the shapes disagree or `dw` is not contiguous.
pub fn conv2d_weight_backward_into(
    x: ArrayView4<'_, f32>,
    dy: ArrayView4<'_, f32>,
    params: Conv2dParams,
    mut dw: ArrayViewMut4<'_, f32>,
    scratch: &mut ConvScratch,
) -> Result<(), NnError> {
    const OP: &str = "conv2d_weight_backward";
    let g = Conv2dGeometry::from_shapes(dims4(&x), dims4(&dw.view()), params)
        .map_err(crate::CoreError::from)?;
    check_shape(OP, "dy", dy.shape(), &g.output_shape())?;
    let x = x.as_standard_layout();
    let x = x.view();
    let dy = dy.as_standard_layout();
    let dy = dy.view();
    let [rows, ohw] = g.cols_shape();
    let x_s = slice_of(OP, "x", &x)?;
    let dy_s = slice_of(OP, "dy", &dy)?;
    let dw_s = dw
        .as_slice_mut()
        .ok_or(NnError::NotContiguous { op: OP, what: "dW" })?;
    dw_s.fill(0.0);
    let [batch, c_in, h, w] = g.input_shape();
    let (kg, cg, k) = (
        g.out_channels_per_group(),
        g.in_channels_per_group(),
        g.out_channels(),
    );
    if ohw == 0 || batch == 0 {
        return Ok(());
    }
    let mut dwmat =
        ArrayViewMut2::from_shape((k, rows), dw_s).map_err(|e| crate::tensor::layout(OP, &e))?;
    scratch.cols.resize(rows * ohw, 0.0);
    for n in 0..batch {
        for group in 0..g.params().groups {
            let x0 = (n * c_in + group * cg) * h * w;
            im2col(&g, &x_s[x0..x0 + cg * h * w], &mut scratch.cols);
            let cols = ArrayView2::from_shape((rows, ohw), &scratch.cols[..])
                .map_err(|e| crate::tensor::layout(OP, &e))?;
            let d0 = (n * k + group * kg) * ohw;
            let dy_g = ArrayView2::from_shape((kg, ohw), &dy_s[d0..d0 + kg * ohw])
                .map_err(|e| crate::tensor::layout(OP, &e))?;
            let mut dw_g = dwmat.slice_axis_mut(
                ndarray::Axis(0),
                ndarray::Slice::from(group * kg..(group + 1) * kg),
            );
            // Accumulate over the batch: β = 1.
            general_mat_mul(1.0, &dy_g, &cols.t(), 1.0, &mut dw_g);
        }
    }
    Ok(())
}

/// Gradient with respect to the bias: `db_k = Σ_{n, y, x} dy[n, k, y, x]`.
///
/// # Shapes
/// dy `[N, C_out, H2, W2]` → db `[C_out]`.
pub fn conv2d_bias_backward(dy: ArrayView4<'_, f32>) -> Array1<f32> {
    let mut db = Array1::zeros(dy.dim().1);
    for sample in dy.outer_iter() {
        for (d, plane) in db.iter_mut().zip(sample.outer_iter()) {
            *d += plane.sum();
        }
    }
    db
}

/// [`conv2d_bias_backward`] into a caller-owned `db` (overwritten).
///
/// # Errors
/// [`NnError::Shape`] when `db` does not have `C_out` entries.
pub fn conv2d_bias_backward_into(
    dy: ArrayView4<'_, f32>,
    mut db: ArrayViewMut1<'_, f32>,
) -> Result<(), NnError> {
    check_shape("conv2d_bias_backward", "db", db.shape(), &[dy.dim().1])?;
    db.fill(0.0);
    for sample in dy.outer_iter() {
        for (d, plane) in db.iter_mut().zip(sample.outer_iter()) {
            *d += plane.sum();
        }
    }
    Ok(())
}
