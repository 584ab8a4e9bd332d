#![allow(clippy::expect_used)]

//! The convolution lab's settings, end to end through the core.

use super::*;
use crate::lab::samples::{Dataset, SampleLoad};
use convscope_core::Stepper;

/// The forward maps the worker computes: `(dims, pre, post)`.
fn forward(s: &ConvSettings) -> ([usize; 3], Vec<Plane>, Vec<Plane>) {
    match s.maps_job().run().expect("valid") {
        ConvMaps::Forward {
            dims, pre, post, ..
        } => (dims, pre, post),
        other => panic!("forward maps expected, got {other:?}"),
    }
}

/// The transposed maps the worker computes: `(dims, upsampled, output)`.
fn transposed(s: &ConvSettings) -> ([usize; 3], Vec<Plane>, Vec<Plane>) {
    match s.maps_job().run().expect("valid") {
        ConvMaps::Transposed {
            dims,
            upsampled,
            output,
            ..
        } => (dims, upsampled, output),
        other => panic!("transposed maps expected, got {other:?}"),
    }
}

#[test]
fn the_default_is_the_lecture_example() {
    let lab = ConvSettings::default().build().expect("valid");
    assert_eq!(lab.trace.output_dims(), [1, 3, 3]);
    let step = lab.trace.step(0).expect("step 0");
    assert_eq!(step.sum, 4.0);
    assert!((step.value - 0.98).abs() < 0.005);
    let (dims, pre, post) = forward(&ConvSettings::default());
    assert_eq!(dims, [1, 3, 3]);
    assert_eq!(pre[0][0], 4.0);
    assert_eq!(post[0][0].to_bits(), step.value.to_bits());
}

#[test]
fn rgb_input_with_filters_gives_a_stack() {
    let mut s = ConvSettings::default();
    s.apply(ConvAction::Input(InputSource::Rgb));
    s.apply(ConvAction::Filters(4));
    let lab = s.build().expect("valid");
    assert_eq!(lab.trace.output_dims(), [4, 6, 6]);
    assert_eq!(lab.trace.step(0).expect("step").channel_sums.len(), 3);
    s.apply(ConvAction::Groups(3));
    assert!(s.build().is_err(), "4 filters cannot split into 3 groups");
    s.apply(ConvAction::Filters(3));
    let lab = s.build().expect("depthwise");
    assert_eq!(lab.trace.step(0).expect("step").channel_sums.len(), 1);
}

#[test]
fn invalid_settings_report_and_stop_the_stepper() {
    let mut s = ConvSettings::default();
    s.apply(ConvAction::Player(PlayerAction::Last));
    assert_eq!(s.player.step, 8);
    s.apply(ConvAction::Kernel(Preset::Identity.kernel().resized(7)));
    assert!(s.build().is_err());
    assert_eq!(s.step_count(), 0);
    assert_eq!(s.player.step, 0);
}

#[test]
fn jump_to_an_output_cell() {
    let mut s = ConvSettings::default();
    s.apply(ConvAction::JumpTo([0, 2, 1]));
    assert_eq!(s.player.step, 7);
}

#[test]
fn transposed_mode_upsamples() {
    let mut s = ConvSettings::default();
    s.apply(ConvAction::Transposed(true));
    s.apply(ConvAction::Stride(2));
    assert_eq!(transposed(&s).0, [1, 11, 11]);
}

#[test]
fn transposed_depth_is_the_filter_count_or_an_error() {
    let mut s = ConvSettings::default();
    s.apply(ConvAction::Transposed(true));
    s.apply(ConvAction::Input(InputSource::Rgb));
    s.apply(ConvAction::Groups(3));
    s.apply(ConvAction::Filters(4));
    assert!(
        s.build_transposed().is_err(),
        "4 filters cannot split into 3 groups"
    );
    s.apply(ConvAction::Filters(6));
    assert_eq!(transposed(&s).0[0], 6, "the depth shown as D2 = K");
}

fn upload(n: usize) -> Upload {
    let px: Vec<f32> = (0..n * n).map(|i| (i % 3) as f32 / 2.0).collect();
    Upload::from_decoded([640, 480], n, &px).expect("valid")
}

