//! Mini-batch training and evaluation of [`LeNet`].
//!
//! [`Trainer`] owns a [`Workspace`] (activations and their gradients) and the parameter
//! gradients, so after the first batch the hot path (gather → forward → loss → backward →
//! optimizer step) allocates nothing on one thread (with several, each batch spawns scoped
//! threads and keeps a few share-sized lists, small beside the batch's work). An epoch visits the training set in a seeded random
//! order ([`Rng::shuffle`]), optionally through an [`Augment`]ation.
//!
//! Data-parallel training: [`Trainer::with_threads`] splits each batch into one share per
//! thread; every share runs forward and backward in its own workspace against the same
//! model, and the shares' gradients are averaged (weighted by their sizes) before the one
//! optimizer step — the gradient of the whole batch's mean loss, up to float rounding.
//! WebAssembly has no threads here: there a trainer always uses one.

use super::error::{NnError, check_shape};
use super::lenet::{CLASSES, INPUT_PIXELS, LeNet};
use super::optim::Optimizer;
use super::rng::Rng;
use super::workspace::{LeNetGradients, Workspace};
use crate::data::augment::Augment;

/// Loss and accuracy of one batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchStats {
    /// Mean cross-entropy over the batch.
    pub loss: f32,
    /// Correctly classified samples (arg-max of the logits, before the update).
    pub correct: usize,
    /// Samples in the batch.
    pub count: usize,
}

/// Running totals over an epoch or an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EpochStats {
    /// Mean cross-entropy over all samples.
    pub loss: f64,
    /// Correctly classified samples.
    pub correct: usize,
    /// Samples seen.
    pub count: usize,
}

impl EpochStats {
    /// Fraction correct in `[0, 1]` (0 for no samples).
    pub fn accuracy(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.correct as f64 / self.count as f64
        }
    }

    pub(crate) fn add(&mut self, b: &BatchStats) {
        let total = self.loss * self.count as f64 + f64::from(b.loss) * b.count as f64;
        self.count += b.count;
        self.correct += b.correct;
        self.loss = total / self.count.max(1) as f64;
    }
}

/// Result of [`Trainer::evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Loss and accuracy.
    pub stats: EpochStats,
    /// `confusion[true][predicted]` counts, one row and column per class.
    pub confusion: Vec<Vec<usize>>,
}

impl Evaluation {
    /// No samples yet, for `classes` classes.
    pub fn new(classes: usize) -> Self {
        Self {
            stats: EpochStats::default(),
            confusion: vec![vec![0; classes]; classes],
        }
    }

    /// Counts one sample of class `truth` predicted as `predicted`.
    pub(crate) fn record(&mut self, truth: usize, predicted: usize) {
        if let Some(c) = self
            .confusion
            .get_mut(truth)
            .and_then(|r| r.get_mut(predicted))
        {
            *c += 1;
        }
    }
}

/// Training state that persists across batches: buffers and gradients.
#[derive(Debug, Clone, Default)]
pub struct Trainer {
    workspace: Workspace,
    gradients: LeNetGradients,
    order: Vec<usize>,
    steps: u64,
    /// One per extra thread: the buffers and gradients of its share of a batch.
    helpers: Vec<Share>,
}

/// A thread's share of a batch: its buffers and its gradients.
#[derive(Debug, Clone, Default)]
struct Share {
    workspace: Workspace,
    gradients: LeNetGradients,
}

/// Images a thread's share should at least hold; smaller batches use fewer threads.
const MIN_SHARE: usize = 8;

fn check_data(op: &'static str, images: &[f32], labels: &[u8]) -> Result<usize, NnError> {
    let n = labels.len();
    check_shape(op, "the images", &[images.len()], &[n * INPUT_PIXELS])?;
    if let Some((index, &label)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &l)| usize::from(l) >= CLASSES)
    {
        return Err(NnError::Label {
            op,
            index,
            label: usize::from(label),
            classes: CLASSES,
        });
    }
    Ok(n)
}

