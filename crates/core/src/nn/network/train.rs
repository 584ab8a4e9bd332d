//! Mini-batch training and evaluation of any [`Network`].
//!
//! [`Trainer`] owns a [`Workspace`] (activations and their gradients) and the parameter
//! [`Gradients`], so after the first batch the hot path (gather → forward → loss → backward →
//! optimizer step) allocates nothing on one thread. An epoch visits the training set in a
//! seeded random order ([`Rng::shuffle`]), optionally through an [`Augment`]ation.
//!
//! Data-parallel training: [`Trainer::with_threads`] splits each batch into one share per
//! thread; every share runs forward and backward in its own workspace against the same
//! network, and the shares' gradients are averaged (weighted by their sizes) before the one
//! optimizer step — the gradient of the whole batch's mean loss, up to float rounding (batch
//! norm then normalises each share by its own statistics, as PyTorch's `DataParallel`
//! does). The helper threads live as long as the trainer (`threads`). Inference and
//! evaluation ([`Trainer::infer`], [`Trainer::evaluate`]) split their batches over the same
//! threads: each share's forward pass in evaluation mode on its own thread, the outputs read
//! in order. WebAssembly has no threads here: there a trainer always uses one.

use super::threads::Threads;
use super::{Gradients, Mode, Network, Workspace};
use crate::data::augment::Augment;
use crate::nn::error::{NnError, check_shape};
use crate::nn::loss::softmax_cross_entropy_slices;
use crate::nn::optim::Optimizer;
use crate::rng::Rng;

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

pub(crate) fn arg_max(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// Training state that persists across batches: buffers, gradients, the shuffled order.
#[derive(Debug, Clone, Default)]
pub struct Trainer {
    main: Share,
    /// Shares the last batch was split over (1 = the main share alone).
    active: usize,
    order: Vec<usize>,
    steps: u64,
    /// One per extra thread.
    helpers: Vec<Share>,
    /// The threads the helpers' shares run on, alive as long as the trainer.
    threads: Threads,
    /// The outputs of the last [`Trainer::infer`], the shares' in order.
    outputs: Vec<f32>,
}

/// A thread's share of a batch: its buffers, labels, gradients and dropout stream.
#[derive(Debug, Clone, Default)]
pub(super) struct Share {
    workspace: Workspace,
    labels: Vec<usize>,
    probs: Vec<f32>,
    gradients: Gradients,
    rng: Option<Rng>,
}

/// What a share computes on its thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pass {
    /// Forward in training mode, the loss and the backward pass: a training step's gradients.
    Train,
    /// Forward in evaluation mode: the outputs only (the loss, if any, is the caller's).
    Infer,
}

/// Images a thread's share should at least hold; smaller batches use fewer threads.
const MIN_SHARE: usize = 8;

fn check_data(
    op: &'static str,
    net: &Network,
    images: &[f32],
    labels: &[u8],
) -> Result<usize, NnError> {
    let n = labels.len();
    let classes = net.output_len();
    check_shape(
        op,
        "the images",
        &[images.len()],
        &[n.saturating_mul(net.input_len())],
    )?;
    if let Some((index, &label)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &l)| usize::from(l) >= classes)
    {
        return Err(NnError::Label {
            op,
            index,
            label: usize::from(label),
            classes,
        });
    }
    Ok(n)
}

/// Refuses a network whose output cannot be scored against `classes` labels.
///
/// # Errors
/// [`NnError::Layer`] naming the output volume and what to add.
pub fn check_classifier(net: &Network, classes: usize) -> Result<(), NnError> {
    let out = net.output();
    if net.output_len() != classes {
        return Err(NnError::Layer {
            layer: net
                .description()
                .layers
                .last()
                .map_or_else(|| "INPUT".to_owned(), |l| l.name.clone()),
            reason: format!(
                "the network ends in {out} = {} values, but the data have {classes} classes; end it with 'linear {classes}'",
                net.output_len()
            ),
        });
    }
    Ok(())
}

/// The most threads [`Trainer::with_threads`] splits a batch over.
pub const MAX_THREADS: usize = 256;

impl Trainer {
    /// A trainer on this thread alone.
    pub fn new() -> Self {
        Self::default()
    }

