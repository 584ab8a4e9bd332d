//! The lab's dataset samples: one 28×28 grayscale image per class of MNIST and of
//! Fashion-MNIST. Sample `i` is the first image of class `i` in the dataset's test-split
//! gallery, `www/samples/{mnist,fashion}-test.safetensors` (the Classify page's gallery): the
//! page fetches the file when a sample of it is first chosen, once per visit.

use std::rc::Rc;

use convscope_core::data::DatasetKind;
use convscope_core::data::samples::SampleSet;

use super::classify::choice::samples_url;

/// Side of a sample.
pub const SIDE: usize = 28;
/// Classes of each dataset: one sample each.
pub const CLASSES: usize = 10;

/// A dataset the lab offers samples of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    /// Handwritten digits.
    Mnist,
    /// Zalando's clothing images.
    Fashion,
}

const FASHION_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
];

impl Dataset {
    /// Both datasets.
    pub const ALL: [Dataset; 2] = [Dataset::Mnist, Dataset::Fashion];

    /// URL key prefix.
    pub fn key(self) -> &'static str {
        match self {
            Self::Mnist => "mnist",
            Self::Fashion => "fashion",
        }
    }

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mnist => "MNIST",
            Self::Fashion => "Fashion-MNIST",
        }
    }

    /// Number of samples: one per class.
    pub fn len(self) -> usize {
        CLASSES
    }

    /// Never empty.
    pub fn is_empty(self) -> bool {
        false
    }

    /// The class of sample `i`.
    pub fn class_name(self, i: usize) -> String {
        match self {
            Self::Mnist => format!("digit {i}"),
            Self::Fashion => FASHION_CLASSES.get(i).copied().unwrap_or("?").to_string(),
        }
    }

    /// The core's name for it (the gallery file's `dataset`).
    pub fn kind(self) -> DatasetKind {
        match self {
            Self::Mnist => DatasetKind::Mnist,
            Self::Fashion => DatasetKind::Fashion,
        }
    }

    /// Its gallery file, relative to the page (the Classify page's gallery).
    pub fn url(self) -> &'static str {
        samples_url(self.kind())
    }
}

/// One image per class: image `i` is the first of class `i` in a gallery file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSamples {
    /// `CLASSES · SIDE²` bytes (value = byte / 255), class after class, each row-major.
    pixels: Vec<u8>,
}

impl ClassSamples {
    /// The first image of each class in `set`.
    ///
    /// # Errors
    /// When a class has no image in `set`.
    pub fn first_of_each_class(set: &SampleSet) -> Result<Self, String> {
        let n = SIDE * SIDE;
        let mut pixels = Vec::with_capacity(CLASSES * n);
        for class in 0..CLASSES {
            let image = set
                .labels
                .iter()
                .position(|&l| usize::from(l) == class)
                .and_then(|i| set.images.get(i * n..(i + 1) * n))
                .ok_or_else(|| {
                    format!(
                        "the {} samples have no image of class {class}",
                        set.kind.title()
                    )
                })?;
            pixels.extend_from_slice(image);
        }
        Ok(Self { pixels })
    }

    /// `dataset`'s samples from its gallery file.
    ///
    /// # Errors
    /// When the bytes are not a sample file of `dataset` with every class.
    pub fn from_safetensors(dataset: Dataset, bytes: &[u8]) -> Result<Self, String> {
        let url = dataset.url();
        let set = SampleSet::from_safetensors(bytes).map_err(|e| format!("{url}: {e}"))?;
        if set.kind != dataset.kind() {
            return Err(format!(
                "{url} holds {} images, not {}",
                set.kind.title(),
                dataset.name()
            ));
        }
        Self::first_of_each_class(&set).map_err(|e| format!("{url}: {e}"))
    }

    /// The value of pixel `[y, x]` of sample `i`, in `[0, 1]` (0 outside).
    pub fn value(&self, i: usize, y: usize, x: usize) -> f32 {
        if i >= CLASSES || y >= SIDE || x >= SIDE {
            return 0.0;
        }
        self.pixels
            .get((i * SIDE + y) * SIDE + x)
            .map_or(0.0, |&b| f32::from(b) / 255.0)
    }
}

/// Where a dataset's samples are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SampleLoad {
    /// Not asked for yet on this visit.
    #[default]
    Idle,
    /// Its file is being fetched.
    Loading,
    /// Ready.
    Ready(Rc<ClassSamples>),
    /// The fetch or the parse failed: why.
    Failed(String),
}

/// Both datasets' samples on this visit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabSamples {
    mnist: SampleLoad,
    fashion: SampleLoad,
}

impl LabSamples {
    /// Where `dataset`'s samples are.
    pub fn load(&self, dataset: Dataset) -> &SampleLoad {
        match dataset {
            Dataset::Mnist => &self.mnist,
            Dataset::Fashion => &self.fashion,
        }
    }

    /// Records how `dataset`'s load went. Samples once ready stay (a file is read once).
    pub fn set(&mut self, dataset: Dataset, load: SampleLoad) {
        let slot = match dataset {
            Dataset::Mnist => &mut self.mnist,
            Dataset::Fashion => &mut self.fashion,
        };
        if !matches!(slot, SampleLoad::Ready(_)) {
            *slot = load;
        }
    }

    /// `dataset`'s samples, once ready.
    pub fn ready(&self, dataset: Dataset) -> Option<&ClassSamples> {
        match self.load(dataset) {
            SampleLoad::Ready(s) => Some(s),
            _ => None,
        }
    }

