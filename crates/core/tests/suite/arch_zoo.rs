//! The zoo's totals against torchvision's, and the lecture's AlexNet table.
//!
//! Parameter totals are torchvision's `sum(p.numel() for p in m.parameters())`, e.g.
//! ```python
//! import torchvision.models as M
//! for n in ["alexnet", "vgg11", "vgg11_bn", "resnet18", ...]:
//!     print(n, sum(p.numel() for p in getattr(M, n)().parameters()))
//! ```
//! and match the `num_params` of torchvision's model documentation. MAC references are the
//! `GFLOPS` column of the same documentation (which counts multiply-accumulates of
//! convolution and linear layers at 224×224).

/// Named `arch` so that `cargo test -p convscope-core arch` selects these tests.
mod arch {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use convscope_core::arch::{
        Architecture, LayerKind, NetworkReport, ReceptiveField, Volume, zoo,
    };

    fn report(name: &str) -> NetworkReport {
        let arch = zoo::by_name(name).unwrap_or_else(|| panic!("{name} is not in the zoo"));
        arch.evaluate()
            .unwrap_or_else(|e| panic!("{name} does not evaluate: {e}"))
    }

    #[test]
    fn parameter_totals_match_torchvision() {
        let expected = [
            ("lenet5", 61_706),
            ("alexnet", 61_100_840),
            ("vgg11", 132_863_336),
            ("vgg13", 133_047_848),
            ("vgg16", 138_357_544),
            ("vgg19", 143_667_240),
            ("vgg11_bn", 132_868_840),
            ("vgg13_bn", 133_053_736),
            ("vgg16_bn", 138_365_992),
            ("vgg19_bn", 143_678_248),
            ("resnet18", 11_689_512),
            ("resnet34", 21_797_672),
            ("resnet50", 25_557_032),
            ("resnet101", 44_549_160),
            ("resnet152", 60_192_808),
        ];
        for (name, params) in expected {
            let totals = report(name).totals;
            assert_eq!(totals.params, params, "{name}");
            assert_eq!(totals.weights + totals.biases, params, "{name}");
        }
    }

    #[test]
    fn macs_are_within_one_percent_of_published_figures() {
        for (name, gmacs) in [
            ("alexnet", 0.71),
            ("vgg16", 15.47),
            ("resnet18", 1.81),
            ("resnet50", 4.09),
        ] {
            let macs = report(name).totals.macs as f64 / 1e9;
            let off = (macs - gmacs).abs() / gmacs;
            assert!(off < 0.01, "{name}: {macs:.3} GMACs vs published {gmacs}");
        }
    }

    #[test]
    fn every_name_is_listed_once_and_evaluates_at_its_own_input() {
        let all = zoo::all();
        assert_eq!(all.len(), zoo::NAMES.len());
        for (arch, name) in all.iter().zip(zoo::NAMES) {
            assert_eq!(&arch.name, name);
            let r = arch.evaluate().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(r.input, arch.input);
            let classes = if *name == "lenet5" { 10 } else { 1000 };
            assert_eq!(r.totals.output, Volume::new(1, 1, classes), "{name}");
        }
        assert!(zoo::by_name("ResNet-50").is_some());
        assert!(zoo::by_name("Alexnet-Lecture").is_some());
        assert!(zoo::by_name("resnet9000").is_none());
    }

    #[test]
    fn lecture_alexnet_volumes_match_the_table() {
        let r = report("alexnet_lecture");
        let got: Vec<String> = r.layers.iter().map(|l| l.output_label()).collect();
        let want = [
            "55x55x96",
            "27x27x96",
            "27x27x96",
            "27x27x256",
            "13x13x256",
            "13x13x256",
            "13x13x384",
            "13x13x384",
            "13x13x256",
            "6x6x256",
            "6x6x256",
            "4096",
            "4096",
            "1000",
        ];
        assert_eq!(got, want);
        assert_eq!(r.layers[0].output, Volume::new(55, 55, 96));
        assert_eq!(r.layers[13].output, Volume::new(1, 1, 1000));
    }

