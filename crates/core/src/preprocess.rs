//! Turning a user's image into the 28×28 input LeNet-5 expects, as MNIST was made.
//!
//! 1. Decode (PNG, JPEG, GIF, WebP, BMP) under [`image::Limits`]: width and height at most
//!    [`MAX_SIDE`], at most [`MAX_PIXELS`] pixels, decoder allocations at most [`MAX_ALLOC`]
//!    — a decompression bomb is an error, not an out-of-memory abort. A JPEG's EXIF
//!    orientation is applied (a phone photo taken sideways comes out upright).
//! 2. Grayscale in `[0, 1]`; transparent pixels are composited over white.
//! 3. Invert when the background is light: the mean of the border pixels decides
//!    (MNIST is white ink on black).
//! 4. Subtract the background level and stretch the ink to a maximum of 1.
//! 5. Crop to the ink's bounding box (pixels above [`INK_THRESHOLD`]).
//! 6. [`Style::Digit`]: scale the box so its longer side is 20 px (aspect kept) and place it
//!    in a 28×28 frame so its centre of mass sits at the centre (LeCun's MNIST recipe).
//!    [`Style::Object`] (Fashion-MNIST): scale the box so its longer side is 28 px and
//!    centre it on black.
//!
//! [`preprocess`] returns the input and every intermediate image for display; the web
//! drawing pad can skip decoding with [`preprocess_luma`].

use std::io::Cursor;

use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageBuffer, ImageDecoder, ImageError, ImageReader, Limits, Luma};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::data::{DatasetKind, IMAGE_PIXELS, IMAGE_SIZE};
use crate::order::sort_floats;

/// Largest accepted width or height (a 10,000 × 10 strip is fine; its area is what counts).
pub const MAX_SIDE: u32 = 16_384;
/// Largest accepted number of pixels (16 Mi: a 12-megapixel phone photo fits). The decoded
/// grayscale takes 4 bytes a pixel on top of the decoder's buffer, so this bounds what an
/// upload costs the browser's wasm memory (an 8192 × 8192 PNG of zeros is 70 KB but would
/// need a gigabyte on the way).
pub const MAX_PIXELS: u64 = 1 << 24;
/// Largest decoder allocation in bytes (64 MiB).
pub const MAX_ALLOC: u64 = 64 * 1024 * 1024;
/// A pixel counts as ink above this value (after background removal).
pub const INK_THRESHOLD: f32 = 0.1;
/// Longest side of the intermediate images kept for display.
pub const STAGE_MAX_SIDE: u32 = 256;
/// Largest side [`resize_square`] produces: 4096² values are 64 MiB of `f32` (the
/// Convolution lab asks for at most 64).
pub const MAX_RESIZE_SIDE: usize = 4096;
/// The box a digit's ink is scaled to fit, as MNIST's were (20×20 inside the 28×28 frame).
pub const DIGIT_BOX: usize = 20;

/// How the object is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Style {
    /// MNIST: fit into 20×20, centre of mass at the centre of 28×28.
    Digit,
    /// Fashion-MNIST: fit into 28×28, centred, on black.
    Object,
}

impl Style {
    /// How an image is framed for a model trained on `dataset`: Fashion-MNIST an object,
    /// anything else (MNIST, or a model that does not say) a digit.
    pub fn for_dataset(dataset: Option<DatasetKind>) -> Self {
        match dataset {
            Some(DatasetKind::Fashion) => Self::Object,
            _ => Self::Digit,
        }
    }
}