pub(crate) fn arg_max(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

impl Trainer {
    /// A trainer with empty buffers (sized by the first batch), on this thread alone.
    pub fn new() -> Self {
        Self::default()
    }

    /// A trainer that splits each batch over `threads` threads (see the module docs); 0 and
    /// 1 mean this thread alone, and so does any number on WebAssembly.
    pub fn with_threads(threads: usize) -> Self {
        let extra = if cfg!(target_arch = "wasm32") {
            0
        } else {
            threads.saturating_sub(1)
        };
        Self {
            helpers: vec![Share::default(); extra],
            ..Self::default()
        }
    }

    /// The threads a large enough batch is split over.
    pub fn threads(&self) -> usize {
        1 + self.helpers.len()
    }

    /// The parameter gradients of the last batch (mean loss), in
    /// [`super::lenet::PARAMETER_NAMES`] order.
    pub fn gradients(&self) -> &LeNetGradients {
        &self.gradients
    }

    /// Optimizer steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Forward, loss and backward of one batch without updating the model; the gradients
    /// are then in [`Trainer::gradients`].
    ///
    /// # Shapes
    /// images: `n · 784` values (`[n, 1, 28, 28]` row-major), labels: `n` classes `< 10`.
    ///
    /// # Errors
    /// [`NnError::Shape`] / [`NnError::Label`] / [`NnError::EmptyBatch`] for bad data.
    pub fn compute_gradients(
        &mut self,
        model: &LeNet,
        images: &[f32],
        labels: &[u8],
    ) -> Result<BatchStats, NnError> {
        let n = check_data("Trainer::compute_gradients", images, labels)?;
        if n == 0 {
            return Err(NnError::EmptyBatch {
                op: "Trainer::compute_gradients",
            });
        }
        self.workspace.load_input(images, n)?;
        for (l, &y) in self.workspace.labels.iter_mut().zip(labels) {
            *l = usize::from(y);
        }
        self.forward_backward(model)
    }

    /// Forward, loss and backward of the batch in `self.workspace`, split over the helpers
    /// when the batch is large enough; the gradients end up in `self.gradients`.
    fn forward_backward(&mut self, model: &LeNet) -> Result<BatchStats, NnError> {
        let n = self.workspace.batch();
        let shares = (n / MIN_SHARE).clamp(1, self.threads());
        if shares == 1 {
            return forward_backward(&mut self.workspace, &mut self.gradients, model);
        }
        // Share i holds images [bounds[i], bounds[i + 1]); share 0 stays in this workspace.
        let bounds: Vec<usize> = (0..=shares).map(|i| i * n / shares).collect();
        for (i, h) in self.helpers[..shares - 1].iter_mut().enumerate() {
            let (a, b) = (bounds[i + 1], bounds[i + 2]);
            let ws = &self.workspace;
            h.workspace
                .load_input(&ws.x[a * INPUT_PIXELS..b * INPUT_PIXELS], b - a)?;
            h.workspace.labels.copy_from_slice(&ws.labels[a..b]);
        }
        self.workspace.resize(bounds[1]);
        let (main, rest) = (&mut self.workspace, &mut self.helpers[..shares - 1]);
        let main_grads = &mut self.gradients;
        let results: Vec<Result<BatchStats, NnError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = rest
                .iter_mut()
                .map(|h| {
                    scope.spawn(move || forward_backward(&mut h.workspace, &mut h.gradients, model))
                })
                .collect();
            let mut results = vec![forward_backward(main, main_grads, model)];
            for handle in handles {
                results.push(handle.join().unwrap_or(Err(NnError::Thread {
                    op: "Trainer::forward_backward",
                })));
            }
            results
        });
        // The whole batch's mean loss and its gradient: each share's, weighted by its size.
        let mut total = BatchStats {
            loss: 0.0,
            correct: 0,
            count: 0,
        };
        let weights: Vec<f32> = bounds
            .windows(2)
            .map(|w| (w[1] - w[0]) as f32 / n as f32)
            .collect();
        for (r, &w) in results.into_iter().zip(&weights) {
            let r = r?;
            total.loss += w * r.loss;
            total.correct += r.correct;
            total.count += r.count;
        }
        let grads = self.gradients.tensors_mut();
        for g in grads.iter_mut() {
            for v in g.iter_mut() {
                *v *= weights[0];
            }
        }
        for (h, &w) in self.helpers.iter().zip(&weights[1..]) {
            for (g, hg) in grads.iter_mut().zip(h.gradients.tensors()) {
                for (v, &x) in g.iter_mut().zip(hg) {
                    *v += w * x;
                }
            }
        }
        Ok(total)
    }

    fn update(
        &mut self,
        model: &mut LeNet,
        optimizer: &mut dyn Optimizer,
        stats: &BatchStats,
    ) -> Result<(), NnError> {
        if !stats.loss.is_finite() {
            return Err(NnError::Diverged {
                step: self.steps,
                loss: stats.loss,
            });
        }
        let mut params = model.parameters_mut()?;
        optimizer.step(&mut params, &self.gradients.tensors())?;
        self.steps += 1;
        Ok(())
    }

    /// One optimizer step on one batch.
    ///
    /// # Errors
    /// As [`Trainer::compute_gradients`], plus [`NnError::Diverged`] for a non-finite loss.
    pub fn train_batch(
        &mut self,
        model: &mut LeNet,
        optimizer: &mut dyn Optimizer,
        images: &[f32],
        labels: &[u8],
    ) -> Result<BatchStats, NnError> {
        let stats = self.compute_gradients(model, images, labels)?;
        self.update(model, optimizer, &stats)?;
        Ok(stats)
    }

    /// One epoch: the samples in an order shuffled by `rng`, in batches of `batch_size`
    /// (the last one smaller), each image passed through `augment` if given. Calls
    /// `on_batch` after every step.
    ///
    /// # Errors
    /// As [`Trainer::train_batch`], plus [`NnError::HyperParameter`] for `batch_size == 0`.
    #[allow(clippy::too_many_arguments)]
    pub fn train_epoch(
        &mut self,
        model: &mut LeNet,
        optimizer: &mut dyn Optimizer,
        images: &[f32],
        labels: &[u8],
        batch_size: usize,
        rng: &mut Rng,
        augment: Option<&Augment>,
        mut on_batch: impl FnMut(&BatchStats),
    ) -> Result<EpochStats, NnError> {
        let n = check_data("Trainer::train_epoch", images, labels)?;
        if batch_size == 0 {
            return Err(NnError::HyperParameter {
                what: "the batch size",
                requirement: "positive",
                value: 0.0,
            });
        }
        self.order.clear();
        self.order.extend(0..n);
        rng.shuffle(&mut self.order);
        let mut epoch = EpochStats::default();
        let mut start = 0;
        while start < n {
            let end = (start + batch_size).min(n);
            let b = end - start;
            self.workspace.resize(b);
            for (slot, &i) in self.order[start..end].iter().enumerate() {
                let src = &images[i * INPUT_PIXELS..(i + 1) * INPUT_PIXELS];
                let dst = &mut self.workspace.x[slot * INPUT_PIXELS..(slot + 1) * INPUT_PIXELS];
                match augment {
                    Some(a) => a.apply(src, dst, rng),
                    None => dst.copy_from_slice(src),
                }
                self.workspace.labels[slot] = usize::from(labels[i]);
            }
            let stats = self.forward_backward(model)?;
            self.update(model, optimizer, &stats)?;
            epoch.add(&stats);
            on_batch(&stats);
            start = end;
        }
        Ok(epoch)
    }

    /// Loss, accuracy and confusion matrix over a data set, in batches of `batch_size`.
    ///
    /// # Errors
    /// [`NnError::Shape`] / [`NnError::Label`] for bad data, [`NnError::HyperParameter`] for
    /// `batch_size == 0`.
    pub fn evaluate(
        &mut self,
        model: &LeNet,
        images: &[f32],
        labels: &[u8],
        batch_size: usize,
    ) -> Result<Evaluation, NnError> {
        let n = check_data("Trainer::evaluate", images, labels)?;
        if batch_size == 0 {
            return Err(NnError::HyperParameter {
                what: "the batch size",
                requirement: "positive",
                value: 0.0,
            });
        }
        let mut eval = Evaluation::new(CLASSES);
        let mut start = 0;
        while start < n {
            let end = (start + batch_size).min(n);
            let ws = &mut self.workspace;
            ws.load_input(
                &images[start * INPUT_PIXELS..end * INPUT_PIXELS],
                end - start,
            )?;
            for (l, &y) in ws.labels.iter_mut().zip(&labels[start..end]) {
                *l = usize::from(y);
            }
            ws.forward(model)?;
            let loss = ws.loss()?;
            let mut correct = 0;
            for (row, &t) in ws.logits().chunks_exact(CLASSES).zip(&ws.labels) {
                let p = arg_max(row);
                eval.record(t, p);
                correct += usize::from(p == t);
            }
            eval.stats.add(&BatchStats {
                loss,
                correct,
                count: end - start,
            });
            start = end;
        }
        Ok(eval)
    }
}

/// Forward, loss and backward of the batch in `ws`; the gradients (of the batch's mean
/// loss) go to `grads`.
fn forward_backward(
    ws: &mut Workspace,
    grads: &mut LeNetGradients,
    model: &LeNet,
) -> Result<BatchStats, NnError> {
    ws.forward(model)?;
    let loss = ws.loss()?;
    let correct = ws
        .logits()
        .chunks_exact(CLASSES)
        .zip(&ws.labels)
        .filter(|(row, l)| arg_max(row) == **l)
        .count();
    ws.backward(model, grads)?;
    Ok(BatchStats {
        loss,
        correct,
        count: ws.batch(),
    })
}

/// Predicted class (arg-max) of each row of row-major `[n, 10]` logits.
pub fn predictions(logits: &[f32]) -> Vec<usize> {
    logits.chunks_exact(CLASSES).map(arg_max).collect()
}
