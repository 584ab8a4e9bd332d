//! The matrix product behind every native convolution and dense layer: `C = A·B` or
//! `C += A·B` for 2-D views.
//!
//! Natively it is faer's (`faer::linalg::matmul`, one thread: the trainer splits batches
//! itself), which picks its kernels at run time for the CPU's widest SIMD (AVX-512, AVX2 +
//! FMA, SSE) and multiplies the small products of a convolution per sample (LeNet conv1's
//! weight gradient is 6 × 784 · 784 × 25) with little or no packing. Measured on an AMD EPYC
//! (Zen 4, AVX-512) against matrixmultiply 0.3.11's AVX-512 kernel, one product each
//! (`cargo bench -p convscope-core --bench product`): LeNet conv1 forward 10.4 → 2.5 µs, its
//! weight gradient 21.6 → 6.0 µs, conv2's 15.4 → 6.1 µs, the dense layers 1.1–1.5× at batch
//! 64 and 12× for one image's row (BENCHMARKS.md). Operands faer cannot view without copying
//! (neither contiguous row- nor column-major: no caller passes one) go through the packed
//! kernels of [`super::gemm`] ([`super::gemm::mat_mul_packed`]), as every product does on
//! wasm.
//!
//! Shapes: `a` `[m, k]`, `b` `[k, n]`, `c` `[m, n]` (callers check them; asserted here).

use ndarray::{ArrayView2, ArrayViewMut2};

/// What the product does with `C`'s old values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accum {
    /// `C = A·B`.
    Replace,
    /// `C += A·B` (a gradient summed over a batch).
    Add,
}

/// `c = a · b` or `c += a · b`.
///
/// # Panics
/// When the shapes disagree (an internal invariant: every caller checked them).
pub(crate) fn mat_mul(
    a: &ArrayView2<'_, f32>,
    b: &ArrayView2<'_, f32>,
    accum: Accum,
    c: &mut ArrayViewMut2<'_, f32>,
) {
    let ((m, k), (k2, n)) = (a.dim(), b.dim());
    assert!(
        k == k2 && c.dim() == (m, n),
        "mat_mul: a {:?} · b {:?} into c {:?}",
        a.shape(),
        b.shape(),
        c.shape()
    );
    #[cfg(not(target_arch = "wasm32"))]
    if native::mat_mul(a, b, accum, c) {
        return;
    }
    super::gemm::mat_mul_packed(a, b, accum, c);
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::Accum;
    use faer::{MatMut, MatRef, Par};
    use ndarray::{ArrayView2, ArrayViewMut2};

    /// `v` as a faer matrix without copying: contiguous row-major, or contiguous
    /// column-major (a transposed view). `None` for any other layout.
    fn view<'a>(v: &ArrayView2<'a, f32>) -> Option<MatRef<'a, f32>> {
        let (rows, cols) = v.dim();
        let row_major = v.is_standard_layout();
        let slice = v.to_slice_memory_order()?;
        if row_major {
            Some(MatRef::from_row_major_slice(slice, rows, cols))
        } else if v.t().is_standard_layout() {
            // Column-major: the transpose of a row-major view (`t()` of a contiguous matrix,
            // as the gradients pass `Wᵀ` and `colsᵀ`).
            Some(MatRef::from_column_major_slice(slice, rows, cols))
        } else {
            None
        }
    }

    /// The product through faer when `a`, `b` and `c` can be viewed without copying
    /// (`c` contiguous row-major); `false` when they cannot (nothing was written).
    pub(super) fn mat_mul(
        a: &ArrayView2<'_, f32>,
        b: &ArrayView2<'_, f32>,
        accum: Accum,
        c: &mut ArrayViewMut2<'_, f32>,
    ) -> bool {
        let (m, n) = c.dim();
        let (Some(fa), Some(fb)) = (view(a), view(b)) else {
            return false;
        };
        let Some(cs) = c.as_slice_mut() else {
            return false;
        };
        if a.ncols() == 0 {
            // An empty sum: C = 0 (or unchanged).
            if accum == Accum::Replace {
                cs.fill(0.0);
            }
            return true;
        }
        let fc = MatMut::from_row_major_slice_mut(cs, m, n);
        let accum = match accum {
            Accum::Replace => faer::Accum::Replace,
            Accum::Add => faer::Accum::Add,
        };
        faer::linalg::matmul::matmul(fc, accum, fa, fb, 1.0_f32, Par::Seq);
        true
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use ndarray::{Array2, Axis, Slice};

    fn reference(a: &ArrayView2<'_, f32>, b: &ArrayView2<'_, f32>) -> Array2<f32> {
        let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
        Array2::from_shape_fn((m, n), |(i, j)| {
            (0..k).map(|kk| a[[i, kk]] * b[[kk, j]]).sum()
        })
    }

    /// Row-major, transposed, row-sliced and column-sliced operands, replaced and added,
    /// edge sizes included: the product equals the plain sum (small integers: exact).
    #[test]
    fn every_layout_multiplies_like_the_plain_sum() {
        let ints = |r: usize, c: usize, seed: usize| {
            Array2::from_shape_fn((r, c), |(i, j)| ((i * 7 + j * 3 + seed) % 9) as f32 - 4.0)
        };
        for (m, k, n) in [
            (1, 1, 1),
            (6, 25, 784),
            (16, 100, 150),
            (3, 0, 5),
            (0, 4, 2),
            (5, 7, 1),
        ] {
            let (a, at) = (ints(m, k, 1), ints(k, m, 2));
            let (b, bt) = (ints(k, n, 3), ints(n, k, 4));
            let wide = ints(m + 2, k + 3, 5);
            let part = |r0: usize, c0: usize| {
                wide.view()
                    .slice_axis_move(Axis(0), Slice::from(r0..r0 + m))
                    .slice_axis_move(Axis(1), Slice::from(c0..c0 + k))
            };
            for (a, b) in [
                (a.view(), b.view()),
                (at.t(), bt.t()),
                (a.view(), bt.t()),
                (at.t(), b.view()),
                // Strided: not viewed by faer, multiplied all the same.
                (part(1, 0), b.view()),
                (part(0, 2), bt.t()),
            ] {
                let want = reference(&a, &b);
                let mut c = Array2::from_elem((m, n), f32::NAN);
                mat_mul(&a, &b, Accum::Replace, &mut c.view_mut());
                assert_eq!(c, want, "{m}×{k}·{k}×{n}");
                mat_mul(&a, &b, Accum::Add, &mut c.view_mut());
                assert_eq!(c, &want * 2.0, "{m}×{k}·{k}×{n}, added");
            }
        }
    }
}
