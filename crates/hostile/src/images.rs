//! Hostile and odd image files.

use std::io::Cursor;

use convscope_core::data::samples::SampleSet;
use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::webp::WebPEncoder;
use image::{
    Delay, DynamicImage, Frame, GrayImage, ImageBuffer, ImageFormat, Luma, LumaA, Rgba, RgbaImage,
};
use jpeg_encoder::{ColorType, Encoder};

use crate::{Case, Expect, Kind, SplitMix, png_bytes, refused};

/// How many prefixes of each format's file the browser matrix uploads (evenly spaced; the
/// native matrix runs every prefix).
pub const BROWSER_PREFIXES: usize = 12;

/// The digit the phone-photo cases show (the first of its class in the MNIST gallery).
pub const PHOTO_DIGIT: u8 = 7;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// `img` encoded by the `image` crate as `format`.
fn encode(img: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, String> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).map_err(err)?;
    Ok(out.into_inner())
}

/// A JPEG by `jpeg-encoder` (which also writes CMYK, progressive and EXIF).
fn jpeg(
    data: &[u8],
    width: u16,
    height: u16,
    color: ColorType,
    progressive: bool,
    exif: Option<&[u8]>,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, 90);
    enc.set_progressive(progressive);
    if let Some(tiff) = exif {
        enc.add_exif_metadata(tiff).map_err(err)?;
    }
    enc.encode(data, width, height, color).map_err(err)?;
    Ok(out)
}

/// A TIFF block (big-endian) holding one tag: Orientation = `value`.
fn exif_orientation(value: u16) -> Vec<u8> {
    let mut t = b"MM\x00\x2a".to_vec();
    t.extend_from_slice(&8u32.to_be_bytes()); // first IFD
    t.extend_from_slice(&1u16.to_be_bytes()); // one entry
    t.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    t.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    t.extend_from_slice(&1u32.to_be_bytes()); // one value
    t.extend_from_slice(&value.to_be_bytes());
    t.extend_from_slice(&[0, 0]);
    t.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    t
}

/// A 16 × 16 gray picture with a bright diagonal stroke on a dark ground: the valid file
/// whose every prefix is tried.
fn small() -> GrayImage {
    ImageBuffer::from_fn(16, 16, |x, y| {
        let d = x.abs_diff(y);
        Luma([if d <= 1 { 230 } else { 20 }])
    })
}

/// A stroke drawn on a `width × height` light page (dark ink), for the odd valid images.
fn page(width: u32, height: u32) -> GrayImage {
    ImageBuffer::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let ink = (fx - 0.5).abs() < 0.08 && (0.15..0.85).contains(&fy);
        Luma([if ink { 25 } else { 235 }])
    })
}

/// The first gallery image of `digit`, scaled 4× as dark ink on a portrait page of white
/// paper (112 × 150, so a turned image has other dimensions), as a phone would photograph it.
fn photo(samples: &[u8], digit: u8) -> Result<GrayImage, String> {
    let set = SampleSet::from_safetensors(samples)?;
    let i = set
        .labels
        .iter()
        .position(|&l| l == digit)
        .ok_or(format!("the gallery has no {digit}"))?;
    let px = &set.images[i * 784..(i + 1) * 784];
    let small: GrayImage =
        ImageBuffer::from_fn(28, 28, |x, y| Luma([255 - px[(y * 28 + x) as usize]]));
    let digit = image::imageops::resize(&small, 112, 112, image::imageops::FilterType::Triangle);
    let mut page: GrayImage = ImageBuffer::from_pixel(112, 150, Luma([255]));
    image::imageops::replace(&mut page, &digit, 0, 19);
    Ok(page)
}

/// Every prefix (0 … len − 1 bytes) of `bytes`, as `format` cases.
fn prefixes(format: &str, ext: &str, bytes: &[u8]) -> Vec<Case> {
    let n = bytes.len();
    (0..n)
        .map(|len| {
            let mut c = Case::new(
                "prefix",
                &format!("prefix-{format}-{len:05}-of-{n}"),
                ext,
                Kind::Image,
                if len == 0 {
                    refused("empty")
                } else {
                    Expect::MessageOrResult
                },
                bytes[..len].to_vec(),
            );
            // Evenly spaced, the last (one byte short) always included.
            c.browser = len * BROWSER_PREFIXES / n != (len + 1) * BROWSER_PREFIXES / n;
            c
        })
        .collect()
}

