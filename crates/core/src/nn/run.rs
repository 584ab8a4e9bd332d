//! A training run that can stop after any batch and go on later, on another day, from a
//! saved checkpoint: what the CLI's `train` and the browser's Train page both drive.
//!
//! [`RunConfig`] holds the choices (the CLI's options: dataset, epochs, batch size,
//! optimizer, learning rate and schedule, weight decay, augmentation, seed); [`Run::new`]
//! builds the network from a description; [`Run::step`] takes one batch; when it reports
//! the epoch done, [`Run::finish_epoch`] scores the test set and records the epoch in the
//! [`History`]. The caller owns the clock (seconds are passed in: WebAssembly has no
//! `Instant`) and the data.
//!
//! Random numbers follow the CLI's order exactly: one generator seeded by `seed` builds the
//! network, then shuffles each epoch and feeds augmentation and dropout. A checkpoint keeps
//! that generator's state and its state when the epoch began (the epoch's order is the
//! shuffle of that state), so a run resumed mid-epoch continues bit for bit as if it had
//! never stopped.
//!
//! [`Checkpoint`]: the weights file ([`crate::weights`], what a visitor downloads), the
//! optimizer's state as safetensors (`conv1.weight.exp_avg`, …, PyTorch's slot names) and
//! the run's progress and history as JSON.

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::network::{Evaluation, check_classifier};
use super::optim::{AdamConfig, AnyOptimizer, Optimizer, OptimizerConfig, SgdConfig};
use super::{BatchStats, Network, NnError, Trainer};
use crate::arch::Architecture;
use crate::data::augment::{Augment, Synthetic};
use crate::data::{CLASSES, Dataset, DatasetKind, IMAGE_SIZE};
use crate::rng::Rng;
use crate::weights::{ModelMetadata, WeightsError, from_safetensors, to_safetensors};

/// Which optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// SGD with momentum 0.9.
    Sgd,
    /// Adam (β = 0.9, 0.999).
    Adam,
}

/// How the learning rate changes from epoch to epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// The same learning rate every epoch.
    Constant,
    /// Cosine decay from the learning rate towards 0, stepped at each epoch:
    /// `lr · ½(1 + cos(π·e/epochs))` in epoch `e` (from 0).
    Cosine,
}

/// Which augmentation of the training images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AugmentKind {
    /// Digits: ±2 px shifts, ±10° rotations, ±10 % scalings; clothes: shifts and flips.
    Basic,
    /// Basic plus off-centre ink, elastic distortion, stroke width, low resolution, blur
    /// and faint ink (digits only).
    Robust,
}

/// Everything a run was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The data set it trains on.
    pub dataset: DatasetKind,
    /// Passes over the training set (≥ 1).
    pub epochs: u32,
    /// Mini-batch size (≥ 1).
    pub batch: usize,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// Learning rate (the peak with [`Schedule::Cosine`]).
    pub lr: f32,
    /// L2 weight decay (≥ 0).
    pub weight_decay: f32,
    /// The learning-rate schedule.
    pub schedule: Schedule,
    /// Augmentation of training images, if any.
    pub augment: Option<AugmentKind>,
    /// Seed of initialisation, shuffling, augmentation and dropout.
    pub seed: u64,
    /// Share of training images replaced, each time one is drawn, by a synthetic digit of
    /// its label (stroke templates, [`crate::data::strokes`]; MNIST only, 0–1, 0: none).
    #[serde(default)]
    pub synthetic: f32,
}

impl Default for RunConfig {
    /// The CLI's defaults: MNIST, 10 epochs of batches of 64, Adam at 1e-3, no decay.
    fn default() -> Self {
        Self {
            dataset: DatasetKind::Mnist,
            epochs: 10,
            batch: 64,
            optimizer: OptimizerKind::Adam,
            lr: 1e-3,
            weight_decay: 0.0,
            schedule: Schedule::Constant,
            augment: None,
            seed: 0,
            synthetic: 0.0,
        }
    }
}

impl RunConfig {
    /// The optimizer's configuration.
    pub fn optimizer_config(&self) -> OptimizerConfig {
        match self.optimizer {
            OptimizerKind::Sgd => {
                OptimizerConfig::Sgd(SgdConfig::new(self.lr).with_weight_decay(self.weight_decay))
            }
            OptimizerKind::Adam => {
                OptimizerConfig::Adam(AdamConfig::new(self.lr).with_weight_decay(self.weight_decay))
            }
        }
    }

