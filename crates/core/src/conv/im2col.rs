//! The fast path: im2col + GEMM.
//!
//! For each sample and group, every kernel tap (channel, ky, kx) becomes one row of a
//! `[C_in/groups · F_h · F_w, H2 · W2]` matrix holding the input cell that tap sees at every
//! output position (0 for padding). The convolution is then one matrix product
//! `weight[K/groups, rows] · cols[rows, H2·W2]`, which `ndarray::linalg::general_mat_mul`
//! hands to matrixmultiply's packed, SIMD (AVX/FMA natively, simd128 on wasm) sgemm.
//! The product sums in another order than the reference loop, so results agree exactly
//! only for exactly representable sums (the proptests use small integers).

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView1, ArrayView2, ArrayView4, ArrayViewMut4, Axis, Slice};

use super::ConvScratch;
use crate::error::CoreError;
use crate::shape::Conv2dGeometry;
use crate::tensor::{layout, standard};

const OP: &str = "conv2d";

/// Fills `cols` (`rows × H2·W2`, row-major) from one sample's channel planes. `planes` holds this group's `C_in/groups` channel planes back to back.
fn im2col(g: &Conv2dGeometry, planes: &[f32], cols: &mut [f32]) {
    let p = g.params();
    let [kh, kw] = g.kernel();
    let [h, w] = g.input_size();
    let [oh, ow] = g.output_size();
    let ohw = oh * ow;
    let mut rows = cols.chunks_exact_mut(ohw.max(1));
    let area = h * w;
    for c in 0..g.in_channels_per_group() {
        let plane = &planes[c * area..(c + 1) * area];
        for ky in 0..kh {
            for kx in 0..kw {
                let Some(row) = rows.next() else { return };
                // Column offset of this tap in unpadded coordinates: ix = ox·S + off.
                // i128: exact for any usize hyper-parameters that passed validation.
                let off = (kx * p.dilation[1]) as i128 - p.padding[1] as i128;
                let sw = p.stride[1] as i128;
                // Valid ox: 0 ≤ ox·S + off < W, i.e. lo ≤ ox < hi.
                let lo = if off >= 0 { 0 } else { (-off + sw - 1) / sw };
                let hi = if (w as i128) <= off {
                    0
                } else {
                    (w as i128 - off + sw - 1) / sw
                };
                let lo = lo.min(ow as i128) as usize;
                let hi = (hi.min(ow as i128) as usize).max(lo);
                for (oy, dst) in row.chunks_exact_mut(ow.max(1)).enumerate() {
                    let py = oy * p.stride[0] + ky * p.dilation[0];
                    let src = py
                        .checked_sub(p.padding[0])
                        .filter(|&y| y < h)
                        .map(|y| &plane[y * w..(y + 1) * w]);
                    let Some(src) = src else {
                        dst.fill(0.0);
                        continue;
                    };
                    dst[..lo].fill(0.0);
                    dst[hi..].fill(0.0);
                    let start = (lo as i128 * sw + off) as usize;
                    if p.stride[1] == 1 {
                        dst[lo..hi].copy_from_slice(&src[start..start + (hi - lo)]);
                    } else {
                        let step = p.stride[1];
                        for (d, s) in dst[lo..hi].iter_mut().zip(src[start..].iter().step_by(step)) {
                            *d = *s;
                        }
                    }
                }
            }
        }
    }
}

/// Convolution of a validated geometry into `out` via im2col + GEMM.
pub(super) fn conv2d_gemm(
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
    let x = input.as_slice().ok_or_else(|| layout(OP, &"input not contiguous"))?;
    let weight = standard(weight);
    let wmat = ArrayView2::from_shape((g.out_channels(), rows), weight.as_slice().unwrap_or(&[]))
        .map_err(|e| layout(OP, &e))?;
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
            let mut out_g = out_n.slice_axis_mut(Axis(0), Slice::from(group * kg..(group + 1) * kg));
            // The GEMM writes straight into `out` when that is contiguous; otherwise via a
            // temporary (caller-owned buffers are normally standard layout).
            match out_g.view_mut().into_shape_with_order((kg, ohw)) {
                Ok(mut o) => general_mat_mul(1.0, &w_g, &cols, 0.0, &mut o),
                Err(_) => {
                    let mut tmp = ndarray::Array2::<f32>::zeros((kg, ohw));
                    general_mat_mul(1.0, &w_g, &cols, 0.0, &mut tmp);
                    let tmp = tmp
                        .into_shape_with_order(out_g.raw_dim())
                        .map_err(|e| layout(OP, &e))?;
                    out_g.assign(&tmp);
                }
            }
        }
        if let Some(b) = bias {
            for (mut plane, &bk) in out_n.outer_iter_mut().zip(b.iter()) {
                plane.mapv_inplace(|v| v + bk);
            }
        }
    }
    Ok(())
}

