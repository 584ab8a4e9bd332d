//! The robustness set: the held-out test images degraded the way handwriting from other
//! sources differs from MNIST, to report beside the held-out accuracy.
//!
//! [`robustness_set`]`(test, seed)` keeps every test image's label and order and replaces
//! the image by a degraded copy. Each image gets one [`Corruption`] picked uniformly from
//! the seven below and, with probability ½, a second, different one (picked uniformly
//! again, redrawn while it equals the first or pairs thick with thin strokes). The
//! corruptions are applied in the order of the list (the order of
//! [`Augment`](super::augment::Augment)), with the pixel operations of [`super::augment`]:
//!
//! | corruption | what is done |
//! |---|---|
//! | off-centre | shifted by 3–4 px (uniform) in a uniformly random direction, bilinearly |
//! | elastic | Simard et al.'s elastic distortion, α = 34, σ = 4 px |
//! | thick strokes | 3×3 maximum filter (one pixel more ink on every side) |
//! | thin strokes | the image blended half-and-half with its 3×3 minimum filter |
//! | low resolution | shrunk to 10–14 px (uniform integer) by area averaging, scaled back up bilinearly |
//! | blur | Gaussian blur, σ uniform in 0.7–1 px |
//! | faint ink | ink × 0.5–0.7 (uniform) |
//!
//! The random choices of image `i` come from `Rng::seed_from_u64(seed ^ (i + 1)·φ)` (φ =
//! 0x9E37_79B9_7F4A_7C15), so an image's corruption does not depend on the others; the same
//! seed gives the same set. The CLI (`convscope eval --robust`) uses [`ROBUSTNESS_SEED`].
//! The same transforms (with other ranges) are the training augmentation
//! [`Augment::robust_digits`](super::augment::Augment::robust_digits): the set measures
//! robustness to these particular degradations, not to handwriting in general.

use super::Dataset;
use super::augment::{elastic, gaussian_blur, low_resolution, scale_ink, shift, thicken, thin};
use crate::data::IMAGE_PIXELS;
use crate::rng::Rng;

/// The seed of the robustness set the CLI reports.
pub const ROBUSTNESS_SEED: u64 = 0;

/// One line saying what the set is (for reports).
pub const DESCRIPTION: &str = "the held-out images, each with one or two of: off-centre 3-4 px, \
elastic, thick strokes, thin strokes, low resolution 10-14 px, blur, faint ink";

/// One degradation of the robustness set, in the order they are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Corruption {
    /// Shifted 3–4 px.
    OffCentre,
    /// Elastic distortion, α = 34, σ = 4.
    Elastic,
    /// 3×3 dilation.
    ThickStrokes,
    /// Half a 3×3 erosion.
    ThinStrokes,
    /// Shrunk to 10–14 px and scaled back up.
    LowResolution,
    /// Gaussian blur, σ 0.7–1.
    Blur,
    /// Ink × 0.5–0.7.
    FaintInk,
}

impl Corruption {
    /// All seven, in the order they are applied.
    pub const ALL: [Self; 7] = [
        Self::OffCentre,
        Self::Elastic,
        Self::ThickStrokes,
        Self::ThinStrokes,
        Self::LowResolution,
        Self::Blur,
        Self::FaintInk,
    ];