    /// The learning rate of epoch `epoch` (from 0).
    pub fn learning_rate(&self, epoch: u32) -> f32 {
        match self.schedule {
            Schedule::Constant => self.lr,
            Schedule::Cosine => {
                let t = epoch as f32 / self.epochs.max(1) as f32;
                self.lr * 0.5 * (1.0 + (std::f32::consts::PI * t).cos())
            }
        }
    }

    /// The augmentation, if any, with synthetic digits when [`RunConfig::synthetic`] is
    /// above 0.
    ///
    /// # Errors
    /// [`RunError::Config`] for robust augmentation or synthetic digits of clothes, or a
    /// share of synthetic digits outside 0–1.
    pub fn augmentation(&self) -> Result<Option<Augment>, RunError> {
        if !(0.0..=1.0).contains(&self.synthetic) {
            return Err(RunError::Config(format!(
                "the share of synthetic digits must be between 0 and 1, not {}",
                self.synthetic
            )));
        }
        let augment = self.plain_augmentation()?;
        if self.synthetic <= 0.0 {
            return Ok(augment);
        }
        if self.dataset != DatasetKind::Mnist {
            return Err(RunError::Config(
                "synthetic digits are for MNIST only".into(),
            ));
        }
        Ok(Some(Augment {
            synthetic: Some(Synthetic {
                probability: self.synthetic,
            }),
            ..augment.unwrap_or_else(Augment::none)
        }))
    }

    fn plain_augmentation(&self) -> Result<Option<Augment>, RunError> {
        Ok(match (self.augment, self.dataset) {
            (None, _) => None,
            (Some(AugmentKind::Basic), DatasetKind::Mnist) => Some(Augment::digits()),
            (Some(AugmentKind::Basic), DatasetKind::Fashion) => Some(Augment::clothes()),
            (Some(AugmentKind::Robust), DatasetKind::Mnist) => Some(Augment::robust_digits()),
            (Some(AugmentKind::Robust), DatasetKind::Fashion) => {
                return Err(RunError::Config(
                    "robust augmentation models handwriting (strokes, scans, pencils) and is for \
                     the digits only; use basic augmentation for clothes"
                        .into(),
                ));
            }
        })
    }

    /// Checks every value.
    ///
    /// # Errors
    /// [`RunError::Config`] naming the value.
    pub fn check(&self) -> Result<(), RunError> {
        if self.epochs == 0 {
            return Err(RunError::Config(
                "the number of epochs must be at least 1".into(),
            ));
        }
        if self.batch == 0 {
            return Err(RunError::Config("the batch size must be at least 1".into()));
        }
        self.optimizer_config().init()?;
        self.augmentation()?;
        Ok(())
    }
}

/// Why a run cannot start, go on or be saved.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RunError {
    /// A setting is out of its range.
    #[error("{0}")]
    Config(String),
    /// The network or a step refused.
    #[error(transparent)]
    Nn(#[from] NnError),
    /// Weights could not be written or read.
    #[error(transparent)]
    Weights(#[from] WeightsError),
    /// The run has done all its epochs.
    #[error("the run has finished its {epochs} epochs")]
    Finished {
        /// Epochs asked for.
        epochs: u32,
    },
    /// The data differ from what the run was started on.
    #[error("the run was started on {expected} training images but is given {got}")]
    Data {
        /// Images the run's order covers.
        expected: usize,
        /// Images given.
        got: usize,
    },
    /// A checkpoint cannot be read.
    #[error("the saved run cannot be read: {0}")]
    Checkpoint(String),
}

/// Loss and accuracy at one point of training (averaged since the point before).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Optimizer steps taken.
    pub step: u64,
    /// Epochs done, fractional (1.5 = halfway through the second).
    pub epoch: f64,
    /// Mean training loss over the batches since the previous point.
    pub loss: f64,
    /// Training accuracy over those batches, in `[0, 1]`.
    pub accuracy: f64,
}

/// One finished epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Its number, from 1.
    pub epoch: u32,
    /// Mean training loss over the epoch (with augmentation and dropout, before each step).
    pub train_loss: f64,
    /// Training accuracy over the epoch.
    pub train_accuracy: f64,
    /// Test loss after the epoch.
    pub test_loss: f64,
    /// Test accuracy after the epoch.
    pub test_accuracy: f64,
    /// Test images scored.
    pub test_images: usize,
    /// `confusion[true][predicted]` on the test set.
    pub confusion: Vec<Vec<usize>>,
    /// The learning rate used.
    pub lr: f32,
    /// Seconds the epoch's training took (as the caller measured).
    pub seconds: f64,
    /// Training images per second.
    pub images_per_second: f64,
}

