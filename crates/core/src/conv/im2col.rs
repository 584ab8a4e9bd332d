//! The fast path: im2col + GEMM.
//!
//! For each sample and group, every kernel tap (channel, ky, kx) becomes one row of a
//! `[C_in/groups · F_h · F_w, H2 · W2]` matrix holding the input cell that tap sees at every
//! output position (0 for padding). The convolution is then one matrix product
//! `weight[K/groups, rows] · cols[rows, H2·W2]`. Natively [`super::mat_mul`] hands it to
//! faer's product (runtime SIMD dispatch up to AVX-512); on wasm the im2col matrix is written
//! straight into the panels of our simd128 GEMM ([`gemm`]) — through the quads of
//! [`super::quads`] when the stride is 1, whose panels the forward pass may also read in
//! place — for the forward pass and for the weight and input gradients
//! ([`weight_grad_packed`], [`input_grad_packed`]).
//! The product sums in another order than the reference loop, so results agree exactly
//! only for exactly representable sums (the proptests use small integers).
//!
//! Why not matrixmultiply on wasm too: its simd128 kernel behind `general_mat_mul` packs
//! per call and per sample what is packed here once, and LeNet-5's training in Chromium ran
//! at 5,051 images/s with it against 8,000 and more with these paths (BENCHMARKS.md).

use ndarray::{Array4, ArrayView1, ArrayView2, ArrayView4, ArrayViewMut4, Axis, Slice};

use super::gemm::lanes::{self, F32x4};
use super::gemm::{self, Epilogue, NR, NV};
use super::pixels::Pixels;
use super::quads::Quads;
use super::shifted::Shifted;
use super::{Accum, ConvScratch, mat_mul};
use crate::error::CoreError;
use crate::shape::Conv2dGeometry;
use crate::tensor::{layout, standard};

const OP: &str = "conv2d";

/// Fills `dst` (`H2·W2` values) with the input cell kernel tap `(ky, kx)` of one channel
/// `plane` (`H × W`) sees at every output position (0 for padding): one row of the im2col
/// matrix.
fn im2col_row(g: &Conv2dGeometry, plane: &[f32], [ky, kx]: [usize; 2], dst: &mut [f32]) {
    let [rows, cols] = g.window_axes();
    let w = cols.size;
    let ow = g.output_size()[1];
    // The output columns whose input column (ox·S + kx·D − P) is a cell, not padding.
    let valid = cols.valid_outputs(kx, ow);
    let (lo, hi) = (valid.start, valid.end);
    for (oy, dst) in dst.chunks_exact_mut(ow.max(1)).enumerate() {
        let Some(y) = rows.inside(oy, ky) else {
            dst.fill(0.0);
            continue;
        };
        let src = &plane[y * w..(y + 1) * w];
        dst[..lo].fill(0.0);
        dst[hi..].fill(0.0);
        if hi == lo {
            continue; // every column of this row is padding
        }
        let start = cols.padded(lo, kx) - cols.padding;
        if cols.stride == 1 {
            dst[lo..hi].copy_from_slice(&src[start..start + (hi - lo)]);
        } else {
            for (d, s) in dst[lo..hi]
                .iter_mut()
                .zip(src[start..].iter().step_by(cols.stride))
            {
                *d = *s;
            }
        }
    }
}

/// Fills `cols` (`rows × H2·W2`, row-major) from one sample's channel planes. `planes` holds
/// this group's `C_in/groups` channel planes back to back. The convolution's backward
/// passes use it too.
pub(crate) fn im2col(g: &Conv2dGeometry, planes: &[f32], cols: &mut [f32]) {
    let [kh, kw] = g.kernel();
    let ohw = g.cols_shape()[1];
    let area = g.input_size()[0] * g.input_size()[1];
    let mut rows = cols.chunks_exact_mut(ohw.max(1));
    for c in 0..g.in_channels_per_group() {
        let plane = &planes[c * area..(c + 1) * area];
        for ky in 0..kh {
            for kx in 0..kw {
                let Some(row) = rows.next() else { return };
                im2col_row(g, plane, [ky, kx], row);
            }
        }
    }
}

