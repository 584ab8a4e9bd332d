//! Parameter initialisation as PyTorch's defaults.
//!
//! `nn.Linear` and `nn.Conv2d` initialise their weight with `kaiming_uniform_(a=√5)`: the
//! bound is `gain · √(3 / fan_in)` with `gain = √(2 / (1 + a²)) = √(1/3)`, i.e.
//! `1 / √fan_in`. Their bias is `U(−1/√fan_in, 1/√fan_in)` too. `fan_in` is
//! `in_features` for a linear layer and `C_in / groups · F_h · F_w` for a convolution.

use crate::rng::Rng;

/// `1 / √fan_in`, the bound of PyTorch's default weight and bias initialisation
/// (0 for `fan_in == 0`).
pub fn pytorch_default_bound(fan_in: usize) -> f32 {
    if fan_in == 0 {
        0.0
    } else {
        (1.0 / (fan_in as f64).sqrt()) as f32
    }
}

/// Fills `values` with `U(−bound, bound)` draws from `rng`, in order.
pub fn fill_uniform(values: &mut [f32], bound: f32, rng: &mut Rng) {
    for v in values {
        *v = rng.uniform(-bound, bound);
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn bound_matches_kaiming_uniform_a_sqrt5() {
        // PyTorch: gain = calculate_gain('leaky_relu', sqrt(5)) = sqrt(2 / 6);
        // bound = gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in).
        for fan_in in [1usize, 25, 150, 400, 120, 84] {
            let gain = (2.0f64 / (1.0 + 5.0)).sqrt();
            let expected = gain * (3.0 / fan_in as f64).sqrt();
            assert!((f64::from(pytorch_default_bound(fan_in)) - expected).abs() < 1e-7);
        }
        assert_eq!(pytorch_default_bound(0), 0.0);
    }

    #[test]
    fn uniform_fill_stays_in_bounds_and_spreads() {
        let mut rng = Rng::seed_from_u64(3);
        let mut v = vec![0.0f32; 10_000];
        fill_uniform(&mut v, 0.2, &mut rng);
        assert!(v.iter().all(|x| (-0.2..0.2).contains(x)));
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        assert!(mean.abs() < 0.01, "{mean}");
        let var = v.iter().map(|x| x * x).sum::<f32>() / v.len() as f32;
        // Var of U(−b, b) = b²/3.
        assert!((var - 0.04 / 3.0).abs() < 0.001, "{var}");
    }
}
