//! The text form of a network description: round trips, the messages of malformed lines,
//! JSON, and (natively) properties over random descriptions: the text round-trips, and a
//! network built from any valid description has the explorer's output volume and parameter
//! count, and a few SGD steps on a fixed batch lower its loss.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use convscope_core::arch::{
    Activation, Architecture, Conv, DescriptionError, Layer, Linear, Op, Pool, TextError, Volume,
    zoo,
};

#[test]
fn every_zoo_network_round_trips_through_text() {
    for arch in zoo::all() {
        let text = arch.to_text();
        let back = Architecture::from_text(&text).unwrap_or_else(|e| panic!("{text}\n{e}"));
        assert_eq!(back.layers, arch.layers, "{}: {text}", arch.name);
        assert_eq!(back.input, arch.input, "{}", arch.name);
        assert_eq!(back.to_text(), text);
    }
}

#[test]
fn names_are_written_only_when_they_differ_from_the_automatic_ones() {
    let text = "input 32x32x3, conv 8 3x3 pad 1 nobias, bn, relu, maxpool 3 stride 2 pad 1, basic(conv 8 3x3 pad 1 nobias, bn, relu, conv 8 3x3 pad 1 nobias, bn), basic(conv 16 3x3 stride 2 pad 1 nobias, bn, relu, conv 16 3x3 pad 1 nobias, bn | conv 16 1x1 stride 2 nobias, bn), adaptiveavgpool 1x1, flatten, dropout 0.25, head=linear 10";
    let arch = Architecture::from_text(text).unwrap();
    assert_eq!(arch.to_text(), text);
    let names: Vec<&str> = arch.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "conv1", "bn1", "relu1", "pool1", "block1", "block2", "avgpool", "flatten", "dropout1",
            "head"
        ]
    );
    let Op::Residual(block) = &arch.layers[5].op else {
        panic!("not a block");
    };
    let short: Vec<&str> = block.shortcut.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(short, ["downsample.0", "downsample.1"]);
    arch.evaluate().unwrap();
}

#[test]
fn every_layer_kind_is_expressible() {
    let text = "input 16x16x4, conv 8 3x3 stride 2 pad 1 dilation 2 groups 4 nobias, leaky_relu:0.2, sumpool 2 stride 1, avgpool 2, lrn 3, sigmoid, tanh, identity, bottleneck(conv 2 1x1, batchnorm, relu, conv 2 3x3 pad 1, bn, relu, conv 8 1x1, bn), flatten, linear 4 nobias";
    let arch = Architecture::from_text(text).unwrap();
    assert_eq!(arch.to_text(), text.replace("batchnorm", "bn"));
    assert_eq!(
        arch.layers[0].op,
        Op::Conv(
            Conv::new(8, 3)
                .with_stride(2)
                .with_padding(1)
                .with_dilation(2)
                .with_groups(4)
                .without_bias()
        )
    );
    assert_eq!(
        arch.layers[1].op,
        Op::from(Activation::LeakyRelu { slope: 0.2 })
    );
    assert_eq!(arch.layers[2].op, Op::sum_pool(Pool::new(2, 1)));
    arch.evaluate().unwrap();
}

fn error(text: &str) -> TextError {
    Architecture::from_text(text).unwrap_err()
}