/// The inverse scatter of [`im2col`]: adds every entry of `cols` (`rows × H2·W2`) onto the
/// input cell it was read from (padding entries are dropped). `planes` (this group's
/// `C_in/groups` planes) must be zeroed by the caller. With stride 1 every output row's run
/// of valid columns lands on a contiguous run of input cells, added as one slice.
pub(crate) fn col2im_add(g: &Conv2dGeometry, cols: &[f32], planes: &mut [f32]) {
    let [kh, kw] = g.kernel();
    let [rows_axis, cols_axis] = g.window_axes();
    let w = cols_axis.size;
    let ow = g.output_size()[1];
    let area = rows_axis.size * w;
    let mut rows = cols.chunks_exact(g.cols_shape()[1].max(1));
    for c in 0..g.in_channels_per_group() {
        let plane = &mut planes[c * area..(c + 1) * area];
        for ky in 0..kh {
            for kx in 0..kw {
                let Some(row) = rows.next() else { return };
                let valid = cols_axis.valid_outputs(kx, ow);
                if valid.is_empty() {
                    continue;
                }
                let start = cols_axis.padded(valid.start, kx) - cols_axis.padding;
                for (oy, src) in row.chunks_exact(ow.max(1)).enumerate() {
                    let Some(y) = rows_axis.inside(oy, ky) else {
                        continue;
                    };
                    let dst = &mut plane[y * w + start..(y + 1) * w];
                    let src = &src[valid.clone()];
                    if cols_axis.stride == 1 {
                        for (d, s) in dst.iter_mut().zip(src) {
                            *d += *s;
                        }
                    } else {
                        for (d, s) in dst.iter_mut().step_by(cols_axis.stride).zip(src) {
                            *d += *s;
                        }
                    }
                }
            }
        }
    }
}

/// One sample's one group: its group index, and where its input planes (`C_in/groups` of
/// `H × W`) and its output planes (`C_out/groups` of `H2 × W2`) lie in the batch's buffers.
pub(super) struct Block {
    pub(super) group: usize,
    pub(super) input: std::ops::Range<usize>,
    pub(super) output: std::ops::Range<usize>,
}

/// Every (sample, group) block of `g`, sample by sample: the loop of the packed paths and
/// of the shifted layout's.
pub(super) fn blocks(g: &Conv2dGeometry) -> impl Iterator<Item = Block> {
    let [batch, c_in, h, w] = g.input_shape();
    let (cg, kg, c_out) = (
        g.in_channels_per_group(),
        g.out_channels_per_group(),
        g.out_channels(),
    );
    let (plane, ohw) = (h * w, g.cols_shape()[1]);
    (0..batch).flat_map(move |n| {
        (0..g.params().groups).map(move |group| {
            let (x0, y0) = (
                (n * c_in + group * cg) * plane,
                (n * c_out + group * kg) * ohw,
            );
            Block {
                group,
                input: x0..x0 + cg * plane,
                output: y0..y0 + kg * ohw,
            }
        })
    })
}

/// Writes one sample's im2col matrix (`rows = C_in/groups · F_h · F_w` by `H2·W2`) straight
/// into the packed-`B` layout of [`gemm`]: panels of [`NR`] output positions, each holding
/// for every tap the `NR` input cells side by side. `planes` holds this group's `C_in/groups`
/// channel planes back to back; `row` is a scratch of one im2col row (`H2·W2` floats, so it
/// stays in L1 between being filled and being scattered into the panels).
///
/// [`gemm`]: super::gemm
fn pack_cols(g: &Conv2dGeometry, planes: &[f32], row: &mut Vec<f32>, packed: &mut Vec<F32x4>) {
    let [kh, kw] = g.kernel();
    let [rows, ohw] = g.cols_shape();
    row.resize(ohw, 0.0);
    packed.resize(ohw.div_ceil(NR) * rows * NV, lanes::splat(0.0));
    let area = g.input_size()[0] * g.input_size()[1];
    let mut tap = 0;
    for c in 0..g.in_channels_per_group() {
        let plane = &planes[c * area..(c + 1) * area];
        for ky in 0..kh {
            for kx in 0..kw {
                im2col_row(g, plane, [ky, kx], row);
                for (p, src) in row.chunks(NR).enumerate() {
                    // Columns past H2·W2 in the last panel are zeros (never stored anyway).
                    gemm::pack_b_chunk(src, &mut packed[(p * rows + tap) * NV..][..NV]);
                }
                tap += 1;
            }
        }
    }
}

