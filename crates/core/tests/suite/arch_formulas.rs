//! Formula strings with values substituted, and the published-results table.

/// Named `arch` so that `cargo test -p convscope-core arch` selects these tests.
mod arch {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use convscope_core::arch::{
        Architecture, Conv, Layer, LayerReport, NetworkReport, ResultKind, Volume, formulas,
        published_top5_errors, zoo,
    };

    fn report(name: &str) -> NetworkReport {
        zoo::by_name(name)
            .unwrap_or_else(|| panic!("{name} is not in the zoo"))
            .evaluate()
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn layer<'a>(r: &'a NetworkReport, name: &str) -> &'a LayerReport {
        r.layers
            .iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("no layer {name}"))
    }

    #[test]
    fn lecture_conv1_formulas() {
        let r = report("alexnet_lecture");
        let f = formulas(layer(&r, "CONV1"));
        assert_eq!(
            f.output_width.as_deref(),
            Some("W2 = (227 − 11 + 2·0)/4 + 1 = 55")
        );
        assert_eq!(f.output_height, None);
        assert_eq!(f.params, "params = (11·11·3)·96 + 96 = 34,944");
    }

    #[test]
    fn a_grouped_convolution_counts_d1_over_g_channels_per_filter() {
        let r = Architecture::from_text("input 8x8x16, conv 32 3x3 groups 4")
            .unwrap_or_else(|e| panic!("{e}"))
            .evaluate()
            .unwrap_or_else(|e| panic!("{e}"));
        // (3·3·16/4)·32 + 32 = 1,184.
        assert_eq!(
            formulas(&r.layers[0]).params,
            "params = (3·3·16/4)·32 + 32 = 1,184"
        );
    }

    #[test]
    fn pooling_linear_and_adaptive_formulas() {
        let r = report("alexnet_lecture");
        let pool = formulas(layer(&r, "MAX POOL1"));
        assert_eq!(
            pool.output_width.as_deref(),
            Some("W2 = (55 − 3 + 2·0)/2 + 1 = 27")
        );
        assert_eq!(pool.params, "params = 0");
        let adaptive = formulas(layer(&r, "ADAPTIVE AVG POOL"));
        assert_eq!(
            adaptive.output_width.as_deref(),
            Some("W2 = 6 (adaptive: fixed output size)")
        );
        let fc6 = formulas(layer(&r, "FC6"));
        assert_eq!(fc6.output_width, None);
        assert_eq!(fc6.params, "params = (6·6·256)·4096 + 4096 = 37,752,832");
        let fc7 = formulas(layer(&r, "FC7"));
        assert_eq!(fc7.params, "params = 4096·4096 + 4096 = 16,781,312");
        assert_eq!(formulas(layer(&r, "NORM1")).output_width, None);
    }

    #[test]
    fn floor_brackets_appear_only_when_the_stride_does_not_divide() {
        let r = report("alexnet");
        let f = formulas(layer(&r, "conv1"));
        assert_eq!(
            f.output_width.as_deref(),
            Some("W2 = ⌊(224 − 11 + 2·2)/4⌋ + 1 = 55")
        );
        assert_eq!(f.params, "params = (11·11·3)·64 + 64 = 23,296");
    }

    #[test]
    fn resnet_formulas_without_bias_batch_norm_and_blocks() {
        let r = report("resnet18");
        assert_eq!(
            formulas(layer(&r, "conv1")).params,
            "params = (7·7·3)·64 = 9,408"
        );
        assert_eq!(formulas(layer(&r, "bn1")).params, "params = 2·64 = 128");
        assert_eq!(
            formulas(layer(&r, "maxpool")).output_width.as_deref(),
            Some("W2 = ⌊(112 − 3 + 2·1)/2⌋ + 1 = 56")
        );
        let block = formulas(layer(&r, "layer1.0"));
        assert_eq!(
            block.params,
            "params = 36,864 + 128 + 36,864 + 128 = 73,984"
        );
        let down = formulas(layer(&r, "layer2.0"));
        assert!(down.params.ends_with("= 230,144"), "{}", down.params);
    }

    #[test]
    fn dilation_and_non_square_inputs() {
        let arch = Architecture {
            name: "dilated".to_owned(),
            title: "one dilated convolution".to_owned(),
            input: Volume::new(13, 20, 8),
            layers: vec![Layer::new(
                "d",
                Conv::new(4, 3).with_dilation(2).with_padding(2),
            )],
        };
        let r = arch.evaluate().unwrap_or_else(|e| panic!("{e}"));
        let f = formulas(&r.layers[0]);
        assert_eq!(
            f.output_width.as_deref(),
            Some("W2 = (20 + 2·2 − 2·(3 − 1) − 1)/1 + 1 = 20")
        );
        assert_eq!(
            f.output_height.as_deref(),
            Some("H2 = (13 + 2·2 − 2·(3 − 1) − 1)/1 + 1 = 13")
        );
    }

    /// The value a formula states is the value the evaluation computed, for every layer.
    #[test]
    fn every_formula_ends_with_the_reported_value() {
        for arch in zoo::all() {
            let r = arch
                .evaluate()
                .unwrap_or_else(|e| panic!("{}: {e}", arch.name));
            let mut stack: Vec<&LayerReport> = r.layers.iter().collect();
            while let Some(l) = stack.pop() {
                let f = formulas(l);
                if let Some(w) = &f.output_width {
                    assert!(
                        w.ends_with(&format!("= {}", l.output.w))
                            || w.starts_with(&format!("W2 = {} ", l.output.w)),
                        "{}/{}: {w}",
                        arch.name,
                        l.name
                    );
                }
                let total = convscope_core::format::thousands(l.params);
                assert!(
                    f.params.ends_with(&total),
                    "{}/{}: {}",
                    arch.name,
                    l.name,
                    f.params
                );
                stack.extend(l.main.iter().chain(&l.shortcut));
            }
        }
    }

    #[test]
    fn published_errors_are_labelled_and_point_into_the_zoo() {
        let table = published_top5_errors();
        let find = |family: &str, kind: ResultKind| {
            table
                .iter()
                .filter(|e| e.family == family && e.kind == kind)
                .map(|e| e.top5_error_percent)
                .collect::<Vec<_>>()
        };
        assert_eq!(find("AlexNet", ResultKind::ChallengeEnsemble), [16.4]);
        assert_eq!(find("VGG", ResultKind::ChallengeEnsemble), [7.3]);
        assert_eq!(find("ResNet", ResultKind::ChallengeEnsemble), [3.57]);
        assert!(find("VGG", ResultKind::Torchvision).contains(&9.618));
        for e in table {
            assert!(!e.setting.is_empty() && !e.source.is_empty());
            assert!((0.0..100.0).contains(&e.top5_error_percent));
            if let Some(name) = e.architecture {
                assert!(zoo::NAMES.contains(&name), "{name}");
            }
        }
    }
}