/// Why an image cannot be prepared.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PreprocessError {
    /// No bytes.
    #[error("the file is empty")]
    Empty,
    /// Not a recognised image format.
    #[error(
        "not an image: the format is not recognised (PNG, JPEG, GIF, WebP and BMP are supported)"
    )]
    NotAnImage,
    /// Larger than the limits.
    #[error(
        "the image is too large ({message}); at most {MAX_SIDE} pixels a side, {MAX_PIXELS} pixels in all and 64 MiB decoded are accepted"
    )]
    TooLarge { message: String },
    /// The decoder failed (corrupt or truncated data).
    #[error("the image is corrupt or truncated: {message}")]
    Corrupt { message: String },
    /// A valid but unsupported variant of a format.
    #[error("unsupported image: {message}")]
    Unsupported { message: String },
    /// Zero width or height.
    #[error("the image has no pixels ({width}×{height})")]
    NoPixels { width: u32, height: u32 },
    /// Pixel buffer of the wrong length (`expected` is `width · height`, computed in 64 bits
    /// so it cannot overflow on 32-bit wasm).
    #[error("{width}×{height} pixels need {expected} values but {got} were given")]
    Length {
        width: u32,
        height: u32,
        got: usize,
        expected: u64,
    },
    /// A resize target above [`MAX_RESIZE_SIDE`].
    #[error("cannot resize to {size}×{size} pixels; at most {max}×{max} are produced")]
    TargetTooLarge { size: usize, max: usize },
    /// Nothing stands out from the background.
    #[error("the image is blank: no ink stands out from the background")]
    Blank,
}

/// A grayscale image in `[0, 1]`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct GrayImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width · height` values.
    pub pixels: Vec<f32>,
}

/// The result of [`preprocess`].
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocessed {
    /// The network input: 28×28 values in `[0, 1]`, row-major, white ink on black.
    pub input: Vec<f32>,
    /// Grayscale as decoded (downscaled to at most 256 px for display).
    pub grayscale: GrayImage,
    /// Whether the colours were inverted (light background detected).
    pub inverted: bool,
    /// After inversion and background removal (display size).
    pub cleaned: GrayImage,
    /// The ink's bounding box `[x0, y0, x1, y1)` in the original pixels.
    pub bounding_box: [u32; 4],
    /// The cropped ink (display size).
    pub cropped: GrayImage,
    /// The ink scaled to fit (at most 20×20 for digits, 28×28 for objects).
    pub scaled: GrayImage,
}

type Buf = ImageBuffer<Luma<f32>, Vec<f32>>;

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_ALLOC);
    l
}

fn map_error(e: ImageError) -> PreprocessError {
    match e {
        ImageError::Limits(l) => PreprocessError::TooLarge {
            message: l.to_string(),
        },
        ImageError::Unsupported(u) => PreprocessError::Unsupported {
            message: u.to_string(),
        },
        ImageError::Decoding(d) => PreprocessError::Corrupt {
            message: d.to_string(),
        },
        ImageError::IoError(io) => PreprocessError::Corrupt {
            message: io.to_string(),
        },
        other => PreprocessError::Corrupt {
            message: other.to_string(),
        },
    }
}

/// Decodes `bytes` to grayscale in `[0, 1]` under the limits (transparency over white).
///
/// # Errors
/// [`PreprocessError::Empty`], [`PreprocessError::NotAnImage`], [`PreprocessError::TooLarge`],
/// [`PreprocessError::Corrupt`], [`PreprocessError::Unsupported`].
pub fn decode_gray(bytes: &[u8]) -> Result<GrayImage, PreprocessError> {
    if bytes.is_empty() {
        return Err(PreprocessError::Empty);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PreprocessError::Corrupt {
            message: e.to_string(),
        })?;
    if reader.format().is_none() {
        return Err(PreprocessError::NotAnImage);
    }
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(map_error)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(PreprocessError::TooLarge {
            message: format!("{w}×{h} is {} pixels", u64::from(w) * u64::from(h)),
        });
    }
    // What `ImageReader::decode` checks: the decoded buffer itself is within the limit.
    let total = decoder.total_bytes();
    if total > MAX_ALLOC {
        return Err(PreprocessError::TooLarge {
            message: format!("{w}×{h} decodes to {total} bytes"),
        });
    }
    // EXIF orientation (JPEG, PNG and WebP can carry it); unreadable metadata is ignored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(map_error)?;
    img.apply_orientation(orientation);
    let la = img.to_luma_alpha32f();
    let (width, height) = la.dimensions();
    let pixels = la
        .pixels()
        .map(|p| p.0[1] * p.0[0] + (1.0 - p.0[1]))
        .map(|v| v.clamp(0.0, 1.0))
        .collect();
    Ok(GrayImage {
        width,
        height,
        pixels,
    })
}

