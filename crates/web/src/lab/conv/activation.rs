//! The activation after the lab's convolution: the menu's choices and their formulas.

use convscope_core::Activation;
use serde::{Deserialize, Serialize};

/// The activation after the convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivationChoice {
    /// None.
    Identity,
    /// ReLU.
    Relu,
    /// Leaky ReLU, slope 0.1.
    LeakyRelu,
    /// Sigmoid (the lecture's).
    Sigmoid,
    /// tanh.
    Tanh,
}

impl ActivationChoice {
    /// Every choice, in menu order.
    pub const ALL: [ActivationChoice; 5] = [
        Self::Sigmoid,
        Self::Relu,
        Self::LeakyRelu,
        Self::Tanh,
        Self::Identity,
    ];
    /// The leaky ReLU slope shown (PyTorch's default 0.01 would be invisible on a plot).
    pub const LEAKY_SLOPE: f32 = 0.1;

    /// The core's activation.
    pub fn activation(self) -> Activation {
        match self {
            Self::Identity => Activation::Identity,
            Self::Relu => Activation::Relu,
            Self::LeakyRelu => Activation::LeakyRelu {
                slope: Self::LEAKY_SLOPE,
            },
            Self::Sigmoid => Activation::Sigmoid,
            Self::Tanh => Activation::Tanh,
        }
    }

    /// Short key.
    pub fn key(self) -> &'static str {
        match self {
            Self::Identity => "none",
            Self::Relu => "relu",
            Self::LeakyRelu => "leaky",
            Self::Sigmoid => "sigmoid",
            Self::Tanh => "tanh",
        }
    }

    /// Parses [`ActivationChoice::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key)
    }

    /// Menu label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Identity => "none (identity)",
            Self::Relu => "ReLU",
            Self::LeakyRelu => "leaky ReLU (0.1)",
            Self::Sigmoid => "sigmoid",
            Self::Tanh => "tanh",
        }
    }

    /// The formula, for the panel.
    pub fn formula(self) -> &'static str {
        match self {
            Self::Identity => "f(x) = x",
            Self::Relu => "ReLU(x) = max(0, x)",
            Self::LeakyRelu => "leaky(x) = x if x > 0 else 0.1·x",
            Self::Sigmoid => "sigmoid(x) = 1 / (1 + exp(−x))",
            Self::Tanh => "tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)",
        }
    }
}
