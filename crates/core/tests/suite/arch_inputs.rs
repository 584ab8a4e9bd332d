//! Changing the input: sizes propagate, breaking sizes name the layer, nothing panics.

/// Named `arch` so that `cargo test -p convscope-core arch` selects these tests.
mod arch {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use convscope_core::arch::{
        ArchError, Architecture, BlockKind, Conv, Layer, LayerError, Linear, Op, Pool, Residual,
        Volume, zoo,
    };

    fn arch(name: &str) -> Architecture {
        zoo::by_name(name).unwrap_or_else(|| panic!("{name} is not in the zoo"))
    }

    fn error(name: &str, input: Volume) -> ArchError {
        match arch(name).evaluate_with_input(input) {
            Ok(_) => panic!("{name} accepted {input}"),
            Err(e) => e,
        }
    }

    #[test]
    fn a_larger_input_propagates_through_alexnet() {
        let r = arch("alexnet_lecture")
            .evaluate_with_input(Volume::new(259, 259, 3))
            .unwrap_or_else(|e| panic!("{e}"));
        // (259 − 11)/4 + 1 = 63, (63 − 3)/2 + 1 = 31, …, 15, 7; the adaptive pool restores 6×6.
        assert_eq!(r.layers[0].output, Volume::new(63, 63, 96));
        assert_eq!(r.layers[1].output, Volume::new(31, 31, 96));
        assert_eq!(r.layers[4].output, Volume::new(15, 15, 256));
        assert_eq!(r.layers[9].output, Volume::new(7, 7, 256));
        assert_eq!(r.layers[10].output, Volume::new(6, 6, 256));
        // Same parameters (the adaptive pool fixes FC6's input), more work.
        assert_eq!(r.totals.params, 62_378_344);
        let base = arch("alexnet_lecture")
            .evaluate()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(r.totals.macs > base.totals.macs);
    }

    #[test]
    fn lenet_without_adaptive_pool_changes_its_parameters_with_the_input() {
        let r = arch("lenet5")
            .evaluate_with_input(Volume::new(32, 32, 1))
            .unwrap_or_else(|e| panic!("{e}"));
        // 32 → 32 → 16 → 12 → 6; fc1 sees 6·6·16 = 576 inputs.
        let fc1 = r.layers.iter().find(|l| l.name == "fc1").map(|l| l.params);
        assert_eq!(fc1, Some(576 * 120 + 120));
    }

