//! A small gallery of held-out images, stored as safetensors for the web app.
//!
//! `convscope samples` writes `www/samples/{mnist,fashion}-test.safetensors`: the first
//! `per_class` images of each class of the test split (as documented in [`super::mnist`] and
//! [`super::fashion`]), in class order. Tensors: `images` `U8 [N, 28, 28]` (0–255),
//! `labels` `U8 [N]`, `indices` `U32 [N]` (the image's index in the test split);
//! `__metadata__`: `dataset` (`mnist` or `fashion`), `split` (`test`).

use std::collections::BTreeMap;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use super::{DataError, Dataset, DatasetKind};
use crate::data::IMAGE_SIZE;

/// Labelled images from a test split.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleSet {
    /// Which dataset.
    pub kind: DatasetKind,
    /// `len · 784` pixels, 0–255.
    pub images: Vec<u8>,
    /// One label per image.
    pub labels: Vec<u8>,
    /// Each image's index in the test split.
    pub indices: Vec<u32>,
}

impl SampleSet {
    /// The first `per_class` images of each class of `test`, in class order.
    pub fn from_test(kind: DatasetKind, test: &Dataset, per_class: usize) -> Self {
        let mut set = Self {
            kind,
            images: Vec::new(),
            labels: Vec::new(),
            indices: Vec::new(),
        };
        for class in 0..10u8 {
            let picked = test
                .labels
                .iter()
                .enumerate()
                .filter(|(_, l)| **l == class)
                .take(per_class);
            for (i, &label) in picked {
                if let Ok(img) = test.image(i) {
                    set.images.extend(
                        img.iter()
                            .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8),
                    );
                    set.labels.push(label);
                    set.indices.push(i as u32);
                }
            }
        }
        set
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// No images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Image `i` as network input: 784 values in `[0, 1]`.
    ///
    /// # Errors
    /// [`DataError::IndexOutOfRange`] for `i` not below [`SampleSet::len`].
    pub fn input(&self, i: usize) -> Result<Vec<f32>, DataError> {
        let pixels = super::image_slice(&self.images, i, self.len(), "the sample gallery")?;
        Ok(pixels.iter().map(|&v| f32::from(v) / 255.0).collect())
    }

    /// Serialises the set.
    ///
    /// # Errors
    /// The safetensors writer's message (inconsistent lengths).
    pub fn to_safetensors(&self) -> Result<Vec<u8>, String> {
        let n = self.len();
        let indices: Vec<u8> = self.indices.iter().flat_map(|i| i.to_le_bytes()).collect();
        let views = vec![
            (
                "images",
                TensorView::new(Dtype::U8, vec![n, IMAGE_SIZE, IMAGE_SIZE], &self.images)
                    .map_err(|e| e.to_string())?,
            ),
            (
                "labels",
                TensorView::new(Dtype::U8, vec![n], &self.labels).map_err(|e| e.to_string())?,
            ),
            (
                "indices",
                TensorView::new(Dtype::U32, vec![n], &indices).map_err(|e| e.to_string())?,
            ),
        ];
        let mut info = BTreeMap::new();
        info.insert("dataset".to_owned(), self.kind.name().to_owned());
        info.insert("split".to_owned(), "test".to_owned());
        crate::weights::serialize_sorted(views, info).map_err(|e| e.to_string())
    }

    /// Reads a set written by [`SampleSet::to_safetensors`].
    ///
    /// # Errors
    /// A message naming the missing or malformed tensor or metadata.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, String> {
        let bad = |what: &str| format!("not a convscope sample file: {what}");
        let st = SafeTensors::deserialize(bytes).map_err(|e| bad(&e.to_string()))?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| bad(&e.to_string()))?;
        let kind = header
            .metadata()
            .as_ref()
            .and_then(|m| m.get("dataset"))
            .ok_or_else(|| bad("no dataset in the metadata"))?
            .parse::<DatasetKind>()
            .map_err(|e| bad(&e.to_string()))?;
        let tensor = |name: &str, dtype: Dtype| {
            let t = st
                .tensor(name)
                .map_err(|_| bad(&format!("no tensor {name}")))?;
            if t.dtype() != dtype {
                return Err(bad(&format!("{name} is {:?}, not {dtype:?}", t.dtype())));
            }
            Ok(t)
        };
        let images = tensor("images", Dtype::U8)?;
        let labels = tensor("labels", Dtype::U8)?;
        let indices = tensor("indices", Dtype::U32)?;
        let n = labels.shape().first().copied().unwrap_or(0);
        if images.shape() != [n, IMAGE_SIZE, IMAGE_SIZE] || indices.shape() != [n] {
            return Err(bad(&format!(
                "images {:?}, labels {:?}, indices {:?} do not agree",
                images.shape(),
                labels.shape(),
                indices.shape()
            )));
        }
        if let Some(l) = labels.data().iter().find(|&&l| l >= 10) {
            return Err(bad(&format!("label {l} is not a class 0–9")));
        }
        Ok(Self {
            kind,
            images: images.data().to_vec(),
            labels: labels.data().to_vec(),
            indices: indices
                .data()
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::IMAGE_PIXELS;

    fn toy() -> Dataset {
        let mut d = Dataset::default();
        for i in 0..30u8 {
            d.images
                .extend(std::iter::repeat_n(f32::from(i) / 29.0, IMAGE_PIXELS));
            d.labels.push(i % 10);
        }
        d
    }

    #[test]
    fn picks_per_class_in_class_order_and_round_trips() -> Result<(), String> {
        let set = SampleSet::from_test(DatasetKind::Fashion, &toy(), 2);
        assert_eq!(set.len(), 20);
        assert_eq!(&set.labels[..4], &[0, 0, 1, 1]);
        assert_eq!(&set.indices[..4], &[0, 10, 1, 11]);
        let back = SampleSet::from_safetensors(&set.to_safetensors()?)?;
        assert_eq!(back, set);
        let first = back.input(1).map_err(|e| e.to_string())?;
        assert!((first[0] - 10.0 / 29.0).abs() < 1.0 / 255.0);
        assert_eq!(
            back.input(20).map_err(|e| e.to_string()),
            Err("the sample gallery: image 20 requested but the set holds 20".to_owned())
        );
        Ok(())
    }

    #[test]
    fn refuses_other_files() {
        assert!(SampleSet::from_safetensors(b"nonsense").is_err());
        assert!(SampleSet::from_safetensors(&[]).is_err());
    }
}