/// Patches a big-endian `u16` at `at`.
fn put_u16_be(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

/// The image cases.
///
/// # Errors
/// When the gallery cannot be read or an encoder fails.
pub fn cases(samples: &[u8]) -> Result<Vec<Case>, String> {
    let mut out = Vec::new();
    let too_large = || refused("too large");
    let small = small();
    let small_dyn = DynamicImage::ImageLuma8(small.clone());
    let small_rgb = small_dyn.to_rgb8();

    // Valid files, one per format: their prefixes, and headers patched into bombs.
    let png = encode(&small_dyn, ImageFormat::Png)?;
    let jpg = jpeg(small.as_raw(), 16, 16, ColorType::Luma, false, None)?;
    let gif = encode(
        &DynamicImage::ImageRgba8(small_dyn.to_rgba8()),
        ImageFormat::Gif,
    )?;
    let mut webp = Vec::new();
    WebPEncoder::new_lossless(&mut webp)
        .encode(small_rgb.as_raw(), 16, 16, image::ExtendedColorType::Rgb8)
        .map_err(err)?;
    let bmp = encode(&small_dyn, ImageFormat::Bmp)?;
    for (format, ext, bytes) in [
        ("png", "png", &png),
        ("jpeg", "jpg", &jpg),
        ("gif", "gif", &gif),
        ("webp", "webp", &webp),
        ("bmp", "bmp", &bmp),
    ] {
        out.push(Case::new(
            "valid",
            &format!("valid-{format}"),
            ext,
            Kind::Image,
            Expect::Decodes {
                width: 16,
                height: 16,
            },
            bytes.clone(),
        ));
        out.extend(prefixes(format, ext, bytes));
    }

    // Decompression bombs: headers declaring 100,000 × 100,000 (JPEG and GIF store 16-bit
    // sizes: 65,535 × 65,535), and one really encoded 11,000 × 11,000 all-zero PNG.
    out.push(Case::new(
        "bomb",
        "bomb-png-100000x100000",
        "png",
        Kind::Image,
        too_large(),
        png_bytes::declared(100_000, 100_000, 64)?,
    ));
    out.push(Case::new(
        "bomb",
        "bomb-png-11000x11000-zeros",
        "png",
        Kind::Image,
        too_large(),
        png_bytes::zeros(11_000)?,
    ));
    out.push(Case::new(
        "bomb",
        "bomb-png-8192x8192-zeros",
        "png",
        Kind::Image,
        too_large(),
        png_bytes::zeros(8192)?,
    ));
    let mut j = jpg.clone();
    let sof = j
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .ok_or("no SOF0 in the JPEG")?;
    put_u16_be(&mut j, sof + 5, 65_535); // height
    put_u16_be(&mut j, sof + 7, 65_535); // width
    out.push(Case::new(
        "bomb",
        "bomb-jpeg-65535x65535",
        "jpg",
        Kind::Image,
        too_large(),
        j,
    ));
    let mut g = gif.clone();
    // Logical screen (bytes 6–9, little-endian) and the first image descriptor.
    g[6..8].copy_from_slice(&65_535u16.to_le_bytes());
    g[8..10].copy_from_slice(&65_535u16.to_le_bytes());
    if let Some(d) = g.iter().position(|&b| b == 0x2C) {
        g[d + 5..d + 7].copy_from_slice(&65_535u16.to_le_bytes());
        g[d + 7..d + 9].copy_from_slice(&65_535u16.to_le_bytes());
    }
    out.push(Case::new(
        "bomb",
        "bomb-gif-65535x65535",
        "gif",
        Kind::Image,
        too_large(),
        g,
    ));
    // WebP: an extended header (VP8X) whose canvas is 100,000 × 100,000 (24-bit sizes − 1)
    // before the small lossless bitstream.
    let vp8l = webp.get(12..).ok_or("short WebP")?;
    let mut x = b"VP8X".to_vec();
    x.extend_from_slice(&10u32.to_le_bytes());
    x.extend_from_slice(&[0, 0, 0, 0]);
    x.extend_from_slice(&(100_000u32 - 1).to_le_bytes()[..3]);
    x.extend_from_slice(&(100_000u32 - 1).to_le_bytes()[..3]);
    x.extend_from_slice(vp8l);
    let mut w = b"RIFF".to_vec();
    w.extend_from_slice(&(4 + x.len() as u32).to_le_bytes());
    w.extend_from_slice(b"WEBP");
    w.extend_from_slice(&x);
    out.push(Case::new(
        "bomb",
        "bomb-webp-100000x100000",
        "webp",
        Kind::Image,
        too_large(),
        w,
    ));
    // A lossless bitstream declaring its largest size, 16,384 × 16,384 (14-bit sizes − 1):
    // refused, as too large or as inconsistent (the decoder checks the bitstream against
    // its header before allocating).
    let mut w = webp.clone();
    let bits: u32 = 16_383 | (16_383 << 14) | (u32::from(w[24]) >> 4 << 28);
    w[21..25].copy_from_slice(&bits.to_le_bytes());
    out.push(Case::new(
        "bomb",
        "bomb-webp-16384x16384",
        "webp",
        Kind::Image,
        refused("the image is"),
        w,
    ));
    let mut b = bmp.clone();
    b[18..22].copy_from_slice(&100_000i32.to_le_bytes());
    b[22..26].copy_from_slice(&100_000i32.to_le_bytes());
    out.push(Case::new(
        "bomb",
        "bomb-bmp-100000x100000",
        "bmp",
        Kind::Image,
        too_large(),
        b,
    ));

    // Not images.
    out.push(Case::new(
        "junk",
        "empty",
        "png",
        Kind::Image,
        refused("empty"),
        Vec::new(),
    ));
    out.push(Case::new(
        "junk",
        "random-4096",
        "png",
        Kind::Image,
        refused("not an image"),
        SplitMix(13).bytes(4096),
    ));
    out.push(Case::new(
        "junk",
        "text-named-png",
        "png",
        Kind::Image,
        refused("not an image"),
        b"These are my notes, not a picture.\nconv 6 5x5, relu, maxpool 2\n".to_vec(),
    ));

    // Odd but valid images.
    let (pw, ph) = (40u32, 48u32);
    let pg = page(pw, ph);
    let decodes = Expect::Decodes {
        width: pw,
        height: ph,
    };
    let g16: ImageBuffer<Luma<u16>, Vec<u16>> = ImageBuffer::from_fn(pw, ph, |x, y| {
        Luma([u16::from(pg.get_pixel(x, y).0[0]) * 257])
    });
    out.push(Case::new(
        "odd",
        "png-16-bit-gray",
        "png",
        Kind::Image,
        decodes.clone(),
        encode(&DynamicImage::ImageLuma16(g16), ImageFormat::Png)?,
    ));
    // Gray + alpha: the ink opaque, the page transparent (composited over white).
    let la: ImageBuffer<LumaA<u8>, Vec<u8>> = ImageBuffer::from_fn(pw, ph, |x, y| {
        let v = pg.get_pixel(x, y).0[0];
        LumaA([v, if v < 128 { 255 } else { 0 }])
    });
    out.push(Case::new(
        "odd",
        "png-gray-alpha",
        "png",
        Kind::Image,
        decodes.clone(),
        encode(&DynamicImage::ImageLumaA8(la), ImageFormat::Png)?,
    ));
    out.push(Case::new(
        "odd",
        "png-palette",
        "png",
        Kind::Image,
        decodes.clone(),
        palette_png(&pg)?,
    ));
    // CMYK: ink as K on white paper (C = M = Y = 0).
    let cmyk: Vec<u8> = pg
        .as_raw()
        .iter()
        .flat_map(|&v| [0, 0, 0, 255 - v])
        .collect();
    out.push(Case::new(
        "odd",
        "jpeg-cmyk",
        "jpg",
        Kind::Image,
        decodes.clone(),
        jpeg(&cmyk, pw as u16, ph as u16, ColorType::Cmyk, false, None)?,
    ));
    let rgb = DynamicImage::ImageLuma8(pg.clone()).to_rgb8();
    out.push(Case::new(
        "odd",
        "jpeg-progressive",
        "jpg",
        Kind::Image,
        decodes.clone(),
        jpeg(
            rgb.as_raw(),
            pw as u16,
            ph as u16,
            ColorType::Rgb,
            true,
            None,
        )?,
    ));
    out.push(Case::new(
        "odd",
        "gif-animated",
        "gif",
        Kind::Image,
        decodes.clone(),
        animated_gif(&pg)?,
    ));
    out.push(Case::new(
        "odd",
        "png-1x1",
        "png",
        Kind::Image,
        Expect::Decodes {
            width: 1,
            height: 1,
        },
        encode(
            &DynamicImage::ImageLuma8(ImageBuffer::from_pixel(1, 1, Luma([0]))),
            ImageFormat::Png,
        )?,
    ));
    out.push(Case::new(
        "odd",
        "png-10000x10",
        "png",
        Kind::Image,
        Expect::Decodes {
            width: 10_000,
            height: 10,
        },
        encode(
            &DynamicImage::ImageLuma8(page(10_000, 10)),
            ImageFormat::Png,
        )?,
    ));

    // A phone photo of a digit taken sideways: the pixels stored turned 90° anticlockwise,
    // and EXIF Orientation 6 ("rotate 90° clockwise to view"); and the upright original.
    let upright = photo(samples, PHOTO_DIGIT)?;
    let (w, h) = upright.dimensions();
    let digit = Expect::Digit {
        width: w,
        height: h,
        digit: PHOTO_DIGIT,
    };
    let stored = image::imageops::rotate270(&upright);
    out.push(Case::new(
        "exif",
        "jpeg-exif-orientation-6",
        "jpg",
        Kind::Image,
        digit.clone(),
        jpeg(
            DynamicImage::ImageLuma8(stored).to_rgb8().as_raw(),
            h as u16,
            w as u16,
            ColorType::Rgb,
            false,
            Some(&exif_orientation(6)),
        )?,
    ));
    out.push(Case::new(
        "exif",
        "jpeg-upright",
        "jpg",
        Kind::Image,
        digit,
        jpeg(
            DynamicImage::ImageLuma8(upright).to_rgb8().as_raw(),
            w as u16,
            h as u16,
            ColorType::Rgb,
            false,
            None,
        )?,
    ));
    Ok(out)
}

/// An indexed-colour PNG (a 16-entry gray palette) of `g`, by the `png` crate.
fn palette_png(g: &GrayImage) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, g.width(), g.height());
    enc.set_color(png::ColorType::Indexed);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_palette((0..16u8).flat_map(|i| [i * 17; 3]).collect::<Vec<u8>>());
    let mut w = enc.write_header().map_err(err)?;
    let idx: Vec<u8> = g.as_raw().iter().map(|&v| v / 16).collect();
    w.write_image_data(&idx).map_err(err)?;
    w.finish().map_err(err)?;
    Ok(out)
}

/// Three frames of `g` (the stroke shifted), looping.
fn animated_gif(g: &GrayImage) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        enc.set_repeat(Repeat::Infinite).map_err(err)?;
        let frames = (0..3).map(|k| {
            let img: RgbaImage = ImageBuffer::from_fn(g.width(), g.height(), |x, y| {
                let v = g.get_pixel((x + k) % g.width(), y).0[0];
                Rgba([v, v, v, 255])
            });
            Frame::from_parts(img, 0, 0, Delay::from_numer_denom_ms(200, 1))
        });
        enc.encode_frames(frames).map_err(err)?;
    }
    Ok(out)
}