    /// A trainer that splits each batch over `threads` threads; 0 and 1 mean this thread
    /// alone, and so does any number on WebAssembly. More than [`MAX_THREADS`] count as
    /// [`MAX_THREADS`] (each thread keeps a workspace; no machine here has more cores).
    pub fn with_threads(threads: usize) -> Self {
        let extra = if cfg!(target_arch = "wasm32") {
            0
        } else {
            threads.clamp(1, MAX_THREADS) - 1
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

    /// The parameter gradients of the last batch (mean loss).
    pub fn gradients(&self) -> &Gradients {
        &self.main.gradients
    }

    /// Optimizer steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The workspace of the last batch (this thread's share).
    pub fn workspace(&self) -> &Workspace {
        &self.main.workspace
    }

    /// Forward, loss and backward of one batch in training mode without updating the
    /// network; the gradients are then in [`Trainer::gradients`].
    ///
    /// # Errors
    /// [`NnError::Shape`] / [`NnError::Label`] / [`NnError::EmptyBatch`] for bad data,
    /// [`NnError::Layer`] for a network that cannot be trained on these labels.
    pub fn compute_gradients(
        &mut self,
        net: &Network,
        images: &[f32],
        labels: &[u8],
        rng: &mut Rng,
    ) -> Result<BatchStats, NnError> {
        const OP: &str = "Trainer::compute_gradients";
        let n = check_data(OP, net, images, labels)?;
        net.check_trainable()?;
        let per = net.input_len();
        self.load(net, n, |slot, dst| {
            dst.copy_from_slice(&images[slot * per..(slot + 1) * per]);
            usize::from(labels[slot])
        })?;
        self.forward_backward(net, rng)
    }

    /// The shares a batch of `n` is split over and the first sample of each
    /// (`bounds[i]..bounds[i + 1]` is share `i`'s; share 0 is the main one).
    fn bounds(&self, n: usize) -> Vec<usize> {
        let shares = (n / MIN_SHARE).clamp(1, self.threads());
        (0..=shares).map(|i| i * n / shares).collect()
    }

    /// Prepares every share of a batch of `n` and fills it sample by sample, in order:
    /// `fill(slot, dst)` writes sample `slot`'s input into `dst` and returns its label.
    /// Each share's buffers keep the size of its own part from batch to batch (no
    /// growing back to the whole batch, which zero-filled every activation each step).
    fn load(
        &mut self,
        net: &Network,
        n: usize,
        mut fill: impl FnMut(usize, &mut [f32]) -> usize,
    ) -> Result<(), NnError> {
        let bounds = self.bounds(n);
        self.active = bounds.len() - 1;
        let per = net.input_len();
        let shares = std::iter::once(&mut self.main).chain(self.helpers.iter_mut());
        for (share, range) in shares.zip(bounds.windows(2)) {
            share.workspace.prepare(net, range[1] - range[0])?;
            share.labels.clear();
            let input = share.workspace.input_mut();
            for (slot, dst) in (range[0]..range[1]).zip(input.chunks_exact_mut(per.max(1))) {
                let label = fill(slot, dst);
                share.labels.push(label);
            }
        }
        Ok(())
    }

    /// Runs `pass` on the loaded shares, each on its own thread (one share: this thread);
    /// the main share's result first, then the helpers' in order.
    fn run_shares(&mut self, net: &Network, pass: Pass) -> Vec<Result<BatchStats, NnError>> {
        let shares = self.active.max(1);
        // (Never more than one share on wasm: said at compile time too, so that the helper
        // threads' code stays out of the wasm.)
        if shares == 1 || cfg!(target_arch = "wasm32") {
            return vec![self.main.run(net, pass)];
        }
        self.threads
            .run(net, pass, &mut self.main, &mut self.helpers[..shares - 1])
    }

    /// Forward, loss and backward of the loaded shares, each on its own thread; the
    /// gradients end up in the main share's.
    fn forward_backward(&mut self, net: &Network, rng: &mut Rng) -> Result<BatchStats, NnError> {
        let shares = self.active.max(1);
        self.main.rng = Some(Rng::seed_from_u64(rng.next_u64()));
        if shares == 1 || cfg!(target_arch = "wasm32") {
            return self.main.run(net, Pass::Train);
        }
        for h in &mut self.helpers[..shares - 1] {
            h.rng = Some(Rng::seed_from_u64(rng.next_u64()));
        }
        let results = self.run_shares(net, Pass::Train);
        let n: usize = std::iter::once(&self.main)
            .chain(&self.helpers[..shares - 1])
            .map(|s| s.labels.len())
            .sum();
        let weights: Vec<f32> = std::iter::once(&self.main)
            .chain(&self.helpers[..shares - 1])
            .map(|s| s.labels.len() as f32 / n as f32)
            .collect();
        let mut total = BatchStats {
            loss: 0.0,
            correct: 0,
            count: 0,
        };
        for (r, &w) in results.into_iter().zip(&weights) {
            let r = r?;
            total.loss += w * r.loss;
            total.correct += r.correct;
            total.count += r.count;
        }
        // The weighted mean of the shares' gradients into the main share's: the first
        // helper's term in the same pass as the main share's weight.
        let grads = self.main.gradients.tensors_mut();
        let (first, rest) = self.helpers[..shares - 1].split_at(1);
        for (g, hg) in grads.iter_mut().zip(first[0].gradients.tensors()) {
            for (v, &x) in g.iter_mut().zip(hg) {
                *v = weights[0] * *v + weights[1] * x;
            }
        }
        for (h, &w) in rest.iter().zip(&weights[2..]) {
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
        net: &mut Network,
        optimizer: &mut dyn Optimizer,
        stats: &BatchStats,
    ) -> Result<(), NnError> {
        if !stats.loss.is_finite() {
            return Err(NnError::Diverged {
                step: self.steps,
                loss: stats.loss,
            });
        }
        let n = stats.count.max(1) as f32;
        let helpers = &self.helpers[..self.active.saturating_sub(1)];
        let shares: Vec<(&Workspace, f32)> = std::iter::once(&self.main)
            .chain(helpers)
            .map(|s| (&s.workspace, s.labels.len() as f32 / n))
            .collect();
        net.track_running_stats(&shares);
        let mut params = net.parameters_mut();
        optimizer.step(&mut params, &self.main.gradients.tensors())?;
        self.steps += 1;
        Ok(())
    }

    /// One optimizer step on one batch.
    ///
    /// # Errors
    /// As [`Trainer::compute_gradients`], plus [`NnError::Diverged`] for a non-finite loss.
    pub fn train_batch(
        &mut self,
        net: &mut Network,
        optimizer: &mut dyn Optimizer,
        images: &[f32],
        labels: &[u8],
        rng: &mut Rng,
    ) -> Result<BatchStats, NnError> {
        let stats = self.compute_gradients(net, images, labels, rng)?;
        self.update(net, optimizer, &stats)?;
        Ok(stats)
    }

    /// One epoch: the samples in an order shuffled by `rng`, in batches of `batch_size`
    /// (the last one smaller), each image passed through `augment` if given. Calls
    /// `on_batch` after every step.
    ///
    /// # Errors
    /// As [`Trainer::train_batch`], plus [`NnError::HyperParameter`] for `batch_size == 0`
    /// and [`NnError::TooLarge`] for a batch whose buffers would not fit.
    #[allow(clippy::too_many_arguments)]
    pub fn train_epoch(
        &mut self,
        net: &mut Network,
        optimizer: &mut dyn Optimizer,
        images: &[f32],
        labels: &[u8],
        batch_size: usize,
        rng: &mut Rng,
        augment: Option<&Augment>,
        mut on_batch: impl FnMut(&BatchStats),
    ) -> Result<EpochStats, NnError> {
        let n = check_data("Trainer::train_epoch", net, images, labels)?;
        if batch_size == 0 {
            return Err(NnError::HyperParameter {
                what: "the batch size",
                requirement: "positive",
                value: 0.0,
            });
        }
        net.check_trainable()?;
        net.check_batch(batch_size.min(n.max(1)))?;
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend(0..n);
        rng.shuffle(&mut order);
        let mut epoch = EpochStats::default();
        for batch in order.chunks(batch_size) {
            let stats = self.train_indices(net, optimizer, images, labels, batch, rng, augment);
            let stats = match stats {
                Ok(s) => s,
                Err(e) => {
                    self.order = order;
                    return Err(e);
                }
            };
            epoch.add(&stats);
            on_batch(&stats);
        }
        self.order = order;
        Ok(epoch)
    }

    /// One optimizer step on the samples `indices` of a data set (`images`: `len · input`
    /// values, `labels`: one per image), each image passed through `augment` if given:
    /// the step [`Trainer::train_epoch`] takes for every batch, for callers that keep their
    /// own place in an epoch (a training run that pauses, [`crate::nn::run`]). Draws from
    /// `rng` exactly as `train_epoch` does for the batch.
    ///
    /// # Errors
    /// [`NnError::EmptyBatch`] for no indices, [`NnError::Shape`] for an index past the
    /// data or images that are not `len · input` values, [`NnError::Label`] for a label
    /// past the network's outputs, [`NnError::TooLarge`] for a batch that would not fit,
    /// [`NnError::Diverged`] for a non-finite loss.
    #[allow(clippy::too_many_arguments)]
    pub fn train_indices(
        &mut self,
        net: &mut Network,
        optimizer: &mut dyn Optimizer,
        images: &[f32],
        labels: &[u8],
        indices: &[usize],
        rng: &mut Rng,
        augment: Option<&Augment>,
    ) -> Result<BatchStats, NnError> {
        const OP: &str = "Trainer::train_indices";
        if indices.is_empty() {
            return Err(NnError::EmptyBatch { op: OP });
        }
        let per = net.input_len();
        let n = labels.len();
        check_shape(OP, "the images", &[images.len()], &[n.saturating_mul(per)])?;
        let classes = net.output_len();
        for (slot, &i) in indices.iter().enumerate() {
            let Some(&label) = labels.get(i) else {
                return Err(NnError::Shape {
                    op: OP,
                    what: "a sample index",
                    got: vec![i],
                    expected: vec![n],
                });
            };
            if usize::from(label) >= classes {
                return Err(NnError::Label {
                    op: OP,
                    index: slot,
                    label: usize::from(label),
                    classes,
                });
            }
        }
        net.check_trainable()?;
        self.load(net, indices.len(), |slot, dst| {
            let i = indices[slot];
            let src = &images[i * per..(i + 1) * per];
            match augment {
                Some(a) => a.apply_labelled(src, Some(labels[i]), dst, rng),
                None => dst.copy_from_slice(src),
            }
            usize::from(labels[i])
        })?;
        let stats = self.forward_backward(net, rng)?;
        self.update(net, optimizer, &stats)?;
        Ok(stats)
    }

    /// The outputs of `n` samples (`images`: `n · input_len` values, NCHW row-major) in
    /// evaluation mode, `n · output_len` values: the batch split over the trainer's threads
    /// as a training batch is, each share's forward pass on its own thread, the shares'
    /// outputs in order.
    ///
    /// # Errors
    /// [`NnError::Shape`] when `images` is not `n · input_len` long, [`NnError::EmptyBatch`]
    /// for `n = 0`, [`NnError::TooLarge`] for a batch too large, [`NnError::Layer`] for a
    /// layer that cannot run, [`NnError::Thread`] when a helper thread stopped.
    pub fn infer(&mut self, net: &Network, images: &[f32], n: usize) -> Result<&[f32], NnError> {
        let per = net.input_len();
        check_shape(
            "Trainer::infer",
            "the images",
            &[images.len()],
            &[n.saturating_mul(per)],
        )?;
        self.load(net, n, |slot, dst| {
            dst.copy_from_slice(&images[slot * per..(slot + 1) * per]);
            0
        })?;
        self.run_shares(net, Pass::Infer)
            .into_iter()
            .try_for_each(|r| r.map(drop))?;
        self.outputs.clear();
        let active = self.active.max(1);
        for share in std::iter::once(&self.main).chain(&self.helpers[..active - 1]) {
            self.outputs.extend_from_slice(share.workspace.output());
        }
        Ok(&self.outputs)
    }

    /// Loss, accuracy and confusion matrix over a data set in evaluation mode, in batches
    /// of `batch_size`, each split over the trainer's threads ([`Trainer::infer`]).
    ///
    /// # Errors
    /// [`NnError::Shape`] / [`NnError::Label`] for bad data, [`NnError::HyperParameter`] for
    /// `batch_size == 0`, [`NnError::TooLarge`] for a batch too large, [`NnError::Thread`]
    /// when a helper thread stopped.
    pub fn evaluate(
        &mut self,
        net: &Network,
        images: &[f32],
        labels: &[u8],
        batch_size: usize,
    ) -> Result<Evaluation, NnError> {
        let n = check_data("Trainer::evaluate", net, images, labels)?;
        if batch_size == 0 {
            return Err(NnError::HyperParameter {
                what: "the batch size",
                requirement: "positive",
                value: 0.0,
            });
        }
        let classes = net.output_len();
        let per = net.input_len();
        let mut eval = Evaluation::new(classes);
        let mut start = 0;
        while start < n {
            let end = start.saturating_add(batch_size).min(n);
            self.load(net, end - start, |slot, dst| {
                let i = start + slot;
                dst.copy_from_slice(&images[i * per..(i + 1) * per]);
                usize::from(labels[i])
            })?;
            self.run_shares(net, Pass::Infer)
                .into_iter()
                .try_for_each(|r| r.map(drop))?;
            let active = self.active.max(1);
            for share in std::iter::once(&mut self.main).chain(&mut self.helpers[..active - 1]) {
                let (out, grad) = share.workspace.output_and_grad();
                share.probs.resize(out.len(), 0.0);
                let loss =
                    softmax_cross_entropy_slices(out, &share.labels, &mut share.probs, grad)?;
                let mut correct = 0;
                for (row, &t) in out.chunks_exact(classes).zip(&share.labels) {
                    let p = arg_max(row);
                    eval.record(t, p);
                    correct += usize::from(p == t);
                }
                eval.stats.add(&BatchStats {
                    loss,
                    correct,
                    count: share.labels.len(),
                });
            }
            start = end;
        }
        Ok(eval)
    }
}

impl Share {
    /// `pass` on the batch in this share. [`Pass::Infer`] leaves the outputs in the
    /// workspace; its stats only count the samples (no loss is computed).
    pub(super) fn run(&mut self, net: &Network, pass: Pass) -> Result<BatchStats, NnError> {
        match pass {
            Pass::Train => self.forward_backward(net),
            Pass::Infer => {
                let rng = &mut Rng::seed_from_u64(0);
                net.forward_loaded(Mode::Eval, &mut self.workspace, rng, false)?;
                Ok(BatchStats {
                    loss: 0.0,
                    correct: 0,
                    count: self.labels.len(),
                })
            }
        }
    }

    /// Forward (training mode), loss and backward of the batch in this share.
    fn forward_backward(&mut self, net: &Network) -> Result<BatchStats, NnError> {
        let mut rng = self.rng.take().unwrap_or_else(|| Rng::seed_from_u64(0));
        net.forward_loaded(Mode::Train, &mut self.workspace, &mut rng, true)?;
        let classes = net.output_len();
        let (out, grad) = self.workspace.output_and_grad();
        self.probs.resize(out.len(), 0.0);
        let loss = softmax_cross_entropy_slices(out, &self.labels, &mut self.probs, grad)?;
        let correct = out
            .chunks_exact(classes)
            .zip(&self.labels)
            .filter(|(row, l)| arg_max(row) == **l)
            .count();
        net.backward(Mode::Train, &mut self.workspace, &mut self.gradients, false)?;
        Ok(BatchStats {
            loss,
            correct,
            count: self.labels.len(),
        })
    }
}

/// Predicted class (arg-max) of each row of row-major `[n, classes]` logits.
pub fn predictions(logits: &[f32], classes: usize) -> Vec<usize> {
    logits.chunks_exact(classes.max(1)).map(arg_max).collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::arch::Architecture;
    use crate::nn::AdamConfig;

    fn net(text: &str, seed: u64) -> Network {
        let arch = Architecture::from_text(text).unwrap();
        Network::build(&arch, &mut Rng::seed_from_u64(seed)).unwrap()
    }

    fn batch(net: &Network, n: usize, seed: u64) -> (Vec<f32>, Vec<u8>) {
        let mut rng = Rng::seed_from_u64(seed);
        let images = (0..n * net.input_len()).map(|_| rng.next_f32()).collect();
        let labels = (0..n).map(|i| (i % net.output_len()) as u8).collect();
        (images, labels)
    }

    /// Two threads' gradients against one thread's, within float rounding.
    fn assert_same_gradients(net: &Network, two: &mut Trainer, images: &[f32], labels: &[u8]) {
        let mut one = Trainer::new();
        let a = one
            .compute_gradients(net, images, labels, &mut Rng::seed_from_u64(1))
            .unwrap();
        let b = two
            .compute_gradients(net, images, labels, &mut Rng::seed_from_u64(1))
            .unwrap();
        assert_eq!(a.correct, b.correct);
        assert!((a.loss - b.loss).abs() <= 1e-5, "{} vs {}", a.loss, b.loss);
        for (g, h) in one
            .gradients()
            .tensors()
            .iter()
            .zip(two.gradients().tensors())
        {
            let scale = g.iter().fold(1e-3f32, |m, v| m.max(v.abs()));
            for (u, v) in g.iter().zip(h) {
                assert!((u - v).abs() <= 1e-5 * scale, "{u} vs {v}");
            }
        }
    }

    /// The helper thread starts once and stays; its copy of the network follows the
    /// caller's: after optimizer steps (parameters copied in place) and when another
    /// network is passed (copied whole), two threads still give one thread's gradients.
    #[test]
    fn the_helper_thread_persists_and_follows_the_network() {
        let mut a = net(
            "input 8x8x1, conv 4 3x3 pad 1, relu, maxpool 2, flatten, linear 5",
            1,
        );
        let (images, labels) = batch(&a, 32, 2);
        let mut two = Trainer::with_threads(2);
        let mut opt = AdamConfig::new(1e-2).init().unwrap();
        for _ in 0..5 {
            two.train_batch(
                &mut a,
                &mut opt,
                &images,
                &labels,
                &mut Rng::seed_from_u64(3),
            )
            .unwrap();
        }
        assert_same_gradients(&a, &mut two, &images, &labels);
        let b = net("input 8x8x1, conv 2 5x5, tanh, flatten, linear 5", 4);
        assert_same_gradients(&b, &mut two, &images, &labels);
        assert_same_gradients(&a, &mut two, &images, &labels);
        assert_eq!(two.threads.started, 1, "{:?}", two.threads);
    }

    /// Inference and evaluation split over three threads give one thread's outputs, loss,
    /// accuracy and confusion matrix (batch norm in evaluation mode: its running statistics,
    /// so each sample's outputs do not depend on its share), for batches split three ways,
    /// unevenly, and too small to split; the same two helpers serve training and inference.
    #[test]
    fn inference_split_over_threads_gives_one_threads_outputs() {
        let mut a = net(
            "input 8x8x1, conv 4 3x3 pad 1, batchnorm, relu, maxpool 2, flatten, linear 5",
            5,
        );
        let mut three = Trainer::with_threads(3);
        let mut opt = AdamConfig::new(1e-2).init().unwrap();
        let (train, train_labels) = batch(&a, 24, 6);
        let mut step = |three: &mut Trainer, a: &mut Network| {
            three
                .train_batch(
                    a,
                    &mut opt,
                    &train,
                    &train_labels,
                    &mut Rng::seed_from_u64(7),
                )
                .unwrap();
        };
        for _ in 0..3 {
            step(&mut three, &mut a);
        }
        for n in [37, 24, 9, 1] {
            let (images, labels) = batch(&a, n, 8 + n as u64);
            let mut ws = Workspace::new();
            let one = a.infer(&images, n, &mut ws).unwrap().to_vec();
            let split = three.infer(&a, &images, n).unwrap();
            assert_eq!(split.len(), one.len(), "n = {n}");
            for (u, v) in one.iter().zip(split) {
                assert!(
                    (u - v).abs() <= 1e-5 * u.abs().max(1.0),
                    "n = {n}: {u} vs {v}"
                );
            }
            let e1 = Trainer::new().evaluate(&a, &images, &labels, 16).unwrap();
            let e3 = three.evaluate(&a, &images, &labels, 16).unwrap();
            assert_eq!(e1.confusion, e3.confusion, "n = {n}");
            assert_eq!(e1.stats.correct, e3.stats.correct);
            assert_eq!(e1.stats.count, n);
            assert_eq!(e3.stats.count, n);
            assert!(
                (e1.stats.loss - e3.stats.loss).abs() <= 1e-5,
                "{:?} vs {:?}",
                e1.stats,
                e3.stats
            );
        }
        step(&mut three, &mut a);
        assert_eq!(three.threads.started, 2, "{:?}", three.threads);
        assert!(matches!(
            three.infer(&a, &[0.0; 10], 1),
            Err(NnError::Shape { .. })
        ));
        assert!(matches!(
            three.infer(&a, &[], 0),
            Err(NnError::EmptyBatch { .. })
        ));
    }
}