    #[test]
    fn lecture_alexnet_lines_read_like_the_lecture() {
        let r = report("alexnet_lecture");
        let lines: Vec<String> = r.layers.iter().map(|l| l.lecture_line()).collect();
        for want in [
            "[55x55x96] CONV1: 96 11x11 filters at stride 4, pad 0",
            "[27x27x96] MAX POOL1: 3x3 filters at stride 2",
            "[27x27x96] NORM1: Normalization layer",
            "[27x27x256] CONV2: 256 5x5 filters at stride 1, pad 2",
            "[13x13x256] MAX POOL2: 3x3 filters at stride 2",
            "[13x13x384] CONV3: 384 3x3 filters at stride 1, pad 1",
            "[13x13x256] CONV5: 256 3x3 filters at stride 1, pad 1",
            "[6x6x256] MAX POOL3: 3x3 filters at stride 2",
            "[6x6x256] ADAPTIVE AVG POOL: filters with output size 6x6",
            "[4096] FC6: 4096 neurons",
            "[1000] FC8: 1000 neurons (class scores)",
        ] {
            assert!(
                lines.iter().any(|l| l.starts_with(want)),
                "missing {want:?} in {lines:#?}"
            );
        }
    }

    #[test]
    fn lecture_alexnet_counts_per_layer() {
        let r = report("alexnet_lecture");
        let params: Vec<u64> = r.layers.iter().map(|l| l.params).collect();
        assert_eq!(
            params,
            [
                34_944, 0, 0, 614_656, 0, 0, 885_120, 1_327_488, 884_992, 0, 0, 37_752_832,
                16_781_312, 4_097_000
            ]
        );
        assert_eq!(r.totals.params, 62_378_344);
        // CONV1: 55·55·96 outputs, each 11·11·3 multiply-accumulates.
        assert_eq!(r.layers[0].macs, 55 * 55 * 96 * 11 * 11 * 3);
        assert_eq!(r.layers[11].macs, 9216 * 4096);
    }

    #[test]
    fn lecture_alexnet_receptive_fields() {
        let r = report("alexnet_lecture");
        let rf: Vec<(usize, usize)> = r
            .layers
            .iter()
            .map(|l| (l.receptive_field.size, l.receptive_field.jump))
            .collect();
        assert_eq!(
            rf,
            [
                (11, 4),
                (19, 8),
                (19, 8),
                (51, 8),
                (67, 16),
                (67, 16),
                (99, 16),
                (131, 16),
                (163, 16),
                (195, 32),
                (195, 32),
                (355, 32),
                (355, 32),
                (355, 32),
            ]
        );
    }

    #[test]
    fn torchvision_alexnet_first_layer_and_head() {
        let r = report("alexnet");
        assert_eq!(r.layers[0].output, Volume::new(55, 55, 64));
        let avg = r
            .layers
            .iter()
            .find(|l| l.kind == LayerKind::AdaptiveAvgPool)
            .map(|l| l.output);
        assert_eq!(avg, Some(Volume::new(6, 6, 256)));
    }

