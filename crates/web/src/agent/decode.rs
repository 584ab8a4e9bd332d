//! Decoding an uploaded image for the convolution lab: grayscale at a size the user picks.

use convscope_core::preprocess;
use serde::{Deserialize, Serialize};

/// Largest side the lab accepts for an uploaded image.
pub const MAX_LAB_SIDE: usize = 64;

/// A decoded image resized for the lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decoded {
    /// Width and height of the file.
    pub original: [u32; 2],
    /// Side of the resized square image.
    pub size: usize,
    /// `size · size` grayscale values in `[0, 1]`, row-major.
    #[serde(with = "crate::wire::floats")]
    pub pixels: Vec<f32>,
}

/// Decodes `bytes` under the core's limits and resizes it to `size`×`size`.
///
/// # Errors
/// The core's message for an empty, unknown, oversized or corrupt file; a size outside
/// `1..=64`.
#[inline(never)] // compiled on its first call only: see `agent::answer`
pub fn decode(bytes: &[u8], size: usize) -> Result<Decoded, String> {
    if !(1..=MAX_LAB_SIDE).contains(&size) {
        return Err(format!(
            "the lab's image size must be 1 to {MAX_LAB_SIDE} pixels, got {size}"
        ));
    }
    let gray = preprocess::decode_gray(bytes).map_err(|e| e.to_string())?;
    let original = [gray.width, gray.height];
    let pixels = preprocess::resize_square(&gray, size).map_err(|e| e.to_string())?;
    Ok(Decoded {
        original,
        size,
        pixels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use convscope_core::preprocess::GrayImage;

    #[test]
    fn refuses_bad_sizes_and_files() {
        assert!(decode(&[1, 2, 3], 0).is_err_and(|e| e.contains("1 to 64")));
        assert!(decode(&[], 8).is_err_and(|e| e.contains("empty")));
        assert!(decode(b"GIF89a garbage", 8).is_err());
    }

    #[test]
    fn a_png_is_resized() -> Result<(), String> {
        let png = preprocess::encode_png_gray(&GrayImage {
            width: 40,
            height: 20,
            pixels: (0..800).map(|i| (i % 40) as f32 / 39.0).collect(),
        })
        .map_err(|e| e.to_string())?;
        let d = decode(&png, 10)?;
        assert_eq!(d.original, [40, 20]);
        assert_eq!(d.pixels.len(), 100);
        Ok(())
    }
}
