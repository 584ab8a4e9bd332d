//! The user's uploaded image in the convolution lab: grayscale bytes at the chosen size,
//! their text form for `localStorage` (so the upload survives a reload) and resampling to
//! another size when the file itself is gone (after a reload).

use std::rc::Rc;

/// Sizes offered for an uploaded image.
pub const UPLOAD_SIZES: [usize; 7] = [8, 12, 16, 28, 32, 48, 64];
/// The size an upload starts at.
pub const DEFAULT_UPLOAD_SIZE: usize = 28;
/// The `localStorage` key the upload is kept under.
pub const STORAGE_KEY: &str = "convscope.lab.upload";

/// An uploaded image, decoded and resized by the worker, quantised to bytes (what is shown
/// is exactly what is stored, so a reload shows the same numbers).
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// Width and height of the file.
    pub original: [u32; 2],
    /// Side of the square image.
    pub size: usize,
    /// `size²` grayscale bytes, row-major (value = byte / 255).
    pub pixels: Rc<Vec<u8>>,
}

impl Upload {
    /// An upload from the worker's decoded pixels in `[0, 1]`.
    ///
    /// # Errors
    /// When the pixel count is not `size²` or the size is not 1..=64.
    pub fn from_decoded(original: [u32; 2], size: usize, pixels: &[f32]) -> Result<Self, String> {
        if !(1..=64).contains(&size) || pixels.len() != size * size {
            return Err(format!(
                "the decoded image has {} pixels, expected {size}×{size}",
                pixels.len()
            ));
        }
        Ok(Self {
            original,
            size,
            pixels: Rc::new(
                pixels
                    .iter()
                    .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
                    .collect(),
            ),
        })
    }

    /// "uploaded 640×480 → 28×28".
    pub fn describe(&self) -> String {
        let [w, h] = self.original;
        format!("uploaded {w}×{h} → {0}×{0}", self.size)
    }

    /// The value of cell `[y, x]` in `[0, 1]`.
    pub fn value(&self, y: usize, x: usize) -> f32 {
        self.pixels
            .get(y * self.size + x)
            .map_or(0.0, |&b| f32::from(b) / 255.0)
    }

    /// The same image at side `n`, resampled by the core's
    /// [`convscope_core::preprocess::resize_square`] (the resampler the worker's decoder
    /// uses). For when the file's bytes are gone (after a reload); with the file at hand the
    /// page re-decodes it instead, which is sharper. A failure keeps the image as it is.
    pub fn resampled(&self, n: usize) -> Self {
        let n = n.clamp(1, 64);
        let side = self.size as u32;
        let gray = convscope_core::preprocess::GrayImage {
            width: side,
            height: side,
            pixels: (0..self.size * self.size)
                .map(|i| self.value(i / self.size.max(1), i % self.size.max(1)))
                .collect(),
        };
        convscope_core::preprocess::resize_square(&gray, n)
            .ok()
            .and_then(|px| Self::from_decoded(self.original, n, &px).ok())
            .unwrap_or_else(|| self.clone())
    }

    /// The text kept in `localStorage`: `v1;<w>x<h>;<size>;<hex bytes>`.
    pub fn to_storage(&self) -> String {
        let [w, h] = self.original;
        format!(
            "v1;{w}x{h};{};{}",
            self.size,
            super::hex::encode(&self.pixels)
        )
    }

    /// Parses [`Upload::to_storage`].
    ///
    /// # Errors
    /// A message saying which part is malformed.
    pub fn from_storage(text: &str) -> Result<Self, String> {
        let mut parts = text.split(';');
        let (Some("v1"), Some(dims), Some(size), Some(hex), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err("the stored upload is not in the v1 format".into());
        };
        let (w, h) = dims
            .split_once('x')
            .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
            .ok_or_else(|| format!("the stored upload's original size {dims:?} is malformed"))?;
        let size: usize = size
            .parse()
            .ok()
            .filter(|n| (1..=64).contains(n))
            .ok_or_else(|| format!("the stored upload's size {size:?} is not 1 to 64"))?;
        if hex.len() != 2 * size * size {
            return Err(format!(
                "the stored upload has {} hex digits, expected {}",
                hex.len(),
                2 * size * size
            ));
        }
        let pixels = super::hex::decode(hex)
            .map_err(|e| format!("the stored upload's pixels are not hex: {e}"))?;
        Ok(Self {
            original: [w, h],
            size,
            pixels: Rc::new(pixels),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    fn ramp(n: usize) -> Upload {
        let px: Vec<f32> = (0..n * n).map(|i| i as f32 / (n * n - 1) as f32).collect();
        Upload::from_decoded([640, 480], n, &px).expect("valid")
    }

    #[test]
    fn storage_round_trips_and_rejects_garbage() {
        let u = ramp(8);
        assert_eq!(u.describe(), "uploaded 640×480 → 8×8");
        assert_eq!(Upload::from_storage(&u.to_storage()), Ok(u.clone()));
        assert!(Upload::from_storage("").is_err());
        assert!(Upload::from_storage("v1;1x1;2;00").is_err_and(|e| e.contains("hex digits")));
        assert!(Upload::from_storage("v1;1x1;1;zz").is_err_and(|e| e.contains("hex")));
        assert!(Upload::from_storage("v1;1x1;65;00").is_err_and(|e| e.contains("1 to 64")));
        assert!(Upload::from_decoded([1, 1], 2, &[0.0]).is_err());
    }

    #[test]
    fn resampling_is_the_cores_and_keeps_the_original_size() {
        let u = Upload::from_decoded([4, 4], 2, &[0.0, 1.0, 1.0, 0.0]).expect("valid");
        let up = u.resampled(4);
        assert_eq!(up.size, 4);
        assert_eq!(up.pixels[..4], [0, 0, 255, 255], "enlarging is nearest");
        let down = ramp(4).resampled(2);
        assert_eq!(down.pixels.len(), 4);
        assert_eq!(down.original, [640, 480]);
        // Shrinking filters: the top-left cell lies between the ramp's darkest and its
        // top-left block's brightest (bytes 0, 17, 68, 85), the bottom-right above it.
        assert!((1..=85).contains(&down.pixels[0]), "{:?}", down.pixels);
        assert!(down.pixels[3] > down.pixels[0], "{:?}", down.pixels);
        assert_eq!(ramp(5).resampled(5), ramp(5));
    }
}