    #[test]
    fn resnet_blocks_report_their_paths() {
        let r = report("resnet50");
        let first = &r.layers[4];
        assert_eq!(first.name, "layer1.0");
        assert_eq!(first.kind, LayerKind::Bottleneck);
        assert_eq!(first.output, Volume::new(56, 56, 256));
        assert_eq!(
            first.shortcut.len(),
            2,
            "64 → 256 channels needs a projection"
        );
        let second = &r.layers[5];
        assert!(second.shortcut.is_empty(), "identity shortcut");
        let down = r
            .layers
            .iter()
            .find(|l| l.name == "layer2.0")
            .unwrap_or_else(|| panic!("no layer2.0"));
        // v1.5: the stride sits on the 3×3, so conv1 keeps 56×56 and conv2 halves it.
        assert_eq!(down.main[0].output, Volume::new(56, 56, 128));
        assert_eq!(down.main[3].output, Volume::new(28, 28, 128));
        assert_eq!(down.output, Volume::new(28, 28, 512));
        let sum: u64 = down
            .main
            .iter()
            .chain(&down.shortcut)
            .map(|l| l.params)
            .sum();
        assert_eq!(down.params, sum);
        // BN: 2·C parameters.
        assert_eq!(r.layers[1].params, 2 * 64);
        assert_eq!(r.totals.output, Volume::new(1, 1, 1000));
    }

    #[test]
    fn lenet_fully_connected_layers_span_the_unflattened_volume() {
        let r = report("lenet5");
        let rf = |name: &str| {
            r.layers
                .iter()
                .find(|l| l.name == name)
                .map(|l| (l.receptive_field.size, l.output_label()))
        };
        // pool2 sees 16 pixels at jump 4; fc1 spans its 5×5 (flattened) input: 16 + 4·4 = 32.
        assert_eq!(rf("pool2"), Some((16, "5x5x16".to_owned())));
        assert_eq!(rf("flatten"), Some((16, "400".to_owned())));
        assert_eq!(rf("fc1"), Some((32, "120".to_owned())));
        assert_eq!(rf("relu3"), Some((32, "120".to_owned())));
        assert_eq!(rf("fc2"), Some((32, "84".to_owned())));
    }

    #[test]
    fn fully_connected_layers_after_an_adaptive_pool_span_its_input() {
        // The first fully connected layer sees every position of the last volume a
        // convolution or pooling made: an adaptive pool in between (and a flatten or a
        // dropout after it) widens nothing, even where it repeats values (6 × 6 from the
        // lecture AlexNet's 5 × 5 at 224 × 224; VGG's 7 × 7 from 1 × 1 at 32 × 32).
        let cases = [
            (
                "alexnet_lecture",
                Volume::new(224, 224, 3),
                Some(195 + 4 * 32),
            ),
            ("alexnet", Volume::new(224, 224, 3), None),
            ("vgg16", Volume::new(32, 32, 3), None),
        ];
        for (name, input, expected) in cases {
            let arch = zoo::by_name(name).unwrap_or_else(|| panic!("{name}"));
            let r = arch
                .evaluate_with_input(input)
                .unwrap_or_else(|e| panic!("{name} at {input}: {e}"));
            let fc = r
                .layers
                .iter()
                .position(|l| l.kind == LayerKind::Linear)
                .unwrap_or_else(|| panic!("{name} has no linear layer"));
            assert!(
                r.layers[..fc]
                    .iter()
                    .any(|l| l.kind == LayerKind::AdaptiveAvgPool),
                "{name} has no adaptive pool before its classifier"
            );
            let last = r.layers[..fc]
                .iter()
                .rfind(|l| {
                    matches!(
                        l.kind,
                        LayerKind::Conv | LayerKind::MaxPool | LayerKind::AvgPool
                    )
                })
                .unwrap_or_else(|| panic!("{name}: no convolution or pooling"));
            let extent = last.output.h.max(last.output.w);
            let spans = last.receptive_field.size + (extent - 1) * last.receptive_field.jump;
            assert_eq!(
                r.layers[fc].receptive_field.size, spans,
                "{name} at {input}: {} ends at {} with {:?}",
                last.name, last.output, last.receptive_field
            );
            if let Some(e) = expected {
                assert_eq!(spans, e, "{name} at {input}");
            }
        }
    }

    #[test]
    fn receptive_field_starts_at_one_pixel() {
        let r = report("vgg16");
        assert_eq!(
            r.layers[0].receptive_field,
            ReceptiveField {
                size: 3,
                jump: 1,
                offset: -1
            }
        );
        // Two stacked 3×3 convolutions see 5×5, three see 7×7 (the VGG argument).
        assert_eq!(r.layers[2].receptive_field.size, 5);
    }

