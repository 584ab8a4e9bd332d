//! An uploaded image file, as both pages handle it: `decode_gray` under the core's limits,
//! then the Convolution lab's `resize_square` to the side it asks for (1 to 64) and the
//! Classify page's preprocessing in both styles (MNIST digit, Fashion-MNIST object).
//! Every outcome is a value or a `PreprocessError`; a panic, a hang or an out-of-memory
//! abort is a finding.
#![no_main]

use convscope_core::data::IMAGE_PIXELS;
use convscope_core::preprocess::{self, Style};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the lab's size (as the page's slider does); the rest is the file.
    let Some((&size, file)) = data.split_first() else {
        return;
    };
    let size = usize::from(size % 64) + 1;
    let Ok(gray) = preprocess::decode_gray(file) else {
        return;
    };
    assert_eq!(
        gray.pixels.len(),
        gray.width as usize * gray.height as usize,
        "decode_gray's buffer fits its size"
    );
    assert!(gray.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
    if let Ok(square) = preprocess::resize_square(&gray, size) {
        assert_eq!(square.len(), size * size);
        assert!(square.iter().all(|v| (0.0..=1.0).contains(v)));
    }
    for style in [Style::Digit, Style::Object] {
        if let Ok(p) = preprocess::preprocess_luma(gray.clone(), style) {
            assert_eq!(p.input.len(), IMAGE_PIXELS);
            assert!(p.input.iter().all(|v| (0.0..=1.0).contains(v)));
            let [x0, y0, x1, y1] = p.bounding_box;
            assert!(x0 < x1 && x1 <= gray.width && y0 < y1 && y1 <= gray.height);
        }
    }
});
