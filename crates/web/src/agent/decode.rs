//! The image worker's requests: uploaded files decoded (PNG, JPEG, GIF, WebP, BMP, under the
//! core's limits) for the Convolution lab ([`decode`]) and the Classify page ([`prepare`]).
//!
//! The decoders are most of a worker's code (about 210 KB of its 490 KB gzipped), and a
//! visit needs them only when a file is uploaded: they live in a worker of their own
//! (`images.js`, [`answer`]), started by the first upload, and the core's worker that every
//! visit loads carries none.

use convscope_core::preprocess::{self, Style};
use serde::{Deserialize, Serialize};

use super::classify::{Prepared, stages};
use super::{CoreReply, CoreRequest};

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

/// Answers one request in the image worker: a decode or a preparation; any other kind is
/// the core's worker's ([`CoreReply::NotHere`]).
pub fn answer(request: CoreRequest) -> CoreReply {
    match request {
        CoreRequest::DecodeImage { bytes, size } => CoreReply::Decoded(decode(&bytes, size)),
        CoreRequest::Prepare { bytes, style } => {
            CoreReply::Prepared(prepare(&bytes, style).map(Box::new))
        }
        other => CoreReply::NotHere(format!(
            "the image worker does not answer {} requests",
            other.kind()
        )),
    }
}

/// Decodes `bytes` under the core's limits and resizes it to `size`×`size`.
///
/// # Errors
/// The core's message for an empty, unknown, oversized or corrupt file; a size outside
/// `1..=64`.
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

/// Decodes `bytes` and makes it a network input framed in `style`, with every stage
/// (`convscope_core::preprocess::preprocess`, as `convscope classify` does).
///
/// # Errors
/// The core's message for an empty, unknown, oversized, corrupt or blank image.
pub fn prepare(bytes: &[u8], style: Style) -> Result<Prepared, String> {
    let p = preprocess::preprocess(bytes, style).map_err(|e| e.to_string())?;
    let (input, stages) = stages(p, style);
    Ok(Prepared { input, stages })
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
        assert!(prepare(&[], Style::Digit).is_err_and(|e| e.contains("empty")));
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

    /// The image worker answers its two kinds and sends every other kind back.
    #[test]
    fn the_image_worker_answers_only_files() {
        let reply = answer(CoreRequest::DecodeImage {
            bytes: vec![],
            size: 8,
        });
        assert!(matches!(reply, CoreReply::Decoded(Err(e)) if e.contains("empty")));
        let reply = answer(CoreRequest::FilterNext { search: 0 });
        assert!(matches!(reply, CoreReply::NotHere(e) if e.contains("FilterNext")));
    }
}
