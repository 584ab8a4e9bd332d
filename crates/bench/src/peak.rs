//! The machine's simd128 peak for the convolution kernel's arithmetic, measured in wasm:
//! independent chains of `f32x4` multiply-then-add (two roundings, no FMA, as the
//! convolution's micro-kernel does). The benchmark page times [`mul_add_chains`] for each of
//! [`CHAIN_COUNTS`] and takes the fastest as the peak; LeNet conv2's GFLOP/s is reported as
//! a fraction of it.
//!
//! Why several counts: too few chains and their latency (a multiply then an add, about
//! 3 cycles each) sets the pace; too many and V8 runs out of registers. It keeps wasm's
//! `v128` values in x64's 16 xmm registers: 16 chains and the two constants do not fit, and
//! the spills cost up to a third (on a Zen 4 in Chromium 156, the best of 12 calls: 12
//! chains 48.6 GFLOP/s, 14 chains 51.2, 16 chains 43.2; in the bench's runs 16 chains gave
//! 28–31 and the fastest count 39–50). The bench measured 16 alone until 2026-12-03.

use core::arch::wasm32::{f32x4_add, f32x4_extract_lane, f32x4_mul, f32x4_splat, v128};

/// The chain counts timed; the peak is the fastest.
pub const CHAIN_COUNTS: [usize; 5] = [8, 10, 12, 14, 16];

/// Floating-point operations per iteration with `chains` chains: every chain does one
/// `f32x4` multiply and one `f32x4` add, four lanes each.
pub fn flops_per_iteration(chains: usize) -> f64 {
    (chains * 4 * 2) as f64
}

/// `acc ← acc·m + c` on `chains` vectors (one of [`CHAIN_COUNTS`], else `None`),
/// `iterations` times; returns a checksum (so the work cannot be optimised away).
pub fn mul_add_chains(chains: usize, iterations: u32) -> Option<f32> {
    Some(match chains {
        8 => chains_of::<8>(iterations),
        10 => chains_of::<10>(iterations),
        12 => chains_of::<12>(iterations),
        14 => chains_of::<14>(iterations),
        16 => chains_of::<16>(iterations),
        _ => return None,
    })
}

/// [`mul_add_chains`] with `N` chains. The values stay bounded (m < 1).
fn chains_of<const N: usize>(iterations: u32) -> f32 {
    let m = f32x4_splat(0.999_9);
    let c = f32x4_splat(1e-3);
    let mut acc: [v128; N] = core::array::from_fn(|i| f32x4_splat(i as f32));
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