/// Decodes and prepares an image file.
///
/// # Errors
/// As [`decode_gray`] and [`preprocess_luma`].
pub fn preprocess(bytes: &[u8], style: Style) -> Result<Preprocessed, PreprocessError> {
    let gray = decode_gray(bytes)?;
    preprocess_luma(gray, style)
}

/// Refuses an image with no pixels, a side above [`MAX_SIDE`] (what decoding accepts; a
/// caller may build a [`GrayImage`] of any size) or a pixel buffer that is not
/// `width · height` long. The product is taken in `u64`: `u32 · u32` cannot overflow it,
/// where a 32-bit `usize` (wasm) would.
fn check_gray(g: &GrayImage) -> Result<(), PreprocessError> {
    let (width, height) = (g.width, g.height);
    if width == 0 || height == 0 {
        return Err(PreprocessError::NoPixels { width, height });
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(PreprocessError::TooLarge {
            message: format!("{width}×{height} pixels"),
        });
    }
    let expected = u64::from(width) * u64::from(height);
    if g.pixels.len() as u64 != expected {
        return Err(PreprocessError::Length {
            width,
            height,
            got: g.pixels.len(),
            expected,
        });
    }
    Ok(())
}

/// The image as an `image` buffer, after [`check_gray`].
fn to_buf(g: &GrayImage) -> Result<Buf, PreprocessError> {
    check_gray(g)?;
    ImageBuffer::from_raw(g.width, g.height, g.pixels.clone()).ok_or(PreprocessError::Length {
        width: g.width,
        height: g.height,
        got: g.pixels.len(),
        expected: u64::from(g.width) * u64::from(g.height),
    })
}

fn from_buf(b: &Buf) -> GrayImage {
    GrayImage {
        width: b.width(),
        height: b.height(),
        pixels: b.as_raw().clone(),
    }
}

/// A copy scaled down (never up) so the longer side is at most `max`.
fn display(b: &Buf, max: u32) -> GrayImage {
    let (w, h) = b.dimensions();
    if w.max(h) <= max {
        return from_buf(b);
    }
    let s = f64::from(max) / f64::from(w.max(h));
    let nw = ((f64::from(w) * s).round() as u32).max(1);
    let nh = ((f64::from(h) * s).round() as u32).max(1);
    from_buf(&image::imageops::resize(b, nw, nh, FilterType::Triangle))
}