/// How wasm's forward convolution reads its input, the first that applies.
#[derive(Debug)]
enum Read {
    /// Stride 1 with up to 24 output channels ([`Pixels::of`]): output channels in the lanes,
    /// each position's input broadcast straight from the padded planes ([`super::pixels`],
    /// no im2col).
    Pixels(Pixels),
    /// Other stride-1 geometries: the GEMM from the im2col packed a quad of positions at
    /// a time ([`Quads`]).
    Quads(Quads),
    /// The GEMM from the im2col packed row by row ([`pack_cols`]).
    General,
}

impl Read {
    fn of(g: &Conv2dGeometry) -> Self {
        if let Some(p) = Pixels::of(g) {
            return Self::Pixels(p);
        }
        Quads::of(g).map_or(Self::General, Self::Quads)
    }
}

/// Convolution of a validated geometry into `out`: the packed path on wasm, faer's product
/// natively (its runtime-dispatched AVX2/AVX-512 kernels beat the portable micro-kernel there,
/// which LLVM can only vectorise for baseline SSE2). Both paths compile, and are tested, on
/// both targets.
pub(super) fn conv2d_gemm(
    g: &Conv2dGeometry,
    input: &ArrayView4<'_, f32>,
    weight: &ArrayView4<'_, f32>,
    bias: Option<&ArrayView1<'_, f32>>,
    out: &mut ArrayViewMut4<'_, f32>,
    scratch: &mut ConvScratch,
) -> Result<(), CoreError> {
    if cfg!(target_arch = "wasm32") {
        conv2d_packed(g, input, weight, bias, out, scratch)
    } else {
        conv2d_native(g, input, weight, bias, out, scratch)
    }
}

/// Convolution the way wasm's simd128 does it fastest ([`Read`]): a stride-1 convolution
/// position by position from the padded input ([`super::pixels`]), others through im2col
/// packed straight into [`gemm`]'s panels and its micro-kernel. The weight is packed once
/// per call (per group) for every sample, there is no row-major im2col matrix, and the bias
/// is added as the sums are stored.
///
/// [`gemm`]: super::gemm
fn conv2d_packed(
    g: &Conv2dGeometry,
    input: &ArrayView4<'_, f32>,
    weight: &ArrayView4<'_, f32>,
    bias: Option<&ArrayView1<'_, f32>>,
    out: &mut ArrayViewMut4<'_, f32>,
    scratch: &mut ConvScratch,
) -> Result<(), CoreError> {
    let batch = g.input_shape()[0];
    let [rows, ohw] = g.cols_shape();
    let kg = g.out_channels_per_group();
    if batch == 0 || ohw == 0 || kg == 0 {
        return Ok(());
    }
    let input = standard(input);
    let x = input
        .as_slice()
        .ok_or_else(|| layout(OP, &"input not contiguous"))?;
    let weight = standard(weight);
    let wts = weight
        .as_slice()
        .ok_or_else(|| layout(OP, &"weight not contiguous"))?;
    let bias = bias.map(|b| b.to_vec());
    // The weight is packed once per call (per group) and reused for every sample.
    let read = Read::of(g);
    let height = match &read {
        Read::Pixels(p) => p.block(),
        _ => gemm::MR,
    };
    let a_len = gemm::panels_len(kg, rows, height);
    scratch.packed_w.resize(g.params().groups * a_len, 0.0);
    for (group, packed) in scratch.packed_w.chunks_exact_mut(a_len.max(1)).enumerate() {
        gemm::pack_panels(
            &wts[group * kg * rows..][..kg * rows],
            kg,
            rows,
            height,
            packed,
        );
    }
    let ConvScratch {
        packed_cols: cols,
        row,
        packed_w,
        padded,
        ..
    } = scratch;
    let mut run = |o: &mut [f32]| {
        for Block {
            group,
            input,
            output,
        } in blocks(g)
        {
            let planes = &x[input];
            let a = &packed_w[group * a_len..][..a_len];
            let bias = bias.as_ref().map(|b| &b[group * kg..(group + 1) * kg]);
            let epilogue = bias.map_or(Epilogue::Store, Epilogue::Bias);
            let (c, mn) = (&mut o[output], [kg, ohw, rows]);
            match &read {
                Read::Pixels(pixels) => {
                    pixels.pad(planes, padded);
                    pixels.conv(padded, a, kg, bias, c);
                }
                Read::Quads(quads) => {
                    quads.pad(planes, padded);
                    quads.pack_cols(padded, cols);
                    gemm::gemm_packed(mn, a, cols, epilogue, c, ohw);
                }
                Read::General => {
                    pack_cols(g, planes, row, cols);
                    gemm::gemm_packed(mn, a, cols, epilogue, c, ohw);
                }
            }
        }
    };
    // The GEMM writes straight into `out` when that is contiguous; otherwise via a
    // temporary (caller-owned buffers are normally standard layout).
    match out.as_slice_mut() {
        Some(o) => run(o),
        None => {
            let mut tmp = Array4::<f32>::zeros(g.output_shape());
            if let Some(o) = tmp.as_slice_mut() {
                run(o);
            }
            out.assign(&tmp);
        }
    }
    Ok(())
}