#[test]
fn malformed_lines_say_where_and_what_was_expected() {
    let e = error("conv 6 5x5, relu, maxpool, linear 10");
    assert_eq!(
        (e.column, e.expected.as_str(), e.found.as_str()),
        (26, "a window size such as 2 or 2x2", "','")
    );
    let e = error("conv six 5x5");
    assert_eq!(e.column, 6);
    assert_eq!(
        e.to_string(),
        "column 6: expected the number of filters K (a whole number), found 'six'"
    );
    let e = error("conv 6 5x3");
    assert_eq!(e.column, 8);
    assert!(e.expected.contains("square"), "{e}");
    let e = error("conv 6 5x5 strid 2");
    assert_eq!((e.column, e.found.as_str()), (12, "'strid'"));
    assert!(
        e.expected
            .starts_with("stride, pad, dilation, groups, nobias"),
        "{e}"
    );
    let e = error("relu, softmaxx");
    assert_eq!(e.column, 7);
    assert!(e.expected.starts_with("a layer (conv, maxpool"), "{e}");
    let e = error("leaky_relu:abc");
    assert!(e.expected.contains("leaky_relu:<slope>"), "{e}");
    let e = error("conv 6 5x5,");
    assert_eq!((e.column, e.found.as_str()), (12, "the end of the line"));
    let e = error("basic(conv 2 3x3 pad 1, bn");
    assert_eq!(e.expected, "',', '|' or ')' closing the block");
    let e = error("input 28x28, conv 6 5x5");
    assert_eq!(
        (e.column, e.expected.as_str()),
        (7, "an input volume such as 28x28x1")
    );
    let e = error("x=conv 6 5x5, x=relu");
    assert_eq!(e.column, 15);
    assert!(e.expected.contains("layer 1 is already 'x'"), "{e}");
    let e = error("dropout half");
    assert_eq!(e.expected, "a dropout probability such as 0.5");
    let e = error("linear 10 10");
    assert_eq!(
        (e.column, e.expected.as_str()),
        (11, "nobias, ',' or the end")
    );
    let e = error("9x=linear 10");
    assert_eq!(e.column, 1);
    assert!(e.expected.starts_with("a layer name"), "{e}");
    let e = error("conv 6 5x5 pad 99999999999999999999999");
    assert_eq!(e.column, 16);
}

#[test]
fn words_are_read_in_any_case_and_each_option_once() {
    let upper = Architecture::from_text(
        "Input 28x28x1, Conv 6 5X5 PAD 2 Stride 1, MaxPool 2 STRIDE 2, FLATTEN, Linear 10 NOBIAS",
    )
    .unwrap();
    let lower = Architecture::from_text(
        "input 28x28x1, conv 6 5x5 pad 2 stride 1, maxpool 2 stride 2, flatten, linear 10 nobias",
    )
    .unwrap();
    assert_eq!(upper, lower);
    // An option given twice is refused where it comes again, not taken as the last value.
    for (text, column, word) in [
        ("conv 6 5x5 pad 2 pad 0", 18, "pad"),
        ("conv 6 5x5 padding 2 pad 0", 22, "pad"),
        ("conv 6 5x5 stride 2 stride 3", 21, "stride"),
        ("conv 6 5x5 nobias NoBias", 19, "nobias"),
        ("maxpool 2 stride 1 stride 2", 20, "stride"),
        ("linear 10 nobias nobias", 18, "nobias"),
    ] {
        let e = error(text);
        assert_eq!(
            (e.column, e.expected.as_str()),
            (
                column,
                format!("each option once ({word} is given already)").as_str()
            ),
            "{text}"
        );
    }
    // After a linear layer's nobias only the end of the layer may come.
    let e = error("linear 10 nobias 3");
    assert_eq!((e.column, e.expected.as_str()), (18, "',' or the end"));
}

#[test]
fn json_and_text_are_both_descriptions() {
    let lenet = zoo::lenet5();
    let json = serde_json::to_string(&lenet).unwrap();
    assert_eq!(Architecture::parse_description(&json).unwrap(), lenet);
    let text = Architecture::parse_description(&lenet.to_text()).unwrap();
    assert_eq!(text.layers, lenet.layers);
    let e = Architecture::parse_description("{\"name\": 3}").unwrap_err();
    assert!(matches!(e, DescriptionError::Json(_)), "{e}");
}

