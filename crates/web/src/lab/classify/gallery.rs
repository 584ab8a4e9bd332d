//! The gallery: the test-split samples shipped in `www/samples/`, with their true labels,
//! and which of them the current model classified right.

use std::collections::HashMap;
use std::rc::Rc;

use convscope_core::data::DatasetKind;
use convscope_core::data::samples::SampleSet;

use super::session::{SampleRef, Source};

/// One gallery image.
#[derive(Debug, Clone, PartialEq)]
pub struct GallerySample {
    /// The true label.
    pub label: usize,
    /// Its index in the dataset's test split.
    pub test_index: u32,
    /// 784 values in `[0, 1]`, white ink on black.
    pub pixels: Rc<Vec<f32>>,
}

/// A dataset's gallery and the current model's verdicts on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Gallery {
    /// Which dataset.
    pub kind: DatasetKind,
    /// The images, in class order.
    pub samples: Vec<GallerySample>,
    /// Predicted class of each sample classified so far (by gallery index).
    pub predictions: HashMap<usize, usize>,
}

impl Gallery {
    /// Reads a sample file.
    ///
    /// # Errors
    /// The core's message for a file that is not a sample set.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, String> {
        let set = SampleSet::from_safetensors(bytes)?;
        let samples = (0..set.len())
            .filter_map(|i| {
                Some(GallerySample {
                    label: usize::from(*set.labels.get(i)?),
                    test_index: *set.indices.get(i)?,
                    pixels: Rc::new(set.input(i).ok()?),
                })
            })
            .collect();
        Ok(Self {
            kind: set.kind,
            samples,
            predictions: HashMap::new(),
        })
    }

    /// The name of class `label` in this dataset.
    pub fn class_name(&self, label: usize) -> &'static str {
        self.kind.class_names().get(label).copied().unwrap_or("?")
    }

    /// `Some(true)` when sample `i` was classified as its label, `Some(false)` when not,
    /// `None` when not classified yet.
    pub fn verdict(&self, i: usize) -> Option<bool> {
        let p = self.predictions.get(&i)?;
        self.samples.get(i).map(|s| s.label == *p)
    }

    /// Sample `i` as a classification source (it names this gallery's dataset).
    pub fn source(&self, i: usize) -> Option<Source> {
        self.samples.get(i).map(|s| {
            Source::Sample(SampleRef {
                kind: self.kind,
                index: i,
                label: s.label,
                test_index: s.test_index,
            })
        })
    }

    /// Whether `sample` is one of this gallery's (same dataset, same test image).
    pub fn holds(&self, sample: &SampleRef) -> bool {
        sample.kind == self.kind
            && self
                .samples
                .get(sample.index)
                .is_some_and(|s| s.test_index == sample.test_index)
    }

    /// Records the current model's prediction for `sample`; a sample of another gallery
    /// is ignored (returns `false`).
    pub fn record(&mut self, sample: &SampleRef, predicted: usize) -> bool {
        let ours = self.holds(sample);
        if ours {
            self.predictions.insert(sample.index, predicted);
        }
        ours
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_gallery_has_ten_of_each_class() -> Result<(), String> {
        let g = Gallery::from_safetensors(include_bytes!(
            "../../../../../www/samples/fashion-test.safetensors"
        ))?;
        assert_eq!(g.kind, DatasetKind::Fashion);
        assert_eq!(g.samples.len(), 100);
        for c in 0..10 {
            assert_eq!(g.samples.iter().filter(|s| s.label == c).count(), 10);
        }
        assert!(g.samples.iter().all(|s| s.pixels.len() == 784));
        assert_eq!(g.class_name(9), "Ankle boot");
        Ok(())
    }

    #[test]
    fn verdicts_follow_the_recorded_predictions() -> Result<(), String> {
        let mut g = Gallery::from_safetensors(include_bytes!(
            "../../../../../www/samples/mnist-test.safetensors"
        ))?;
        let label = g.samples[0].label;
        let Some(Source::Sample(first)) = g.source(0) else {
            return Err("sample 0".into());
        };
        assert_eq!(g.verdict(0), None);
        assert!(g.record(&first, label));
        assert_eq!(g.verdict(0), Some(true));
        assert!(g.record(&first, (label + 1) % 10));
        assert_eq!(g.verdict(0), Some(false));
        // A Fashion sample 1 is not MNIST sample 1.
        let other = SampleRef {
            kind: DatasetKind::Fashion,
            index: 1,
            ..first
        };
        assert!(!g.record(&other, 0));
        assert_eq!(g.verdict(1), None);
        assert!(Gallery::from_safetensors(b"nope").is_err());
        Ok(())
    }
}
