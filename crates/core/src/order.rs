//! Sorting floats.

/// Sorts `values` ascending in [`f32::total_cmp`]'s order (−NaN < −∞ < … < −0 < +0 < … <
/// +∞ < NaN), bit for bit what `values.sort_unstable_by(f32::total_cmp)` gives, by sorting
/// the `i32` keys that order compares: the app's wasm then carries one sort, for integers
/// (plotters sorts `i32`), instead of a second one for floats (5 KB).
pub fn sort_floats(values: &mut [f32]) {
    let mut keys: Vec<i32> = values.iter().map(|v| key(v.to_bits())).collect();
    keys.sort_unstable();
    for (v, k) in values.iter_mut().zip(keys) {
        // The key flips the magnitude bits of negative values: its own inverse.
        *v = f32::from_bits(key(k.cast_unsigned()).cast_unsigned());
    }
}

/// [`f32::total_cmp`]'s key: the bits as `i32`, with a negative value's magnitude bits
/// flipped so that larger magnitudes order lower.
fn key(bits: u32) -> i32 {
    let b = bits.cast_signed();
    b ^ ((b >> 31).cast_unsigned() >> 1).cast_signed()
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::rng::Rng;

    #[test]
    fn sorts_as_total_cmp_does() {
        let mut rng = Rng::seed_from_u64(7);
        let special = [
            0.0,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -f32::NAN,
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE,
            f32::from_bits(1),
            f32::from_bits(0x8000_0001),
            f32::MAX,
            f32::MIN,
        ];
        for len in [0, 1, 2, 5, 20, 33, 100, 1000] {
            let mut v: Vec<f32> = (0..len)
                .map(|i| match i % 3 {
                    0 => special[rng.below(special.len())],
                    1 => f32::from_bits(rng.next_u64() as u32),
                    _ => rng.below(7) as f32 - 3.0,
                })
                .collect();
            let mut expected = v.clone();
            expected.sort_unstable_by(f32::total_cmp);
            sort_floats(&mut v);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&v), bits(&expected), "length {len}");
        }
    }
}
