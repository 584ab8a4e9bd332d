//! Pure state of the convolution and pooling labs: settings, actions, the inputs and
//! kernels they describe, URL-query persistence, and colour scales. No UI code: the pages
//! drive these types, and the numbers come from `convscope-core`.

pub mod conv;
pub mod player;
pub mod pool;
pub mod query;
pub mod samples;
pub mod scale;

pub use conv::{
    ActivationChoice, CALC_NAMES, CalcInputs, CalcResult, ConvAction, ConvLab, ConvSettings,
    InputSource, Kernel, Preset,
};
pub use player::{Player, PlayerAction};
pub use pool::{PoolAction, PoolLab, PoolSettings, PoolSource};
pub use scale::{ColorScale, fmt_num};