/// Prepares an already decoded grayscale image (values in `[0, 1]`, any background).
///
/// # Errors
/// [`PreprocessError::NoPixels`], [`PreprocessError::TooLarge`] for a side above
/// [`MAX_SIDE`], [`PreprocessError::Length`], [`PreprocessError::Blank`].
pub fn preprocess_luma(gray: GrayImage, style: Style) -> Result<Preprocessed, PreprocessError> {
    let (w, h) = (gray.width, gray.height);
    let buf = to_buf(&gray)?;
    let (wu, hu) = (w as usize, h as usize);
    // Border mean decides the background.
    let px = &gray.pixels;
    let mut border = Vec::with_capacity(2 * (wu + hu));
    for x in 0..wu {
        border.push(px[x]);
        border.push(px[(hu - 1) * wu + x]);
    }
    for y in 0..hu {
        border.push(px[y * wu]);
        border.push(px[y * wu + wu - 1]);
    }
    let mean = border
        .iter()
        .map(|&v| f64::from(v.clamp(0.0, 1.0)))
        .sum::<f64>()
        / border.len() as f64;
    let inverted = mean > 0.5;
    let flip = |v: f32| {
        if inverted {
            1.0 - v.clamp(0.0, 1.0)
        } else {
            v.clamp(0.0, 1.0)
        }
    };
    // Background level: the median of the (possibly inverted) border.
    let mut b: Vec<f32> = border.iter().map(|&v| flip(v)).collect();
    sort_floats(&mut b);
    let bg = b[b.len() / 2];
    let range = (1.0 - bg).max(1e-6);
    let mut cleaned: Vec<f32> = px
        .iter()
        .map(|&v| ((flip(v) - bg) / range).max(0.0))
        .collect();
    let peak = cleaned.iter().copied().fold(0.0f32, f32::max);
    if peak < INK_THRESHOLD || !peak.is_finite() {
        return Err(PreprocessError::Blank);
    }
    cleaned.iter_mut().for_each(|v| *v /= peak);
    // Bounding box of the ink.
    let (mut x0, mut y0, mut x1, mut y1) = (wu, hu, 0, 0);
    for (i, &v) in cleaned.iter().enumerate() {
        if v > INK_THRESHOLD {
            let (x, y) = (i % wu, i / wu);
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x + 1);
            y1 = y1.max(y + 1);
        }
    }
    if x1 <= x0 || y1 <= y0 {
        return Err(PreprocessError::Blank);
    }
    let cleaned_buf: Buf = ImageBuffer::from_raw(w, h, cleaned).ok_or(PreprocessError::Blank)?;
    let (cw, ch) = ((x1 - x0) as u32, (y1 - y0) as u32);
    let cropped = image::imageops::crop_imm(&cleaned_buf, x0 as u32, y0 as u32, cw, ch).to_image();
    // Fit the longer side into `fit` pixels.
    let fit = match style {
        Style::Digit => DIGIT_BOX as f64,
        Style::Object => IMAGE_SIZE as f64,
    };
    let s = fit / f64::from(cw.max(ch));
    let sw = ((f64::from(cw) * s).round() as u32).clamp(1, fit as u32);
    let sh = ((f64::from(ch) * s).round() as u32).clamp(1, fit as u32);
    let scaled = image::imageops::resize(&cropped, sw, sh, FilterType::Triangle);
    let (sw, sh) = (sw as usize, sh as usize);
    let sp = scaled.as_raw();
    // Placement of the scaled box's top-left corner in the 28×28 frame.
    let (ox, oy) = match style {
        Style::Digit => {
            let mass: f64 = sp.iter().map(|&v| f64::from(v)).sum();
            let (mut cx, mut cy) = (0.0, 0.0);
            for (i, &v) in sp.iter().enumerate() {
                cx += f64::from(v) * ((i % sw) as f64 + 0.5);
                cy += f64::from(v) * ((i / sw) as f64 + 0.5);
            }
            let (cx, cy) = if mass > 0.0 {
                (cx / mass, cy / mass)
            } else {
                (sw as f64 / 2.0, sh as f64 / 2.0)
            };
            let half = IMAGE_SIZE as f64 / 2.0;
            let place = |c: f64, len: usize| {
                ((half - c).round() as i64).clamp(0, (IMAGE_SIZE - len) as i64) as usize
            };
            (place(cx, sw), place(cy, sh))
        }
        Style::Object => ((IMAGE_SIZE - sw) / 2, (IMAGE_SIZE - sh) / 2),
    };
    let mut input = vec![0.0f32; IMAGE_PIXELS];
    for y in 0..sh {
        for x in 0..sw {
            input[(oy + y) * IMAGE_SIZE + ox + x] = sp[y * sw + x].clamp(0.0, 1.0);
        }
    }
    Ok(Preprocessed {
        input,
        grayscale: display(&buf, STAGE_MAX_SIDE),
        inverted,
        cleaned: display(&cleaned_buf, STAGE_MAX_SIDE),
        bounding_box: [x0 as u32, y0 as u32, x1 as u32, y1 as u32],
        cropped: display(&cropped, STAGE_MAX_SIDE),
        scaled: from_buf(&scaled),
    })
}

