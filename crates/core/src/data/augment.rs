//! Training-time augmentation: a random affine transform per image (shift, rotation,
//! scaling about the image centre, optional horizontal flip), resampled bilinearly with a
//! black (0) background.

use crate::nn::lenet::{INPUT_PIXELS, INPUT_SIZE};
use crate::nn::rng::Rng;

/// Ranges of the random transform; each parameter is drawn uniformly in `[−max, max]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Augment {
    /// Largest shift in pixels, per axis.
    pub max_shift: f32,
    /// Largest rotation in degrees.
    pub max_rotation_deg: f32,
    /// Largest relative change of scale (0.1 = ±10 %).
    pub max_scale: f32,
    /// Mirror left–right with probability ½ (clothes, not digits).
    pub horizontal_flip: bool,
}

impl Augment {
    /// For digits: shifts ±2 px, rotations ±10°, scalings ±10 %, no flips.
    pub fn digits() -> Self {
        Self {
            max_shift: 2.0,
            max_rotation_deg: 10.0,
            max_scale: 0.1,
            horizontal_flip: false,
        }
    }

    /// For clothes: shifts ±2 px and left–right flips (the classes are mirror-symmetric).
    pub fn clothes() -> Self {
        Self {
            max_shift: 2.0,
            max_rotation_deg: 0.0,
            max_scale: 0.0,
            horizontal_flip: true,
        }
    }

    /// Writes a randomly transformed copy of the 28×28 image `src` into `dst`.
    /// Slices of another length are copied unchanged as far as they overlap.
    pub fn apply(&self, src: &[f32], dst: &mut [f32], rng: &mut Rng) {
        if src.len() != INPUT_PIXELS || dst.len() != INPUT_PIXELS {
            let n = src.len().min(dst.len());
            dst[..n].copy_from_slice(&src[..n]);
            return;
        }
        let tx = rng.uniform(-self.max_shift, self.max_shift);
        let ty = rng.uniform(-self.max_shift, self.max_shift);
        let angle = rng
            .uniform(-self.max_rotation_deg, self.max_rotation_deg)
            .to_radians();
        let scale = 1.0 + rng.uniform(-self.max_scale, self.max_scale);
        let flip = self.horizontal_flip && rng.next_u64() & 1 == 1;
        // Inverse map: source = centre + R(−θ)·(dest − centre − t) / s, then mirror.
        let c = (INPUT_SIZE as f32 - 1.0) / 2.0;
        let (sin, cos) = angle.sin_cos();
        let inv = 1.0 / scale;
        let size = INPUT_SIZE as isize;
        let at = |x: isize, y: isize| -> f32 {
            if (0..size).contains(&x) && (0..size).contains(&y) {
                src[(y * size + x) as usize]
            } else {
                0.0
            }
        };
        for (i, d) in dst.iter_mut().enumerate() {
            let dx = (i % INPUT_SIZE) as f32 - c - tx;
            let dy = (i / INPUT_SIZE) as f32 - c - ty;
            let mut sx = (cos * dx + sin * dy) * inv + c;
            let sy = (-sin * dx + cos * dy) * inv + c;
            if flip {
                sx = 2.0 * c - sx;
            }
            let x0 = sx.floor();
            let y0 = sy.floor();
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as isize, y0 as isize);
            let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
            let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
            *d = top * (1.0 - fy) + bottom * fy;
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn square() -> Vec<f32> {
        let mut img = vec![0.0; INPUT_PIXELS];
        for y in 10..18 {
            for x in 10..18 {
                img[y * INPUT_SIZE + x] = 1.0;
            }
        }
        img
    }

    #[test]
    fn identity_ranges_copy_the_image() {
        let a = Augment {
            max_shift: 0.0,
            max_rotation_deg: 0.0,
            max_scale: 0.0,
            horizontal_flip: false,
        };
        let src = square();
        let mut dst = vec![0.0; INPUT_PIXELS];
        a.apply(&src, &mut dst, &mut Rng::seed_from_u64(1));
        for (s, d) in src.iter().zip(&dst) {
            assert!((s - d).abs() < 1e-5);
        }
    }

    #[test]
    fn digits_augmentation_keeps_the_ink_roughly() {
        let src = square();
        let mut dst = vec![0.0; INPUT_PIXELS];
        let mut rng = Rng::seed_from_u64(2);
        for _ in 0..20 {
            Augment::digits().apply(&src, &mut dst, &mut rng);
            let ink: f32 = dst.iter().sum();
            // 64 px of ink, scaled by at most (1.1)² and at least (0.9)².
            assert!((45.0..80.0).contains(&ink), "{ink}");
            assert!(dst.iter().all(|v| (0.0..=1.0 + 1e-5).contains(v)));
        }
    }
}
