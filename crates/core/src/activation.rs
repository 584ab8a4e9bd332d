//! Activation functions and their derivatives.
//!
//! Elementwise: ReLU, leaky ReLU, sigmoid, tanh ([`Activation`]). Along a vector: softmax
//! and log-softmax, both shifted by the maximum so they stay finite for any finite input
//! (softmax of `[1000, 1001, 1002]` and of `[−1e30, 0]` sums to 1). Derivatives follow
//! PyTorch's conventions at kinks (ReLU'(0) = 0).

use ndarray::{Array, ArrayView, Dimension};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::format::parse_f32;

/// An elementwise activation.
///
/// One spelling everywhere (text form, JSON, weights metadata, the CLI), through
/// [`std::fmt::Display`] and [`std::str::FromStr`]: `identity`, `relu`, `leaky_relu:<slope>`
/// (`leaky_relu` alone is PyTorch's slope 0.01), `sigmoid`, `tanh`. Serde uses the same
/// string (`{"function": "relu"}`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Activation {
    /// f(x) = x (no activation).
    #[default]
    Identity,
    /// f(x) = max(0, x).
    Relu,
    /// f(x) = x for x > 0, slope·x otherwise (PyTorch's default slope is 0.01).
    LeakyRelu {
        /// Slope for negative inputs.
        slope: f32,
    },
    /// f(x) = 1 / (1 + e^(−x)).
    Sigmoid,
    /// f(x) = tanh(x).
    Tanh,
}

impl Activation {
    /// Leaky ReLU with a finite slope.
    ///
    /// # Errors
    /// [`CoreError::NonFinite`] for a NaN or infinite slope.
    pub fn leaky_relu(slope: f32) -> Result<Self, CoreError> {
        if !slope.is_finite() {
            return Err(CoreError::NonFinite {
                what: "leaky ReLU slope",
                value: slope.to_string(),
            });
        }
        Ok(Self::LeakyRelu { slope })
    }

    /// Every kind with its default parameters, in the order menus list them.
    pub const ALL: [Self; 5] = [
        Self::Identity,
        Self::Relu,
        Self::LeakyRelu { slope: 0.01 },
        Self::Sigmoid,
        Self::Tanh,
    ];

    /// A short name for display ("ReLU", "sigmoid", …).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Relu => "ReLU",
            Self::LeakyRelu { .. } => "leaky ReLU",
            Self::Sigmoid => "sigmoid",
            Self::Tanh => "tanh",
        }
    }

    /// f(x).
    pub fn apply(&self, x: f32) -> f32 {
        match *self {
            Self::Identity => x,
            Self::Relu => relu(x),
            Self::LeakyRelu { slope } => leaky_relu(x, slope),
            Self::Sigmoid => sigmoid(x),
            Self::Tanh => tanh(x),
        }
    }

    /// f'(x), the derivative with respect to the input.
    pub fn derivative(&self, x: f32) -> f32 {
        match *self {
            Self::Identity => 1.0,
            Self::Relu => relu_derivative(x),
            Self::LeakyRelu { slope } => leaky_relu_derivative(x, slope),
            Self::Sigmoid => sigmoid_derivative(x),
            Self::Tanh => tanh_derivative(x),
        }
    }

    /// f applied to every element.
    ///
    /// # Shapes
    /// Any shape; the output has the input's shape.
    pub fn forward<D: Dimension>(&self, x: ArrayView<'_, f32, D>) -> Array<f32, D> {
        x.mapv(|v| self.apply(v))
    }

    /// f' applied to every element (of the pre-activation input).
    pub fn derivative_array<D: Dimension>(&self, x: ArrayView<'_, f32, D>) -> Array<f32, D> {
        x.mapv(|v| self.derivative(v))
    }
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Identity => f.write_str("identity"),
            Self::Relu => f.write_str("relu"),
            Self::LeakyRelu { slope } => write!(f, "leaky_relu:{slope}"),
            Self::Sigmoid => f.write_str("sigmoid"),
            Self::Tanh => f.write_str("tanh"),
        }
    }
}

/// Why a string is not an activation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not an activation: expected {EXPECTED_ACTIVATIONS}")]
pub struct ActivationParseError {
    /// The string given.
    pub input: String,
}

/// What [`Activation`]'s parser accepts, for messages.
pub const EXPECTED_ACTIVATIONS: &str =
    "relu, tanh, sigmoid, identity, leaky_relu or leaky_relu:<slope>";

impl std::str::FromStr for Activation {
    type Err = ActivationParseError;