/// A `from`×`from` grid resampled to `to`×`to`, each cell taking the nearest one: cell
/// `(y, x)` reads `(y·from/to, x·from/to)`. How the convolution lab's drawing keeps its
/// strokes when its grid grows or shrinks. Cells missing from a short `grid` read as
/// `T::default()`.
#[must_use]
pub fn resize_nearest<T: Copy + Default>(grid: &[T], from: usize, to: usize) -> Vec<T> {
    (0..to * to)
        .map(|i| {
            let (y, x) = (i / to * from / to, i % to * from / to);
            grid.get(y * from + x).copied().unwrap_or_default()
        })
        .collect()
}

/// `gray` resized to `size`×`size`: the longer side fits, the aspect is kept, and the rest
/// is filled with the median of the border (the background). For the convolution lab's
/// uploads, which keep the image as it is (no inversion or cropping).
///
/// # Errors
/// [`PreprocessError::NoPixels`] for an empty image or `size` 0,
/// [`PreprocessError::TargetTooLarge`] for `size` above [`MAX_RESIZE_SIDE`],
/// [`PreprocessError::TooLarge`] for a side above [`MAX_SIDE`], [`PreprocessError::Length`].
pub fn resize_square(gray: &GrayImage, size: usize) -> Result<Vec<f32>, PreprocessError> {
    let (w, h) = (gray.width, gray.height);
    if size == 0 {
        return Err(PreprocessError::NoPixels {
            width: w,
            height: h,
        });
    }
    if size > MAX_RESIZE_SIDE {
        return Err(PreprocessError::TargetTooLarge {
            size,
            max: MAX_RESIZE_SIDE,
        });
    }
    let buf = to_buf(gray)?;
    let (wu, hu) = (w as usize, h as usize);
    let px = &gray.pixels;
    let mut border: Vec<f32> = (0..wu)
        .flat_map(|x| [px[x], px[(hu - 1) * wu + x]])
        .chain((0..hu).flat_map(|y| [px[y * wu], px[y * wu + wu - 1]]))
        .collect();
    sort_floats(&mut border);
    let background = border[border.len() / 2];
    let s = size as f64 / f64::from(w.max(h));
    let nw = ((f64::from(w) * s).round() as usize).clamp(1, size);
    let nh = ((f64::from(h) * s).round() as usize).clamp(1, size);
    let filter = if nw < wu {
        FilterType::Triangle
    } else {
        FilterType::Nearest
    };
    let scaled = image::imageops::resize(&buf, nw as u32, nh as u32, filter);
    let (ox, oy) = ((size - nw) / 2, (size - nh) / 2);
    let mut out = vec![background; size * size];
    for (y, row) in scaled.as_raw().chunks_exact(nw).enumerate() {
        for (x, &v) in row.iter().enumerate() {
            out[(oy + y) * size + ox + x] = v.clamp(0.0, 1.0);
        }
    }
    Ok(out)
}

/// Encodes a grayscale image as an 8-bit PNG (for tests and the CLI's exports).
///
/// # Errors
/// [`PreprocessError::Length`] for a buffer of the wrong length; the encoder's message.
pub fn encode_png_gray(gray: &GrayImage) -> Result<Vec<u8>, PreprocessError> {
    use image::ImageEncoder;
    let expected = u64::from(gray.width) * u64::from(gray.height);
    if gray.pixels.len() as u64 != expected {
        return Err(PreprocessError::Length {
            width: gray.width,
            height: gray.height,
            got: gray.pixels.len(),
            expected,
        });
    }
    let bytes: Vec<u8> = gray
        .pixels
        .iter()
        .map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect();
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            &bytes,
            gray.width,
            gray.height,
            image::ExtendedColorType::L8,
        )
        .map_err(map_error)?;
    Ok(out)
}