/// What a run has done: points along the way and finished epochs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct History {
    /// About [`POINTS_PER_EPOCH`] points per epoch.
    pub points: Vec<Point>,
    /// Every finished epoch.
    pub epochs: Vec<EpochRecord>,
}

/// Points recorded per epoch (fewer for epochs of fewer batches).
pub const POINTS_PER_EPOCH: usize = 50;

/// Totals of the batches since some moment.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
struct Totals {
    loss_sum: f64,
    correct: usize,
    count: usize,
    batches: usize,
}

impl Totals {
    fn add(&mut self, b: &BatchStats) {
        self.loss_sum += f64::from(b.loss) * b.count as f64;
        self.correct += b.correct;
        self.count += b.count;
        self.batches += 1;
    }
    fn loss(&self) -> f64 {
        self.loss_sum / self.count.max(1) as f64
    }
    fn accuracy(&self) -> f64 {
        self.correct as f64 / self.count.max(1) as f64
    }
}

/// Where a run stands: what a checkpoint must keep besides weights and optimizer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Progress {
    /// Epochs finished.
    epoch: u32,
    /// Images of the current epoch already trained on.
    cursor: usize,
    /// Optimizer steps taken.
    step: u64,
    /// Training images the run is given each epoch.
    train_len: usize,
    /// The generator now.
    rng: [u64; 4],
    /// The generator when the current epoch began (before its shuffle).
    epoch_rng: [u64; 4],
    /// The current epoch's batches so far.
    epoch_totals: Totals,
    /// Batches since the last point.
    point_totals: Totals,
    /// Seconds spent on the current epoch so far.
    epoch_seconds: f64,
}

/// The JSON part of a [`Checkpoint`].
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedRun {
    config: RunConfig,
    progress: Progress,
    history: History,
}

/// A saved run: three parts, each readable on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The network as a weights file ([`crate::weights`]): what `convscope eval` and the
    /// Classify page take.
    pub weights: Vec<u8>,
    /// The optimizer's state as safetensors (`<parameter>.<slot>`).
    pub optimizer: Vec<u8>,
    /// Configuration, progress and history as JSON.
    pub run: String,
}

/// A test image the network gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Mistake {
    /// Its index in the data set.
    pub index: usize,
    /// Its label.
    pub truth: usize,
    /// The class the network gives.
    pub predicted: usize,
    /// The probability of that class.
    pub confidence: f32,
    /// The probability of the right class.
    pub truth_probability: f32,
}

/// What one [`Run::step`] did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// The batch's loss and accuracy.
    pub stats: BatchStats,
    /// The epoch's training images are all seen: call [`Run::finish_epoch`].
    pub epoch_done: bool,
}

/// Checks the settings and that the network takes the data sets' 28×28×1 images.
fn check_input(config: &RunConfig, description: &Architecture) -> Result<(), RunError> {
    config.check()?;
    let images = crate::arch::Volume::new(IMAGE_SIZE, IMAGE_SIZE, 1);
    if description.input != images {
        return Err(RunError::Config(format!(
            "the network takes {} inputs but the images are {images}; begin the description with 'input {images}'",
            description.input
        )));
    }
    Ok(())
}

/// A training run in progress.
#[derive(Debug, Clone)]
pub struct Run {
    config: RunConfig,
    net: Network,
    optimizer: AnyOptimizer,
    trainer: Trainer,
    augment: Option<Augment>,
    rng: Rng,
    order: Vec<usize>,
    progress: Progress,
    history: History,
}

impl Run {
    /// A new run of the network `description` describes, initialised from `config.seed`,
    /// on `train_len` training images per epoch, on this thread.
    ///
    /// # Errors
    /// [`RunError::Config`] for a bad setting or an input that is not 28×28×1,
    /// [`RunError::Nn`] for a description that cannot be built or trained on ten classes,
    /// or a batch that would not fit.
    pub fn new(
        description: &Architecture,
        config: RunConfig,
        train_len: usize,
    ) -> Result<Self, RunError> {
        Self::with_threads(description, config, train_len, 1)
    }

    /// As [`Run::new`], each batch split over `threads` threads (native code only).
    ///
    /// # Errors
    /// As [`Run::new`].
    pub fn with_threads(
        description: &Architecture,
        config: RunConfig,
        train_len: usize,
        threads: usize,
    ) -> Result<Self, RunError> {
        check_input(&config, description)?;
        let mut rng = Rng::seed_from_u64(config.seed);
        let net = Network::build(description, &mut rng)?;
        Self::assemble(net, rng, config, train_len, threads)
    }