#[test]
fn a_json_layer_names_a_missing_field_and_takes_its_fields_in_any_order() {
    let network = |op: &str| {
        format!(
            r#"{{"name": "n", "title": "t", "input": [8, 8, 1], "layers": [{{"name": "a", "op": {op}}}]}}"#
        )
    };
    let op = |json: &str| Architecture::from_json(&network(json)).map(|a| a.layers[0].op.clone());
    // The kind after the fields; a field of another kind ignored; `groups` defaults to 1.
    assert_eq!(
        op(r#"{"out_channels": 6, "kernel": 5, "stride": 1, "padding": 2, "dilation": 1, "bias": true, "p": 0.5, "kind": "conv"}"#)
            .unwrap(),
        Op::Conv(Conv::new(6, 5).with_padding(2))
    );
    assert_eq!(
        op(r#"{"kind": "avg_pool", "kernel": 2, "stride": 2, "padding": 0}"#).unwrap(),
        Op::avg_pool(Pool::new(2, 2))
    );
    for (json, missing) in [
        (
            r#"{"kind": "conv", "out_channels": 6, "kernel": 5, "padding": 0, "dilation": 1, "bias": true}"#,
            "stride",
        ),
        (
            r#"{"kind": "sum_pool", "kernel": 2, "stride": 2}"#,
            "padding",
        ),
        (r#"{"kind": "linear", "out_features": 10}"#, "bias"),
        (
            r#"{"kind": "residual", "block": "basic", "main": []}"#,
            "shortcut",
        ),
        (r#"{"kind": "dropout"}"#, "p"),
    ] {
        let e = op(json).unwrap_err().to_string();
        assert!(
            e.contains(&format!("missing field `{missing}`")),
            "{json}: {e}"
        );
    }
    let e = op(r#"{"kind": "convolution"}"#).unwrap_err().to_string();
    assert!(e.contains("unknown variant `convolution`"), "{e}");
    let e = op(r#"{"out_channels": 6}"#).unwrap_err().to_string();
    assert!(e.contains("missing field `kind`"), "{e}");
    let e = Architecture::parse_description("conv")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("column 5: expected the number of filters"),
        "{e}"
    );
}

#[test]
fn an_empty_line_is_the_identity_on_the_default_input() {
    let arch = Architecture::from_text("").unwrap();
    assert!(arch.layers.is_empty());
    assert_eq!(arch.input, Volume::new(28, 28, 1));
    assert_eq!(
        Architecture {
            layers: vec![Layer::new("fc1", Linear::new(3))],
            ..arch
        }
        .to_text(),
        "input 28x28x1, linear 3"
    );
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use convscope_core::arch::{
        Activation, Architecture, BlockKind, Conv, Layer, Linear, Op, Pool, Residual, Volume,
    };
    use convscope_core::nn::network::{Mode, Network, Trainer, Workspace};
    use convscope_core::nn::{Rng, SgdConfig};
    use proptest::prelude::*;

    fn activation() -> impl Strategy<Value = Activation> {
        prop_oneof![
            Just(Activation::Relu),
            Just(Activation::Tanh),
            Just(Activation::Sigmoid),
            Just(Activation::Identity),
            (1u32..50).prop_map(|s| Activation::LeakyRelu {
                slope: s as f32 / 100.0
            }),
        ]
    }

    /// Any op, including residual blocks, with small sizes (valid or not: for the text).
    fn op(depth: u32) -> BoxedStrategy<Op> {
        let leaf = prop_oneof![
            (
                1usize..9,
                1usize..4,
                1usize..3,
                0usize..2,
                1usize..3,
                1usize..3,
                any::<bool>()
            )
                .prop_map(|(k, f, s, p, d, g, b)| {
                    let mut c = Conv::new(k * g, f)
                        .with_stride(s)
                        .with_padding(p)
                        .with_dilation(d)
                        .with_groups(g);
                    c.bias = b;
                    Op::Conv(c)
                }),
            (1usize..4, 1usize..3, 0usize..2, 0usize..3).prop_map(|(f, s, p, kind)| {
                let pool = Pool::new(f, s).with_padding(p.min(f / 2));
                match kind {
                    0 => Op::max_pool(pool),
                    1 => Op::avg_pool(pool),
                    _ => Op::sum_pool(pool),
                }
            }),
            activation().prop_map(Op::from),
            Just(Op::BatchNorm),
            (0u32..9).prop_map(|p| Op::Dropout {
                p: f64::from(p) / 10.0
            }),
            Just(Op::Flatten),
            (1usize..6, any::<bool>()).prop_map(|(n, b)| Op::Linear(Linear {
                out_features: n,
                bias: b
            })),
            (1usize..4, 1usize..4).prop_map(|(h, w)| Op::AdaptiveAvgPool { h, w }),
            (1usize..5).prop_map(|size| Op::LocalResponseNorm { size }),
        ];
        if depth == 0 {
            return leaf.boxed();
        }
        prop_oneof![
            4 => leaf,
            1 => (
                any::<bool>(),
                prop::collection::vec(op(depth - 1), 0..4),
                prop::collection::vec(op(depth - 1), 0..3)
            )
                .prop_map(|(basic, main, shortcut)| Op::Residual(Residual {
                    block: if basic {
                        BlockKind::Basic
                    } else {
                        BlockKind::Bottleneck
                    },
                    main: named(main, "m"),
                    shortcut: named(shortcut, "s"),
                })),
        ]
        .boxed()
    }

    /// Distinct names, some of them not the automatic ones.
    fn named(ops: Vec<Op>, prefix: &str) -> Vec<Layer> {
        ops.into_iter()
            .enumerate()
            .map(|(i, op)| Layer::new(format!("{prefix}_{i}"), op))
            .collect()
    }

    fn arch(input: Volume, layers: Vec<Layer>) -> Architecture {
        Architecture {
            name: "custom".to_owned(),
            title: "Your network".to_owned(),
            input,
            layers,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn text_round_trips(
            ops in prop::collection::vec(op(2), 0..8),
            h in 1usize..40, w in 1usize..40, c in 1usize..5,
            renamed in any::<bool>(),
        ) {
            let layers = if renamed {
                named(ops, "layer")
            } else {
                // Automatic names: parse the printed ops back to get them.
                let a = arch(Volume::new(h, w, c), named(ops, "x"));
                let text: String = a.to_text().replace("x_", "y_");
                Architecture::from_text(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?.layers
            };
            let a = arch(Volume::new(h, w, c), layers);
            let text = a.to_text();
            let back = Architecture::from_text(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            prop_assert_eq!(&back.layers, &a.layers, "{}", text);
            prop_assert_eq!(back.input, a.input);
            prop_assert_eq!(back.to_text(), text);
        }

        #[test]
        fn json_round_trips(ops in prop::collection::vec(op(2), 0..8)) {
            let a = arch(Volume::new(8, 8, 3), named(ops, "layer"));
            let json = serde_json::to_string(&a).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back = Architecture::from_json(&json).map_err(|e| TestCaseError::fail(format!("{json}: {e}")))?;
            prop_assert_eq!(back, a, "{}", json);
        }
    }

    /// A small trainable description: a few feature layers then `linear classes`.
    fn trainable() -> impl Strategy<Value = (Architecture, usize)> {
        let feature = prop_oneof![
            3 => (1usize..5, 1usize..4, 1usize..3, 0usize..2, any::<bool>()).prop_map(|(k, f, s, p, b)| {
                let mut c = Conv::new(k, f).with_stride(s).with_padding(p);
                c.bias = b;
                Op::Conv(c)
            }),
            1 => (0usize..3).prop_map(|kind| {
                let pool = Pool::new(2, 2);
                match kind {
                    0 => Op::max_pool(pool),
                    1 => Op::avg_pool(pool),
                    _ => Op::sum_pool(pool),
                }
            }),
            2 => prop_oneof![Just(Activation::Relu), Just(Activation::Tanh), Just(Activation::Sigmoid)].prop_map(Op::from),
            1 => Just(Op::BatchNorm),
            1 => Just(Op::Dropout { p: 0.2 }),
            1 => (1usize..5).prop_map(|planes| Op::Residual(Residual {
                block: BlockKind::Basic,
                main: vec![
                    Layer::new("conv1", Conv::new(planes, 3).with_padding(1).without_bias()),
                    Layer::new("bn1", Op::BatchNorm),
                    Layer::new("relu", Op::from(Activation::Relu)),
                    Layer::new("conv2", Conv::new(planes, 3).with_padding(1).without_bias()),
                    Layer::new("bn2", Op::BatchNorm),
                ],
                shortcut: vec![
                    Layer::new("downsample.0", Conv::new(planes, 1).without_bias()),
                    Layer::new("downsample.1", Op::BatchNorm),
                ],
            })),
        ];
        (
            prop::collection::vec(feature, 0..5),
            4usize..10,
            1usize..3,
            2usize..5,
        )
            .prop_map(|(ops, size, c, classes)| {
                let mut layers = named(ops, "f");
                layers.push(Layer::new("head", Linear::new(classes)));
                (arch(Volume::new(size, size, c), layers), classes)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(120))]

        #[test]
        fn networks_match_the_explorer_and_learn((a, classes) in trainable(), seed in 0u64..1000) {
            let Ok(report) = a.evaluate() else {
                // The explorer refuses it; so must the network, with the same message.
                let e = a.evaluate().unwrap_err().to_string();
                let got = Network::build(&a, &mut Rng::seed_from_u64(seed)).unwrap_err().to_string();
                prop_assert_eq!(got, e);
                return Ok(());
            };
            let mut net = Network::build(&a, &mut Rng::seed_from_u64(seed)).unwrap();
            prop_assert_eq!(net.parameter_count(), report.totals.params);
            let counted: u64 = net.parameters().iter().map(|t| t.data.len() as u64).sum();
            prop_assert_eq!(counted, report.totals.params);
            prop_assert_eq!(net.output(), report.totals.output);
            let n = 6;
            let mut rng = Rng::seed_from_u64(seed + 1);
            let x: Vec<f32> = (0..n * net.input_len()).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let mut ws = Workspace::new();
            let y = net.forward(&x, n, Mode::Eval, &mut ws, &mut rng).unwrap();
            prop_assert_eq!(y.len(), n * classes);
            prop_assert!(y.iter().all(|v| v.is_finite()));
            // A few SGD steps on one fixed batch lower the loss (measured without dropout).
            let labels: Vec<u8> = (0..n).map(|i| (i % classes) as u8).collect();
            let mut trainer = Trainer::new();
            let before = trainer.evaluate(&net, &x, &labels, n).unwrap().stats.loss;
            let mut opt = SgdConfig::new(0.02).init().unwrap();
            // Every step draws dropout from the same stream as the measurements: gradient
            // descent on one fixed objective, which small steps must lower.
            for _ in 0..15 {
                let mut same = Rng::seed_from_u64(seed + 7);
                trainer.train_batch(&mut net, &mut opt, &x, &labels, &mut same).unwrap();
            }
            // Measured in training mode (batch norm's running statistics lag its batch
            // statistics) with the same dropout stream before and after, so only the
            // parameters differ between the two measurements.
            let last = training_loss(&net, seed, &x, &labels);
            let first = trainer_loss_at_start(&a, seed, &x, &labels);
            prop_assert!(last < first, "{}: loss {} → {} (eval before {})", a.to_text(), first, last, before);
        }
    }

    /// The training-mode loss of the freshly built network on the batch.
    fn trainer_loss_at_start(a: &Architecture, seed: u64, x: &[f32], labels: &[u8]) -> f32 {
        let net = Network::build(a, &mut Rng::seed_from_u64(seed)).unwrap();
        training_loss(&net, seed, x, labels)
    }

    /// The training-mode loss of `net` on the batch, dropout drawn from a stream fixed by
    /// `seed`.
    fn training_loss(net: &Network, seed: u64, x: &[f32], labels: &[u8]) -> f32 {
        let mut t = Trainer::new();
        t.compute_gradients(net, x, labels, &mut Rng::seed_from_u64(seed + 7))
            .unwrap()
            .loss
    }
}

/// `layers` layers: flatten, linear, then ReLUs.
fn relu_tower(layers: usize) -> String {
    format!(
        "input 28x28x1, flatten, linear 10{}",
        ", relu".repeat(layers - 2)
    )
}

#[test]
fn at_most_max_layers_in_text_and_json_and_every_zoo_network_fits() {
    use convscope_core::arch::MAX_LAYERS;
    let ok = Architecture::from_text(&relu_tower(MAX_LAYERS)).unwrap();
    assert_eq!(ok.layers.len(), MAX_LAYERS);
    let e = Architecture::from_text(&relu_tower(MAX_LAYERS + 1)).unwrap_err();
    assert!(e.to_string().contains("at most 1000 layers"), "{e}");
    // JSON: the same limit, from the description's count.
    let mut json: serde_json::Value = serde_json::to_value(&ok).unwrap();
    let relu = json["layers"][2].clone();
    let mut extra = relu.clone();
    extra["name"] = serde_json::Value::String("one_more".into());
    json["layers"].as_array_mut().unwrap().push(extra);
    let e = Architecture::from_json(&json.to_string()).unwrap_err();
    assert_eq!(
        e,
        DescriptionError::TooManyLayers {
            layers: MAX_LAYERS + 1
        }
    );
    for arch in zoo::all() {
        let text = arch.to_text();
        assert!(
            Architecture::from_text(&text).is_ok(),
            "{} is over the limit",
            arch.name
        );
    }
}

#[test]
fn a_long_word_is_quoted_shortened() {
    let word = "a".repeat(1 << 20);
    let e = Architecture::from_text(&format!("input 28x28x1, {word}")).unwrap_err();
    let message = e.to_string();
    assert!(message.len() < 400, "{} bytes", message.len());
    assert!(message.contains("(1048576 characters)"), "{message}");
}
