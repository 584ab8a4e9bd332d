//! Pure state of the convolution and pooling labs: settings, actions, the inputs and
//! kernels they describe, URL-query persistence. No UI code: the pages
//! drive these types, and the numbers come from `convscope-core`.

pub mod classify;
pub mod conv;
pub mod hex;
pub mod images;
pub mod kernel;
pub mod lenet;
pub mod player;
pub mod pool;
pub mod samples;
pub mod upload;

pub use conv::{
    ActivationChoice, CALC_NAMES, CalcInputs, CalcResult, ConvAction, ConvLab, ConvSettings,
    InputSource, TransposedLab,
};
pub use convscope_core::colour::ColorScale;
pub use convscope_core::format::fmt_num;
pub use kernel::{Kernel, Preset};
pub use player::{Player, PlayerAction};
pub use pool::{PoolAction, PoolLab, PoolSettings, PoolSource};

use std::rc::Rc;

use ndarray::{Array3, Axis};

/// The maps of a `[C, H, W]` volume as row-major planes, shared cheaply with the canvases.
pub fn planes(a: &Array3<f32>) -> Vec<Rc<Vec<f32>>> {
    a.axis_iter(Axis(0))
        // A copy of the contiguous plane: element by element, this crate's size-optimised
        // iterator code took 1.6 ms for the lab's 2 × 16 maps of 86 × 86 (worker profile).
        .map(|p| {
            Rc::new(
                p.as_slice()
                    .map_or_else(|| p.iter().copied().collect(), <[f32]>::to_vec),
            )
        })
        .collect()
}