#[test]
fn an_upload_becomes_the_input_and_resizes() {
    let mut s = ConvSettings::default();
    s.apply(ConvAction::Input(InputSource::Upload));
    assert!(s.upload_missing(), "no image yet: the lecture's stands in");
    assert_eq!(s.input_tensor().dim(), (1, 1, 5, 5));
    s.apply(ConvAction::Input(InputSource::Lecture));
    s.apply(ConvAction::Uploaded(upload(12)));
    assert_eq!(s.input, InputSource::Upload);
    assert!(!s.upload_missing());
    assert_eq!(s.upload_size, 12);
    let x = s.input_tensor();
    assert_eq!(x.dim(), (1, 1, 12, 12));
    assert_eq!(x[[0, 0, 0, 1]], 128.0 / 255.0);
    assert_eq!(s.step_count(), 10 * 10);
    s.apply(ConvAction::UploadSize(28));
    assert_eq!(s.upload_size, 28);
    assert_eq!(s.input_tensor().dim(), (1, 1, 28, 28));
    assert_eq!(s.upload.as_ref().map(|u| u.original), Some([640, 480]));
    assert_eq!(s.step_count(), 26 * 26);
}

#[test]
fn a_restored_upload_keeps_the_input_the_url_chose() {
    let mut s = ConvSettings::default();
    s.apply(ConvAction::RestoreUpload(upload(8)));
    assert_eq!(s.input, InputSource::Lecture);
    assert_eq!(s.upload_size, 8);
    s.apply(ConvAction::Query(Query::plain("in=upload&i=20")));
    assert_eq!(s.input, InputSource::Upload);
    assert_eq!(
        s.player.step, 20,
        "the step is clamped against the upload's size"
    );
    assert!(s.upload.is_some(), "a new query keeps the upload");
}

#[test]
fn a_new_query_replaces_every_url_setting() {
    let mut s = ConvSettings::default();
    s.apply(ConvAction::Stride(2));
    s.apply(ConvAction::Activation(ActivationChoice::Tanh));
    s.apply(ConvAction::Query(Query::plain("p=1&kp=sobelx")));
    assert_eq!(s.stride, 1);
    assert_eq!(s.padding, 1);
    assert_eq!(s.activation, ActivationChoice::Sigmoid);
    assert_eq!(s.preset, Some(Preset::SobelX));
    s.apply(ConvAction::Query(Query::new()));
    assert_eq!(s, ConvSettings::default());
}

#[test]
fn a_lenet_filter_is_the_kernel_until_edited() {
    use crate::lab::lenet::LenetModel;
    let mut s = ConvSettings::default();
    let k = Kernel {
        size: 5,
        values: (0..25).map(|i| i as f32 * 0.013 - 0.1).collect(),
    };
    let choice = LenetChoice {
        model: LenetModel::Fashion,
        filter: 4,
        bias: -0.0625,
    };
    s.apply(ConvAction::LenetFilter(choice, k.clone()));
    assert_eq!(s.kernel, k);
    assert_eq!(s.preset, None);
    assert_eq!(s.lenet, Some(choice));
    // The URL carries its values, name and bias.
    let back = ConvSettings::from_query(&s.to_query());
    assert_eq!(back.kernel, k);
    assert_eq!(back.lenet, Some(choice));
    s.apply(ConvAction::Kernel(k.resized(3)));
    assert_eq!(s.lenet, None);
    s.apply(ConvAction::LenetFilter(choice, k));
    s.apply(ConvAction::Preset(Preset::Emboss));
    assert_eq!(s.lenet, None);
}

#[test]
fn transposed_mode_has_a_stepper() {
    let mut s = ConvSettings::default();
    s.apply(ConvAction::Transposed(true));
    s.apply(ConvAction::Stride(2));
    assert_eq!(s.step_count(), 11 * 11);
    s.apply(ConvAction::JumpTo([0, 3, 4]));
    assert_eq!(s.player.step, 3 * 11 + 4);
    let lab = s.build_transposed().expect("valid");
    let (_, upsampled, output) = transposed(&s);
    assert_eq!(upsampled.len(), 1);
    assert_eq!(upsampled[0].len(), 9 * 9);
    let step = lab.trace.step(s.player.step).expect("step");
    assert_eq!(step.value, output[0][3 * 11 + 4]);
    let shown = transposed_display_step(&step);
    assert_eq!(shown.pre_activation, step.value);
    assert_eq!(shown.taps.len(), 9);
    assert_eq!(
        shown.taps.iter().filter(|t| t.product.is_some()).count(),
        step.taps.iter().filter(|t| t.source.is_some()).count()
    );
    s.apply(ConvAction::Player(PlayerAction::Last));
    assert_eq!(s.player.step, 120);
    s.apply(ConvAction::Transposed(false));
    assert_eq!(s.player.step, 3, "back on the 2×2 forward stepper (S = 2)");
}

