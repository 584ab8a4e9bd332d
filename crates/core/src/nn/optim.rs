//! Optimizers: SGD with momentum and Adam, with PyTorch's update rules.
//!
//! An optimizer updates a list of parameter tensors (flat `&mut [f32]`) from their
//! gradients, in a fixed order; its state (velocities, moments) is created on the first
//! step and checked against the list on every later step.
//!
//! - SGD (`torch.optim.SGD`): `g ← g + λ·p`; `v ← μ·v + g` (`v = g` on the first step);
//!   `p ← p − lr·v`.
//! - Adam (`torch.optim.Adam`): `g ← g + λ·p`; `m ← β₁m + (1−β₁)g`; `v ← β₂v + (1−β₂)g²`;
//!   `p ← p − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)`.

use serde::{Deserialize, Serialize};

use super::error::NnError;

/// One update of parameters from gradients.
pub trait Optimizer {
    /// Updates every `params[i]` from `grads[i]` (same lengths, same order every step).
    ///
    /// # Errors
    /// [`NnError::ParamCount`] / [`NnError::Shape`] when the list differs from earlier steps
    /// or a gradient's length differs from its parameter's.
    fn step(&mut self, params: &mut [&mut [f32]], grads: &[&[f32]]) -> Result<(), NnError>;
    /// The current learning rate.
    fn learning_rate(&self) -> f32;
    /// Changes the learning rate (for schedules).
    fn set_learning_rate(&mut self, lr: f32);
}

fn check_hyper(
    what: &'static str,
    requirement: &'static str,
    value: f32,
    ok: bool,
) -> Result<(), NnError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(NnError::HyperParameter {
            what,
            requirement,
            value: f64::from(value),
        })
    }
}

/// Checks the parameter list against the state, creating the state on the first step.
fn check_lists(
    op: &'static str,
    state: &mut Vec<Vec<f32>>,
    params: &[&mut [f32]],
    grads: &[&[f32]],
) -> Result<(), NnError> {
    if grads.len() != params.len() {
        return Err(NnError::ParamCount {
            op,
            got: grads.len(),
            expected: params.len(),
        });
    }
    if state.is_empty() {
        *state = params.iter().map(|p| vec![0.0; p.len()]).collect();
    }
    if state.len() != params.len() {
        return Err(NnError::ParamCount {
            op,
            got: params.len(),
            expected: state.len(),
        });
    }
    for ((p, g), s) in params.iter().zip(grads).zip(state.iter()) {
        super::error::check_shape(op, "a gradient", &[g.len()], &[p.len()])?;
        super::error::check_shape(op, "a parameter", &[p.len()], &[s.len()])?;
    }
    Ok(())
}

/// Configuration of [`Sgd`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SgdConfig {
    /// Learning rate (> 0).
    pub lr: f32,
    /// Momentum μ in `[0, 1)` (0 = plain SGD).
    pub momentum: f32,
    /// L2 weight decay λ ≥ 0.
    pub weight_decay: f32,
}

impl Default for SgdConfig {
    fn default() -> Self {
        Self {
            lr: 0.01,
            momentum: 0.9,
            weight_decay: 0.0,
        }
    }
}

impl SgdConfig {
    /// SGD with learning rate `lr` and momentum 0.9.
    pub fn new(lr: f32) -> Self {
        Self {
            lr,
            ..Self::default()
        }
    }
    /// Other momentum.
    #[must_use]
    pub fn with_momentum(mut self, momentum: f32) -> Self {
        self.momentum = momentum;
        self
    }
    /// Other weight decay.
    #[must_use]
    pub fn with_weight_decay(mut self, weight_decay: f32) -> Self {
        self.weight_decay = weight_decay;
        self
    }
    /// The optimizer.
    ///
    /// # Errors
    /// [`NnError::HyperParameter`] for `lr ≤ 0`, momentum outside `[0, 1)`, or a negative
    /// weight decay.
    pub fn init(&self) -> Result<Sgd, NnError> {
        check_hyper(
            "the learning rate",
            "positive and finite",
            self.lr,
            self.lr > 0.0,
        )?;
        check_hyper(
            "the momentum",
            "in [0, 1)",
            self.momentum,
            (0.0..1.0).contains(&self.momentum),
        )?;
        check_hyper(
            "the weight decay",
            "non-negative",
            self.weight_decay,
            self.weight_decay >= 0.0,
        )?;
        Ok(Sgd {
            config: *self,
            velocity: Vec::new(),
        })
    }
}

