//! Preprocessing of user images: images encoded in the test, and hostile inputs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::io::Cursor;

use convscope_core::nn::Rng;
use convscope_core::preprocess::{GrayImage, PreprocessError, Style, preprocess, preprocess_luma};
use image::{DynamicImage, ImageFormat, Luma, LumaA};

fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

/// A 200×120 white page with a black vertical bar (x 40..60, y 20..100): a "1".
fn page_with_bar() -> DynamicImage {
    DynamicImage::ImageLuma8(image::GrayImage::from_fn(200, 120, |x, y| {
        if (40..60).contains(&x) && (20..100).contains(&y) {
            Luma([0])
        } else {
            Luma([255])
        }
    }))
}

fn centre_of_mass(input: &[f32]) -> (f64, f64) {
    let (mut m, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for (i, &v) in input.iter().enumerate() {
        let v = f64::from(v);
        m += v;
        cx += v * ((i % 28) as f64 + 0.5);
        cy += v * ((i / 28) as f64 + 0.5);
    }
    (cx / m, cy / m)
}

fn ink_box(input: &[f32]) -> (usize, usize) {
    let rows = (0..28)
        .filter(|y| (0..28).any(|x| input[y * 28 + x] > 0.1))
        .count();
    let cols = (0..28)
        .filter(|x| (0..28).any(|y| input[y * 28 + x] > 0.1))
        .count();
    (cols, rows)
}

#[test]
fn digit_on_white_page_is_inverted_cropped_fitted_and_centred() {
    let p = preprocess(&encode(page_with_bar(), ImageFormat::Png), Style::Digit).unwrap();
    assert!(p.inverted);
    assert_eq!(p.bounding_box, [40, 20, 60, 100]);
    assert_eq!(p.input.len(), 784);
    assert!(p.input.iter().all(|v| (0.0..=1.0).contains(v)));
    // 20×80 ink → 5×20 box.
    assert_eq!((p.scaled.width, p.scaled.height), (5, 20));
    let (cols, rows) = ink_box(&p.input);
    assert!((19..=20).contains(&rows), "{rows}");
    assert!(cols <= 6, "{cols}");
    let (cx, cy) = centre_of_mass(&p.input);
    assert!(
        (cx - 14.0).abs() <= 1.0 && (cy - 14.0).abs() <= 1.0,
        "{cx} {cy}"
    );
    // The corners are background.
    assert_eq!(p.input[0], 0.0);
    assert_eq!(p.input[783], 0.0);
    // Display stages are capped at 256 px.
    assert_eq!((p.grayscale.width, p.grayscale.height), (200, 120));
    assert_eq!((p.cropped.width, p.cropped.height), (20, 80));
}

#[test]
fn white_ink_on_black_is_not_inverted() {
    let img = DynamicImage::ImageLuma8(image::GrayImage::from_fn(64, 64, |x, y| {
        if (10..50).contains(&x) && (30..34).contains(&y) {
            Luma([230])
        } else {
            Luma([10])
        }
    }));
    let p = preprocess(&encode(img, ImageFormat::Png), Style::Digit).unwrap();
    assert!(!p.inverted);
    let (cols, rows) = ink_box(&p.input);
    assert_eq!(cols, 20);
    assert!(rows <= 3, "{rows}");
}

#[test]
fn transparent_background_counts_as_white() {
    let img = DynamicImage::ImageLumaA8(image::GrayAlphaImage::from_fn(50, 50, |x, y| {
        if (20..30).contains(&x) && (5..45).contains(&y) {
            LumaA([0, 255])
        } else {
            LumaA([0, 0])
        }
    }));
    let p = preprocess(&encode(img, ImageFormat::Png), Style::Digit).unwrap();
    assert!(p.inverted);
    assert_eq!(p.bounding_box, [20, 5, 30, 45]);
}

#[test]
fn objects_fill_the_frame() {
    let p = preprocess(&encode(page_with_bar(), ImageFormat::Png), Style::Object).unwrap();
    let (cols, rows) = ink_box(&p.input);
    assert_eq!(rows, 28);
    assert!((6..=8).contains(&cols), "{cols}");
}

#[test]
fn jpeg_and_bmp_decode() {
    for format in [ImageFormat::Jpeg, ImageFormat::Bmp] {
        let p = preprocess(&encode(page_with_bar(), format), Style::Digit).unwrap();
        assert!(p.inverted, "{format:?}");
        let [x0, y0, x1, y1] = p.bounding_box;
        assert!(
            x0.abs_diff(40) <= 2
                && y0.abs_diff(20) <= 2
                && x1.abs_diff(60) <= 2
                && y1.abs_diff(100) <= 2,
            "{format:?} {:?}",
            p.bounding_box
        );
    }
}

#[test]
fn blank_images_are_errors() {
    for v in [0u8, 128, 255] {
        let img = DynamicImage::ImageLuma8(image::GrayImage::from_pixel(30, 30, Luma([v])));
        assert_eq!(
            preprocess(&encode(img, ImageFormat::Png), Style::Digit),
            Err(PreprocessError::Blank),
            "{v}"
        );
    }
    let e = preprocess_luma(
        GrayImage {
            width: 0,
            height: 5,
            pixels: vec![],
        },
        Style::Digit,
    )
    .unwrap_err();
    assert!(matches!(e, PreprocessError::NoPixels { .. }));
    let e = preprocess_luma(
        GrayImage {
            width: 3,
            height: 3,
            pixels: vec![0.0; 8],
        },
        Style::Digit,
    )
    .unwrap_err();
    assert!(matches!(
        e,
        PreprocessError::Length {
            got: 8,
            expected: 9,
            ..
        }
    ));
}

#[test]
fn empty_random_and_truncated_files_are_errors() {
    assert_eq!(preprocess(&[], Style::Digit), Err(PreprocessError::Empty));
    let mut rng = Rng::seed_from_u64(1);
    let random: Vec<u8> = (0..4096).map(|_| rng.next_u64() as u8).collect();
    assert_eq!(
        preprocess(&random, Style::Digit),
        Err(PreprocessError::NotAnImage)
    );
    assert_eq!(
        preprocess(b"hello, world", Style::Digit),
        Err(PreprocessError::NotAnImage)
    );
    let png = encode(page_with_bar(), ImageFormat::Png);
    for cut in [png.len() / 2, 40, 12] {
        let e = preprocess(&png[..cut], Style::Digit).unwrap_err();
        assert!(
            matches!(e, PreprocessError::Corrupt { .. }),
            "cut {cut}: {e}"
        );
        assert!(e.to_string().contains("corrupt or truncated"));
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    c.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    c
}

#[test]
fn huge_dimensions_are_refused_before_decoding() {
    // A PNG header claiming 100000×100000 RGBA (40 GB decoded) with a tiny IDAT.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 100_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    let e = preprocess(&png, Style::Digit).unwrap_err();
    assert!(matches!(e, PreprocessError::TooLarge { .. }), "{e}");
    assert!(e.to_string().contains("too large"));
    // Within the side limit but above 64 MiB: 5000×5000 RGBA = 100 MB.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 5_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&5_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    let e = preprocess(&png, Style::Digit).unwrap_err();
    assert!(matches!(e, PreprocessError::TooLarge { .. }), "{e}");
}

#[test]
fn resize_square_keeps_aspect_and_fills_with_the_background() -> Result<(), PreprocessError> {
    // 40×20, white background, a black 10×10 square in the middle.
    let mut pixels = vec![1.0f32; 800];
    for y in 5..15 {
        for x in 15..25 {
            pixels[y * 40 + x] = 0.0;
        }
    }
    let gray = GrayImage {
        width: 40,
        height: 20,
        pixels,
    };
    let out = convscope_core::preprocess::resize_square(&gray, 8)?;
    assert_eq!(out.len(), 64);
    // 40×20 → 8×4, centred vertically: rows 0,1 and 6,7 are background (white).
    assert!(out[..16].iter().all(|&v| (v - 1.0).abs() < 1e-6), "{out:?}");
    assert!(out[48..].iter().all(|&v| (v - 1.0).abs() < 1e-6), "{out:?}");
    // The square is dark in the middle.
    assert!(out[3 * 8 + 3] < 0.5 && out[4 * 8 + 4] < 0.5, "{out:?}");
    assert!(convscope_core::preprocess::resize_square(&gray, 0).is_err());
    Ok(())
}

#[test]
fn encoded_png_decodes_to_the_same_pixels() -> Result<(), PreprocessError> {
    let gray = GrayImage {
        width: 3,
        height: 2,
        pixels: vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
    };
    let png = convscope_core::preprocess::encode_png_gray(&gray)?;
    let back = convscope_core::preprocess::decode_gray(&png)?;
    assert_eq!((back.width, back.height), (3, 2));
    for (a, b) in gray.pixels.iter().zip(&back.pixels) {
        assert!((a - b).abs() < 1.0 / 255.0, "{a} vs {b}");
    }
    Ok(())
}

#[test]
fn resize_nearest_keeps_each_cell_where_it_was() {
    use convscope_core::preprocess::resize_nearest;
    // 2×2 → 4×4: each cell becomes a 2×2 block.
    let grown = resize_nearest(&[1, 2, 3, 4], 2, 4);
    assert_eq!(grown, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    // 4×4 → 2×2: every other row and column, from the top-left.
    let shrunk = resize_nearest(&grown, 4, 2);
    assert_eq!(shrunk, [1, 2, 3, 4]);
    // 3×3 → 2×2 reads (0, 0), (0, 1), (1, 0), (1, 1).
    assert_eq!(
        resize_nearest(&[1, 2, 3, 4, 5, 6, 7, 8, 9], 3, 2),
        [1, 2, 4, 5]
    );
    // A short grid reads its missing cells as the default; an empty target is empty.
    assert_eq!(resize_nearest(&[true], 2, 2), [true, false, false, false]);
    assert!(resize_nearest::<f32>(&[], 4, 0).is_empty());
}