    /// The run of a built network: checks it, then creates the optimizer and the state.
    fn assemble(
        net: Network,
        rng: Rng,
        config: RunConfig,
        train_len: usize,
        threads: usize,
    ) -> Result<Self, RunError> {
        check_classifier(&net, CLASSES)?;
        net.check_trainable()?;
        net.check_batch(config.batch.min(train_len.max(1)))?;
        let state = rng.state();
        Ok(Self {
            optimizer: config.optimizer_config().init()?,
            augment: config.augmentation()?,
            trainer: Trainer::with_threads(threads),
            config,
            net,
            rng,
            order: Vec::new(),
            progress: Progress {
                epoch: 0,
                cursor: 0,
                step: 0,
                train_len,
                rng: state,
                epoch_rng: state,
                epoch_totals: Totals::default(),
                point_totals: Totals::default(),
                epoch_seconds: 0.0,
            },
            history: History::default(),
        })
    }

    /// A new run that goes on training `net` (weights loaded from a file) with a fresh
    /// optimizer, from epoch 0.
    ///
    /// # Errors
    /// As [`Run::new`].
    pub fn with_network(
        net: Network,
        config: RunConfig,
        train_len: usize,
    ) -> Result<Self, RunError> {
        check_input(&config, net.description())?;
        Self::assemble(net, Rng::seed_from_u64(config.seed), config, train_len, 1)
    }

    /// The configuration.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// The network being trained.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// What it has done so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Epochs finished.
    pub fn epochs_done(&self) -> u32 {
        self.progress.epoch
    }

    /// Optimizer steps taken.
    pub fn steps(&self) -> u64 {
        self.progress.step
    }

    /// Images of the current epoch trained on so far.
    pub fn position(&self) -> usize {
        self.progress.cursor
    }

    /// Training images per epoch.
    pub fn train_len(&self) -> usize {
        self.progress.train_len
    }

    /// Every epoch is done.
    pub fn is_finished(&self) -> bool {
        self.progress.epoch >= self.config.epochs
    }

    /// The current epoch's mean loss and accuracy so far (0 before its first batch).
    pub fn epoch_so_far(&self) -> (f64, f64) {
        let t = &self.progress.epoch_totals;
        (t.loss(), t.accuracy())
    }

    /// The current learning rate.
    pub fn learning_rate(&self) -> f32 {
        self.config.learning_rate(self.progress.epoch)
    }

    /// Batches between two points of the history.
    fn point_every(&self) -> usize {
        let batches = self.progress.train_len.div_ceil(self.config.batch.max(1));
        batches.div_ceil(POINTS_PER_EPOCH).max(1)
    }

    /// The current epoch's order: the shuffle of the generator as the epoch began.
    fn ensure_order(&mut self) {
        if self.order.len() != self.progress.train_len {
            let mut rng = Rng::from_state(self.progress.epoch_rng);
            self.order.clear();
            self.order.extend(0..self.progress.train_len);
            rng.shuffle(&mut self.order);
        }
    }

    /// Adds `seconds` of training time to the current epoch (the caller's clock; the core
    /// has none on WebAssembly).
    pub fn spent(&mut self, seconds: f64) {
        if seconds.is_finite() && seconds > 0.0 {
            self.progress.epoch_seconds += seconds;
        }
    }

    /// One optimizer step on the next batch of `train` (the same images every call: the
    /// run's order indexes them).
    ///
    /// # Errors
    /// [`RunError::Finished`] after the last epoch, [`RunError::Data`] when `train` is not
    /// the run's `train_len` images, [`RunError::Nn`] for a failed step (a diverged loss
    /// names the step).
    pub fn step(&mut self, train: &Dataset) -> Result<Step, RunError> {
        if self.is_finished() {
            return Err(RunError::Finished {
                epochs: self.config.epochs,
            });
        }
        if train.len() != self.progress.train_len || train.is_empty() {
            return Err(RunError::Data {
                expected: self.progress.train_len,
                got: train.len(),
            });
        }
        if self.progress.cursor == 0 {
            self.progress.epoch_rng = self.rng.state();
            self.order.clear();
            self.order.extend(0..train.len());
            self.rng.shuffle(&mut self.order);
            self.optimizer
                .set_learning_rate(self.config.learning_rate(self.progress.epoch));
        }
        self.ensure_order();
        let start = self.progress.cursor;
        let end = start.saturating_add(self.config.batch).min(train.len());
        let stats = self.trainer.train_indices(
            &mut self.net,
            &mut self.optimizer,
            &train.images,
            &train.labels,
            &self.order[start..end],
            &mut self.rng,
            self.augment.as_ref(),
        )?;
        self.progress.cursor = end;
        self.progress.step += 1;
        self.progress.epoch_totals.add(&stats);
        self.progress.point_totals.add(&stats);
        let epoch_done = end == train.len();
        if self.progress.point_totals.batches >= self.point_every() || epoch_done {
            let t = self.progress.point_totals;
            self.history.points.push(Point {
                step: self.progress.step,
                epoch: f64::from(self.progress.epoch) + end as f64 / train.len() as f64,
                loss: t.loss(),
                accuracy: t.accuracy(),
            });
            self.progress.point_totals = Totals::default();
        }
        Ok(Step { stats, epoch_done })
    }

