//! What a filter looks for, in the worker: the test images' patches that excite one
//! channel of a layer most (searched over the gallery the page shows and a larger sample
//! of the dataset's test split, fetched here), and an image grown by gradient ascent to
//! excite it (`convscope_core::explain::{top_patches, maximize}`).
//!
//! The search runs in parts of [`PART_IMAGES`] images (fewer for a larger network:
//! [`PART_MACS`]), one request each, so the page can show how far it got, and a
//! classification asked for meanwhile waits for one part at most: [`start`] answers the
//! first part, [`resume`] each next one, the last with the result. The search between
//! parts lives in the worker; a new start replaces it.

use std::cell::RefCell;

use convscope_core::data::{Dataset, DatasetKind, IMAGE_PIXELS};
use convscope_core::explain::{self, AscentConfig};
use convscope_core::nn::Workspace;
use serde::{Deserialize, Serialize};

use super::classify::now_ms;
use super::model;

/// Test images searched besides the gallery, at most.
pub const TEST_IMAGES: usize = 2000;

/// Images searched per request, at most.
pub const PART_IMAGES: usize = 500;

/// Multiply-adds one request runs at most (about 0.1 s of wasm here): a larger network
/// searches fewer images per request, so that a classification asked for meanwhile, which
/// waits for the part under way, waits no longer (LeNet-5 keeps its 500 images; the digit
/// ensemble, 41 million multiply-adds per image, searches 48).
const PART_MACS: u64 = 2_000_000_000;

/// Images per request for `net`: [`PART_MACS`] worth, 8 to [`PART_IMAGES`].
fn part_images(net: &convscope_core::nn::Network) -> usize {
    let macs = net.report().totals.macs.max(1);
    usize::try_from(PART_MACS / macs).map_or(PART_IMAGES, |n| n.clamp(8, PART_IMAGES))
}

/// A filter search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterJob {
    /// The worker's name of the model.
    pub model: String,
    /// Its dataset, whose test split is searched (`None`: the gallery only).
    pub dataset: Option<DatasetKind>,
    /// The gallery's images (784 values each) and labels.
    #[serde(with = "crate::wire::floats")]
    pub gallery: Vec<f32>,
    /// One label per gallery image.
    #[serde(with = "crate::wire::bytes")]
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
    #[serde(with = "crate::wire::floats")]
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
    /// The image grown by gradient ascent (the network's input, values in `[0, 1]`).
    #[serde(with = "crate::wire::floats")]
    pub ascent: Vec<f32>,
    /// `[H, W]` of that image.
    pub ascent_dims: [usize; 2],
    /// The unit the ascent maximised: the centre of the filter's map, `[row, column]`.
    pub unit: [usize; 2],
    /// `[first, end)` input rows of the unit's receptive field (may reach into padding).
    pub unit_rows: [i64; 2],
    /// `[first, end)` input columns.
    pub unit_cols: [i64; 2],
    /// The grown image's pixels in that field, `size × size`, cut as the patches are.
    #[serde(with = "crate::wire::floats")]
    pub unit_field: Vec<f32>,
    /// The unit's value before each step and after the last.
    pub objective: Vec<f32>,
    /// Milliseconds of the search and of the ascent, when the worker has a clock.
    pub millis: [Option<f64>; 2],
}

/// One answer of a search in parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FilterStep {
    /// `done` of `total` images searched; resume search number `search` for the next part.
    Progress {
        search: u64,
        done: usize,
        total: usize,
    },
    /// The result.
    Done(Box<FilterLooks>),
}

/// A search between its parts.
struct Search {
    id: u64,
    job: FilterJob,
    /// The gallery's images, then the test images.
    images: Vec<f32>,
    test_labels: Vec<u8>,
    test_error: Option<String>,
    /// Images searched so far.
    done: usize,
    /// The strongest so far, with indices into `images`.
    best: Vec<explain::TopPatch>,
    millis: f64,
}

thread_local! {
    /// The test images fetched so far, by dataset.
    static TEST: RefCell<Vec<(DatasetKind, Dataset)>> = const { RefCell::new(Vec::new()) };
    static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::new());
    /// The search under way, and the number of the last one started.
    static SEARCH: RefCell<(Option<Search>, u64)> = const { RefCell::new((None, 0)) };
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