/// Stochastic gradient descent with momentum.
#[derive(Debug, Clone)]
pub struct Sgd {
    config: SgdConfig,
    velocity: Vec<Vec<f32>>,
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &mut [&mut [f32]], grads: &[&[f32]]) -> Result<(), NnError> {
        let first = self.velocity.is_empty();
        check_lists("Sgd::step", &mut self.velocity, params, grads)?;
        let SgdConfig {
            lr,
            momentum,
            weight_decay,
        } = self.config;
        for ((p, g), v) in params.iter_mut().zip(grads).zip(self.velocity.iter_mut()) {
            for ((p, &g), v) in p.iter_mut().zip(g.iter()).zip(v.iter_mut()) {
                let g = g + weight_decay * *p;
                *v = if first { g } else { momentum * *v + g };
                *p -= lr * *v;
            }
        }
        Ok(())
    }
    fn learning_rate(&self) -> f32 {
        self.config.lr
    }
    fn set_learning_rate(&mut self, lr: f32) {
        self.config.lr = lr;
    }
}

/// Configuration of [`Adam`] (PyTorch's defaults: lr 1e-3, β = (0.9, 0.999), ε = 1e-8).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// Learning rate (> 0).
    pub lr: f32,
    /// β₁ in `[0, 1)`.
    pub beta1: f32,
    /// β₂ in `[0, 1)`.
    pub beta2: f32,
    /// ε > 0.
    pub eps: f32,
    /// L2 weight decay λ ≥ 0 (added to the gradient, as `torch.optim.Adam`).
    pub weight_decay: f32,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

impl AdamConfig {
    /// Adam with learning rate `lr` and the default βs and ε.
    pub fn new(lr: f32) -> Self {
        Self {
            lr,
            ..Self::default()
        }
    }
    /// Other weight decay.
    #[must_use]
    pub fn with_weight_decay(mut self, weight_decay: f32) -> Self {
        self.weight_decay = weight_decay;
        self
    }
    /// The optimizer.
    ///
    /// # Errors
    /// [`NnError::HyperParameter`] for a value outside its domain.
    pub fn init(&self) -> Result<Adam, NnError> {
        check_hyper(
            "the learning rate",
            "positive and finite",
            self.lr,
            self.lr > 0.0,
        )?;
        check_hyper(
            "β₁",
            "in [0, 1)",
            self.beta1,
            (0.0..1.0).contains(&self.beta1),
        )?;
        check_hyper(
            "β₂",
            "in [0, 1)",
            self.beta2,
            (0.0..1.0).contains(&self.beta2),
        )?;
        check_hyper("ε", "positive", self.eps, self.eps > 0.0)?;
        check_hyper(
            "the weight decay",
            "non-negative",
            self.weight_decay,
            self.weight_decay >= 0.0,
        )?;
        Ok(Adam {
            config: *self,
            step: 0,
            m: Vec::new(),
            v: Vec::new(),
        })
    }
}

/// Adam (Kingma & Ba 2015) with bias correction.
#[derive(Debug, Clone)]
pub struct Adam {
    config: AdamConfig,
    step: i32,
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut [&mut [f32]], grads: &[&[f32]]) -> Result<(), NnError> {
        check_lists("Adam::step", &mut self.m, params, grads)?;
        check_lists("Adam::step", &mut self.v, params, grads)?;
        self.step = self.step.saturating_add(1);
        let AdamConfig {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
        } = self.config;
        let c1 = 1.0 - beta1.powi(self.step);
        let c2 = 1.0 - beta2.powi(self.step);
        let step_size = lr / c1;
        let inv_sqrt_c2 = 1.0 / c2.sqrt();
        crate::simd::widest(
            #[inline(always)]
            || {
                for (((p, g), m), v) in params
                    .iter_mut()
                    .zip(grads)
                    .zip(self.m.iter_mut())
                    .zip(self.v.iter_mut())
                {
                    for (((p, &g), m), v) in p
                        .iter_mut()
                        .zip(g.iter())
                        .zip(m.iter_mut())
                        .zip(v.iter_mut())
                    {
                        let g = g + weight_decay * *p;
                        *m = beta1 * *m + (1.0 - beta1) * g;
                        *v = beta2 * *v + (1.0 - beta2) * g * g;
                        *p -= step_size * *m / (v.sqrt() * inv_sqrt_c2 + eps);
                    }
                }
            },
        );
        Ok(())
    }
    fn learning_rate(&self) -> f32 {
        self.config.lr
    }
    fn set_learning_rate(&mut self, lr: f32) {
        self.config.lr = lr;
    }
}