#[test]
fn transposed_steps_equal_the_output_bitwise_on_fractional_values() {
    // An upload (thirds, quantised to bytes) and a fractional kernel: sums that round,
    // so the output must add in the trace's order to match every step exactly.
    let mut s = ConvSettings::default();
    s.apply(ConvAction::Uploaded(upload(7)));
    s.apply(ConvAction::Preset(Preset::Gaussian));
    s.apply(ConvAction::Transposed(true));
    s.apply(ConvAction::Stride(2));
    s.apply(ConvAction::Dilation(2));
    s.apply(ConvAction::Padding(1));
    s.apply(ConvAction::Filters(2));
    let lab = s.build_transposed().expect("valid");
    let (dims, _, output) = transposed(&s);
    assert_eq!(dims, [2, 15, 15]);
    for i in 0..lab.trace.len() {
        let step = lab.trace.step(i).expect("step");
        let [k, y, x] = step.output;
        assert_eq!(
            step.value.to_bits(),
            output[k][y * 15 + x].to_bits(),
            "step {i}"
        );
    }
}

#[test]
fn transposed_mode_refuses_pictures_too_large_to_draw() {
    let mut s = ConvSettings::default();
    s.apply(ConvAction::Uploaded(upload(64)));
    s.apply(ConvAction::Transposed(true));
    s.apply(ConvAction::Kernel(Preset::Identity.kernel().resized(11)));
    for a in [
        ConvAction::Stride(16),
        ConvAction::Dilation(16),
        ConvAction::Filters(16),
    ] {
        s.apply(a);
    }
    let e = s.build_transposed().expect_err("too large");
    assert_eq!(
        e.to_string(),
        "the output would be 16 maps of 1169×1169 = 21,864,976 values; at most 2,000,000 are drawn — lower the stride, dilation or K"
    );
    assert_eq!(s.step_count(), 0, "no stepper without a stage");
    // Two maps of 1169² are still over, one is not.
    s.apply(ConvAction::Filters(2));
    assert!(matches!(
        s.build_transposed(),
        Err(TransposedError::TooLarge {
            what: "output",
            maps: 2,
            ..
        })
    ));
    s.apply(ConvAction::Filters(1));
    s.build_transposed().expect("one map of 1169²");
    assert_eq!(s.step_count(), 1169 * 1169);
    // The upsampled input is checked too (the controls cannot reach it: a 64×64 upload
    // spread 16 apart is 1009², one map), here on a geometry of its own.
    let g = convscope_core::ConvTranspose2dGeometry::from_shapes(
        [1, 3, 64, 64],
        [3, 1, 1, 1],
        convscope_core::ConvTranspose2dParams::default()
            .with_stride(16)
            .with_padding(500),
    )
    .expect("valid");
    assert_eq!(
        transposed_size_check(&g).map_err(|e| e.to_string()),
        Err("the upsampled input would be 3 maps of 1009×1009 = 3,054,243 values; at most 2,000,000 are drawn — lower the stride or use a smaller image".to_string())
    );
    s.apply(ConvAction::Kernel(Preset::Identity.kernel().resized(1)));
    s.apply(ConvAction::Padding(16));
    s.apply(ConvAction::Stride(15));
    s.build_transposed()
        .expect("946² upsampled, 914² out: both fit");
    assert_eq!(transposed(&s).0, [1, 914, 914]);
    assert_eq!(s.step_count(), 914 * 914);
    // The core's own errors pass through unchanged.
    s.apply(ConvAction::Stride(0));
    assert!(matches!(
        s.build_transposed(),
        Err(TransposedError::Core(_))
    ));
}

#[test]
fn forward_mode_is_bounded_by_its_controls() {
    // The largest forward output the controls allow: a 64² upload, P = 16, F = 1, K = 16.
    let mut s = ConvSettings::default();
    s.apply(ConvAction::Uploaded(upload(64)));
    s.apply(ConvAction::Kernel(Preset::Identity.kernel().resized(1)));
    s.apply(ConvAction::Padding(MAX_HYPER));
    s.apply(ConvAction::Filters(MAX_HYPER));
    assert_eq!(s.step_count(), 16 * 96 * 96);
    assert!(s.step_count() < MAX_TRANSPOSED_VALUES);
}