    /// Scores `test` after an epoch whose batches are all done, records the epoch and
    /// begins the next.
    ///
    /// # Errors
    /// [`RunError::Config`] when the epoch is not done, [`RunError::Nn`] for bad test data.
    pub fn finish_epoch(&mut self, test: &Dataset) -> Result<&EpochRecord, RunError> {
        if self.progress.cursor < self.progress.train_len {
            return Err(RunError::Config(format!(
                "epoch {} has trained on {} of its {} images; it cannot be finished yet",
                self.progress.epoch + 1,
                self.progress.cursor,
                self.progress.train_len
            )));
        }
        let eval = self.evaluate(test)?;
        let totals = self.progress.epoch_totals;
        let seconds = self.progress.epoch_seconds;
        self.history.epochs.push(EpochRecord {
            epoch: self.progress.epoch + 1,
            train_loss: totals.loss(),
            train_accuracy: totals.accuracy(),
            test_loss: eval.stats.loss,
            test_accuracy: eval.stats.accuracy(),
            test_images: eval.stats.count,
            confusion: eval.confusion,
            lr: self.config.learning_rate(self.progress.epoch),
            seconds,
            images_per_second: totals.count as f64 / seconds.max(1e-9),
        });
        self.progress.epoch += 1;
        self.progress.cursor = 0;
        self.progress.epoch_totals = Totals::default();
        self.progress.point_totals = Totals::default();
        self.progress.epoch_seconds = 0.0;
        self.order.clear();
        self.history
            .epochs
            .last()
            .ok_or_else(|| RunError::Config("no epoch recorded".into()))
    }

    /// Loss, accuracy and confusion matrix of the network on `data` (evaluation mode).
    ///
    /// # Errors
    /// [`RunError::Nn`] for data the network cannot take.
    pub fn evaluate(&mut self, data: &Dataset) -> Result<Evaluation, RunError> {
        Ok(self
            .trainer
            .evaluate(&self.net, &data.images, &data.labels, 256)?)
    }

    /// The `k` images of `data` the network gets most confidently wrong: the highest
    /// probability given to a wrong class first.
    ///
    /// # Errors
    /// [`RunError::Nn`] for data the network cannot take.
    pub fn most_wrong(&self, data: &Dataset, k: usize) -> Result<Vec<Mistake>, RunError> {
        const BATCH: usize = 256;
        let per = self.net.input_len();
        let classes = self.net.output_len();
        let mut ws = super::Workspace::new();
        let mut wrong: Vec<Mistake> = Vec::new();
        let mut start = 0;
        while start < data.len() {
            let end = (start + BATCH).min(data.len());
            let images = data
                .images
                .get(start * per..end * per)
                .ok_or(RunError::Data {
                    expected: end * per,
                    got: data.images.len(),
                })?;
            let logits = self.net.infer(images, end - start, &mut ws)?;
            for (i, row) in logits.chunks_exact(classes).enumerate() {
                let probs = crate::activation::softmax(row);
                let predicted = super::network::predictions(row, classes)
                    .first()
                    .copied()
                    .unwrap_or(0);
                let truth = usize::from(data.labels[start + i]);
                if predicted != truth {
                    wrong.push(Mistake {
                        index: start + i,
                        truth,
                        predicted,
                        confidence: probs[predicted],
                        truth_probability: probs.get(truth).copied().unwrap_or(0.0),
                    });
                }
            }
            start = end;
        }
        wrong.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        wrong.truncate(k);
        Ok(wrong)
    }

