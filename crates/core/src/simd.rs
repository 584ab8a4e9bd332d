//! The widest SIMD the CPU has, for the core's own hot loops (2×2 pooling, the shifted
//! layout's col2im, Adam's update).
//!
//! Rust compiles for the target's baseline (SSE2 on x86-64), so without help those loops
//! run four lanes wide on a machine with AVX2 or AVX-512. [`widest`] runs a closure through
//! `pulp`'s runtime dispatch (the crate faer's kernels use; safe to call): natively on x86-64
//! the closure is compiled a second time with AVX2 and FMA enabled and that copy runs when
//! the CPU has them; on wasm (simd128 chosen at build time) and elsewhere it just runs.
//! Results do not change: Rust never fuses a multiply and an add on its own, so the wider
//! code computes the same IEEE operations in the same order per element.

/// Runs `f` compiled for the widest instruction set the CPU has (see the module doc).
/// Put the whole hot loop inside `f`: the speed-up comes from what the compiler can inline
/// into it.
#[inline(always)]
pub(crate) fn widest<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(not(target_arch = "wasm32"))]
    {
        pulp::Arch::new().dispatch(f)
    }
    #[cfg(target_arch = "wasm32")]
    {
        f()
    }
}