#[test]
fn forward_maps_equal_the_steps_bitwise_on_fractional_values() {
    let mut s = ConvSettings::default();
    s.apply(ConvAction::Uploaded(upload(9)));
    s.apply(ConvAction::Preset(Preset::Gaussian));
    s.apply(ConvAction::Padding(2));
    s.apply(ConvAction::Filters(3));
    s.apply(ConvAction::Activation(ActivationChoice::Tanh));
    let lab = s.build().expect("valid");
    let (dims, pre, post) = forward(&s);
    assert_eq!(dims, lab.trace.output_dims());
    let [_, _, w] = dims;
    for i in 0..lab.trace.len() {
        let step = lab.trace.step(i).expect("step");
        let [k, y, x] = step.output;
        assert_eq!(
            step.pre_activation.to_bits(),
            pre[k][y * w + x].to_bits(),
            "step {i}"
        );
        assert_eq!(
            step.value.to_bits(),
            post[k][y * w + x].to_bits(),
            "step {i}"
        );
    }
    // An invalid layer is the worker's message, not a panic.
    s.apply(ConvAction::Kernel(Preset::Identity.kernel().resized(11)));
    s.apply(ConvAction::Padding(0));
    assert!(s.maps_job().run().is_err());
}

#[test]
fn input_dims_are_the_input_tensors_without_building_it() {
    let mut s = ConvSettings::default();
    let sources = [
        InputSource::Lecture,
        InputSource::Drawn,
        InputSource::Rgb,
        InputSource::Sample(crate::lab::samples::Dataset::Mnist, 0),
        InputSource::Upload,
    ];
    for source in sources {
        s.apply(ConvAction::Input(source));
        let [c, h, w] = s.input_dims();
        assert_eq!(s.input_tensor().dim(), (1, c, h, w), "{source:?}");
    }
    s.apply(ConvAction::Uploaded(upload(12)));
    assert_eq!(s.input_dims(), [1, 12, 12]);
}

/// The shipped MNIST samples, as the page loads them.
fn mnist_samples() -> SampleLoad {
    let file = include_bytes!("../../../../../www/samples/mnist-test.safetensors");
    SampleLoad::Ready(std::rc::Rc::new(
        samples::ClassSamples::from_safetensors(Dataset::Mnist, file).expect("the shipped file"),
    ))
}

#[test]
fn a_sample_stands_in_with_the_lecture_image_until_its_file_arrives() {
    let mut s = ConvSettings::from_query(&Query::plain("in=mnist3"));
    assert_eq!(s.samples_to_fetch(), Some(Dataset::Mnist));
    assert_eq!(s.input_dims(), [1, 5, 5]);
    assert_eq!(s.input_tensor().dim(), (1, 1, 5, 5));
    assert_eq!(
        s.sample_missing(),
        Some((Dataset::Mnist, &SampleLoad::Idle))
    );
    s.apply(ConvAction::Samples(Dataset::Mnist, SampleLoad::Loading));
    assert_eq!(s.samples_to_fetch(), None);
    assert_eq!(
        s.sample_missing(),
        Some((Dataset::Mnist, &SampleLoad::Loading))
    );
    s.apply(ConvAction::Samples(Dataset::Mnist, mnist_samples()));
    assert_eq!(s.sample_missing(), None);
    assert_eq!(s.input_dims(), [1, 28, 28]);
    assert_eq!(s.input_tensor().dim(), (1, 1, 28, 28));
    assert_eq!(s.geometry().expect("valid").output_shape(), [1, 1, 26, 26]);
    // The 3 is drawn in white on black.
    let input = s.input_tensor();
    assert_eq!(input[[0, 0, 0, 0]], 0.0);
    assert!(input.iter().any(|&v| v > 0.9));
    // The samples are not in the URL, and a new link keeps them.
    assert_eq!(s.to_query(), Query::plain("in=mnist3"));
    s.apply(ConvAction::Query(Query::plain("in=mnist0&s=2")));
    assert_eq!(s.input_dims(), [1, 28, 28]);
    // Another dataset is fetched when one of its samples is chosen; a failure is kept.
    s.apply(ConvAction::Input(InputSource::Sample(Dataset::Fashion, 1)));
    assert_eq!(s.samples_to_fetch(), Some(Dataset::Fashion));
    s.apply(ConvAction::Samples(
        Dataset::Fashion,
        SampleLoad::Failed("offline".into()),
    ));
    assert_eq!(s.samples_to_fetch(), None);
    assert_eq!(
        s.sample_missing(),
        Some((Dataset::Fashion, &SampleLoad::Failed("offline".into())))
    );
    assert_eq!(s.input_dims(), [1, 5, 5]);
}