    /// The weights file of the network now, with the last test accuracy.
    ///
    /// # Errors
    /// [`RunError::Weights`] if writing fails.
    pub fn weights(&self) -> Result<Vec<u8>, RunError> {
        let mut meta = ModelMetadata::new(self.config.dataset);
        if let Some(e) = self.history.epochs.last() {
            meta.accuracy = Some(e.test_accuracy);
            meta.accuracy_on = Some(format!(
                "{} test images after epoch {} in convscope",
                e.test_images, e.epoch
            ));
        }
        Ok(to_safetensors(&self.net, &meta)?)
    }

    /// Everything needed to go on later.
    ///
    /// # Errors
    /// [`RunError::Weights`] / [`RunError::Checkpoint`] if writing fails.
    pub fn checkpoint(&self) -> Result<Checkpoint, RunError> {
        let mut progress = self.progress.clone();
        progress.rng = self.rng.state();
        let run = serde_json::to_string(&SavedRun {
            config: self.config,
            progress,
            history: self.history.clone(),
        })
        .map_err(|e| RunError::Checkpoint(e.to_string()))?;
        Ok(Checkpoint {
            weights: self.weights()?,
            optimizer: self.optimizer_file()?,
            run,
        })
    }

    fn optimizer_file(&self) -> Result<Vec<u8>, RunError> {
        let fail = |e: &dyn std::fmt::Display| RunError::Checkpoint(e.to_string());
        let (steps, slots) = self.optimizer.state();
        let names: Vec<&str> = self
            .net
            .parameters()
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        let mut data: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
        for (slot, vectors) in &slots {
            for (name, v) in names.iter().zip(vectors.iter()) {
                let bytes = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                data.push((format!("{name}.{slot}"), vec![v.len()], bytes));
            }
        }
        let mut views = Vec::with_capacity(data.len());
        for (name, shape, bytes) in &data {
            views.push((
                name.as_str(),
                TensorView::new(Dtype::F32, shape.clone(), bytes).map_err(|e| fail(&e))?,
            ));
        }
        let mut info = std::collections::BTreeMap::new();
        info.insert("steps".to_owned(), steps.to_string());
        info.insert(
            "optimizer".to_owned(),
            serde_json::to_string(&self.config.optimizer).map_err(|e| fail(&e))?,
        );
        crate::weights::serialize_sorted(views, info).map_err(|e| fail(&e))
    }

    /// The run a [`Run::checkpoint`] saved.
    ///
    /// # Errors
    /// [`RunError::Weights`] for a bad weights part, [`RunError::Checkpoint`] for a bad
    /// optimizer or run part or parts that disagree.
    pub fn resume(checkpoint: &Checkpoint) -> Result<Self, RunError> {
        let bad = |e: &dyn std::fmt::Display| RunError::Checkpoint(e.to_string());
        let saved: SavedRun = serde_json::from_str(&checkpoint.run).map_err(|e| bad(&e))?;
        saved.config.check()?;
        let (net, _) = from_safetensors(&checkpoint.weights)?;
        let mut run = Self::with_network(net, saved.config, saved.progress.train_len)?;
        let lengths: Vec<usize> = run.net.parameters().iter().map(|t| t.data.len()).collect();
        let names: Vec<String> = run
            .net
            .parameters()
            .iter()
            .map(|t| t.name.clone())
            .collect();
        let st = SafeTensors::deserialize(&checkpoint.optimizer).map_err(|e| bad(&e))?;
        let (_, header) = SafeTensors::read_metadata(&checkpoint.optimizer).map_err(|e| bad(&e))?;
        let steps: u64 = header
            .metadata()
            .as_ref()
            .and_then(|m| m.get("steps"))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| RunError::Checkpoint("the optimizer part has no step count".into()))?;
        let (_, slot_names) = run.optimizer.state();
        let slot_names: Vec<&'static str> = slot_names.iter().map(|(s, _)| *s).collect();
        let mut slots = Vec::new();
        for slot in slot_names {
            let mut vectors = Vec::new();
            for (name, &len) in names.iter().zip(&lengths) {
                let key = format!("{name}.{slot}");
                let Ok(t) = st.tensor(&key) else {
                    break;
                };
                if t.dtype() != Dtype::F32 || t.shape() != [len] {
                    return Err(RunError::Checkpoint(format!(
                        "optimizer tensor '{key}' has shape {:?}, {len} values expected",
                        t.shape()
                    )));
                }
                let v: Vec<f32> = t
                    .data()
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                if v.iter().any(|x| !x.is_finite()) {
                    return Err(RunError::Checkpoint(format!(
                        "optimizer tensor '{key}' holds a non-finite value"
                    )));
                }
                vectors.push(v);
            }
            if !vectors.is_empty() && vectors.len() != names.len() {
                return Err(RunError::Checkpoint(format!(
                    "the optimizer part holds {slot} for {} of the {} parameters",
                    vectors.len(),
                    names.len()
                )));
            }
            slots.push((slot.to_owned(), vectors));
        }
        run.optimizer.restore(steps, slots, &lengths)?;
        let p = &saved.progress;
        if p.cursor > p.train_len || p.epoch > saved.config.epochs {
            return Err(RunError::Checkpoint(format!(
                "the saved position (epoch {}, image {} of {}) is outside the run",
                p.epoch, p.cursor, p.train_len
            )));
        }
        run.rng = Rng::from_state(p.rng);
        run.progress = saved.progress;
        run.history = saved.history;
        run.optimizer
            .set_learning_rate(run.config.learning_rate(run.progress.epoch));
        run.order.clear();
        Ok(run)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::data::IMAGE_PIXELS;

