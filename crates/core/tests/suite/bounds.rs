//! Bounds: every public function of the core that allocates or indexes from a caller's
//! size or index, called with extreme values (0, 1, the caps and one past them, `u32::MAX`,
//! `usize::MAX`, sizes whose product overflows 32 bits). Each must return a typed error
//! naming the values, or a correct result — never panic, overflow or try a huge allocation.
//!
//! The boundary tests run natively and in headless Chromium, where `usize` is 32 bits
//! (`cargo xtask test` runs every core test on wasm32); the property tests (proptest is a
//! native dev-dependency) run natively. The caps are listed in SECURITY.md ("Bounds").
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use convscope_core::arch::{Architecture, Volume, zoo};
use convscope_core::data::pack::{chunk_bytes, decode_chunk};
use convscope_core::data::samples::SampleSet;
use convscope_core::data::{DataError, Dataset, DatasetKind, IMAGE_PIXELS};
use convscope_core::explain::{
    self, AscentConfig, MAX_ASCENT_STEPS, MAX_SMOOTHGRAD_COPIES, MAX_UPSAMPLE_PIXELS, Occlusion,
    OcclusionConfig, class_weights, cover, maximize, occlusion, scores, smooth_grad, top_patches,
    unit_field, upsample_bilinear,
};
use convscope_core::nn::{MAX_BATCH, MAX_THREADS, Mode, Network, NnError, Rng, Trainer, Workspace};
use convscope_core::preprocess::{
    GrayImage, MAX_RESIZE_SIDE, MAX_SIDE, PreprocessError, Style, encode_png_gray, preprocess_luma,
    resize_square,
};
use convscope_core::{
    Activation, Conv2dParams, ConvTrace, CoreError, Pool2dParams, PoolKind, PoolTrace, ShapeError,
    Stepper,
};
use ndarray::Array4;

