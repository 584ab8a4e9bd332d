//! What a filter looks for, in the worker: the test images' patches that excite one
//! channel of a layer most (searched over the gallery the page shows and a larger sample
//! of the dataset's test split, fetched here), and an image grown by gradient ascent to
//! excite it (`convscope_core::explain::{top_patches, maximize}`).

use std::cell::RefCell;

use convscope_core::data::{Dataset, DatasetKind, IMAGE_PIXELS};
use convscope_core::explain::{self, AscentConfig};
use convscope_core::nn::Workspace;
use serde::{Deserialize, Serialize};

use super::classify::now_ms;
use super::model;

/// Test images searched besides the gallery, at most.
pub const TEST_IMAGES: usize = 2000;

/// A filter search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterJob {
    /// The worker's name of the model.
    pub model: String,
    /// Its dataset, whose test split is searched (`None`: the gallery only).
    pub dataset: Option<DatasetKind>,
    /// The gallery's images (784 values each) and labels.
    pub gallery: Vec<f32>,
    /// One label per gallery image.
    pub gallery_labels: Vec<u8>,
    /// The layer's path.
    pub layer: String,
    /// The channel (filter) of the layer.
    pub channel: usize,
    /// Gradient ascent's steps, rate and L2 decay.
    pub steps: usize,
    /// See [`AscentConfig::rate`].
    pub rate: f32,
    /// See [`AscentConfig::decay`].
    pub decay: f32,
}

/// Where a patch comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PatchSource {
    /// Gallery image `i`.
    Gallery(usize),
    /// Test image `i` of the dataset's test split.
    Test(usize),
}

/// One of the patches that excite the filter most.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterPatch {
    /// Its image.
    pub source: PatchSource,
    /// The image's true label.
    pub label: u8,
    /// The filter's value there.
    pub value: f32,
    /// `[row, column]` in the layer's map.
    pub at: [usize; 2],
    /// `[first, end)` input rows of the field.
    pub rows: [i64; 2],
    /// `[first, end)` input columns.
    pub cols: [i64; 2],
    /// The pixels of the field, `size × size`.
    pub pixels: Vec<f32>,
}

/// The answer to a [`FilterJob`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterLooks {
    /// The layer and channel.
    pub layer: String,
    /// The channel.
    pub channel: usize,
    /// The receptive field's side (each patch is this square).
    pub size: usize,
    /// The nine patches, strongest first.
    pub patches: Vec<FilterPatch>,
    /// Gallery images searched.
    pub gallery_searched: usize,
    /// Test-split images searched.
    pub test_searched: usize,
    /// Why the test split could not be searched, when it could not.
    pub test_error: Option<String>,
    /// The image grown by gradient ascent (784 values in `[0, 1]`).
    pub ascent: Vec<f32>,
    /// The filter's mean value before each step and after the last.
    pub objective: Vec<f32>,
    /// Milliseconds of the search and of the ascent, when the worker has a clock.
    pub millis: [Option<f64>; 2],
}

thread_local! {
    /// The test images fetched so far, by dataset.
    static TEST: RefCell<Vec<(DatasetKind, Dataset)>> = const { RefCell::new(Vec::new()) };
    static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::new());
}

/// The first [`TEST_IMAGES`] test images of `kind`, fetched once per worker.
async fn test_images(kind: DatasetKind) -> Result<Dataset, String> {
    if let Some(d) = TEST.with(|t| {
        t.borrow()
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, d)| d.clone())
    }) {
        return Ok(d);
    }
    let d = crate::trainer::data::load_test(kind, TEST_IMAGES, &|_, _| {}).await?;
    TEST.with(|t| t.borrow_mut().push((kind, d.clone())));
    Ok(d)
}

/// Runs `job`: fetches the test images when it can (a failure is reported, the gallery is
/// still searched), then searches and ascends.
///
/// # Errors
/// The core's message (a layer or channel the model lacks, bad ascent settings) or a
/// missing model.
pub async fn search(job: FilterJob) -> Result<FilterLooks, String> {
    let (test, test_error) = match job.dataset {
        Some(kind) => match test_images(kind).await {
            Ok(d) => (d, None),
            Err(e) => (Dataset::default(), Some(e)),
        },
        None => (Dataset::default(), None),
    };
    run(&job, &test, test_error)
}