    #[test]
    fn receptive_fields_know_where_they_begin() {
        // LeNet-5 on 28×28: conv1 (5×5, pad 2) starts two pixels into the padding; the
        // pools and conv2 (no padding) keep that start while the jump grows.
        let r = report("lenet5");
        let span = |name: &str, i: usize| {
            r.layers
                .iter()
                .find(|l| l.name == name)
                .map(|l| l.receptive_field.span(i))
        };
        assert_eq!(span("conv1", 0), Some([-2, 3]));
        assert_eq!(span("conv1", 27), Some([25, 30]));
        assert_eq!(span("pool1", 1), Some([0, 6]));
        assert_eq!(span("conv2", 9), Some([16, 30]));
        assert_eq!(span("pool2", 4), Some([14, 30]));
        // A dense unit sees the whole image (and the padding around it).
        assert_eq!(span("fc1", 0), Some([-2, 30]));
        // ResNet-18's stem: 7×7 at stride 2, pad 3.
        let r = report("resnet18");
        assert_eq!(r.layers[0].receptive_field.span(1), [-1, 6]);
    }

    #[test]
    fn the_part_of_a_field_inside_the_image() {
        // LeNet-5's conv1 on 28×28: the first unit's [-2, 3) is [0, 3) of the image, the
        // last's [25, 30) is [25, 28); fc1's [-2, 30) is all of it.
        assert_eq!(ReceptiveField::inside([-2, 3], 28), [0, 3]);
        assert_eq!(ReceptiveField::inside([25, 30], 28), [25, 28]);
        assert_eq!(ReceptiveField::inside([-2, 30], 28), [0, 28]);
        // Wholly in the padding, before or after the image: empty.
        assert_eq!(ReceptiveField::inside([-5, -1], 28), [0, 0]);
        assert_eq!(ReceptiveField::inside([29, 40], 28), [28, 28]);
        // Saturated spans (huge strides) stay in range.
        assert_eq!(ReceptiveField::inside([i64::MIN, i64::MAX], 7), [0, 7]);
        assert_eq!(ReceptiveField::inside([3, 3], 0), [0, 0]);
    }

    #[test]
    fn reports_round_trip_through_json() -> Result<(), serde_json::Error> {
        for name in ["alexnet_lecture", "resnet18"] {
            let r = report(name);
            let json = serde_json::to_string(&r)?;
            let back: NetworkReport = serde_json::from_str(&json)?;
            assert_eq!(back, r);
            let arch = zoo::by_name(name).unwrap_or_else(|| panic!("{name}"));
            let spec: Architecture = serde_json::from_str(&serde_json::to_string(&arch)?)?;
            assert_eq!(spec, arch);
        }
        let v: serde_json::Value = serde_json::to_value(report("alexnet_lecture"))?;
        assert_eq!(v["layers"][0]["output"], serde_json::json!([55, 55, 96]));
        assert_eq!(v["layers"][0]["kind"], "conv");
        Ok(())
    }
}

#[test]
#[allow(clippy::unwrap_used)]
fn a_layer_is_found_by_its_path_inside_blocks() {
    let report = convscope_core::arch::zoo::by_name("resnet18")
        .unwrap()
        .evaluate()
        .unwrap();
    let conv = report.find("layer2.0.conv1").unwrap();
    assert_eq!(conv.output.to_string(), "28x28x128");
    let projection = report.find("layer2.0.downsample.0").unwrap();
    assert_eq!(projection.window.unwrap().stride, 2);
    assert_eq!(
        report.find("conv1").unwrap().output.to_string(),
        "112x112x64"
    );
    assert!(report.find("layer2.0.conv9").is_none());
    assert!(report.find("nothing").is_none());
}