    /// Parses [`Activation`]'s `Display` output (case-insensitive; `ReLU` works).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ActivationParseError {
            input: s.to_owned(),
        };
        match s.to_ascii_lowercase().as_str() {
            "identity" => Ok(Self::Identity),
            "relu" => Ok(Self::Relu),
            "sigmoid" => Ok(Self::Sigmoid),
            "tanh" => Ok(Self::Tanh),
            "leaky_relu" => Ok(Self::LeakyRelu { slope: 0.01 }),
            other => {
                let slope = other.strip_prefix("leaky_relu:").ok_or_else(err)?;
                let slope = parse_f32(slope).ok_or_else(err)?;
                Self::leaky_relu(slope).map_err(|_| err())
            }
        }
    }
}

impl TryFrom<String> for Activation {
    type Error = ActivationParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Activation> for String {
    fn from(a: Activation) -> Self {
        a.to_string()
    }
}

/// max(0, x).
pub fn relu(x: f32) -> f32 {
    if x > 0.0 { x } else { 0.0 }
}

/// 1 for x > 0, else 0 (PyTorch's convention at 0).
pub fn relu_derivative(x: f32) -> f32 {
    if x > 0.0 { 1.0 } else { 0.0 }
}

/// x for x > 0, slope·x otherwise.
pub fn leaky_relu(x: f32, slope: f32) -> f32 {
    if x > 0.0 { x } else { slope * x }
}

/// 1 for x > 0, slope otherwise.
pub fn leaky_relu_derivative(x: f32, slope: f32) -> f32 {
    if x > 0.0 { 1.0 } else { slope }
}

/// 1 / (1 + e^(−x)), computed without overflow for large |x|.
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// σ(x)·(1 − σ(x)).
pub fn sigmoid_derivative(x: f32) -> f32 {
    let s = sigmoid(x);
    s * (1.0 - s)
}

/// tanh(x), within 7 units in the last place of the exact value (6.9 at most over every
/// `f32` from 0 to 12, each against `f64`'s tanh; the C library's `tanhf`: 2.2).
///
/// The odd rational minimax approximation of degrees 13 over 6 that Eigen, XLA and ONNX
/// Runtime use (Eigen's constants), on `x` clamped to ±7.90531…, where tanh rounds to ±1;
/// `x` itself below 0.0004, where tanh(x) rounds to x. It is multiplies, adds, one division
/// and comparisons, with no call: a loop of it vectorises, where `tanhf` is a call per
/// value (in wasm LeNet-5 with tanh spent more time in it than in its convolutions), and
/// it gives the same bits natively and in wasm. Odd, so `tanh(−x) = −tanh(x)`; NaN stays
/// NaN and ±∞ gives ±1.
pub fn tanh(x: f32) -> f32 {
    #[allow(clippy::excessive_precision)]
    const CLAMP: f32 = 7.90531110763549805;
    // Eigen's constants as it publishes them (rounded to f32 here, as there).
    #[allow(clippy::excessive_precision)]
    const P: [f32; 7] = [
        -2.76076847742355e-16,
        2.00018790482477e-13,
        -8.60467152213735e-11,
        5.12229709037114e-08,
        1.48572235717979e-05,
        6.37261928875436e-04,
        4.89352455891786e-03,
    ];
    #[allow(clippy::excessive_precision)]
    const Q: [f32; 4] = [
        1.19825839466702e-06,
        1.18534705686654e-04,
        2.26843463243900e-03,
        4.89352518554385e-03,
    ];
    if x.abs() < 4e-4 {
        return x;
    }
    let c = x.clamp(-CLAMP, CLAMP);
    let c2 = c * c;
    let p = P[1..].iter().fold(P[0], |p, &a| p * c2 + a) * c;
    let q = Q[1..].iter().fold(Q[0], |q, &b| q * c2 + b);
    p / q
}

/// 1 − tanh²(x).
pub fn tanh_derivative(x: f32) -> f32 {
    let t = tanh(x);
    1.0 - t * t
}

fn check_len(
    op: &'static str,
    what: &'static str,
    got: usize,
    expected: usize,
) -> Result<(), CoreError> {
    if got != expected {
        return Err(CoreError::Length {
            op,
            what,
            got,
            expected,
        });
    }
    Ok(())
}

/// The maximum (`f32::max` skips NaN; a NaN input still makes every output NaN via `exp`).
fn max_of(x: &[f32]) -> f32 {
    x.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

/// softmax(x)_i = e^(x_i − m) / Σ_j e^(x_j − m) with m = max x (stable).
/// An empty input gives an empty output; all −∞ gives NaN (as PyTorch).
pub fn softmax(x: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    softmax_fill(x, &mut out);
    out
}

fn softmax_fill(x: &[f32], out: &mut [f32]) {
    let m = max_of(x);
    let mut sum = 0.0f32;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = (v - m).exp();
        sum += *o;
    }
    for o in out.iter_mut() {
        *o /= sum;
    }
}

/// [`softmax`] into a caller-owned buffer.
///
/// # Errors
/// [`CoreError::Length`] when `out.len() != x.len()`.
pub fn softmax_into(x: &[f32], out: &mut [f32]) -> Result<(), CoreError> {
    check_len("softmax_into", "the output", out.len(), x.len())?;
    softmax_fill(x, out);
    Ok(())
}

/// log-softmax(x)_i = x_i − m − ln Σ_j e^(x_j − m) (stable; finite for finite x).
pub fn log_softmax(x: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    log_softmax_fill(x, &mut out);
    out
}

fn log_softmax_fill(x: &[f32], out: &mut [f32]) {
    let m = max_of(x);
    let lse = x.iter().map(|&v| (v - m).exp()).sum::<f32>().ln();
    for (o, &v) in out.iter_mut().zip(x) {
        *o = v - m - lse;
    }
}

/// [`log_softmax`] into a caller-owned buffer.
///
/// # Errors
/// [`CoreError::Length`] when `out.len() != x.len()`.
pub fn log_softmax_into(x: &[f32], out: &mut [f32]) -> Result<(), CoreError> {
    check_len("log_softmax_into", "the output", out.len(), x.len())?;
    log_softmax_fill(x, out);
    Ok(())
}

/// The softmax Jacobian ∂y_i/∂x_j = y_i(δ_ij − y_j), from the softmax output `y`,
/// row-major `n × n`.
pub fn softmax_jacobian(y: &[f32]) -> Vec<f32> {
    let n = y.len();
    let mut j = vec![0.0; n * n];
    for (i, row) in j.chunks_exact_mut(n.max(1)).enumerate().take(n) {
        for (k, v) in row.iter_mut().enumerate() {
            let delta = if i == k { 1.0 } else { 0.0 };
            *v = y[i] * (delta - y[k]);
        }
    }
    j
}

/// Backward pass of softmax: given its output `y` and the gradient `grad_y` of the loss
/// with respect to `y`, the gradient with respect to the input:
/// y ⊙ (g − ⟨g, y⟩).
///
/// # Errors
/// [`CoreError::Length`] when the lengths differ.
pub fn softmax_backward(y: &[f32], grad_y: &[f32]) -> Result<Vec<f32>, CoreError> {
    check_len("softmax_backward", "the gradient", grad_y.len(), y.len())?;
    let dot: f32 = y.iter().zip(grad_y).map(|(a, b)| a * b).sum();
    Ok(y.iter()
        .zip(grad_y)
        .map(|(&yi, &gi)| yi * (gi - dot))
        .collect())
}

/// Backward pass of log-softmax: given its output `log_y` and `grad`, the gradient with
/// respect to the input: g − softmax(x)·Σ g, with softmax(x) = e^(log_y).
///
/// # Errors
/// [`CoreError::Length`] when the lengths differ.
pub fn log_softmax_backward(log_y: &[f32], grad: &[f32]) -> Result<Vec<f32>, CoreError> {
    check_len(
        "log_softmax_backward",
        "the gradient",
        grad.len(),
        log_y.len(),
    )?;
    let total: f32 = grad.iter().sum();
    Ok(log_y
        .iter()
        .zip(grad)
        .map(|(&ly, &g)| g - ly.exp() * total)
        .collect())
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    /// Within 7 units in the last place of `f64`'s tanh over the floats from 0 to 12 (every
    /// 997th), odd, bounded by ±1, exact below 0.0004, NaN for NaN and ±1 for ±∞.
    #[test]
    fn tanh_is_within_seven_ulp_odd_and_bounded() {
        let ulp = |t: f32| {
            let t = t.abs().max(f32::MIN_POSITIVE);
            f64::from(f32::from_bits(t.to_bits() + 1) - t)
        };
        let mut bits = 0u32;
        while f32::from_bits(bits) <= 12.0 {
            let x = f32::from_bits(bits);
            let want = f64::from(x).tanh();
            let got = tanh(x);
            let err = (f64::from(got) - want).abs() / ulp(want as f32);
            assert!(err < 7.0, "tanh({x}) = {got}, {err} ulp from {want}");
            assert!(got.abs() <= 1.0, "tanh({x}) = {got}");
            assert_eq!(tanh(-x).to_bits(), (-got).to_bits(), "tanh(-{x})");
            bits += 997;
        }
        assert_eq!(tanh(3e-4), 3e-4);
        assert_eq!(tanh(-0.0).to_bits(), (-0.0f32).to_bits());
        assert!(tanh(f32::NAN).is_nan());
        assert_eq!((tanh(f32::INFINITY), tanh(f32::NEG_INFINITY)), (1.0, -1.0));
        assert_eq!(Activation::Tanh.apply(0.5), tanh(0.5));
        assert_eq!(tanh_derivative(0.5), 1.0 - tanh(0.5) * tanh(0.5));
    }

    #[test]
    fn lecture_sigmoid_of_4_is_0_98() {
        let s = sigmoid(4.0);
        assert_eq!((s * 100.0).round() / 100.0, 0.98);
        assert!((s - 0.982_013_8).abs() < 1e-6);
    }

    #[test]
    fn softmax_is_stable_on_large_inputs() {
        for x in [vec![1000.0f32, 1001.0, 1002.0], vec![-1e30, 0.0]] {
            let y = softmax(&x);
            assert!(y.iter().all(|v| v.is_finite()), "{y:?}");
            assert!((y.iter().sum::<f32>() - 1.0).abs() < 1e-6, "{y:?}");
            let ly = log_softmax(&x);
            assert!(ly.iter().all(|v| v.is_finite()), "{ly:?}");
        }
        let y = softmax(&[1000.0, 1001.0, 1002.0]);
        assert!((y[2] - 0.665_240_9).abs() < 1e-6);
        assert_eq!(softmax(&[-1e30, 0.0]), vec![0.0, 1.0]);
    }

    #[test]
    fn sigmoid_does_not_overflow() {
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert!(sigmoid_derivative(-1000.0).is_finite());
    }

    #[test]
    fn derivatives_match_finite_differences() {
        let acts = [
            Activation::Relu,
            Activation::LeakyRelu { slope: 0.1 },
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Identity,
        ];
        for a in acts {
            for x in [-2.0f32, -0.5, 0.3, 1.7] {
                let h = 1e-3f32;
                let fd = (a.apply(x + h) - a.apply(x - h)) / (2.0 * h);
                assert!((fd - a.derivative(x)).abs() < 1e-3, "{a:?} at {x}: {fd}");
            }
        }
        assert_eq!(relu_derivative(0.0), 0.0);
    }

    #[test]
    fn softmax_backward_matches_jacobian_and_finite_differences() {
        let x = [0.2f32, -1.0, 0.7];
        let g = [1.0f32, -2.0, 0.5];
        let y = softmax(&x);
        let jac = softmax_jacobian(&y);
        let via_jac: Vec<f32> = (0..3)
            .map(|j| (0..3).map(|i| g[i] * jac[i * 3 + j]).sum())
            .collect();
        let back = softmax_backward(&y, &g).unwrap_or_default();
        for j in 0..3 {
            assert!((via_jac[j] - back[j]).abs() < 1e-6);
            let h = 1e-2f32;
            let (mut xp, mut xm) = (x, x);
            xp[j] += h;
            xm[j] -= h;
            let f = |v: &[f32]| softmax(v).iter().zip(g).map(|(a, b)| a * b).sum::<f32>();
            let fd = (f(&xp) - f(&xm)) / (2.0 * h);
            assert!((fd - back[j]).abs() < 1e-3, "{fd} vs {}", back[j]);
            let fl = |v: &[f32]| {
                log_softmax(v)
                    .iter()
                    .zip(g)
                    .map(|(a, b)| a * b)
                    .sum::<f32>()
            };
            let fd = (fl(&xp) - fl(&xm)) / (2.0 * h);
            let lb = log_softmax_backward(&log_softmax(&x), &g).unwrap_or_default();
            assert!((fd - lb[j]).abs() < 1e-3, "{fd} vs {}", lb[j]);
        }
        assert!(softmax_backward(&y, &g[..2]).is_err());
    }

    #[test]
    fn leaky_relu_rejects_non_finite_slope() {
        assert!(Activation::leaky_relu(f32::NAN).is_err());
        assert_eq!(
            Activation::leaky_relu(0.01),
            Ok(Activation::LeakyRelu { slope: 0.01 })
        );
    }
}