    /// Short name, e.g. `"low resolution"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::OffCentre => "off-centre",
            Self::Elastic => "elastic",
            Self::ThickStrokes => "thick strokes",
            Self::ThinStrokes => "thin strokes",
            Self::LowResolution => "low resolution",
            Self::Blur => "blur",
            Self::FaintInk => "faint ink",
        }
    }

    /// What is done, e.g. `"shrunk to 10-14 px by area averaging, scaled back up"`.
    pub fn description(self) -> &'static str {
        match self {
            Self::OffCentre => "shifted 3-4 px in a random direction",
            Self::Elastic => "elastic distortion, alpha 34, sigma 4 px",
            Self::ThickStrokes => "3x3 maximum filter",
            Self::ThinStrokes => "half a 3x3 minimum filter",
            Self::LowResolution => "shrunk to 10-14 px by area averaging, scaled back up",
            Self::Blur => "Gaussian blur, sigma 0.7-1 px",
            Self::FaintInk => "ink x 0.5-0.7",
        }
    }

    /// Applies this corruption to `img`, its random parameters drawn from `rng`.
    pub fn apply(self, img: &mut [f32; IMAGE_PIXELS], rng: &mut Rng) {
        match self {
            Self::OffCentre => {
                let d = rng.uniform(3.0, 4.0);
                let (sin, cos) = rng.uniform(0.0, std::f32::consts::TAU).sin_cos();
                shift(img, d * cos, d * sin);
            }
            Self::Elastic => elastic(img, 34.0, 4.0, rng),
            Self::ThickStrokes => thicken(img, 1.0),
            Self::ThinStrokes => thin(img, 0.5),
            Self::LowResolution => low_resolution(img, 10 + rng.below(5)),
            Self::Blur => gaussian_blur(img, rng.uniform(0.7, 1.0)),
            Self::FaintInk => scale_ink(img, rng.uniform(0.5, 0.7)),
        }
    }
}

/// The robustness set with the corruptions of every image.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RobustnessSet {
    /// The degraded images, labels as in the test set.
    pub data: Dataset,
    /// Per image, its one or two corruptions in the order applied.
    pub corruptions: Vec<Vec<Corruption>>,
}

impl RobustnessSet {
    /// The images that got `c` (alone or with another), with their labels.
    pub fn with(&self, c: Corruption) -> Dataset {
        let mut out = Dataset::default();
        for (i, cs) in self.corruptions.iter().enumerate() {
            if cs.contains(&c)
                && let (Ok(img), Some(&label)) = (self.data.image(i), self.data.labels.get(i))
            {
                out.images.extend_from_slice(img);
                out.labels.push(label);
            }
        }
        out
    }
}

/// The robustness set of `test` for `seed` (see the module): same length, labels and
/// order, every image degraded by one or two [`Corruption`]s.
pub fn robustness_set(test: &Dataset, seed: u64) -> Dataset {
    robustness_set_tagged(test, seed).data
}

