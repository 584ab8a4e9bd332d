//! The Train page's preset networks, in the text form the visitor can then edit.

use convscope_core::arch::zoo;
use convscope_core::{Activation, PoolKind};

/// A preset: its key (for the menu), its label and its description's text form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    /// Menu key.
    pub key: &'static str,
    /// Menu label.
    pub label: &'static str,
    /// The text form.
    pub text: String,
}

/// The presets, first the default.
pub fn presets() -> Vec<Preset> {
    vec![
        Preset {
            key: "lenet5-relu",
            label: "LeNet-5 with ReLU and max pooling",
            text: zoo::lenet5().to_text(),
        },
        Preset {
            key: "lenet5-lecun",
            label: "LeNet-5 as LeCun had it (tanh, average pooling)",
            text: zoo::lenet5_with(Activation::Tanh, PoolKind::Average).to_text(),
        },
        Preset {
            key: "small-resnet",
            label: "A small batch-norm residual network",
            text: "input 28x28x1, conv 8 3x3 pad 1 nobias, bn, relu, \
                   basic(conv 8 3x3 pad 1 nobias, bn, relu, conv 8 3x3 pad 1 nobias, bn), \
                   maxpool 2, conv 16 3x3 pad 1 nobias, bn, relu, maxpool 2, flatten, linear 10"
                .to_owned(),
        },
        Preset {
            key: "one-conv",
            label: "A one-convolution toy",
            text: "input 28x28x1, conv 4 5x5, relu, maxpool 2, flatten, linear 10".to_owned(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use convscope_core::arch::Architecture;
    use convscope_core::nn::run::{Run, RunConfig};

    use super::*;

    #[test]
    fn every_preset_is_a_trainable_classifier() -> Result<(), String> {
        for p in presets() {
            let arch = Architecture::from_text(&p.text).map_err(|e| format!("{}: {e}", p.key))?;
            Run::new(&arch, RunConfig::default(), 100).map_err(|e| format!("{}: {e}", p.key))?;
        }
        Ok(())
    }
}