#[test]
fn a_links_step_waits_for_its_sample() {
    let mut s = ConvSettings::from_query(&Query::plain(""));
    s.apply(ConvAction::Query(Query::plain("in=mnist0&i=300")));
    // The lecture's image has 9 steps: the link's step is kept, and stays in the URL.
    assert!(s.player.step < 9);
    assert_eq!(s.link_step, Some(300));
    assert_eq!(s.to_query(), Query::plain("in=mnist0&i=300"));
    s.apply(ConvAction::Samples(Dataset::Mnist, SampleLoad::Loading));
    s.apply(ConvAction::Samples(Dataset::Fashion, SampleLoad::Loading));
    assert_eq!(s.link_step, Some(300));
    s.apply(ConvAction::Samples(Dataset::Mnist, mnist_samples()));
    assert_eq!((s.player.step, s.link_step), (300, None));
    // Ready samples: a link's step is taken at once.
    s.apply(ConvAction::Query(Query::plain("in=mnist0&i=5")));
    assert_eq!((s.player.step, s.link_step), (5, None));
    // Anything the user does first drops the waiting step.
    let mut s = ConvSettings::from_query(&Query::plain(""));
    s.apply(ConvAction::Query(Query::plain("in=fashion2&i=300")));
    s.apply(ConvAction::Player(PlayerAction::Forward));
    assert_eq!(s.link_step, None);
    s.apply(ConvAction::Samples(
        Dataset::Fashion,
        SampleLoad::Failed("offline".into()),
    ));
    assert!(s.player.step < 9);
}

