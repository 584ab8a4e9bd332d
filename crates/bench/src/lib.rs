//! convscope's LeNet-5 benchmark: the seeded [`Fixture`] every engine runs, the native timing
//! loops (`measure`, native only) behind `convscope bench`, the fixture as a safetensors file
//! ([`export`]) for the PyTorch peer, and the thin wasm binding (`web`) the benchmark page
//! calls. `cargo xtask bench` drives them all; see `BENCHMARKS.md` at the repository root.

pub mod export;
pub mod fixture;
#[cfg(not(target_arch = "wasm32"))]
pub mod measure;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod peak;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod web;

pub use fixture::{BenchError, Fixture, LEARNING_RATE, TRAIN_BATCH};