/// Either optimizer, chosen at run time (e.g. by the CLI's `--optimizer`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum OptimizerConfig {
    /// [`SgdConfig`].
    Sgd(SgdConfig),
    /// [`AdamConfig`].
    Adam(AdamConfig),
}

impl OptimizerConfig {
    /// The optimizer.
    ///
    /// # Errors
    /// As [`SgdConfig::init`] / [`AdamConfig::init`].
    pub fn init(&self) -> Result<AnyOptimizer, NnError> {
        Ok(match self {
            Self::Sgd(c) => AnyOptimizer::Sgd(c.init()?),
            Self::Adam(c) => AnyOptimizer::Adam(c.init()?),
        })
    }
}

/// Either optimizer.
#[derive(Debug, Clone)]
pub enum AnyOptimizer {
    /// SGD with momentum.
    Sgd(Sgd),
    /// Adam.
    Adam(Adam),
}

impl Optimizer for AnyOptimizer {
    fn step(&mut self, params: &mut [&mut [f32]], grads: &[&[f32]]) -> Result<(), NnError> {
        match self {
            Self::Sgd(o) => o.step(params, grads),
            Self::Adam(o) => o.step(params, grads),
        }
    }
    fn learning_rate(&self) -> f32 {
        match self {
            Self::Sgd(o) => o.learning_rate(),
            Self::Adam(o) => o.learning_rate(),
        }
    }
    fn set_learning_rate(&mut self, lr: f32) {
        match self {
            Self::Sgd(o) => o.set_learning_rate(lr),
            Self::Adam(o) => o.set_learning_rate(lr),
        }
    }
}

/// One slot of an optimizer's state: its PyTorch name and one vector per parameter.
pub type StateSlot<'a> = (&'static str, &'a [Vec<f32>]);

impl AnyOptimizer {
    /// The optimizer's state, to save a training run: the steps taken and its per-parameter
    /// slots under PyTorch's names (`momentum_buffer` for SGD; `exp_avg` and `exp_avg_sq`
    /// for Adam), each one vector per parameter in step order (none before the first step).
    pub fn state(&self) -> (u64, Vec<StateSlot<'_>>) {
        match self {
            Self::Sgd(o) => (
                u64::from(!o.velocity.is_empty()),
                vec![("momentum_buffer", o.velocity.as_slice())],
            ),
            Self::Adam(o) => (
                u64::try_from(o.step).unwrap_or(0),
                vec![("exp_avg", o.m.as_slice()), ("exp_avg_sq", o.v.as_slice())],
            ),
        }
    }

