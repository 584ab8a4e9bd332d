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
use crate::shape::{Conv2dGeometry, Conv2dParams};
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
    /// Stride 1 with few output channels per group ([`Pixels::of`]): output channels or
    /// positions in the lanes, read straight from the padded planes ([`super::pixels`], no
    /// im2col).
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
    let ohw = g.cols_shape()[1];
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
    // The convolution writes straight into `out` when that is contiguous; otherwise via a
    // temporary (caller-owned buffers are normally standard layout).
    match out.as_slice_mut() {
        Some(o) => conv_packed(g, Read::of(g), x, wts, bias.as_deref(), o, scratch),
        None => {
            let mut tmp = Array4::<f32>::zeros(g.output_shape());
            if let Some(o) = tmp.as_slice_mut() {
                conv_packed(g, Read::of(g), x, wts, bias.as_deref(), o, scratch);
            }
            out.assign(&tmp);
        }
    }
    Ok(())
}

/// [`conv2d_packed`] on contiguous slices of the geometry's sizes (checked by the callers),
/// read as `read` ([`Read::of`] `g`), `out` overwritten.
fn conv_packed(
    g: &Conv2dGeometry,
    read: Read,
    x: &[f32],
    wts: &[f32],
    bias: Option<&[f32]>,
    out: &mut [f32],
    scratch: &mut ConvScratch,
) {
    let [rows, ohw] = g.cols_shape();
    let kg = g.out_channels_per_group();
    // The weight is packed once per call (per group) and reused for every sample.
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
    for Block {
        group,
        input,
        output,
    } in blocks(g)
    {
        let planes = &x[input];
        let a = &packed_w[group * a_len..][..a_len];
        let bias = bias.map(|b| &b[group * kg..(group + 1) * kg]);
        let epilogue = bias.map_or(Epilogue::Store, Epilogue::Bias);
        let (c, mn) = (&mut out[output], [kg, ohw, rows]);
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
/// from the weight `w` and the output gradient `dy` (contiguous, standard layout). The wasm
/// path of [`crate::nn::conv2d_x_backward_into`]:
/// - when it is a convolution that reads position by position ([`turned`],
///   [`super::pixels`]), that convolution: no col2im;
/// - otherwise `dcols = W_gᵀ · dY_{n,g}` with [`gemm::gemm_packed`] (`Wᵀ` packed once per
///   call, `dY` per sample), then [`col2im_add`].
pub(crate) fn input_grad_packed(
    g: &Conv2dGeometry,
    w: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    scratch: &mut ConvScratch,
) {
    match turned(g, w) {
        Some((turned, pixels, w)) => {
            conv_packed(&turned, Read::Pixels(pixels), dy, &w, None, dx, scratch);
        }
        None => input_grad_gemm(g, w, dy, dx, scratch),
    }
}

/// [`input_grad_packed`] through the GEMM and col2im.
fn input_grad_gemm(
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

/// The input gradient of a stride-1 geometry as a forward convolution, when that one reads
/// position by position ([`Pixels::of`]): `dY` (`C_out` channels of `H_2 × W_2`) padded by
/// `D·(F − 1) − P` on each side (the gradient's padding must not exceed the kernel's reach)
/// and convolved, with the same dilation and groups, by the kernel turned 180° with its
/// input and output channels swapped: each input cell sums what every output cell it fed
/// sends back. Taken for a padded ("same") convolution whose turned one reads position by
/// position: in Chromium (interleaved runs of one wasm, Zen 4) against the GEMM and col2im,
/// 3 × 3 with padding 1 back to 8 channels from 8 took 47 % less time, from 16 29 %; back
/// to 16 from 16 31 %, from 32 10 %; 5 × 5 with padding 2, 16 back to 6, 20 %. LeNet's
/// conv2 (16 back to 6, no padding) took 26 % more: its turned convolution computes 196
/// cells × 400 taps where the GEMM computes 100 × 150 × 16.
fn turned(g: &Conv2dGeometry, w: &[f32]) -> Option<(Conv2dGeometry, Pixels, Vec<f32>)> {
    let p = g.params();
    let [kh, kw] = g.kernel();
    let reach = |i: usize| (p.dilation[i] * (g.kernel()[i] - 1)).checked_sub(p.padding[i]);
    let (Some(ph), Some(pw), [1, 1]) = (reach(0), reach(1), p.stride) else {
        return None;
    };
    let ([n, c_in, ..], [_, c_out, h2, w2]) = (g.input_shape(), g.output_shape());
    let params = Conv2dParams {
        padding: [ph, pw],
        ..p
    };
    let turned = Conv2dGeometry::new([n, c_out, h2, w2], c_in, [kh, kw], params).ok()?;
    let pixels = Pixels::of(&turned)?;
    // Each input cell sums every tap, zeros of the padding included: with many more input
    // cells than output cells (no padding) the GEMM and col2im, which skip them, do less.
    let [h, w_in] = g.input_size();
    if turned.output_size() != [h, w_in] || 4 * h * w_in > 5 * h2 * w2 {
        return None;
    }
    let (kg, cg, taps) = (
        g.out_channels_per_group(),
        g.in_channels_per_group(),
        kh * kw,
    );
    // Channel `ci` of `dx` (group `ci / cg`) from channel `k` of its group of `dY`: the
    // kernel of `W[o, ci % cg]` (`o` the group's `k`-th output channel) read backwards.
    let mut turned_w = Vec::with_capacity(w.len());
    for ci in 0..c_in {
        for k in 0..kg {
            let o = ci / cg * kg + k;
            turned_w.extend(w[(o * cg + ci % cg) * taps..][..taps].iter().rev());
        }
    }
    Some((turned, pixels, turned_w))
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

    /// The input gradient as a turned convolution equals the GEMM's and col2im's exactly
    /// (small integers): a residual block's 3 × 3 convolution, the stride-1 geometries of
    /// every output width and the random geometries that take it; LeNet's conv2 does not.
    #[test]
    fn input_gradients_as_turned_convolutions_equal_the_gemm() {
        let mut next = xorshift(0x5eed_1e55);
        let mut scratch = ConvScratch::default();
        let lenet = Conv2dGeometry::new([3, 6, 14, 14], 16, [5, 5], Default::default()).unwrap();
        assert!(turned(&lenet, &vec![0.0; 16 * 6 * 25]).is_none());
        let same = Conv2dParams::default().with_padding(1);
        let block = Conv2dGeometry::new([3, 8, 14, 14], 8, [3, 3], same).unwrap();
        let random: Vec<_> = (0..1500)
            .filter_map(|_| random_geometry(&mut next, 2))
            .collect();
        let mut turned_ones = 0;
        for g in [block].into_iter().chain(stride_one_widths()).chain(random) {
            let mut ints = |n: usize| (0..n).map(|_| next(7) as f32 - 3.0).collect::<Vec<_>>();
            let (w, dy) = (
                ints(g.weight_shape().iter().product()),
                ints(g.output_shape().iter().product()),
            );
            let n = g.input_shape().iter().product();
            if turned(&g, &w).is_none() {
                continue;
            }
            turned_ones += 1;
            let (mut want, mut got) = (vec![f32::NAN; n], vec![f32::NAN; n]);
            input_grad_gemm(&g, &w, &dy, &mut want, &mut scratch);
            input_grad_packed(&g, &w, &dy, &mut got, &mut scratch);
            assert_eq!(got, want, "{g:?}");
        }
        assert!(turned_ones > 30, "only {turned_ones} turned geometries");
    }

    /// Both fast paths equal the reference loop exactly (small integers), with a bias and
    /// without: stride 1 with every output width from 1 to 14 (maps that end in a partial
    /// tile or quad), and random strides, paddings, dilations, groups and sizes that leave
    /// partial tiles; on both targets.
    #[test]
    fn packed_and_native_paths_equal_the_reference() {
        let mut next = xorshift(0x1234_5678);
        let mut draw = xorshift(0x0bad_cafe);
        let random: Vec<_> = (0..300)
            .filter_map(|_| random_geometry(&mut draw, 2))
            .collect();
        let mut scratch = ConvScratch::default();
        for (case, g) in stride_one_widths().chain(random).enumerate() {
            let (input, kg) = (g.input_shape(), g.out_channels());
            let x = ndarray::Array4::from_shape_fn(input, |_| next(7) as f32 - 3.0);
            let w = ndarray::Array4::from_shape_fn(g.weight_shape(), |_| next(7) as f32 - 3.0);
            let b = Array1::from_shape_fn(kg, |k| k as f32 - 2.0);
            // Every third case: each of the eight stride-1 shapes is met with one and without.
            let bias = (case % 3 == 1).then(|| b.view());
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