#[test]
fn maps_cross_to_the_page_as_bytes_and_arrive_equal() {
    let mut s = ConvSettings::default();
    s.apply(ConvAction::Filters(3));
    for maps in [s.maps_job().run().expect("forward"), {
        s.apply(ConvAction::Transposed(true));
        s.maps_job().run().expect("transposed")
    }] {
        let bytes = bincode::serialize(&maps).expect("serialize");
        let back: ConvMaps = bincode::deserialize(&bytes).expect("deserialize");
        assert_eq!(back, maps);
        // Cut short anywhere, the bytes are refused with a message, never read wrong.
        for cut in [1, 9, bytes.len() / 2, bytes.len() - 1] {
            assert!(
                bincode::deserialize::<ConvMaps>(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
    }
}

#[test]
fn the_worker_sends_the_planes_drawn_and_keeps_the_rest() {
    let mut s = ConvSettings::default();
    s.apply(ConvAction::Filters(3));
    let job = s.maps_job();
    let all = job.run().expect("forward");
    let sent = |planes: &[Plane]| planes.iter().map(|p| !p.is_empty()).collect::<Vec<_>>();
    // The stepper on map 1: maps 0 and 1 before the activation, map 1 after it.
    let picked = all.pick(1);
    let ConvMaps::Forward {
        pre,
        post,
        pre_scale,
        ..
    } = &picked
    else {
        panic!("forward maps expected, got {picked:?}");
    };
    assert_eq!(sent(pre), [true, true, false]);
    assert_eq!(sent(post), [false, true, false]);
    let ConvMaps::Forward {
        pre: all_pre,
        pre_scale: all_scale,
        ..
    } = &all
    else {
        panic!("forward maps expected");
    };
    assert!(
        std::rc::Rc::ptr_eq(&pre[1], &all_pre[1]),
        "the planes are shared, not copied"
    );
    assert_eq!(pre_scale, all_scale, "the scale is that of every map");
    assert!(picked.covers(1) && !picked.covers(2));
    assert!(all.covers(0) && all.covers(2));
    // The three planes not sent cost nothing on the wire.
    let size = |m: &ConvMaps| bincode::serialize(m).expect("serialize").len();
    let [_, h2, w2] = all.dims();
    assert_eq!(size(&all) - size(&picked), 3 * h2 * w2 * 4);

    // The cache computes a job once: the same job again, for another map, is answered from
    // the kept maps (the clock is read only when computing).
    let clock_reads = std::cell::Cell::new(0);
    let clock = || {
        clock_reads.set(clock_reads.get() + 1);
        Some(f64::from(clock_reads.get()))
    };
    let mut cache = MapsCache::default();
    let (first, millis) = cache.answer(job.clone(), 0, clock);
    assert_eq!(first.expect("maps"), all.pick(0));
    assert_eq!((clock_reads.get(), millis), (2, Some(1.0)));
    let (again, millis) = cache.answer(job.clone(), 2, clock);
    assert_eq!(again.expect("maps"), all.pick(2));
    assert_eq!(
        (clock_reads.get(), millis),
        (2, Some(1.0)),
        "computed again"
    );
    // Another job is computed; a job that cannot run keeps its reason.
    s.apply(ConvAction::Filters(2));
    let (other, _) = cache.answer(s.maps_job(), 1, clock);
    assert_eq!(other.expect("maps").dims()[0], 2);
    assert_eq!(clock_reads.get(), 4);
    s.apply(ConvAction::Transposed(true));
    let mut bad = s.maps_job();
    bad.input.pop();
    let (e1, _) = cache.answer(bad.clone(), 0, clock);
    let (e2, _) = cache.answer(bad, 0, clock);
    assert!(e1.is_err() && e1 == e2, "{e1:?}");
    assert_eq!(clock_reads.get(), 6);
    // Transposed maps: every upsampled plane, the output stack up to the map.
    let t = s.maps_job().run().expect("transposed").pick(0);
    let ConvMaps::Transposed {
        upsampled, output, ..
    } = &t
    else {
        panic!("transposed maps expected, got {t:?}");
    };
    assert!(sent(upsampled).iter().all(|s| *s));
    assert_eq!(sent(output), [true, false]);
    assert!(t.covers(0) && !t.covers(1));
}

#[test]
fn the_dimensions_are_those_of_the_tensors_for_every_input() {
    let mut s = ConvSettings::default();
    let check = |s: &ConvSettings, what: &str| {
        let x = s.input_tensor();
        let w = s.weight_tensor();
        let [d, h, wd] = s.input_dims();
        assert_eq!(x.shape(), &[1, d, h, wd], "{what}: input");
        assert_eq!(w.shape(), &s.weight_dims(), "{what}: weight");
        let from_tensors = Conv2dGeometry::from_shapes(
            [1, d, h, wd],
            [w.shape()[0], w.shape()[1], w.shape()[2], w.shape()[3]],
            s.params(),
        )
        .map(|g| g.output_shape());
        assert_eq!(
            s.geometry().map(|g| g.output_shape()).ok(),
            from_tensors.ok(),
            "{what}: geometry"
        );
    };
    check(&s, "lecture");
    s.apply(ConvAction::Input(InputSource::Upload));
    check(&s, "upload chosen, none kept");
    s.apply(ConvAction::Uploaded(upload(12)));
    s.apply(ConvAction::Filters(6));
    s.apply(ConvAction::Padding(2));
    check(&s, "upload");
    s.apply(ConvAction::Input(InputSource::Rgb));
    s.apply(ConvAction::Groups(3));
    check(&s, "rgb in 3 groups");
    s.apply(ConvAction::Groups(1));
    s.apply(ConvAction::Input(InputSource::Drawn));
    check(&s, "drawn");
    s.apply(ConvAction::Input(InputSource::Sample(Dataset::Mnist, 3)));
    check(&s, "sample not loaded");
    s.apply(ConvAction::Samples(Dataset::Mnist, mnist_samples()));
    check(&s, "sample");
    s.apply(ConvAction::Kernel(s.kernel.resized(11)));
    check(&s, "an 11×11 kernel larger than the padded input");
}

#[test]
fn the_same_frame_means_the_same_steps_whatever_the_values() {
    let base = ConvSettings::default();
    let with = |action: ConvAction| {
        let mut s = base.clone();
        s.apply(action);
        s
    };
    // Values: weights, a preset or the activation; the step and the calculator too.
    let mut k = base.kernel.clone();
    k.values[4] = 2.0;
    for s in [
        with(ConvAction::Kernel(k)),
        with(ConvAction::Preset(Preset::SobelX)),
        with(ConvAction::Activation(ActivationChoice::Tanh)),
        with(ConvAction::Calc(0, "31".into())),
    ] {
        assert!(s.same_frame(&base), "{s:?}");
        assert_eq!(s.step_count(), base.step_count());
    }
    // Windows, sizes, modes or the input: another frame.
    for s in [
        with(ConvAction::Kernel(base.kernel.resized(5))),
        with(ConvAction::Stride(2)),
        with(ConvAction::Padding(1)),
        with(ConvAction::Dilation(2)),
        with(ConvAction::Filters(2)),
        with(ConvAction::Transposed(true)),
        with(ConvAction::Paint(0, true)),
        with(ConvAction::Input(InputSource::Drawn)),
    ] {
        assert!(!s.same_frame(&base), "{s:?}");
    }
}