    /// Restores a state [`AnyOptimizer::state`] gave: `slots` holds, for each slot name
    /// that `state` lists, one vector per parameter with `lengths[i]` values (or no
    /// vectors at all before the first step).
    ///
    /// # Errors
    /// [`NnError::ParamCount`] / [`NnError::Shape`] when a slot is missing or its vectors
    /// do not match the parameters.
    pub fn restore(
        &mut self,
        steps: u64,
        mut slots: Vec<(String, Vec<Vec<f32>>)>,
        lengths: &[usize],
    ) -> Result<(), NnError> {
        const OP: &str = "AnyOptimizer::restore";
        let mut take = |name: &str| -> Result<Vec<Vec<f32>>, NnError> {
            let i = slots
                .iter()
                .position(|(n, _)| n == name)
                .ok_or(NnError::ParamCount {
                    op: OP,
                    got: 0,
                    expected: lengths.len(),
                })?;
            let (_, vectors) = slots.swap_remove(i);
            if vectors.is_empty() {
                return Ok(vectors);
            }
            if vectors.len() != lengths.len() {
                return Err(NnError::ParamCount {
                    op: OP,
                    got: vectors.len(),
                    expected: lengths.len(),
                });
            }
            for (v, &len) in vectors.iter().zip(lengths) {
                super::error::check_shape(OP, "a state vector", &[v.len()], &[len])?;
            }
            Ok(vectors)
        };
        match self {
            Self::Sgd(o) => o.velocity = take("momentum_buffer")?,
            Self::Adam(o) => {
                o.m = take("exp_avg")?;
                o.v = take("exp_avg_sq")?;
                if o.m.len() != o.v.len() {
                    return Err(NnError::ParamCount {
                        op: OP,
                        got: o.v.len(),
                        expected: o.m.len(),
                    });
                }
                o.step = i32::try_from(steps).unwrap_or(i32::MAX);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    /// Minimises f(p) = ½·Σ (p − 3)², gradient p − 3.
    fn minimise(opt: &mut dyn Optimizer, steps: usize) -> Vec<f32> {
        let mut p = vec![0.0f32, 10.0, -5.0];
        for _ in 0..steps {
            let g: Vec<f32> = p.iter().map(|x| x - 3.0).collect();
            opt.step(&mut [&mut p[..]], &[&g[..]]).unwrap();
        }
        p
    }

    #[test]
    fn sgd_first_steps_match_hand_computation() {
        // torch.optim.SGD([p], lr=0.1, momentum=0.9), p=1, grad=2 then 2:
        // v1 = 2, p = 0.8; v2 = 0.9·2 + 2 = 3.8, p = 0.8 − 0.38 = 0.42.
        let mut o = SgdConfig::new(0.1).init().unwrap();
        let mut p = [1.0f32];
        o.step(&mut [&mut p[..]], &[&[2.0][..]]).unwrap();
        assert!((p[0] - 0.8).abs() < 1e-6);
        o.step(&mut [&mut p[..]], &[&[2.0][..]]).unwrap();
        assert!((p[0] - 0.42).abs() < 1e-6);
    }

    #[test]
    fn adam_first_step_moves_by_lr() {
        // With bias correction the first Adam step is lr·sign(g) (up to ε).
        let mut o = AdamConfig::new(0.01).init().unwrap();
        let mut p = [1.0f32, 1.0];
        o.step(&mut [&mut p[..]], &[&[5.0, -0.001][..]]).unwrap();
        assert!((p[0] - 0.99).abs() < 1e-6, "{p:?}");
        assert!((p[1] - 1.01).abs() < 1e-4, "{p:?}");
    }

    #[test]
    fn both_converge_on_a_quadratic() {
        let mut sgd = SgdConfig::new(0.05).init().unwrap();
        for v in minimise(&mut sgd, 300) {
            assert!((v - 3.0).abs() < 1e-3, "{v}");
        }
        let mut adam = AdamConfig::new(0.1).init().unwrap();
        for v in minimise(&mut adam, 1000) {
            assert!((v - 3.0).abs() < 1e-2, "{v}");
        }
    }

    #[test]
    fn bad_hyper_parameters_and_lists_are_errors() {
        assert!(SgdConfig::new(0.0).init().is_err());
        assert!(SgdConfig::new(0.1).with_momentum(1.0).init().is_err());
        assert!(AdamConfig::new(f32::NAN).init().is_err());
        let mut o = SgdConfig::new(0.1).init().unwrap();
        let mut p = [1.0f32, 2.0];
        assert!(matches!(
            o.step(&mut [&mut p[..]], &[&[1.0][..]]),
            Err(NnError::Shape { .. })
        ));
        let mut o = AdamConfig::default().init().unwrap();
        o.step(&mut [&mut p[..]], &[&[1.0, 1.0][..]]).unwrap();
        let mut q = [0.0f32];
        assert!(matches!(
            o.step(
                &mut [&mut p[..], &mut q[..]],
                &[&[1.0, 1.0][..], &[1.0][..]]
            ),
            Err(NnError::ParamCount { .. })
        ));
    }
}
