//! `convscope classify`: top-3 classes of image files, as text or JSON.

use std::path::PathBuf;

use clap::Args;
use convscope_core::data::IMAGE_PIXELS;
use convscope_core::nn::{Mode, Rng, Workspace};
use convscope_core::preprocess::{Style, preprocess};
use convscope_core::softmax;
use serde::Serialize;

use crate::model_file::{MAX_IMAGE_FILE, load_model, read_capped};

/// Arguments of `convscope classify`.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Image files (PNG, JPEG, GIF, WebP, BMP); any background, up to 16,384 pixels a side and
    /// 16 Mi pixels in all (EXIF orientation applied).
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// Model: `mnist`, `fashion` (the shipped models of www/models/, built in) or a
    /// .safetensors file.
    #[arg(long, default_value = "mnist")]
    model: String,
    /// One JSON object per image (file, top class, probabilities, logits, 28×28 input).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Classification {
    file: String,
    top_class: usize,
    top_name: String,
    probabilities: Vec<f32>,
    logits: Vec<f32>,
    /// The 28×28 network input, row-major.
    input: Vec<f32>,
}

/// Runs `classify`. Every image is attempted; the first failure is reported at the end.
pub fn run(args: &ClassifyArgs) -> Result<(), String> {
    let (model, meta) = load_model(&args.model)?;
    if model.input_len() != IMAGE_PIXELS {
        return Err(format!(
            "the model takes {} inputs; images are classified as 28x28x1",
            model.input()
        ));
    }
    let mut ws = Workspace::new();
    let mut rng = Rng::seed_from_u64(0);
    let style = Style::for_dataset(meta.dataset);
    let mut failed = None;
    for path in &args.images {
        let file = path.display().to_string();
        let result = read_capped(path, MAX_IMAGE_FILE, "an image file")
            .and_then(|bytes| preprocess(&bytes, style).map_err(|e| format!("{file}: {e}")))
            .and_then(|p| {
                let logits = model
                    .forward(&p.input, 1, Mode::Eval, &mut ws, &mut rng)
                    .map_err(|e| e.to_string())?
                    .to_vec();
                Ok((p, logits))
            });
        let (pre, logits) = match result {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                failed.get_or_insert(e);
                continue;
            }
        };
        let probabilities = softmax(&logits);
        let mut order: Vec<usize> = (0..probabilities.len()).collect();
        order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
        let name = |c: usize| {
            meta.class_names
                .get(c)
                .cloned()
                .unwrap_or_else(|| c.to_string())
        };
        let top = order.first().copied().unwrap_or(0);
        if args.json {
            let c = Classification {
                file,
                top_class: top,
                top_name: name(top),
                probabilities,
                logits,
                input: pre.input,
            };
            outln!("{}", serde_json::to_string(&c).map_err(|e| e.to_string())?);
        } else {
            let top3: Vec<String> = order
                .iter()
                .take(3)
                .map(|&c| format!("{} {:.1}%", name(c), 100.0 * probabilities[c]))
                .collect();
            outln!("{file}: {}", top3.join(", "));
        }
    }
    match failed {
        None => Ok(()),
        Some(e) => Err(format!("not every image could be classified (first: {e})")),
    }
}