/// `usize` from a `u64`, saturating on 32-bit targets (`1 << 32` is `usize::MAX` there).
fn size(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// The sizes every test tries: small, the 32-bit edges, and `usize::MAX`.
fn extremes() -> Vec<usize> {
    vec![
        0,
        1,
        2,
        size(u64::from(u16::MAX) + 1),
        size(1 << 31),
        size(u64::from(u32::MAX)),
        size(1 << 32),
        size(1 << 40),
        usize::MAX / IMAGE_PIXELS + 1,
        usize::MAX - 1,
        usize::MAX,
    ]
}

fn net(text: &str) -> Network {
    let arch = Architecture::parse_description(text).unwrap();
    Network::build(&arch, &mut Rng::seed_from_u64(0)).unwrap()
}

/// A network small enough that a batch of [`MAX_BATCH`] fits in memory (1.3 MB of input).
fn tiny() -> Network {
    net("input 4x4x1, conv 2 3x3, relu, flatten, linear 3")
}

fn too_large(e: &NnError) -> &str {
    match e {
        NnError::TooLarge { message } => message,
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn workspace_batches_are_checked_before_anything_is_allocated() {
    let net = tiny();
    let mut ws = Workspace::new();
    for n in extremes() {
        let r = ws.prepare(&net, n);
        match n {
            0 => assert_eq!(r, Err(NnError::EmptyBatch { op: "Network" })),
            1..=MAX_BATCH => {
                r.unwrap();
                assert_eq!(ws.batch(), n);
                assert_eq!(ws.input().len(), n * net.input_len());
            }
            _ => {
                let m = too_large(r.as_ref().unwrap_err()).to_owned();
                assert!(m.contains("use a batch of at most"), "{m}");
                // A refused batch leaves the last good one in place.
                assert!(ws.batch() <= MAX_BATCH);
            }
        }
    }
    // The cap itself and one past it.
    ws.prepare(&net, MAX_BATCH).unwrap();
    let m = too_large(&ws.prepare(&net, MAX_BATCH + 1).unwrap_err()).to_owned();
    assert!(m.contains("65,537") && m.contains("65,536"), "{m}");
    // forward/infer check the images' length against n · input_len without overflow.
    for n in [usize::MAX, size(1 << 32), MAX_BATCH + 1] {
        let e = net.infer(&[0.0; 16], n, &mut ws).unwrap_err();
        assert!(matches!(e, NnError::Shape { .. }), "{e:?}");
    }
}

#[test]
fn lenet_batches_hit_the_memory_limit_with_the_numbers() {
    let lenet = Network::build(&zoo::lenet5(), &mut Rng::seed_from_u64(0)).unwrap();
    for n in [100_000, size(1 << 32), usize::MAX] {
        let m = too_large(&lenet.check_batch(n).unwrap_err()).to_owned();
        assert!(m.contains("images needs"), "{m}");
        assert!(m.contains("use a batch of at most"), "{m}");
        let mut ws = Workspace::new();
        let e = lenet.infer(&[], n, &mut ws).unwrap_err();
        assert!(matches!(e, NnError::Shape { .. }), "{e:?}");
    }
    // The batch a memory message suggests is itself accepted.
    let m = too_large(&lenet.check_batch(usize::MAX).unwrap_err()).to_owned();
    let fits: usize = m
        .rsplit("at most ")
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap();
    assert!((1..=MAX_BATCH).contains(&fits), "{m}");
    lenet.check_batch(fits).unwrap();
}

#[test]
fn huge_networks_are_refused_at_build_or_at_the_first_batch() {
    // A billion parameters: refused before anything is allocated.
    let arch = Architecture::parse_description("input 1000x1000x1, flatten, linear 1000").unwrap();
    let e = Network::build(&arch, &mut Rng::seed_from_u64(0)).unwrap_err();
    assert!(
        too_large(&e).contains("1,000,001,000 learnable parameters"),
        "{e}"
    );
    // Few parameters but activations that overflow 32 bits: built, then refused per batch.
    let wide = net("input 65536x65536x1, conv 1 1x1");
    assert_eq!(wide.parameter_count(), 2);
    let mut ws = Workspace::new();
    let e = ws.prepare(&wide, 1).unwrap_err();
    assert!(too_large(&e).contains("a batch of 1 images needs"), "{e}");
    // Inputs whose volume overflows even 64 bits are the explorer's error, not a panic.
    for side in [size(u64::from(u32::MAX)), usize::MAX] {
        let r = zoo::lenet5().evaluate_with_input(Volume::new(side, side, 3));
        assert!(r.is_err(), "{side}");
        let mut a = zoo::lenet5();
        a.input = Volume::new(side, side, 1);
        assert!(Network::build(&a, &mut Rng::seed_from_u64(0)).is_err());
    }
}

fn gray(width: u32, height: u32, len: usize) -> GrayImage {
    GrayImage {
        width,
        height,
        pixels: (0..len).map(|i| (i % 3) as f32 / 2.0).collect(),
    }
}

#[test]
fn image_dimensions_are_checked_in_64_bits() {
    // Declared sizes whose product overflows a 32-bit usize (wasm): 65536² = 2^32.
    for (w, h) in [
        (65_536, 65_536),
        (u32::MAX, u32::MAX),
        (u32::MAX, 1),
        (1, u32::MAX),
        (MAX_SIDE + 1, 1),
    ] {
        let g = gray(w, h, 6);
        let e = resize_square(&g, 28).unwrap_err();
        assert!(
            matches!(e, PreprocessError::TooLarge { .. }),
            "{w}×{h}: {e:?}"
        );
        assert!(e.to_string().contains(&format!("{w}×{h} pixels")), "{e}");
        let e = preprocess_luma(g.clone(), Style::Digit).unwrap_err();
        assert!(matches!(e, PreprocessError::TooLarge { .. }), "{e:?}");
        // The encoder has no side cap: its length check must not wrap.
        assert_eq!(
            encode_png_gray(&g),
            Err(PreprocessError::Length {
                width: w,
                height: h,
                got: 6,
                expected: u64::from(w) * u64::from(h),
            })
        );
    }
    assert_eq!(
        encode_png_gray(&gray(65_536, 65_536, 0))
            .unwrap_err()
            .to_string(),
        "65536×65536 pixels need 4294967296 values but 0 were given"
    );
    // Within the side limit, a buffer of the wrong length is named.
    assert_eq!(
        resize_square(&gray(MAX_SIDE, MAX_SIDE, 6), 28),
        Err(PreprocessError::Length {
            width: MAX_SIDE,
            height: MAX_SIDE,
            got: 6,
            expected: u64::from(MAX_SIDE) * u64::from(MAX_SIDE),
        })
    );
    for (w, h) in [(0, 0), (0, 5), (5, 0), (0, u32::MAX)] {
        assert_eq!(
            preprocess_luma(gray(w, h, 0), Style::Object),
            Err(PreprocessError::NoPixels {
                width: w,
                height: h
            })
        );
        assert!(matches!(
            resize_square(&gray(w, h, 0), 8),
            Err(PreprocessError::NoPixels { .. })
        ));
    }
    // 1×1 and long thin images work.
    assert_eq!(resize_square(&gray(1, 1, 1), 3).unwrap().len(), 9);
    assert_eq!(resize_square(&gray(1000, 1, 1000), 28).unwrap().len(), 784);
    assert_eq!(resize_square(&gray(1, 1000, 1000), 5).unwrap().len(), 25);
}

#[test]
fn resize_targets_are_capped() {
    let g = gray(3, 2, 6);
    for s in extremes() {
        let r = resize_square(&g, s);
        match s {
            0 => assert!(matches!(r, Err(PreprocessError::NoPixels { .. }))),
            1..=64 => assert_eq!(r.unwrap().len(), s * s),
            _ if s > MAX_RESIZE_SIDE => assert_eq!(
                r,
                Err(PreprocessError::TargetTooLarge {
                    size: s,
                    max: MAX_RESIZE_SIDE
                })
            ),
            _ => unreachable!("{s}"),
        }
    }
    let e = resize_square(&g, MAX_RESIZE_SIDE + 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot resize to 4097×4097 pixels; at most 4096×4096 are produced"
    );
}

/// The largest resize the cap allows (64 MiB): natively only, to keep the browser run light.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_largest_resize_target_works() {
    let out = resize_square(&gray(3, 2, 6), MAX_RESIZE_SIDE).unwrap();
    assert_eq!(out.len(), MAX_RESIZE_SIDE * MAX_RESIZE_SIDE);
}

fn dataset(n: usize) -> Dataset {
    Dataset {
        images: (0..n * IMAGE_PIXELS)
            .map(|i| (i / IMAGE_PIXELS) as f32 / n as f32)
            .collect(),
        labels: (0..n).map(|i| (i % 10) as u8).collect(),
    }
}

#[test]
fn dataset_and_sample_indices_are_typed_errors() {
    let d = dataset(3);
    for i in extremes() {
        match d.image(i) {
            Ok(img) => {
                assert!(i < 3);
                assert_eq!(img.len(), IMAGE_PIXELS);
                assert_eq!(img[0], i as f32 / 3.0);
            }
            Err(e) => {
                assert!(i >= 3, "{i}");
                assert_eq!(
                    e,
                    DataError::IndexOutOfRange {
                        what: "the dataset",
                        index: i,
                        len: 3
                    }
                );
                assert_eq!(
                    e.to_string(),
                    format!("the dataset: image {i} requested but the set holds 3")
                );
            }
        }
    }
    // Fields that disagree (labels for three images, pixels for two) are an error too.
    let mut short = dataset(3);
    short.images.truncate(2 * IMAGE_PIXELS + 5);
    assert!(short.image(1).is_ok());
    assert!(short.image(2).is_err());
    assert!(Dataset::default().image(0).is_err());

    let set = SampleSet::from_test(DatasetKind::Mnist, &dataset(30), 1);
    assert_eq!(set.len(), 10);
    for i in extremes() {
        match set.input(i) {
            Ok(v) => assert!(i < 10 && v.len() == IMAGE_PIXELS),
            Err(e) => assert_eq!(
                e.to_string(),
                format!("the sample gallery: image {i} requested but the set holds 10")
            ),
        }
    }
}

#[test]
fn upsampled_maps_are_capped() {
    let map = [0.0, 1.0, 2.0, 3.0];
    for out_h in extremes() {
        for out_w in [0, 1, 7, size(1 << 16), usize::MAX] {
            let r = upsample_bilinear(&map, [2, 2], [out_h, out_w]);
            let pixels = u128::from(out_h as u64) * u128::from(out_w as u64);
            if pixels <= MAX_UPSAMPLE_PIXELS as u128 {
                assert_eq!(r.unwrap().len() as u128, pixels, "{out_h}×{out_w}");
            } else {
                let e = r.unwrap_err();
                assert!(
                    matches!(
                        e,
                        CoreError::Shape(ShapeError::TooLarge { .. } | ShapeError::Overflow { .. })
                    ),
                    "{out_h}×{out_w}: {e:?}"
                );
            }
        }
    }
    // A map that is not h·w values (or whose h·w overflows) is named, not indexed.
    for dims in [[3, 2], [usize::MAX, 2], [size(1 << 16), size(1 << 16)]] {
        let e = upsample_bilinear(&map, dims, [4, 4]).unwrap_err();
        assert!(matches!(e, CoreError::Length { got: 4, .. }), "{e:?}");
    }
}

/// A small classifier with a convolution to explain.
fn explained() -> Network {
    net("input 8x8x1, conv 2 3x3, relu, flatten, linear 3")
}

#[test]
fn explanation_indices_and_counts_are_checked() {
    let net = explained();
    let image = vec![0.5; 64];
    let mut ws = Workspace::new();
    let w = class_weights(&net, 1, None).unwrap();
    for class in [3, usize::MAX] {
        assert!(matches!(
            class_weights(&net, class, None),
            Err(NnError::Label { .. })
        ));
        assert!(matches!(
            class_weights(&net, 0, Some(class)),
            Err(NnError::Label { .. })
        ));
    }
    // SmoothGrad's copies.
    for count in [0, MAX_SMOOTHGRAD_COPIES + 1, size(1 << 32), usize::MAX] {
        let e = smooth_grad(&net, &image, &w, 0.1, count, 1, &mut ws).unwrap_err();
        assert!(
            matches!(e, NnError::HyperParameter { value, .. } if value == count as f64),
            "{e:?}"
        );
    }
    assert_eq!(
        smooth_grad(&net, &image, &w, 0.1, 2, 1, &mut ws)
            .unwrap()
            .len(),
        64
    );
    // The ascent's steps and channel.
    for steps in [MAX_ASCENT_STEPS + 1, usize::MAX] {
        let config = AscentConfig {
            steps,
            ..AscentConfig::default()
        };
        let e = maximize(&net, "conv1", 0, config, &mut ws).unwrap_err();
        assert!(matches!(e, NnError::HyperParameter { .. }), "{e:?}");
    }
    let config = AscentConfig {
        steps: 0,
        ..AscentConfig::default()
    };
    assert_eq!(
        maximize(&net, "conv1", 1, config, &mut ws)
            .unwrap()
            .objective
            .len(),
        1
    );
    for channel in [2, usize::MAX] {
        let e = maximize(&net, "conv1", channel, config, &mut ws).unwrap_err();
        assert!(matches!(e, NnError::Layer { .. }), "{e:?}");
        let e = top_patches(
            &net,
            &image,
            1,
            "conv1",
            channel,
            1,
            &mut ws,
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(matches!(e, NnError::Layer { .. }), "{e:?}");
    }
    // Top patches: n against the images' length, any k.
    for n in [0, 2, usize::MAX, size(1 << 32)] {
        let r = top_patches(&net, &image, n, "conv1", 0, 1, &mut ws, &mut |_, _| {});
        assert!(matches!(r, Err(NnError::Shape { .. })), "{n}: {r:?}");
    }
    let found = top_patches(
        &net,
        &image,
        1,
        "conv1",
        0,
        usize::MAX,
        &mut ws,
        &mut |_, _| {},
    );
    assert_eq!(found.unwrap().len(), 1);
    // One unit of a layer.
    for unit in [[2, 0, 0], [0, 6, 0], [0, 0, 6], [usize::MAX; 3]] {
        let e = unit_field(&net, &image, "conv1", unit, &mut ws).unwrap_err();
        assert!(matches!(e, NnError::Layer { .. }), "{e:?}");
    }
    unit_field(&net, &image, "conv1", [1, 5, 5], &mut ws).unwrap();
    // Scores: n against the images' length.
    for n in [0, 2, usize::MAX] {
        assert!(scores(&net, &image, n, &mut ws).is_err(), "{n}");
    }
}

#[test]
fn occlusion_patches_and_strides_are_checked() {
    let net = explained();
    let image = vec![0.5; 64];
    let mut ws = Workspace::new();
    for patch in extremes() {
        for stride in [0, 1, 3, usize::MAX] {
            let config = OcclusionConfig {
                patch,
                stride,
                fill: 0.0,
            };
            let r = occlusion(&net, &image, 0, config, &mut ws, &mut |_, _| {});
            if (1..=8).contains(&patch) && stride > 0 {
                let o = r.unwrap();
                let side = (8 - patch) / stride + 1;
                assert_eq!(o.dims, [side, side], "patch {patch} stride {stride}");
                assert_eq!(o.drops.len(), side * side);
            } else {
                assert!(r.is_err(), "patch {patch} stride {stride}");
            }
        }
    }
    let config = OcclusionConfig::default();
    assert!(occlusion(&net, &image, usize::MAX, config, &mut ws, &mut |_, _| {}).is_err());
    // The patch's position and size are clipped at the edges; a volume that overflows is
    // the wrong length, not an index.
    let v = Volume::new(8, 8, 1);
    for at in [[0, 0], [7, 7], [8, 8], [usize::MAX, 0], [usize::MAX; 2]] {
        for patch in [0, 1, 9, usize::MAX] {
            let mut img = image.clone();
            cover(&mut img, v, at, patch, 1.0).unwrap();
        }
    }
    let mut img = image.clone();
    cover(&mut img, v, [6, 6], usize::MAX, 1.0).unwrap();
    assert_eq!(img.iter().filter(|&&x| x == 1.0).count(), 4);
    for v in [
        Volume::new(usize::MAX, usize::MAX, 2),
        Volume::new(size(1 << 16), size(1 << 16), 1),
        Volume::new(8, 8, 2),
    ] {
        let e = cover(&mut img, v, [0, 0], 2, 1.0).unwrap_err();
        assert!(matches!(e, NnError::Shape { .. }), "{e:?}");
    }
    assert!(explain::occluded(&net, &image, [usize::MAX; 2], usize::MAX, 0.0).is_ok());
    let o = Occlusion {
        dims: [3, 3],
        patch: 2,
        stride: usize::MAX,
        baseline: 0.0,
        drops: vec![0.0; 9],
    };
    assert_eq!(o.origin(4), [usize::MAX, usize::MAX]);
    // usize::MAX is a multiple of 3 (2^64 − 1 and 2^32 − 1 both are): column 0.
    assert_eq!(o.origin(usize::MAX), [usize::MAX, 0]);
}

#[test]
fn traces_check_samples_and_steps() {
    let input = Array4::<f32>::ones((2, 1, 5, 5));
    let weight = Array4::<f32>::ones((1, 1, 3, 3));
    for sample in [2, usize::MAX] {
        let e = ConvTrace::new(
            input.view(),
            sample,
            weight.view(),
            None,
            Conv2dParams::default(),
            Activation::Relu,
        )
        .unwrap_err();
        assert!(matches!(e, CoreError::SampleOutOfRange { .. }), "{e:?}");
        let e =
            PoolTrace::new(input.view(), sample, PoolKind::Max, Pool2dParams::new(2)).unwrap_err();
        assert!(matches!(e, CoreError::SampleOutOfRange { .. }), "{e:?}");
    }
    let trace = ConvTrace::new(
        input.view(),
        1,
        weight.view(),
        None,
        Conv2dParams::default(),
        Activation::Relu,
    )
    .unwrap();
    let mut step = trace.step(0).unwrap();
    for index in [9, usize::MAX] {
        assert_eq!(
            trace.step_into(index, &mut step),
            Err(CoreError::StepOutOfRange { index, len: 9 })
        );
    }
    for at in [[1, 0, 0], [0, 3, 0], [usize::MAX; 3]] {
        assert_eq!(trace.index_of(at), None);
    }
    for index in [9, usize::MAX] {
        assert_eq!(
            trace.cell_of(index),
            Err(CoreError::StepOutOfRange { index, len: 9 })
        );
    }
    // Tensors whose element count overflows are shape errors before any allocation.
    for shape in [
        [usize::MAX, 2, 1, 1],
        [size(1 << 16), size(1 << 16), 1, 1],
        [1, 1, usize::MAX, usize::MAX],
    ] {
        assert!(convscope_core::tensor::from_vec(shape, Vec::new()).is_err());
    }
}

#[test]
fn trainers_clamp_threads_and_batches() {
    let expected = if cfg!(target_arch = "wasm32") {
        1
    } else {
        MAX_THREADS
    };
    assert_eq!(Trainer::with_threads(usize::MAX).threads(), expected);
    assert_eq!(Trainer::with_threads(0).threads(), 1);
    let net = tiny();
    let images = vec![0.5; 5 * 16];
    let labels = [0, 1, 2, 0, 1];
    let mut trainer = Trainer::new();
    for batch in [1, 2, 5, usize::MAX] {
        let eval = trainer.evaluate(&net, &images, &labels, batch).unwrap();
        assert_eq!(eval.stats.count, 5);
    }
    assert!(trainer.evaluate(&net, &images, &labels, 0).is_err());
    // One batch larger than the cap.
    let many = vec![0.0; (MAX_BATCH + 1) * 16];
    let many_labels = vec![0; MAX_BATCH + 1];
    let e = trainer
        .evaluate(&net, &many, &many_labels, MAX_BATCH + 1)
        .unwrap_err();
    too_large(&e);
    // In batches at the cap, the same data are fine.
    let eval = trainer
        .evaluate(&net, &many, &many_labels, MAX_BATCH)
        .unwrap();
    assert_eq!(eval.stats.count, MAX_BATCH + 1);
    let mut ws = Workspace::new();
    let out = net
        .forward(&images, 5, Mode::Train, &mut ws, &mut Rng::seed_from_u64(0))
        .unwrap();
    assert_eq!(out.len(), 15);
}

#[test]
fn a_training_run_with_a_huge_batch_takes_the_whole_set() {
    use convscope_core::nn::run::{Run, RunConfig};
    let config = RunConfig {
        batch: usize::MAX,
        epochs: 1,
        ..RunConfig::default()
    };
    let arch = Architecture::parse_description("flatten, linear 10").unwrap();
    let train = dataset(7);
    let mut run = Run::new(&arch, config, train.len()).unwrap();
    let step = run.step(&train).unwrap();
    assert!(step.epoch_done);
    assert_eq!(step.stats.count, 7);
    // Measured against the batch itself (as the CLI checks before reading the data).
    let e = Run::new(&arch, config, usize::MAX).unwrap_err();
    assert!(e.to_string().contains("use a batch of at most"), "{e}");
}

#[test]
fn packed_chunks_declare_sizes_that_are_checked() {
    assert_eq!(chunk_bytes(usize::MAX), None);
    assert_eq!(chunk_bytes(0), Some(16));
    // A header that declares u32::MAX images in 16 bytes.
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&convscope_core::data::pack::MAGIC);
    bytes.extend_from_slice(&1u32.to_le_bytes());
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(&(IMAGE_PIXELS as u32).to_le_bytes());
    assert!(decode_chunk(&bytes).is_err());
}

#[test]
fn weights_files_declaring_huge_shapes_are_refused() {
    for shape in [
        "[4294967295, 4294967295]",
        "[18446744073709551615]",
        "[65536, 65536]",
        "[1000000000]",
    ] {
        let header = format!(
            r#"{{"conv1.weight":{{"dtype":"F32","shape":{shape},"data_offsets":[0,16]}}}}"#
        );
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&[0; 16]);
        assert!(
            convscope_core::weights::from_safetensors(&bytes).is_err(),
            "{shape}"
        );
    }
    // A header longer than the file.
    let mut bytes = u64::MAX.to_le_bytes().to_vec();
    bytes.extend_from_slice(b"{}");
    assert!(convscope_core::weights::from_safetensors(&bytes).is_err());
}

#[test]
fn an_image_at_the_side_limit_is_accepted() {
    // MAX_SIDE × 1 is the longest image a decoder passes on: the side check takes it.
    let long = gray(MAX_SIDE, 1, MAX_SIDE as usize);
    assert_eq!(resize_square(&long, 4).unwrap().len(), 16);
    let tall = gray(1, MAX_SIDE, MAX_SIDE as usize);
    assert_eq!(resize_square(&tall, 4).unwrap().len(), 16);
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A size either small (results are checked and cheap) or anywhere up to `usize::MAX`.
    fn any_size(small: usize) -> impl Strategy<Value = usize> {
        prop_oneof![0..=small, any::<usize>(), Just(usize::MAX), Just(1 << 32)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_batch_is_accepted_iff_within_the_caps(n in prop_oneof![0usize..=8, MAX_BATCH - 2..=MAX_BATCH + 2, any::<usize>()]) {
            let net = tiny();
            let mut ws = Workspace::new();
            let r = ws.prepare(&net, n);
            prop_assert_eq!(r.is_ok(), (1..=MAX_BATCH).contains(&n), "{} {:?}", n, r);
            prop_assert_eq!(net.check_batch(n).is_ok(), n <= MAX_BATCH);
        }

        #[test]
        fn any_gray_image_is_resized_or_refused(w in any::<u32>(), h in any::<u32>(), len in 0usize..64, s in any_size(40)) {
            let g = gray(w, h, len);
            let valid = w > 0 && h > 0 && w <= MAX_SIDE && h <= MAX_SIDE
                && u64::from(w) * u64::from(h) == len as u64;
            let r = resize_square(&g, s);
            prop_assert_eq!(r.is_ok(), valid && (1..=MAX_RESIZE_SIDE).contains(&s));
            if let Ok(v) = r {
                prop_assert_eq!(v.len(), s * s);
            }
            let r = preprocess_luma(g, Style::Digit);
            if !valid {
                prop_assert!(r.is_err());
            }
        }

        #[test]
        fn any_small_image_resizes_to_any_small_side(w in 1u32..50, h in 1u32..50, s in 1usize..=64) {
            let g = gray(w, h, (w * h) as usize);
            let v = resize_square(&g, s).unwrap();
            prop_assert_eq!(v.len(), s * s);
            prop_assert!(v.iter().all(|x| (0.0..=1.0).contains(x)));
        }

        #[test]
        fn any_index_into_a_dataset_is_checked(n in 0usize..5, i in any_size(8)) {
            let d = dataset(n);
            prop_assert_eq!(d.image(i).is_ok(), i < n);
            if let Err(e) = d.image(i) {
                prop_assert_eq!(e, DataError::IndexOutOfRange { what: "the dataset", index: i, len: n });
            }
        }

        #[test]
        fn any_upsampling_target_is_produced_or_refused(h in 0usize..4, w in 0usize..4, out_h in any_size(40), out_w in any_size(40)) {
            let map = vec![1.0; h * w];
            let r = upsample_bilinear(&map, [h, w], [out_h, out_w]);
            let pixels = u128::from(out_h as u64) * u128::from(out_w as u64);
            let fits = pixels <= MAX_UPSAMPLE_PIXELS as u128;
            prop_assert_eq!(r.is_ok(), fits);
            if let Ok(v) = r {
                prop_assert_eq!(v.len() as u128, pixels);
                if h > 0 && w > 0 {
                    prop_assert!(v.iter().all(|&x| (x - 1.0).abs() < 1e-6));
                }
            }
        }

        #[test]
        fn any_occlusion_setting_gives_a_result_or_an_error(patch in any_size(10), stride in any_size(10), class in any_size(4)) {
            let net = explained();
            let mut ws = Workspace::new();
            let config = OcclusionConfig { patch, stride, fill: 0.5 };
            let r = occlusion(&net, &[0.25; 64], class, config, &mut ws, &mut |_, _| {});
            prop_assert_eq!(r.is_ok(), (1..=8).contains(&patch) && stride > 0 && class < 3);
        }

        #[test]
        fn any_unit_or_channel_is_checked(c in any_size(3), y in any_size(7), x in any_size(7)) {
            let net = explained();
            let mut ws = Workspace::new();
            let r = unit_field(&net, &[0.25; 64], "conv1", [c, y, x], &mut ws);
            prop_assert_eq!(r.is_ok(), c < 2 && y < 6 && x < 6);
            let config = AscentConfig { steps: 1, ..AscentConfig::default() };
            let r = maximize(&net, "conv1", c, config, &mut ws);
            prop_assert_eq!(r.is_ok(), c < 2);
        }

        #[test]
        fn any_counts_of_copies_and_steps_are_checked(count in any_size(2), steps in prop_oneof![0usize..=2, any::<usize>()]) {
            let net = explained();
            let mut ws = Workspace::new();
            let w = class_weights(&net, 0, None).unwrap();
            let r = smooth_grad(&net, &[0.25; 64], &w, 0.1, count, 0, &mut ws);
            prop_assert_eq!(r.is_ok(), (1..=MAX_SMOOTHGRAD_COPIES).contains(&count));
            let config = AscentConfig { steps, ..AscentConfig::default() };
            prop_assert_eq!(maximize(&net, "conv1", 0, config, &mut ws).is_ok(), steps <= MAX_ASCENT_STEPS);
        }

        #[test]
        fn any_sample_set_index_is_checked(i in any_size(12)) {
            let set = SampleSet::from_test(DatasetKind::Fashion, &dataset(20), 1);
            prop_assert_eq!(set.input(i).is_ok(), i < set.len());
        }
    }
}
