//! Number formatting for the architectures page: the core's formatters.

pub use convscope_core::format::{compact, fraction, percent, thousands};
