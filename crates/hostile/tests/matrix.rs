//! The native hostile-file matrix: every case of the corpus through the core entry points
//! the web app uses, its expectation asserted, no panic, the time of each measured and the
//! worst per group printed (`cargo test -p convscope-hostile --release -- --nocapture`).
//!
//! - Images: the Classify page's `preprocess` (digit style) then the shipped MNIST LeNet-5,
//!   and the Convolution lab's upload (`decode_gray` then `resize_square` to 28 × 28, as
//!   `convscope_web::agent::decode` does).
//! - Weights: `weights::from_safetensors` (the Classify page's model file and the Train
//!   page's "continue from file"), then one inference when it loads.
//! - Network descriptions: what the Train page checks on every edit (parse, evaluate,
//!   `Run::new` at its default settings).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use convscope_core::arch::Architecture;
use convscope_core::nn::run::{Run, RunConfig};
use convscope_core::nn::{Network, Workspace};
use convscope_core::preprocess::{self, Style};
use convscope_core::weights::from_safetensors;
use convscope_hostile::{Case, Expect, Kind, Sources, corpus};

/// "Within a second", with a margin for a loaded machine.
const BOUND: Duration = Duration::from_secs(5);

/// The Train page's default number of training images.
const TRAIN_IMAGES: usize = 500;

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn classify(net: &Network, input: &[f32]) -> Result<usize, String> {
    let mut ws = Workspace::new();
    let logits = net.infer(input, 1, &mut ws).map_err(|e| e.to_string())?;
    Ok(logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .unwrap_or(0))
}

/// What happened to one case on one path: a message or a result (described).
type Outcome = Result<String, String>;

fn check(expect: &Expect, what: &str, outcome: &Outcome) -> Result<(), String> {
    match (expect, outcome) {
        (Expect::Refused { says }, Err(m))
            if says
                .to_lowercase()
                .split(" | ")
                .any(|s| m.to_lowercase().contains(s)) =>
        {
            Ok(())
        }
        (Expect::MessageOrResult, _) | (Expect::Accepted, Ok(_)) => Ok(()),
        (Expect::Decodes { .. } | Expect::Digit { .. }, Ok(_)) => Ok(()),
        _ => Err(format!("{what}: expected {expect:?}, got {outcome:?}")),
    }
}

/// Runs one case; `Err` when an expectation fails.
fn run(case: &Case, mnist: &Network) -> Result<(), String> {
    match case.kind {
        Kind::Image => {
            let decoded = preprocess::decode_gray(&case.bytes);
            // The Convolution lab.
            let lab: Outcome = decoded.as_ref().map_err(ToString::to_string).and_then(|g| {
                preprocess::resize_square(g, 28)
                    .map(|px| format!("{}×{} → 28×28 ({} values)", g.width, g.height, px.len()))
                    .map_err(|e| e.to_string())
            });
            check(&case.expect, "lab", &lab)?;
            // The Classify page.
            let pre = preprocess::preprocess(&case.bytes, Style::Digit);
            let predicted = pre
                .as_ref()
                .map_err(ToString::to_string)
                .and_then(|p| classify(mnist, &p.input));
            match (&case.expect, &decoded, &predicted) {
                (Expect::Decodes { width, height }, Ok(g), p) => {
                    if (g.width, g.height) != (*width, *height) {
                        return Err(format!(
                            "decoded {}×{}, expected {width}×{height}",
                            g.width, g.height
                        ));
                    }
                    // A prediction, or the message for a blank image.
                    if let Err(m) = p
                        && !m.contains("blank")
                    {
                        return Err(format!("classify: {m}"));
                    }
                    Ok(())
                }
                (
                    Expect::Digit {
                        width,
                        height,
                        digit,
                    },
                    Ok(g),
                    p,
                ) => {
                    if (g.width, g.height) != (*width, *height) {
                        return Err(format!(
                            "decoded {}×{}, expected {width}×{height}",
                            g.width, g.height
                        ));
                    }
                    if p.as_ref().ok() != Some(&usize::from(*digit)) {
                        return Err(format!("classified {p:?}, expected the digit {digit}"));
                    }
                    Ok(())
                }
                (expect, _, p) => check(
                    expect,
                    "classify",
                    &p.as_ref()
                        .map(|d| format!("digit {d}"))
                        .map_err(Clone::clone),
                ),
            }
        }
        Kind::Weights => {
            let outcome: Outcome = from_safetensors(&case.bytes)
                .map_err(|e| e.to_string())
                .and_then(|(net, meta)| {
                    let input = vec![0.0; net.input_len()];
                    let mut ws = Workspace::new();
                    net.infer(&input, 1, &mut ws).map_err(|e| e.to_string())?;
                    Ok(format!(
                        "{} parameters, {} classes",
                        net.parameter_count(),
                        meta.class_names.len()
                    ))
                });
            check(&case.expect, "load", &outcome)
        }
        Kind::Network => {
            let text = String::from_utf8_lossy(&case.bytes);
            let outcome: Outcome = Architecture::parse_description(&text)
                .map_err(|e| e.to_string())
                .and_then(|arch| {
                    let report = arch.evaluate().map_err(|e| e.to_string())?;
                    Run::new(&arch, RunConfig::default(), TRAIN_IMAGES)
                        .map_err(|e| e.to_string())?;
                    Ok(format!("{} parameters", report.totals.params))
                });
            // A message is shown on the page: it must stay readable.
            if let Err(m) = &outcome
                && m.len() > 2_000
            {
                return Err(format!("a message of {} bytes", m.len()));
            }
            check(&case.expect, "train", &outcome)
        }
    }
}

#[derive(Default)]
struct Group {
    cases: usize,
    worst: Duration,
    worst_case: String,
    total: Duration,
}

#[test]
fn every_hostile_file_gets_a_message_or_a_sensible_result_in_time() {
    let read = |p: &str| std::fs::read(root().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let model = read("www/models/lenet-mnist.safetensors");
    let samples = read("www/samples/mnist-test.safetensors");
    let cases = corpus(Sources {
        model: &model,
        samples: &samples,
    })
    .unwrap();
    let (mnist, _) = from_safetensors(&model).unwrap();
    let mut failures = Vec::new();
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    for case in &cases {
        let t0 = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| run(case, &mnist)));
        let dt = t0.elapsed();
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failures.push(format!("{}: {e}", case.name)),
            Err(_) => failures.push(format!("{}: PANIC", case.name)),
        }
        if dt > BOUND {
            failures.push(format!("{}: took {dt:?}", case.name));
        }
        let g = groups
            .entry((
                format!("{:?}", case.kind).to_lowercase(),
                case.group.clone(),
            ))
            .or_default();
        g.cases += 1;
        g.total += dt;
        if dt >= g.worst {
            g.worst = dt;
            g.worst_case.clone_from(&case.name);
        }
    }
    println!(
        "\n| kind | group | cases | worst ms | worst case | total ms |\n|---|---|---|---|---|---|"
    );
    for ((kind, group), g) in &groups {
        println!(
            "| {kind} | {group} | {} | {:.1} | {} | {:.1} |",
            g.cases,
            g.worst.as_secs_f64() * 1e3,
            g.worst_case,
            g.total.as_secs_f64() * 1e3
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