    #[test]
    fn non_square_inputs_keep_both_axes() {
        let r = arch("resnet18")
            .evaluate_with_input(Volume::new(224, 320, 3))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.layers[0].output, Volume::new(112, 160, 64));
        assert_eq!(r.totals.params, 11_689_512);
    }

    #[test]
    fn a_window_larger_than_its_input_names_the_layer() {
        // 51 → CONV1 11 → POOL1 5 → CONV2 5 → POOL2 2 → CONV3–5 2 → POOL3 cannot fit 3×3.
        let e = error("alexnet_lecture", Volume::new(51, 51, 3));
        assert_eq!(e.layer, "MAX POOL3");
        assert_eq!(
            e.to_string(),
            "MAX POOL3: 3×3 window is larger than its 2×2 input"
        );

        let e = error("alexnet_lecture", Volume::new(1, 1, 3));
        assert_eq!(
            e.to_string(),
            "CONV1: 11×11 window is larger than its 1×1 input"
        );

        // LeNet at 2×2: conv1 (pad 2) keeps 2×2, pool1 halves it, conv2's 5×5 cannot fit.
        let e = error("lenet5", Volume::new(2, 2, 1));
        assert_eq!(
            e.to_string(),
            "conv2: 5×5 window is larger than its 1×1 input"
        );
        let e = error("vgg16", Volume::new(16, 16, 3));
        assert_eq!(
            e.to_string(),
            "pool5: 2×2 window is larger than its 1×1 input"
        );
    }

    #[test]
    fn errors_inside_residual_blocks_give_the_full_path() {
        let bad = Architecture {
            name: "bad".to_owned(),
            title: "a block whose paths disagree".to_owned(),
            input: Volume::new(8, 8, 4),
            layers: vec![Layer::new(
                "block",
                Residual {
                    block: BlockKind::Basic,
                    main: vec![Layer::new(
                        "conv1",
                        Conv::new(4, 3).with_stride(2).with_padding(1),
                    )],
                    shortcut: Vec::new(),
                },
            )],
        };
        let e = bad.evaluate().err().unwrap_or_else(|| panic!("accepted"));
        assert_eq!(e.layer, "block");
        assert!(
            matches!(e.reason, LayerError::ShortcutMismatch { .. }),
            "{e}"
        );
        assert!(
            e.to_string().contains("4x4x4") && e.to_string().contains("8x8x4"),
            "{e}"
        );

        let inner = Architecture {
            layers: vec![Layer::new("layer9.0", Residual::basic(4, 4, 1))],
            input: Volume::new(8, 8, 4),
            ..bad
        };
        let mut tiny = inner.clone();
        tiny.layers[0] = Layer::new(
            "layer9.0",
            Residual {
                block: BlockKind::Basic,
                main: vec![Layer::new("conv1", Conv::new(4, 9))],
                shortcut: Vec::new(),
            },
        );
        let e = tiny.evaluate().err().unwrap_or_else(|| panic!("accepted"));
        assert_eq!(
            e.to_string(),
            "layer9.0.conv1: 9×9 window is larger than its 8×8 input"
        );
        assert!(inner.evaluate().is_ok());
    }

    #[test]
    fn empty_inputs_are_rejected_up_front() {
        for v in [
            Volume::new(0, 0, 3),
            Volume::new(224, 0, 3),
            Volume::new(224, 224, 0),
        ] {
            let e = error("vgg16", v);
            assert_eq!(e.layer, "INPUT");
            assert!(e.to_string().contains("is empty"), "{e}");
        }
    }

    #[test]
    fn huge_inputs_give_overflow_errors_not_panics() {
        let e = error(
            "alexnet_lecture",
            Volume::new(4_000_000_000, 4_000_000_000, 3),
        );
        assert_eq!(e.layer, "CONV1");
        assert!(matches!(e.reason, LayerError::Overflow { .. }), "{e}");
        assert!(e.to_string().contains("overflows"), "{e}");

        for name in zoo::NAMES {
            for v in [
                Volume::new(usize::MAX, usize::MAX, usize::MAX),
                Volume::new(usize::MAX, 1, 1),
                Volume::new(usize::MAX / 2, usize::MAX / 2, 3),
                Volume::new(1 << 20, 1 << 20, 1 << 10),
            ] {
                if let Err(e) = arch(name).evaluate_with_input(v) {
                    assert!(!e.layer.is_empty() && !e.to_string().is_empty());
                }
            }
        }
    }

    #[test]
    fn bad_descriptions_are_errors() {
        let one = |op: Op| Architecture {
            name: "one".to_owned(),
            title: "one layer".to_owned(),
            input: Volume::new(8, 8, 3),
            layers: vec![Layer::new("L1", op)],
        };
        let cases = [
            (
                one(Conv::new(0, 3).into()),
                "L1: the number of filters K must be at least 1 (got 0)",
            ),
            (
                one(Conv::new(4, 3).with_stride(0).into()),
                "L1: stride must be at least 1 (got S = 0)",
            ),
            (
                one(Conv::new(4, 0).into()),
                "L1: kernel size must be at least 1 (got F = 0)",
            ),
            (
                one(Op::max_pool(Pool::new(2, 0))),
                "L1: stride must be at least 1 (got S = 0)",
            ),
            // `maxpool 0`: the stride defaults to the window, and the window is named.
            (
                one(Op::max_pool(Pool::new(0, 0))),
                "L1: kernel size must be at least 1 (got F = 0)",
            ),
            (
                one(Linear::new(0).into()),
                "L1: the number of neurons must be at least 1 (got 0)",
            ),
            (
                one(Op::Dropout { p: 1.5 }),
                "L1: dropout probability must be in [0, 1) (got 1.5)",
            ),
            (
                one(Op::AdaptiveAvgPool { h: 0, w: 1 }),
                "L1: the adaptive pool's output height must be at least 1 (got 0)",
            ),
            (
                one(Op::LocalResponseNorm { size: 0 }),
                "L1: the LRN size must be at least 1 (got 0)",
            ),
            (
                one(Conv::new(4, 11).with_padding(1).into()),
                "L1: 11×11 window is larger than its 8×8 input even with padding 1 on each side",
            ),
            (
                one(Conv::new(4, 3).with_dilation(5).into()),
                "L1: 3×3 window (dilation 5, spanning 11×11) is larger than its 8×8 input",
            ),
            (
                one(Op::max_pool(Pool::new(2, 2).with_padding(2))),
                "L1: pooling padding 2 must be at most half the window 2",
            ),
        ];
        for (arch, message) in cases {
            match arch.evaluate() {
                Ok(_) => panic!("accepted: {message}"),
                Err(e) => assert_eq!(e.to_string(), message),
            }
        }
        let nan = one(Op::Dropout { p: f64::NAN });
        assert!(nan.evaluate().is_err());
    }

    /// Every network, every square input 0..=300: never a panic; once a size works every larger
    /// size works (output sizes grow with the input); errors always name a layer.
    #[test]
    fn sweep_input_sizes_without_panicking() {
        for name in zoo::NAMES {
            let a = arch(name);
            let mut first_ok = None;
            for s in 0..=300 {
                match a.evaluate_with_input(Volume::new(s, s, a.input.c)) {
                    Ok(r) => {
                        first_ok.get_or_insert(s);
                        assert_eq!(
                            r.totals.params,
                            r.layers.iter().map(|l| l.params).sum::<u64>()
                        );
                    }
                    Err(e) => {
                        assert!(
                            first_ok.is_none(),
                            "{name}: {s} fails after {first_ok:?} worked: {e}"
                        );
                        assert!(!e.layer.is_empty(), "{name} {s}: {e}");
                        assert!(e.to_string().starts_with(&format!("{}: ", e.layer)));
                    }
                }
                // A rectangular input too, so both axes are exercised.
                let _ = a.evaluate_with_input(Volume::new(s, 300 - s, a.input.c));
            }
            let first_ok = first_ok.unwrap_or_else(|| panic!("{name}: no size up to 300 works"));
            assert!(
                first_ok <= a.input.h,
                "{name}: its own input {} fails",
                a.input.h
            );
        }
    }

    #[test]
    fn smallest_working_inputs() {
        // The smallest square input each network accepts (found by the sweep's rule).
        let smallest = |name: &str| {
            let a = arch(name);
            (1..=300).find(|&s| a.evaluate_with_input(Volume::new(s, s, a.input.c)).is_ok())
        };
        assert_eq!(smallest("alexnet_lecture"), Some(67));
        assert_eq!(smallest("lenet5"), Some(12));
        assert_eq!(smallest("alexnet"), Some(63));
        assert_eq!(smallest("vgg16"), Some(32));
        // Padding lets a ResNet take even a single pixel (as PyTorch does).
        assert_eq!(smallest("resnet18"), Some(1));
    }
}