/// Starts a search for `job` (fetching the test images first when it can: a failure is
/// reported and the gallery still searched) and runs its first part.
///
/// # Errors
/// The core's message (a layer or channel the model lacks, bad ascent settings), a gallery
/// of the wrong size, or a missing model.
pub async fn start(job: FilterJob) -> Result<FilterStep, String> {
    let (test, test_error) = match job.dataset {
        Some(kind) => match test_images(kind).await {
            Ok(d) => (d, None),
            Err(e) => (Dataset::default(), Some(e)),
        },
        None => (Dataset::default(), None),
    };
    let id = begin(job, &test, test_error)?;
    resume(id)
}

/// Makes `job` the search under way, over its gallery and `test`; its number.
fn begin(job: FilterJob, test: &Dataset, test_error: Option<String>) -> Result<u64, String> {
    let gallery_n = job.gallery_labels.len();
    if job.gallery.len() != gallery_n * IMAGE_PIXELS {
        return Err(format!(
            "the gallery holds {} values for {gallery_n} labels (784 per image)",
            job.gallery.len()
        ));
    }
    model::get(&job.model)?;
    let mut images = Vec::with_capacity(job.gallery.len() + test.images.len());
    images.extend_from_slice(&job.gallery);
    images.extend_from_slice(&test.images);
    Ok(SEARCH.with(|s| {
        let mut s = s.borrow_mut();
        s.1 += 1;
        let id = s.1;
        s.0 = Some(Search {
            id,
            job,
            images,
            test_labels: test.labels.clone(),
            test_error,
            done: 0,
            best: Vec::new(),
            millis: 0.0,
        });
        id
    }))
}

/// Runs the next part of search `id`; the last part also grows the image and answers
/// with the result.
///
/// # Errors
/// As [`start`], and when search `id` is no longer the one under way (a newer one
/// started).
#[inline(never)] // compiled on its first call only: see `agent::answer`
pub fn resume(id: u64) -> Result<FilterStep, String> {
    let mut search = SEARCH.with(|s| {
        let mut s = s.borrow_mut();
        match s.0.take() {
            Some(x) if x.id == id => Ok(x),
            other => {
                s.0 = other;
                Err(format!("filter search {id} was replaced by a newer one"))
            }
        }
    })?;
    let kept = model::get(&search.job.model)?;
    let net = &kept.net;
    let total = search.images.len() / IMAGE_PIXELS;
    let (from, to) = (search.done, (search.done + part_images(net)).min(total));
    let e = |e: convscope_core::nn::NnError| e.to_string();
    let t0 = now_ms();
    WORKSPACE.with(|ws| -> Result<(), String> {
        let ws = &mut *ws.borrow_mut();
        let part = explain::top_patches(
            net,
            &search.images[from * IMAGE_PIXELS..to * IMAGE_PIXELS],
            to - from,
            &search.job.layer,
            search.job.channel,
            9,
            ws,
            &mut |_, _| {},
        )
        .map_err(e)?;
        search.best.extend(part.into_iter().map(|mut p| {
            p.image += from;
            p
        }));
        // The parts' patches come in the images' order, each part's largest first: equal
        // values stay in the images' order.
        explain::keep_largest(&mut search.best, 9, |p| p.value);
        Ok(())
    })?;
    search.millis += t0.zip(now_ms()).map_or(0.0, |(a, b)| b - a);
    search.done = to;
    if to < total {
        let step = FilterStep::Progress {
            search: id,
            done: to,
            total,
        };
        SEARCH.with(|s| s.borrow_mut().0 = Some(search));
        return Ok(step);
    }
    finish(search, net).map(|l| FilterStep::Done(Box::new(l)))
}