    fn data(n: usize, seed: u64) -> Dataset {
        let mut rng = Rng::seed_from_u64(seed);
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        // Class c lights row 2c: learnable in a few steps.
        let mut images = vec![0.0; n * IMAGE_PIXELS];
        for (i, &l) in labels.iter().enumerate() {
            let img = &mut images[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS];
            for x in 0..IMAGE_SIZE {
                img[(2 * usize::from(l) + 4) * IMAGE_SIZE + x] = 0.5 + 0.5 * rng.next_f32();
            }
        }
        Dataset { images, labels }
    }

    fn tiny() -> Architecture {
        Architecture::from_text("conv 4 5x5 stride 2, relu, maxpool 2, flatten, linear 10").unwrap()
    }

    fn config(optimizer: OptimizerKind) -> RunConfig {
        RunConfig {
            epochs: 3,
            batch: 16,
            optimizer,
            lr: if optimizer == OptimizerKind::Sgd {
                0.05
            } else {
                3e-3
            },
            schedule: Schedule::Cosine,
            augment: Some(AugmentKind::Basic),
            seed: 9,
            ..RunConfig::default()
        }
    }

    fn train_all(run: &mut Run, train: &Dataset, test: &Dataset) {
        while !run.is_finished() {
            let done = run.step(train).unwrap().epoch_done;
            run.spent(0.01);
            if done {
                run.finish_epoch(test).unwrap();
            }
        }
    }

    #[test]
    fn a_run_learns_and_records_its_history() {
        let (train, test) = (data(200, 1), data(50, 2));
        let plain = RunConfig {
            augment: None,
            ..config(OptimizerKind::Adam)
        };
        let mut run = Run::new(&tiny(), plain, train.len()).unwrap();
        train_all(&mut run, &train, &test);
        let h = run.history().clone();
        assert_eq!(h.epochs.len(), 3);
        assert!(h.epochs[2].test_accuracy > 0.9, "{:?}", h.epochs[2]);
        assert!(h.epochs[2].train_loss < h.epochs[0].train_loss);
        assert_eq!(run.steps(), 3 * 13);
        // 13 steps of 0.01 s each: 200 images in 0.13 s.
        assert!(
            (h.epochs[0].seconds - 0.13).abs() < 1e-9,
            "{}",
            h.epochs[0].seconds
        );
        assert!((h.epochs[0].images_per_second - 200.0 / 0.13).abs() < 1e-6);
        assert_eq!(h.points.last().unwrap().epoch, 3.0);
        assert_eq!(h.epochs[1].lr, config(OptimizerKind::Adam).learning_rate(1));
        assert!(matches!(
            run.step(&train),
            Err(RunError::Finished { epochs: 3 })
        ));
        let wrong = run.most_wrong(&test, 3).unwrap();
        let errors = test.len() - (h.epochs[2].test_accuracy * test.len() as f64).round() as usize;
        assert_eq!(wrong.len(), errors.min(3));
        for w in &wrong {
            assert_ne!(w.truth, w.predicted);
            assert_eq!(w.truth, usize::from(test.labels[w.index]));
        }
        assert!(wrong.windows(2).all(|p| p[0].confidence >= p[1].confidence));
    }

