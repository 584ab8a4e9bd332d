//! `convscope train`: trains any described network (LeNet-5 by default) on MNIST or
//! Fashion-MNIST and writes safetensors that carry the description.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use convscope_core::arch::zoo;
use convscope_core::data::DatasetKind;
use convscope_core::format::thousands;
use convscope_core::nn::run::{AugmentKind, OptimizerKind, Run, RunConfig, Schedule};
use convscope_core::weights::ModelMetadata;
use convscope_core::{Activation, PoolKind};
use indicatif::{ProgressBar, ProgressStyle};

use crate::model_file::{DatasetArg, data_dir, load_split, read_description, threads, write_model};

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
    /// Share of training images (0–1, mnist only) replaced, each time one is drawn, by a
    /// synthetic digit of its label drawn from stroke templates (convscope_core::data::
    /// strokes: European ones with a flag and a foot, open fours, crossed sevens, …), then
    /// augmented like the others.
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    synthetic: f32,
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
    let kind: DatasetKind = args.dataset.into();
    let config = RunConfig {
        dataset: kind,
        epochs: args.epochs,
        batch: args.batch,
        optimizer: match args.optimizer {
            OptimizerArg::Sgd => OptimizerKind::Sgd,
            OptimizerArg::Adam => OptimizerKind::Adam,
        },
        lr: args.lr,
        weight_decay: args.weight_decay,
        schedule: match args.schedule {
            ScheduleArg::Constant => Schedule::Constant,
            ScheduleArg::Cosine => Schedule::Cosine,
        },
        augment: args.augment.map(|a| match a {
            AugmentArg::Basic => AugmentKind::Basic,
            AugmentArg::Robust => AugmentKind::Robust,
        }),
        seed: args.seed,
        synthetic: args.synthetic,
    };
    let threads = threads(args.threads);
    // Checked on a stand-in size before the data are read: a bad network or setting is
    // refused at once.
    let probe = Run::new(&arch, config, args.batch).map_err(|e| e.to_string())?;
    let model = probe.network();
    eprintln!(
        "network {}: {} parameters, {} multiply-adds per image\n  {}",
        arch.name,
        thousands(model.parameter_count()),
        thousands(model.report().totals.macs),
        arch.to_text()
    );
    let split = load_split(kind, &data_dir(args.data.as_deref()))?;
    eprintln!(
        "{}: {} training images, {} test images",
        kind.name(),
        split.train.len(),
        split.test.len()
    );
    let mut run =
        Run::with_threads(&arch, config, split.train.len(), threads).map_err(|e| e.to_string())?;
    let style = ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg}")
        .map_err(|e| e.to_string())?
        .progress_chars("=> ");
    while !run.is_finished() {
        let epoch = run.epochs_done() + 1;
        let bar = if args.quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(split.train.len() as u64)
        };
        bar.set_style(style.clone());
        bar.set_prefix(format!("{epoch}/{}", args.epochs));
        let start = Instant::now();
        loop {
            let t = Instant::now();
            let step = run.step(&split.train).map_err(|e| e.to_string())?;
            run.spent(t.elapsed().as_secs_f64());
            bar.set_position(run.position() as u64);
            let (loss, acc) = run.epoch_so_far();
            let rate = run.position() as f64 / start.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!(
                "loss {loss:.4} acc {:.2}% {rate:.0} img/s",
                100.0 * acc
            ));
            if step.epoch_done {
                break;
            }
        }
        bar.finish_and_clear();
        let secs = start.elapsed().as_secs_f64();
        let lr = run.learning_rate();
        let e = run.finish_epoch(&split.test).map_err(|e| e.to_string())?;
        eprintln!(
            "epoch {epoch}/{}: train loss {:.4} acc {:.2}% | test loss {:.4} acc {:.2}% | {:.1} s, {:.0} img/s, lr {lr:.2e}",
            args.epochs,
            e.train_loss,
            100.0 * e.train_accuracy,
            e.test_loss,
            100.0 * e.test_accuracy,
            secs,
            split.train.len() as f64 / secs.max(1e-9),
        );
    }
    let test_acc = run.history().epochs.last().map_or(0.0, |e| e.test_accuracy);
    let model = run.network();
    write_model(
        &args.out,
        model,
        ModelMetadata::new(kind),
        test_acc,
        split.test.len(),
    )
}