/// Gradient of the weight (`dw`, `[C_out, C_in/groups·F_h·F_w]`, overwritten) of a
/// validated geometry from the input `x` and the output gradient `dy` (both contiguous,
/// standard layout), as its transpose `dW_gᵀ = Σ_n cols_{n,g} · dY_{n,g}ᵀ`: per sample and
/// group the im2col matrix is packed as [`gemm`]'s `A` (through the quads for stride 1,
/// [`Quads::pack_cols_a`]), `dYᵀ` as its `B`, and the GEMM accumulates over the batch
/// into `rows × C_out/groups` sums, transposed into `dw` at the end. The wasm path of
/// [`crate::nn::conv2d_weight_backward_into`].
pub(crate) fn weight_grad_packed(
    g: &Conv2dGeometry,
    x: &[f32],
    dy: &[f32],
    dw: &mut [f32],
    scratch: &mut ConvScratch,
) {
    let batch = g.input_shape()[0];
    let [rows, ohw] = g.cols_shape();
    let (kg, groups) = (g.out_channels_per_group(), g.params().groups);
    dw.fill(0.0);
    if batch == 0 || ohw == 0 || kg == 0 {
        return;
    }
    let ConvScratch {
        cols,
        packed_w: packed_cols,
        packed_dy,
        padded,
        wide: dy_quads,
        grad,
        ..
    } = scratch;
    grad.clear();
    grad.resize(groups * rows * kg, 0.0);
    let quads = Quads::of(g);
    for Block {
        group,
        input,
        output,
    } in blocks(g)
    {
        let (planes, dy) = (&x[input], &dy[output]);
        // Both operands packed over the same positions (whole quads for stride 1).
        let positions = match &quads {
            Some(quads) => {
                quads.pad(planes, padded);
                quads.pack_cols_a(padded, packed_cols);
                let dy = quads.whole_quads(dy, kg, dy_quads);
                gemm::pack_b_transposed(dy, quads.positions(), kg, packed_dy);
                quads.positions()
            }
            None => {
                cols.resize(rows * ohw, 0.0);
                im2col(g, planes, cols);
                packed_cols.resize(gemm::packed_a_len(rows, ohw), 0.0);
                gemm::pack_a(cols, rows, ohw, packed_cols);
                gemm::pack_b_transposed(dy, ohw, kg, packed_dy);
                ohw
            }
        };
        gemm::gemm_packed(
            [rows, kg, positions],
            packed_cols,
            packed_dy,
            Epilogue::Accumulate,
            &mut grad[group * rows * kg..][..rows * kg],
            kg,
        );
    }
    // grad[group][t][i] → dw[group·kg + i][t].
    for (dw, grad) in dw
        .chunks_exact_mut(kg * rows)
        .zip(grad.chunks_exact(rows * kg))
    {
        for (t, sums) in grad.chunks_exact(kg).enumerate() {
            for (i, &v) in sums.iter().enumerate() {
                dw[i * rows + t] = v;
            }
        }
    }
}