    /// The dataset whose file must be fetched now: `dataset` when its samples are wanted and
    /// were not asked for yet on this visit (a failed fetch is not repeated).
    pub fn to_fetch(&self, wanted: Option<Dataset>) -> Option<Dataset> {
        wanted.filter(|&d| *self.load(d) == SampleLoad::Idle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped gallery file of `dataset`.
    fn file(dataset: Dataset) -> &'static [u8] {
        match dataset {
            Dataset::Mnist => include_bytes!("../../../../www/samples/mnist-test.safetensors"),
            Dataset::Fashion => include_bytes!("../../../../www/samples/fashion-test.safetensors"),
        }
    }

    /// A set of `labels.len()` images, image `k` filled with the byte `k`.
    fn set_of(labels: &[u8]) -> SampleSet {
        SampleSet {
            kind: DatasetKind::Mnist,
            images: (0..labels.len())
                .flat_map(|k| std::iter::repeat_n(k as u8, SIDE * SIDE))
                .collect(),
            labels: labels.to_vec(),
            indices: (0..labels.len() as u32).collect(),
        }
    }

    #[test]
    fn sample_i_is_the_first_image_of_class_i() -> Result<(), String> {
        // Classes out of order, some repeated: image k holds the value k / 255.
        let labels = [3, 1, 0, 3, 2, 9, 8, 7, 6, 5, 4, 1, 0];
        let s = ClassSamples::first_of_each_class(&set_of(&labels))?;
        for class in 0..CLASSES {
            let first = labels.iter().position(|&l| usize::from(l) == class);
            let expected = first.ok_or("a class is missing")? as f32 / 255.0;
            assert_eq!(s.value(class, 0, 0), expected, "class {class}");
            assert_eq!(
                s.value(class, SIDE - 1, SIDE - 1),
                expected,
                "class {class}"
            );
        }
        assert_eq!(s.value(CLASSES, 0, 0), 0.0);
        assert_eq!(s.value(0, SIDE, 0), 0.0);
        Ok(())
    }

    #[test]
    fn a_set_missing_a_class_is_refused() {
        let e = ClassSamples::first_of_each_class(&set_of(&[0, 1, 2, 3, 4, 5, 6, 7, 8]));
        assert_eq!(e, Err("the MNIST samples have no image of class 9".into()));
    }

    #[test]
    fn the_shipped_galleries_give_every_sample_with_ink() -> Result<(), String> {
        for d in Dataset::ALL {
            let set = SampleSet::from_safetensors(file(d))?;
            let s = ClassSamples::from_safetensors(d, file(d))?;
            for i in 0..d.len() {
                let first = set.labels.iter().position(|&l| usize::from(l) == i);
                let input = first
                    .and_then(|k| set.input(k).ok())
                    .ok_or("a class is missing")?;
                let ours: Vec<f32> = (0..SIDE * SIDE)
                    .map(|p| s.value(i, p / SIDE, p % SIDE))
                    .collect();
                assert_eq!(ours, input, "{} {i}", d.name());
                assert!(ours.iter().any(|&v| v > 0.5), "{} {i} has no ink", d.name());
            }
        }
        // A file of the other dataset, or not a sample file, is refused with its URL.
        assert_eq!(
            ClassSamples::from_safetensors(Dataset::Mnist, file(Dataset::Fashion)),
            Err("samples/mnist-test.safetensors holds Fashion-MNIST images, not MNIST".into())
        );
        let junk = ClassSamples::from_safetensors(Dataset::Fashion, b"nope");
        assert!(junk.is_err_and(|e| e.starts_with("samples/fashion-test.safetensors: ")));
        Ok(())
    }

    #[test]
    fn each_file_is_fetched_once_and_ready_samples_stay() -> Result<(), String> {
        let mut l = LabSamples::default();
        assert_eq!(l.to_fetch(None), None);
        assert_eq!(l.to_fetch(Some(Dataset::Mnist)), Some(Dataset::Mnist));
        l.set(Dataset::Mnist, SampleLoad::Loading);
        assert_eq!(l.to_fetch(Some(Dataset::Mnist)), None);
        assert_eq!(l.to_fetch(Some(Dataset::Fashion)), Some(Dataset::Fashion));
        let ready = Rc::new(ClassSamples::from_safetensors(
            Dataset::Mnist,
            file(Dataset::Mnist),
        )?);
        l.set(Dataset::Mnist, SampleLoad::Ready(ready.clone()));
        assert!(l.ready(Dataset::Mnist).is_some());
        assert!(l.ready(Dataset::Fashion).is_none());
        // A late failure does not replace samples that arrived.
        l.set(Dataset::Mnist, SampleLoad::Failed("late".into()));
        assert_eq!(l.load(Dataset::Mnist), &SampleLoad::Ready(ready));
        // A failed fetch is not repeated on this visit.
        l.set(Dataset::Fashion, SampleLoad::Failed("offline".into()));
        assert_eq!(l.to_fetch(Some(Dataset::Fashion)), None);
        Ok(())
    }

    #[test]
    fn keys_and_names() {
        assert_eq!(Dataset::Fashion.len(), CLASSES);
        assert_eq!(Dataset::Fashion.class_name(9), "ankle boot");
        assert_eq!(Dataset::Mnist.class_name(3), "digit 3");
        assert_eq!(Dataset::Mnist.url(), "samples/mnist-test.safetensors");
    }
}