    /// Stops mid-epoch, saves, resumes: the weights at the end are the ones of a run that
    /// never stopped, bit for bit, for both optimizers.
    #[test]
    fn a_resumed_run_continues_bit_for_bit() {
        let (train, test) = (data(100, 3), data(30, 4));
        for kind in [OptimizerKind::Sgd, OptimizerKind::Adam] {
            let mut straight = Run::new(&tiny(), config(kind), train.len()).unwrap();
            train_all(&mut straight, &train, &test);

            let mut first = Run::new(&tiny(), config(kind), train.len()).unwrap();
            for _ in 0..10 {
                let done = first.step(&train).unwrap().epoch_done;
                first.spent(0.01);
                if done {
                    first.finish_epoch(&test).unwrap();
                }
            }
            assert_eq!(first.epochs_done(), 1);
            assert!(first.position() > 0);
            let saved = first.checkpoint().unwrap();
            let mut resumed = Run::resume(&saved).unwrap();
            assert_eq!(resumed.position(), first.position());
            train_all(&mut resumed, &train, &test);
            assert_eq!(
                resumed.network().parameters(),
                straight.network().parameters(),
                "{kind:?}"
            );
            assert_eq!(resumed.history(), straight.history());
        }
    }

    #[test]
    fn bad_settings_and_data_are_refused_with_reasons() {
        let arch = tiny();
        let c = RunConfig {
            epochs: 0,
            ..RunConfig::default()
        };
        assert!(
            Run::new(&arch, c, 10)
                .unwrap_err()
                .to_string()
                .contains("epochs")
        );
        let c = RunConfig {
            lr: -1.0,
            ..RunConfig::default()
        };
        assert!(
            Run::new(&arch, c, 10)
                .unwrap_err()
                .to_string()
                .contains("learning rate")
        );
        let c = RunConfig {
            dataset: DatasetKind::Fashion,
            augment: Some(AugmentKind::Robust),
            ..RunConfig::default()
        };
        assert!(
            Run::new(&arch, c, 10)
                .unwrap_err()
                .to_string()
                .contains("digits only")
        );
        for (dataset, share) in [
            (DatasetKind::Fashion, 0.2),
            (DatasetKind::Mnist, -0.1),
            (DatasetKind::Mnist, 1.5),
            (DatasetKind::Mnist, f32::NAN),
        ] {
            let c = RunConfig {
                dataset,
                synthetic: share,
                ..RunConfig::default()
            };
            assert!(Run::new(&arch, c, 10).is_err(), "{dataset:?} {share}");
        }
        let c = RunConfig {
            synthetic: 0.25,
            augment: Some(AugmentKind::Robust),
            ..RunConfig::default()
        };
        let a = c.augmentation().unwrap().unwrap();
        assert_eq!(a.synthetic.map(|s| s.probability), Some(0.25));
        assert_eq!(a.elastic, Augment::robust_digits().elastic);
        let none = RunConfig::default().augmentation().unwrap();
        assert!(none.is_none());
        let five = Architecture::from_text("conv 4 5x5, flatten, linear 5").unwrap();
        let e = Run::new(&five, RunConfig::default(), 10)
            .unwrap_err()
            .to_string();
        assert!(e.contains("linear 10"), "{e}");
        let mut run = Run::new(&arch, RunConfig::default(), 10).unwrap();
        let e = run.step(&data(11, 0)).unwrap_err();
        assert_eq!(
            e,
            RunError::Data {
                expected: 10,
                got: 11
            }
        );
        assert!(run.finish_epoch(&data(5, 0)).is_err());
    }

    #[test]
    fn damaged_checkpoints_are_refused() {
        let train = data(40, 5);
        let mut run = Run::new(&tiny(), config(OptimizerKind::Adam), train.len()).unwrap();
        run.step(&train).unwrap();
        let good = run.checkpoint().unwrap();
        let mut c = good.clone();
        c.run = "{".into();
        assert!(matches!(Run::resume(&c), Err(RunError::Checkpoint(_))));
        let mut c = good.clone();
        c.optimizer.truncate(c.optimizer.len() / 2);
        assert!(matches!(Run::resume(&c), Err(RunError::Checkpoint(_))));
        let mut c = good.clone();
        c.weights.truncate(10);
        assert!(matches!(Run::resume(&c), Err(RunError::Weights(_))));
        let mut other = Run::new(
            &Architecture::from_text("conv 4 3x3 stride 2, relu, maxpool 2, flatten, linear 10")
                .unwrap(),
            config(OptimizerKind::Adam),
            train.len(),
        )
        .unwrap();
        other.step(&train).unwrap();
        let mut c = good;
        c.optimizer = other.checkpoint().unwrap().optimizer;
        assert!(Run::resume(&c).is_err());
    }
}
