//! The volume a layer consumes or produces: height × width × depth.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// An activation volume `[h, w, c]` (height, width, channels) for one image.
///
/// Serialised as the array `[h, w, c]`. Displays as the lecture writes it, `55x55x96`.
/// A fully connected layer's output is `1×1×K`, which a shape alone does not tell apart from
/// a `1×1` map of `K` channels: callers that want the lecture's `[4096]` decide by layer kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "[usize; 3]", into = "[usize; 3]")]
pub struct Volume {
    /// Height H.
    pub h: usize,
    /// Width W.
    pub w: usize,
    /// Depth (channels) C.
    pub c: usize,
}

impl Volume {
    /// A volume of height `h`, width `w` and depth `c`.
    #[must_use]
    pub const fn new(h: usize, w: usize, c: usize) -> Self {
        Self { h, w, c }
    }

    /// `true` when any side is zero.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.h == 0 || self.w == 0 || self.c == 0
    }

    /// `h·w·c`, or `None` if it overflows `usize`.
    #[must_use]
    pub fn elements(&self) -> Option<usize> {
        self.h.checked_mul(self.w)?.checked_mul(self.c)
    }
}

impl From<[usize; 3]> for Volume {
    fn from([h, w, c]: [usize; 3]) -> Self {
        Self { h, w, c }
    }
}

impl From<Volume> for [usize; 3] {
    fn from(v: Volume) -> Self {
        [v.h, v.w, v.c]
    }
}

impl fmt::Display for Volume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}x{}", self.h, self.w, self.c)
    }
}

/// Why a string is not a volume such as `227x227x3`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VolumeParseError {
    /// Not three parts separated by `x`.
    #[error("expected HxWxC such as 227x227x3, got \"{input}\"")]
    Format {
        /// The string given.
        input: String,
    },
    /// A part is not a whole number that fits in `usize`.
    #[error("\"{part}\" in \"{input}\" is not a whole number (expected HxWxC such as 227x227x3)")]
    Number {
        /// The string given.
        input: String,
        /// The part that failed to parse.
        part: String,
    },
}

impl FromStr for Volume {
    type Err = VolumeParseError;

    /// Parses `HxWxC`; `x`, `X` and `×` all separate, spaces around parts are ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(['x', 'X', '×']).map(str::trim).collect();
        let [h, w, c] = parts.as_slice() else {
            return Err(VolumeParseError::Format {
                input: s.to_owned(),
            });
        };
        let number = |part: &str| {
            part.parse::<usize>().map_err(|_| VolumeParseError::Number {
                input: s.to_owned(),
                part: part.to_owned(),
            })
        };
        Ok(Self::new(number(h)?, number(w)?, number(c)?))
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn parses_the_lecture_input() {
        assert_eq!("227x227x3".parse(), Ok(Volume::new(227, 227, 3)));
        assert_eq!(" 28 × 28 × 1 ".parse(), Ok(Volume::new(28, 28, 1)));
    }

    #[test]
    fn rejects_malformed_strings() {
        for bad in [
            "",
            "227",
            "227x227",
            "227x227x3x1",
            "axbxc",
            "-1x2x3",
            "1.5x2x3",
            "x1x1",
        ] {
            assert!(bad.parse::<Volume>().is_err(), "{bad:?} parsed");
        }
        let huge = "99999999999999999999999x1x1".parse::<Volume>();
        assert!(matches!(huge, Err(VolumeParseError::Number { .. })));
    }

    #[test]
    fn serialises_as_an_array() -> Result<(), serde_json::Error> {
        let v = Volume::new(55, 55, 96);
        assert_eq!(serde_json::to_string(&v)?, "[55,55,96]");
        assert_eq!(serde_json::from_str::<Volume>("[55,55,96]")?, v);
        assert_eq!(v.to_string(), "55x55x96");
        Ok(())
    }
}