/// Grows the image for a finished search and assembles the answer.
fn finish(s: Search, net: &convscope_core::nn::Network) -> Result<FilterLooks, String> {
    let job = &s.job;
    let gallery_n = job.gallery_labels.len();
    let config = AscentConfig {
        steps: job.steps,
        rate: job.rate,
        decay: job.decay,
        seed: 1,
    };
    let t0 = now_ms();
    let ascent = WORKSPACE
        .with(|ws| explain::maximize(net, &job.layer, job.channel, config, &mut ws.borrow_mut()))
        .map_err(|e| e.to_string())?;
    let ascent_millis = t0.zip(now_ms()).map(|(a, b)| b - a);
    let size = s
        .best
        .first()
        .map_or(0, |p| usize::try_from(p.rows[1] - p.rows[0]).unwrap_or(0));
    let patches = s
        .best
        .into_iter()
        .map(|p| {
            let (source, label) = if p.image < gallery_n {
                (PatchSource::Gallery(p.image), job.gallery_labels[p.image])
            } else {
                let i = p.image - gallery_n;
                (
                    PatchSource::Test(i),
                    s.test_labels.get(i).copied().unwrap_or(0),
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
        test_searched: s.test_labels.len(),
        test_error: s.test_error,
        ascent: ascent.image,
        ascent_dims: [net.input().h, net.input().w],
        unit: ascent.at,
        unit_rows: ascent.rows,
        unit_cols: ascent.cols,
        unit_field: ascent.field,
        objective: ascent.objective,
        millis: [now_ms().map(|_| s.millis), ascent_millis],
    })
}

/// Every part of a search for `job` over its gallery and `test`, at once (the tests').
///
/// # Errors
/// As [`start`].
#[inline(never)] // compiled on its first call only: see `agent::answer`
pub fn run(job: FilterJob, test: &Dataset) -> Result<FilterLooks, String> {
    let id = begin(job, test, None)?;
    loop {
        if let FilterStep::Done(l) = resume(id)? {
            return Ok(*l);
        }
    }
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
        let looks = run(job("conv2", 3), &extra)?;
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
        let e = run(job("conv2", 99), &extra).expect_err("no channel 99");
        assert!(e.contains("99"), "{e}");
        Ok(())
    }

    #[test]
    fn a_larger_network_searches_fewer_images_per_part() -> Result<(), String> {
        let net = |text: &str| -> Result<_, String> {
            let arch =
                convscope_core::arch::Architecture::from_text(text).map_err(|e| e.to_string())?;
            convscope_core::nn::Network::build(
                &arch,
                &mut convscope_core::nn::Rng::seed_from_u64(0),
            )
            .map_err(|e| e.to_string())
        };
        let lenet = net(
            "input 28x28x1, conv 6 5x5 pad 2, relu, maxpool 2, conv 16 5x5, relu, maxpool 2, flatten, linear 120, relu, linear 84, relu, linear 10",
        )?;
        assert_eq!(part_images(&lenet), PART_IMAGES);
        // 28·28·64·9 + 28·28·64·64·9 + 50,176·10 = 29.9 million multiply-adds: 66 images.
        let wide =
            net("input 28x28x1, conv 64 3x3 pad 1, relu, conv 64 3x3 pad 1, flatten, linear 10")?;
        assert_eq!(
            part_images(&wide),
            (PART_MACS / wide.report().totals.macs) as usize
        );
        assert!(
            (60..70).contains(&part_images(&wide)),
            "{}",
            part_images(&wide)
        );
        let huge =
            net("input 28x28x1, conv 256 5x5 pad 2, conv 256 5x5 pad 2, flatten, linear 10")?;
        assert_eq!(part_images(&huge), 8);
        Ok(())
    }

    #[test]
    fn a_search_in_parts_equals_the_search_at_once() -> Result<(), String> {
        let bytes = include_bytes!("../../../../www/models/lenet-mnist.safetensors");
        model::load("filter-mnist".into(), bytes)?;
        // 10 gallery images and 1,190 more: three parts of 500, 500 and 200.
        let extra = Dataset {
            images: (0..1190 * 784)
                .map(|i: usize| (i.wrapping_mul(7919) % 1000) as f32 / 1000.0)
                .collect(),
            labels: (0..1190).map(|i| (i % 10) as u8).collect(),
        };
        let id = begin(job("conv1", 4), &extra, None)?;
        let mut steps = Vec::new();
        let looks = loop {
            match resume(id)? {
                FilterStep::Progress { done, total, .. } => steps.push((done, total)),
                FilterStep::Done(l) => break l,
            }
        };
        assert_eq!(steps, vec![(500, 1200), (1000, 1200)]);
        // The same nine as one pass of the core over every image.
        let kept = model::get("filter-mnist")?;
        let mut all = job("conv1", 4).gallery;
        all.extend_from_slice(&extra.images);
        let once = explain::top_patches(
            &kept.net,
            &all,
            1200,
            "conv1",
            4,
            9,
            &mut Workspace::new(),
            &mut |_, _| {},
        )
        .map_err(|e| e.to_string())?;
        let values: Vec<f32> = looks.patches.iter().map(|p| p.value).collect();
        assert_eq!(values, once.iter().map(|p| p.value).collect::<Vec<_>>());
        // A replaced search cannot be resumed.
        let newer = begin(job("conv1", 4), &extra, None)?;
        assert!(resume(id).is_err());
        assert!(resume(newer).is_ok());
        Ok(())
    }
}