/// [`robustness_set`] together with each image's corruptions. Images missing from a
/// malformed `test` (fewer than `784 · len` values) are taken as black.
pub fn robustness_set_tagged(test: &Dataset, seed: u64) -> RobustnessSet {
    let n = test.len();
    let mut set = RobustnessSet {
        data: Dataset {
            images: Vec::with_capacity(n * IMAGE_PIXELS),
            labels: test.labels.clone(),
        },
        corruptions: Vec::with_capacity(n),
    };
    for i in 0..n {
        let mut rng = Rng::seed_from_u64(
            seed ^ (i as u64)
                .wrapping_add(1)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let mut img = [0.0f32; IMAGE_PIXELS];
        if let Ok(src) = test.image(i) {
            img.copy_from_slice(src);
        }
        let all = Corruption::ALL;
        let first = all[rng.below(all.len())];
        let mut chosen = vec![first];
        if rng.next_u64() & 1 == 1 {
            let incompatible = |c: Corruption| {
                c == first
                    || matches!(
                        (first, c),
                        (Corruption::ThickStrokes, Corruption::ThinStrokes)
                            | (Corruption::ThinStrokes, Corruption::ThickStrokes)
                    )
            };
            let mut second = all[rng.below(all.len())];
            while incompatible(second) {
                second = all[rng.below(all.len())];
            }
            chosen.push(second);
            chosen.sort();
        }
        for &c in &chosen {
            c.apply(&mut img, &mut rng);
        }
        set.data.images.extend_from_slice(&img);
        set.corruptions.push(chosen);
    }
    set
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::data::IMAGE_SIZE;

    /// 70 digit-like images: rings, bars, diagonals and crosses of stroke width ~2–3 px at
    /// a few positions, labels 0–9.
    fn fake_test_set() -> Dataset {
        let mut set = Dataset::default();
        for k in 0..70usize {
            let shape = k % 4;
            let off = (k / 4 % 5) as f32 - 2.0;
            let width = 1.0 + (k % 3) as f32 * 0.5;
            for i in 0..IMAGE_PIXELS {
                let x = (i % IMAGE_SIZE) as f32 - 13.5 - off;
                let y = (i / IMAGE_SIZE) as f32 - 13.5;
                let d = match shape {
                    0 => ((x * x + y * y).sqrt() - 7.0).abs(),
                    1 => x.abs() + (y.abs() - 9.0).max(0.0),
                    2 => (x - 0.5 * y).abs() / 1.118 + (y.abs() - 9.0).max(0.0),
                    _ => x.abs().min(y.abs()) + (x.abs().max(y.abs()) - 8.0).max(0.0),
                };
                set.images.push((width + 0.5 - d).clamp(0.0, 1.0));
            }
            set.labels.push((k % 10) as u8);
        }
        set
    }

    fn ink(img: &[f32]) -> f32 {
        img.iter().sum()
    }

    #[test]
    fn deterministic_for_a_seed_and_different_for_another() {
        let test = fake_test_set();
        let a = robustness_set_tagged(&test, 0);
        let b = robustness_set_tagged(&test, 0);
        assert_eq!(a, b);
        assert_eq!(robustness_set(&test, 0), a.data);
        let c = robustness_set(&test, 1);
        assert_ne!(a.data.images, c.images);
        // An image's corruption does not depend on the images after it.
        let mut first = Dataset::default();
        first
            .images
            .extend_from_slice(&test.images[..10 * IMAGE_PIXELS]);
        first.labels.extend_from_slice(&test.labels[..10]);
        assert_eq!(
            robustness_set(&first, 0).images,
            a.data.images[..10 * IMAGE_PIXELS]
        );
    }

    #[test]
    fn same_length_labels_and_every_image_degraded_but_readable() {
        let test = fake_test_set();
        let set = robustness_set_tagged(&test, 0);
        assert_eq!(set.data.len(), test.len());
        assert_eq!(set.data.labels, test.labels);
        assert_eq!(set.data.images.len(), test.images.len());
        assert_eq!(set.corruptions.len(), test.len());
        for i in 0..test.len() {
            let (src, img) = (
                test.image(i).unwrap_or(&[]),
                set.data.image(i).unwrap_or(&[]),
            );
            assert!(img.iter().all(|v| (0.0..=1.0 + 1e-5).contains(v)), "{i}");
            assert!(
                src.iter().zip(img).any(|(a, b)| (a - b).abs() > 0.01),
                "image {i} unchanged"
            );
            let kept = ink(img) / ink(src);
            assert!(
                kept > 0.25,
                "image {i} ({:?}) keeps {kept} of its ink",
                set.corruptions[i]
            );
            let peak = img.iter().cloned().fold(0.0, f32::max);
            assert!(
                peak > 0.3,
                "image {i} ({:?}): peak {peak}",
                set.corruptions[i]
            );
            let cs = &set.corruptions[i];
            assert!((1..=2).contains(&cs.len()));
            assert!(cs.windows(2).all(|w| w[0] < w[1]));
            assert!(
                !(cs.contains(&Corruption::ThickStrokes) && cs.contains(&Corruption::ThinStrokes))
            );
        }
    }

    #[test]
    fn every_corruption_and_pairs_occur() {
        let test = fake_test_set();
        let set = robustness_set_tagged(&test, 0);
        for c in Corruption::ALL {
            let sub = set.with(c);
            assert!(!sub.is_empty(), "{c:?}");
            assert_eq!(sub.images.len(), sub.len() * IMAGE_PIXELS);
        }
        let pairs = set.corruptions.iter().filter(|c| c.len() == 2).count();
        assert!(
            (15..55).contains(&pairs),
            "{pairs} of 70 with two corruptions"
        );
    }

    #[test]
    fn empty_and_malformed_sets_do_not_panic() {
        assert!(robustness_set(&Dataset::default(), 3).is_empty());
        let short = Dataset {
            images: vec![0.5; 100],
            labels: vec![1, 2],
        };
        let set = robustness_set(&short, 3);
        assert_eq!(set.labels, vec![1, 2]);
        assert_eq!(set.images.len(), 2 * IMAGE_PIXELS);
    }
}