/// Gradient of the input (`dx`, `[N, C_in, H, W]`, overwritten) of a validated geometry
/// from the weight `w` and the output gradient `dy` (contiguous, standard layout):
/// `dcols = W_gᵀ · dY_{n,g}` with [`gemm::gemm_packed`] (`Wᵀ` packed once per call, `dY`
/// per sample), then [`col2im_add`]. The wasm path of
/// [`crate::nn::conv2d_x_backward_into`].
pub(crate) fn input_grad_packed(
    g: &Conv2dGeometry,
    w: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    scratch: &mut ConvScratch,
) {
    let batch = g.input_shape()[0];
    let [rows, ohw] = g.cols_shape();
    let (kg, groups) = (g.out_channels_per_group(), g.params().groups);
    dx.fill(0.0);
    if batch == 0 || ohw == 0 || kg == 0 {
        return;
    }
    let a_len = gemm::packed_a_len(rows, kg);
    scratch.packed_w.resize(groups * a_len, 0.0);
    for (group, packed) in scratch.packed_w.chunks_exact_mut(a_len.max(1)).enumerate() {
        // W_g is `kg × rows`: the transpose of the `rows × kg` matrix multiplied.
        gemm::pack_a_transposed(&w[group * kg * rows..][..kg * rows], rows, kg, packed);
    }
    // (A padded layout does not pay here: each output row's extra columns cost more in this
    // GEMM, whose `K` is only `C_out/groups`, than a branch-free col2im saves.)
    let ConvScratch {
        cols,
        packed_dy,
        packed_w,
        ..
    } = scratch;
    cols.resize(rows * ohw, 0.0);
    for Block {
        group,
        input,
        output,
    } in blocks(g)
    {
        gemm::pack_b(&dy[output], kg, ohw, packed_dy);
        let a = &packed_w[group * a_len..][..a_len];
        gemm::gemm_packed([rows, ohw, kg], a, packed_dy, Epilogue::Store, cols, ohw);
        col2im_add(g, cols, &mut dx[input]);
    }
}