/// The search and the ascent on the gallery of `job` and `test`.
///
/// # Errors
/// As [`search`].
pub fn run(
    job: &FilterJob,
    test: &Dataset,
    test_error: Option<String>,
) -> Result<FilterLooks, String> {
    let kept = model::get(&job.model)?;
    let net = &kept.net;
    let gallery_n = job.gallery_labels.len();
    if job.gallery.len() != gallery_n * IMAGE_PIXELS {
        return Err(format!(
            "the gallery holds {} values for {gallery_n} labels (784 per image)",
            job.gallery.len()
        ));
    }
    let mut images = Vec::with_capacity(job.gallery.len() + test.images.len());
    images.extend_from_slice(&job.gallery);
    images.extend_from_slice(&test.images);
    let n = gallery_n + test.len();
    let e = |e: convscope_core::nn::NnError| e.to_string();
    WORKSPACE.with(|ws| {
        let ws = &mut *ws.borrow_mut();
        let t0 = now_ms();
        let top = explain::top_patches(
            net,
            &images,
            n,
            &job.layer,
            job.channel,
            9,
            ws,
            &mut |_, _| {},
        )
        .map_err(e)?;
        let t1 = now_ms();
        let config = AscentConfig {
            steps: job.steps,
            rate: job.rate,
            decay: job.decay,
            seed: 1,
        };
        let ascent = explain::maximize(net, &job.layer, job.channel, config, ws).map_err(e)?;
        let t2 = now_ms();
        let size = top
            .first()
            .map_or(0, |p| usize::try_from(p.rows[1] - p.rows[0]).unwrap_or(0));
        let patches = top
            .into_iter()
            .map(|p| {
                let (source, label) = if p.image < gallery_n {
                    (PatchSource::Gallery(p.image), job.gallery_labels[p.image])
                } else {
                    let i = p.image - gallery_n;
                    (
                        PatchSource::Test(i),
                        test.labels.get(i).copied().unwrap_or(0),
                    )
                };
                FilterPatch {
                    source,
                    label,
                    value: p.value,
                    at: p.at,
                    rows: p.rows,
                    cols: p.cols,
                    pixels: p.pixels,
                }
            })
            .collect();
        Ok(FilterLooks {
            layer: job.layer.clone(),
            channel: job.channel,
            size,
            patches,
            gallery_searched: gallery_n,
            test_searched: test.len(),
            test_error,
            ascent: ascent.image,
            objective: ascent.objective,
            millis: [
                t0.zip(t1).map(|(a, b)| b - a),
                t1.zip(t2).map(|(a, b)| b - a),
            ],
        })
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;

    fn job(layer: &str, channel: usize) -> FilterJob {
        // Ten images: a bar moving right, brighter each time.
        let mut gallery = Vec::new();
        for i in 0..10 {
            gallery.extend((0..784).map(|p| {
                let (r, c) = (p / 28, p % 28);
                if (6..22).contains(&r) && (4 + 2 * i..7 + 2 * i).contains(&c) {
                    0.5 + 0.05 * i as f32
                } else {
                    0.0
                }
            }));
        }
        FilterJob {
            model: "filter-mnist".into(),
            dataset: None,
            gallery,
            gallery_labels: (0..10).collect(),
            layer: layer.into(),
            channel,
            steps: 10,
            rate: 0.05,
            decay: 0.01,
        }
    }

    #[test]
    fn the_gallery_is_searched_and_an_image_grown() -> Result<(), String> {
        let bytes = include_bytes!("../../../../www/models/lenet-mnist.safetensors");
        model::load("filter-mnist".into(), bytes)?;
        let extra = Dataset {
            images: vec![0.0; 3 * 784],
            labels: vec![4, 5, 6],
        };
        let looks = run(&job("conv2", 3), &extra, None)?;
        assert_eq!((looks.gallery_searched, looks.test_searched), (10, 3));
        assert_eq!(looks.patches.len(), 9);
        assert_eq!(looks.size, 14);
        assert!(looks.patches.iter().all(|p| p.pixels.len() == 14 * 14));
        assert!(looks.patches.windows(2).all(|w| w[0].value >= w[1].value));
        assert_eq!(looks.objective.len(), 11);
        assert!(
            looks.objective[10] > looks.objective[0],
            "{:?}",
            looks.objective
        );
        let e = run(&job("conv2", 99), &extra, None).expect_err("no channel 99");
        assert!(e.contains("99"), "{e}");
        Ok(())
    }
}
