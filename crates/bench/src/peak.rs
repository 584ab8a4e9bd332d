//! The machine's simd128 peak for the convolution kernel's arithmetic, measured in wasm:
//! independent chains of `f32x4` multiply-then-add (two roundings, no FMA, as the
//! convolution's micro-kernel does), enough of them that the CPU's vector units, not the
//! chains' latency, set the pace. The benchmark page times [`mul_add_chains`] and reports
//! LeNet conv2's GFLOP/s as a fraction of this.

use core::arch::wasm32::{f32x4_add, f32x4_extract_lane, f32x4_mul, f32x4_splat, v128};

/// Independent accumulators: covers the multiply's and the add's latency (about 3 cycles
/// each) at two multiplies and two adds per cycle.
pub const CHAINS: usize = 16;
/// Floating-point operations per iteration: every chain does one `f32x4` multiply and one
/// `f32x4` add, four lanes each.
pub const FLOPS_PER_ITERATION: f64 = (CHAINS * 4 * 2) as f64;

/// `acc ← acc·m + c` on [`CHAINS`] vectors, `iterations` times; returns a checksum (so the
/// work cannot be optimised away). The values stay bounded (m < 1).
pub fn mul_add_chains(iterations: u32) -> f32 {
    let m = f32x4_splat(0.999_9);
    let c = f32x4_splat(1e-3);
    let mut acc: [v128; CHAINS] = core::array::from_fn(|i| f32x4_splat(i as f32));
    for _ in 0..iterations {
        for a in &mut acc {
            *a = f32x4_add(f32x4_mul(*a, m), c);
        }
    }
    acc.iter()
        .map(|&v| {
            f32x4_extract_lane::<0>(v)
                + f32x4_extract_lane::<1>(v)
                + f32x4_extract_lane::<2>(v)
                + f32x4_extract_lane::<3>(v)
        })
        .sum()
}
