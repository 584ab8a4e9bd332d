//! The native matrix product: matrixmultiply 0.3.11 (`ndarray`'s `general_mat_mul`) against
//! faer 0.23 (`faer::linalg::matmul`, one thread), at the shapes one LeNet-5 training step
//! multiplies per sample (batch 64: the convolutions' products run once per sample) and
//! the dense layers' — the measurement behind the core's choice of faer
//! (`crates/core/src/conv/product.rs`).
//!
//! `cargo bench -p convscope-core --bench product`. Throughput is in FLOPs (2 per
//! multiply-accumulate), so criterion's "elem/s" reads as FLOP/s.
#![cfg_attr(target_arch = "wasm32", allow(dead_code))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;
    use std::time::Duration;

    use criterion::{Criterion, Throughput};
    use faer::{Accum, MatMut, MatRef, Par};
    use ndarray::{Array2, ArrayView2};

    /// A product `[m, k] · [k, n]`; `a_t` / `b_t`: the operand is the transpose of a
    /// row-major matrix (as the gradients multiply by `Wᵀ`, `colsᵀ`).
    struct Shape {
        name: &'static str,
        m: usize,
        k: usize,
        n: usize,
        a_t: bool,
        b_t: bool,
    }

    const SHAPES: [Shape; 9] = [
        Shape {
            name: "conv1_forward_W.cols",
            m: 6,
            k: 25,
            n: 784,
            a_t: false,
            b_t: false,
        },
        Shape {
            name: "conv1_weight_grad_dY.colsT",
            m: 6,
            k: 784,
            n: 25,
            a_t: false,
            b_t: true,
        },
        Shape {
            name: "conv2_forward_W.cols",
            m: 16,
            k: 150,
            n: 100,
            a_t: false,
            b_t: false,
        },
        Shape {
            name: "conv2_weight_grad_dY.colsT",
            m: 16,
            k: 100,
            n: 150,
            a_t: false,
            b_t: true,
        },
        Shape {
            name: "conv2_input_grad_WT.dY",
            m: 150,
            k: 16,
            n: 100,
            a_t: true,
            b_t: false,
        },
        Shape {
            name: "fc1_forward_b64_x.WT",
            m: 64,
            k: 400,
            n: 120,
            a_t: false,
            b_t: true,
        },
        Shape {
            name: "fc1_weight_grad_dYT.x",
            m: 120,
            k: 64,
            n: 400,
            a_t: true,
            b_t: false,
        },
        Shape {
            name: "fc1_forward_b1_x.WT",
            m: 1,
            k: 400,
            n: 120,
            a_t: false,
            b_t: true,
        },
        Shape {
            name: "fc2_forward_b1_x.WT",
            m: 1,
            k: 120,
            n: 84,
            a_t: false,
            b_t: true,
        },
    ];

    /// `rows × cols` values, or the transpose of a `cols × rows` row-major matrix.
    fn operand(rows: usize, cols: usize, transposed: bool, seed: usize) -> Array2<f32> {
        let (r, c) = if transposed {
            (cols, rows)
        } else {
            (rows, cols)
        };
        Array2::from_shape_fn((r, c), |(i, j)| {
            ((i * 31 + j * 17 + seed) % 13) as f32 * 0.1 - 0.6
        })
    }

    fn view<'a>(a: &'a Array2<f32>, transposed: bool) -> ArrayView2<'a, f32> {
        if transposed { a.t() } else { a.view() }
    }

    fn faer_view<'a>(a: &'a Array2<f32>, transposed: bool) -> MatRef<'a, f32> {
        let (r, c) = a.dim();
        let m = MatRef::from_row_major_slice(a.as_slice().unwrap(), r, c);
        if transposed { m.transpose() } else { m }
    }

    pub fn product(c: &mut Criterion) {
        let mut g = c.benchmark_group("product");
        g.sample_size(20)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
        for s in SHAPES {
            let a = operand(s.m, s.k, s.a_t, 1);
            let b = operand(s.k, s.n, s.b_t, 2);
            let mut out = Array2::<f32>::zeros((s.m, s.n));
            g.throughput(Throughput::Elements((2 * s.m * s.k * s.n) as u64));
            g.bench_function(format!("matrixmultiply/{}", s.name), |bch| {
                bch.iter(|| {
                    ndarray::linalg::general_mat_mul(
                        1.0,
                        &view(black_box(&a), s.a_t),
                        &view(black_box(&b), s.b_t),
                        0.0,
                        &mut out,
                    );
                })
            });
            g.bench_function(format!("faer/{}", s.name), |bch| {
                bch.iter(|| {
                    let dst =
                        MatMut::from_row_major_slice_mut(out.as_slice_mut().unwrap(), s.m, s.n);
                    faer::linalg::matmul::matmul(
                        dst,
                        Accum::Replace,
                        faer_view(black_box(&a), s.a_t),
                        faer_view(black_box(&b), s.b_t),
                        1.0_f32,
                        Par::Seq,
                    );
                })
            });
        }
        g.finish();
    }
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_group!(benches, native::product);
#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