/// Convolution of a validated geometry into `out` via row-major im2col + [`super::mat_mul`]
/// (natively faer's product): for stride 1 through the shifted layout ([`Shifted`], one
/// copy per tap), otherwise row by row ([`im2col`]).
fn conv2d_native(
    g: &Conv2dGeometry,
    input: &ArrayView4<'_, f32>,
    weight: &ArrayView4<'_, f32>,
    bias: Option<&ArrayView1<'_, f32>>,
    out: &mut ArrayViewMut4<'_, f32>,
    scratch: &mut ConvScratch,
) -> Result<(), CoreError> {
    let [batch, c_in, h, w] = g.input_shape();
    let [rows, ohw] = g.cols_shape();
    let kg = g.out_channels_per_group();
    let cg = g.in_channels_per_group();
    if batch == 0 || ohw == 0 {
        return Ok(());
    }
    let input = standard(input);
    let x = input
        .as_slice()
        .ok_or_else(|| layout(OP, &"input not contiguous"))?;
    let weight = standard(weight);
    let wmat = ArrayView2::from_shape((g.out_channels(), rows), weight.as_slice().unwrap_or(&[]))
        .map_err(|e| layout(OP, &e))?;
    if let (Some(shifted), Some(o)) = (Shifted::of(g), out.as_slice_mut()) {
        shifted.forward(g, x, &wmat, o, scratch)?;
    } else {
        scratch.cols.resize(rows * ohw, 0.0);
        let plane = h * w;
        for n in 0..batch {
            let mut out_n = out.index_axis_mut(Axis(0), n);
            for group in 0..g.params().groups {
                let base = (n * c_in + group * cg) * plane;
                im2col(g, &x[base..base + cg * plane], &mut scratch.cols);
                let cols = ArrayView2::from_shape((rows, ohw), &scratch.cols[..])
                    .map_err(|e| layout(OP, &e))?;
                let w_g = wmat.slice_axis(Axis(0), Slice::from(group * kg..(group + 1) * kg));
                let mut out_g =
                    out_n.slice_axis_mut(Axis(0), Slice::from(group * kg..(group + 1) * kg));
                // The GEMM writes straight into `out` when that is contiguous; otherwise via a
                // temporary (caller-owned buffers are normally standard layout).
                match out_g.view_mut().into_shape_with_order((kg, ohw)) {
                    Ok(mut o) => mat_mul(&w_g, &cols, Accum::Replace, &mut o),
                    Err(_) => {
                        let mut tmp = ndarray::Array2::<f32>::zeros((kg, ohw));
                        mat_mul(&w_g, &cols, Accum::Replace, &mut tmp.view_mut());
                        let tmp = tmp
                            .into_shape_with_order(out_g.raw_dim())
                            .map_err(|e| layout(OP, &e))?;
                        out_g.assign(&tmp);
                    }
                }
            }
        }
    }
    // The bias, once for both layouts.
    if let Some(b) = bias {
        for mut sample in out.outer_iter_mut() {
            for (mut plane, &bk) in sample.outer_iter_mut().zip(b.iter()) {
                plane.mapv_inplace(|v| v + bk);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use ndarray::Array1;

    use super::*;
    use crate::conv::reference::conv2d_loop;
    use crate::conv::testing::{random_geometry, stride_one_widths, xorshift};

    /// Stride 1 with every output width from 1 to 10 and maps that end in a partial quad:
    /// the packed path equals the reference loop exactly.
    #[test]
    fn packed_path_equals_the_reference_for_every_output_width() {
        let mut next = xorshift(0x0bad_cafe);
        let mut scratch = ConvScratch::default();
        for g in stride_one_widths() {
            let x = ndarray::Array4::from_shape_fn(g.input_shape(), |_| next(7) as f32 - 3.0);
            let w = ndarray::Array4::from_shape_fn(g.weight_shape(), |_| next(7) as f32 - 3.0);
            let mut want = Array4::zeros(g.output_shape());
            conv2d_loop(&g, &x.view(), &w.view(), None, &mut want.view_mut());
            let mut got = Array4::from_elem(g.output_shape(), f32::NAN);
            let (x, w) = (x.view(), w.view());
            conv2d_packed(&g, &x, &w, None, &mut got.view_mut(), &mut scratch).unwrap();
            assert_eq!(got, want, "{g:?}");
        }
    }

    /// Both fast paths equal the reference loop exactly (small integers) over strides,
    /// paddings, dilations, groups and sizes that leave partial tiles; on both targets.
    #[test]
    fn packed_and_native_paths_equal_the_reference() {
        let mut next = xorshift(0x1234_5678);
        let mut scratch = ConvScratch::default();
        for case in 0..300 {
            let Some(g) = random_geometry(&mut next, 2) else {
                continue;
            };
            let (input, kg) = (g.input_shape(), g.out_channels());
            let x = ndarray::Array4::from_shape_fn(input, |_| next(7) as f32 - 3.0);
            let w = ndarray::Array4::from_shape_fn(g.weight_shape(), |_| next(7) as f32 - 3.0);
            let b = Array1::from_shape_fn(kg, |k| k as f32 - 2.0);
            let bias = (case % 2 == 0).then(|| b.view());
            let mut want = Array4::zeros(g.output_shape());
            conv2d_loop(
                &g,
                &x.view(),
                &w.view(),
                bias.as_ref(),
                &mut want.view_mut(),
            );
            for packed in [true, false] {
                let mut got = Array4::from_elem(g.output_shape(), f32::NAN);
                let f = if packed { conv2d_packed } else { conv2d_native };
                f(
                    &g,
                    &x.view(),
                    &w.view(),
                    bias.as_ref(),
                    &mut got.view_mut(),
                    &mut scratch,
                )
                .unwrap();
                assert_eq!(got, want, "case {case} packed={packed} {g:?}");
            }
        }
    }
}
