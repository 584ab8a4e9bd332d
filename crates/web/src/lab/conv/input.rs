//! Where the convolution lab's input comes from.

use crate::lab::samples::Dataset;

/// Where the lab's input comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputSource {
    /// The lecture's 5×5 binary image.
    Lecture,
    /// The user's drawing on a small grid.
    Drawn,
    /// A built-in 8×8 RGB pattern (D1 = 3).
    Rgb,
    /// A dataset sample (MNIST or Fashion-MNIST), index into its sample set.
    Sample(Dataset, usize),
    /// The user's uploaded image ([`super::ConvSettings::upload`]; the lecture's image while
    /// there is none).
    Upload,
}

impl InputSource {
    /// Short key for the URL.
    pub fn key(self) -> String {
        match self {
            Self::Lecture => "lecture".into(),
            Self::Drawn => "draw".into(),
            Self::Rgb => "rgb".into(),
            Self::Sample(d, i) => format!("{}{}", d.key(), i),
            Self::Upload => "upload".into(),
        }
    }

    /// Parses [`InputSource::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "lecture" => Some(Self::Lecture),
            "draw" => Some(Self::Drawn),
            "rgb" => Some(Self::Rgb),
            "upload" => Some(Self::Upload),
            _ => Dataset::ALL.into_iter().find_map(|d| {
                let i = key.strip_prefix(d.key())?.parse().ok()?;
                (i < d.len()).then_some(Self::Sample(d, i))
            }),
        }
    }

    /// Human name.
    pub fn label(self) -> String {
        match self {
            Self::Lecture => "The lecture's 5×5 image".into(),
            Self::Drawn => "Your drawing".into(),
            Self::Rgb => "RGB pattern 8×8×3".into(),
            Self::Sample(d, i) => format!("{} sample: {}", d.name(), d.class_name(i)),
            Self::Upload => "Your image (upload)".into(),
        }
    }
}
