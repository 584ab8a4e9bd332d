//! The benchmark's fixture: one seeded LeNet-5, a check image, a training batch.

use convscope_core::arch::zoo;
use convscope_core::data::IMAGE_PIXELS;
use convscope_core::nn::{Adam, AdamConfig, Network, NnError, Rng, Trainer, Workspace};

/// Adam's learning rate in every engine's training loop.
pub const LEARNING_RATE: f32 = 1e-3;
/// Images per training step in every engine.
pub const TRAIN_BATCH: usize = 64;

/// What the benchmark's own code can fail with.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The core refused something (a shape, a batch size).
    #[error(transparent)]
    Nn(#[from] NnError),
    /// The safetensors writer failed.
    #[error("cannot write the fixture as safetensors: {0}")]
    Serialize(String),
}

/// One LeNet-5 (ReLU, max pooling) initialised from a seed as PyTorch would, an image to
/// check every engine's logits on, and one batch of [`TRAIN_BATCH`] images with labels.
/// The same seed gives the same fixture on every platform (the core's [`Rng`] is portable).
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The network every engine runs.
    pub model: Network,
    /// One image, `[1, 1, 28, 28]` row-major, values in `[0, 1)`.
    pub check_input: Vec<f32>,
    /// `[TRAIN_BATCH, 1, 28, 28]` row-major, values in `[0, 1)`.
    pub train_images: Vec<f32>,
    /// `TRAIN_BATCH` labels, `i % 10`.
    pub train_labels: Vec<u8>,
}

impl Fixture {
    /// The fixture for `seed`.
    ///
    /// # Errors
    /// [`BenchError::Nn`] if the core cannot build LeNet-5 (an internal inconsistency).
    pub fn new(seed: u64) -> Result<Self, BenchError> {
        let mut rng = Rng::seed_from_u64(seed);
        let model = Network::build(&zoo::lenet5(), &mut rng)?;
        let check_input = (0..IMAGE_PIXELS).map(|_| rng.next_f32()).collect();
        let train_images = (0..TRAIN_BATCH * IMAGE_PIXELS)
            .map(|_| rng.next_f32())
            .collect();
        let train_labels = (0..TRAIN_BATCH).map(|i| (i % 10) as u8).collect();
        Ok(Self {
            model,
            check_input,
            train_images,
            train_labels,
        })
    }

    /// convscope's logits for [`Fixture::check_input`]: what every peer must reproduce.
    ///
    /// # Errors
    /// As [`Network::infer`] (never for the fixture's own image).
    pub fn check_logits(&self) -> Result<Vec<f32>, BenchError> {
        let mut ws = Workspace::new();
        Ok(self.model.infer(&self.check_input, 1, &mut ws)?.to_vec())
    }

    /// A fresh training state on a copy of the model: the trainer (each batch split over
    /// `threads` threads, see [`Trainer::with_threads`]), Adam at [`LEARNING_RATE`], and the
    /// model it updates.
    ///
    /// # Errors
    /// [`BenchError::Nn`] if Adam refuses the learning rate (it does not).
    pub fn training(&self, threads: usize) -> Result<Training, BenchError> {
        Ok(Training {
            model: self.model.clone(),
            trainer: Trainer::with_threads(threads),
            optimizer: AdamConfig::new(LEARNING_RATE).init()?,
            rng: Rng::seed_from_u64(0),
        })
    }
}

/// A model being trained: what one training step needs, kept across steps.
#[derive(Debug, Clone)]
pub struct Training {
    model: Network,
    trainer: Trainer,
    optimizer: Adam,
    rng: Rng,
}

impl Training {
    /// One Adam step (forward, loss, backward, update) on `images` / `labels`; returns the
    /// batch's mean loss.
    ///
    /// # Errors
    /// As [`Trainer::train_batch`]: wrong lengths, labels ≥ 10, a non-finite loss.
    pub fn step(&mut self, images: &[f32], labels: &[u8]) -> Result<f32, BenchError> {
        let stats = self.trainer.train_batch(
            &mut self.model,
            &mut self.optimizer,
            images,
            labels,
            &mut self.rng,
        )?;
        Ok(stats.loss)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_fixture_and_another_seed_another() {
        let a = Fixture::new(7).unwrap();
        let b = Fixture::new(7).unwrap();
        let c = Fixture::new(8).unwrap();
        assert_eq!(a.model, b.model);
        assert_eq!(a.check_input, b.check_input);
        assert_eq!(a.check_logits().unwrap(), b.check_logits().unwrap());
        assert_ne!(a.check_input, c.check_input);
        assert_eq!(a.train_images.len(), TRAIN_BATCH * IMAGE_PIXELS);
        assert_eq!(a.train_labels[13], 3);
    }

    #[test]
    fn training_steps_lower_the_loss_on_the_fixed_batch() {
        let f = Fixture::new(1).unwrap();
        let mut t = f.training(1).unwrap();
        let first = t.step(&f.train_images, &f.train_labels).unwrap();
        let mut last = first;
        for _ in 0..30 {
            last = t.step(&f.train_images, &f.train_labels).unwrap();
        }
        assert!(last < first, "loss {first} → {last}");
    }
}
