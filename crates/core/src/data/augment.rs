//! Training-time augmentation: a random affine transform per image (shift, rotation,
//! scaling about the image centre, optional horizontal flip), resampled bilinearly with a
//! black (0) background, then optionally the degradations of real handwriting from other
//! sources, each with its own probability, in this order:
//!
//! 1. off-centre ink ([`OffCentre`]): a larger shift, folded into the affine step (one
//!    resampling);
//! 2. elastic distortion ([`Elastic`], Simard, Steinkraus & Platt 2003);
//! 3. stroke width ([`StrokeWidth`]): thicker or thinner ink, a 3×3 max or min filter;
//! 4. low resolution ([`LowResolution`]): shrunk to 8–16 px and scaled back up, like a
//!    low-resolution scan;
//! 5. blur ([`Blur`]): a small Gaussian;
//! 6. faint ink ([`FaintInk`]): ink intensity scaled down, like a pencil.
//!
//! Before all of it, [`Augment::apply_labelled`] may swap the image for a synthetic digit of
//! its label drawn from stroke templates ([`Synthetic`], [`super::strokes`]).
//!
//! [`Augment::digits`] and [`Augment::clothes`] enable none of them (they reproduce the
//! shipped models); [`Augment::robust_digits`] enables all. The pixel operations are public
//! ([`shift`], [`elastic`], [`thicken`], [`thin`], [`low_resolution`], [`gaussian_blur`],
//! [`scale_ink`]) for the deterministic robustness set ([`super::robust`]). Every random
//! number comes from the [`Rng`] passed in: the same seed gives the same images. Images
//! stay in `[0, 1]` if they start there; no input makes these functions panic.

use crate::data::{IMAGE_PIXELS, IMAGE_SIZE};
use crate::rng::Rng;

/// Ranges of the random transform; each affine parameter is drawn uniformly in
/// `[−max, max]`; each optional degradation (`None`: off, and draws no random numbers) is
/// applied with its own probability.
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
    /// Sometimes replace the shift by a larger one (ink off the centre).
    pub off_centre: Option<OffCentre>,
    /// Sometimes distort elastically.
    pub elastic: Option<Elastic>,
    /// Sometimes thicken or thin the strokes.
    pub stroke_width: Option<StrokeWidth>,
    /// Sometimes shrink to a low resolution and scale back up.
    pub low_resolution: Option<LowResolution>,
    /// Sometimes blur.
    pub blur: Option<Blur>,
    /// Sometimes make the ink fainter.
    pub faint_ink: Option<FaintInk>,
    /// Sometimes replace the image by a synthetic digit of its label
    /// ([`Augment::apply_labelled`] only).
    pub synthetic: Option<Synthetic>,
}

/// Synthetic digits: with `probability`, [`Augment::apply_labelled`] transforms a digit of
/// the image's label drawn from stroke templates ([`super::strokes::render`]) instead of
/// the image itself (every later step as usual).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Synthetic {
    /// Chance per image.
    pub probability: f32,
}

/// Off-centre ink: with `probability`, the affine shift is replaced by one of length
/// uniform in `distance` (pixels) in a uniformly random direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OffCentre {
    /// Chance per image.
    pub probability: f32,
    /// `[low, high]` length of the shift in pixels.
    pub distance: [f32; 2],
}

/// Elastic distortion (Simard et al. 2003, "Best practices for convolutional neural
/// networks applied to visual document analysis"): with `probability`, a displacement field
/// of independent uniform `[−1, 1]` values per pixel and axis is smoothed by a Gaussian of
/// σ = `sigma` pixels (black outside the image), multiplied by `alpha`, and the image is
/// resampled bilinearly at the displaced positions. With Simard's σ = 4, α = 34 the
/// displacements are about 1.4 px (RMS per axis) near the centre and vary smoothly, so
/// strokes bend rather than break.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Elastic {
    /// Chance per image.
    pub probability: f32,
    /// Scale of the smoothed field.
    pub alpha: f32,
    /// σ of the Gaussian smoothing the field, in pixels (kernel radius 3σ).
    pub sigma: f32,
}

/// Stroke width: with `probability`, half the time thicker — the image blended with its
/// 3×3 maximum filter (dilation), `amount` uniform in `thicker` (1 = the filter alone, one
/// pixel more ink on every side) — else thinner: blended with its 3×3 minimum filter
/// (erosion), `amount` uniform in `thinner`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StrokeWidth {
    /// Chance per image.
    pub probability: f32,
    /// `[low, high]` blend of the dilation.
    pub thicker: [f32; 2],
    /// `[low, high]` blend of the erosion.
    pub thinner: [f32; 2],
}

/// Low resolution: with `probability`, the image is shrunk to `s × s` pixels, `s` uniform
/// among the integers in `size` (clamped to 1–28), by area averaging (each small pixel the
/// mean of the region it covers, like a scanner's sensor — bilinear sampling would skip
/// thin strokes), then scaled back to 28 × 28 bilinearly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LowResolution {
    /// Chance per image.
    pub probability: f32,
    /// `[low, high]` side of the small image in pixels.
    pub size: [usize; 2],
}

/// Blur: with `probability`, a Gaussian blur of σ uniform in `sigma` pixels (separable,
/// kernel radius ⌈3σ⌉, black outside the image).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Blur {
    /// Chance per image.
    pub probability: f32,
    /// `[low, high]` σ in pixels.
    pub sigma: [f32; 2],
}

/// Faint ink: with `probability`, every pixel is multiplied by a factor uniform in `ink`
/// and clipped to `[0, 1]` (a light pencil).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaintInk {
    /// Chance per image.
    pub probability: f32,
    /// `[low, high]` factor.
    pub ink: [f32; 2],
}

impl Augment {
    /// No transform at all (every image copied unchanged).
    pub fn none() -> Self {
        Self {
            max_shift: 0.0,
            max_rotation_deg: 0.0,
            max_scale: 0.0,
            horizontal_flip: false,
            off_centre: None,
            elastic: None,
            stroke_width: None,
            low_resolution: None,
            blur: None,
            faint_ink: None,
            synthetic: None,
        }
    }

    /// For digits: shifts ±2 px, rotations ±10°, scalings ±10 %, no flips.
    pub fn digits() -> Self {
        Self {
            max_shift: 2.0,
            max_rotation_deg: 10.0,
            max_scale: 0.1,
            ..Self::none()
        }
    }

    /// For clothes: shifts ±2 px and left–right flips (the classes are mirror-symmetric).
    pub fn clothes() -> Self {
        Self {
            max_shift: 2.0,
            horizontal_flip: true,
            ..Self::none()
        }
    }

    /// For digits written elsewhere: [`Augment::digits`] and, independently,
    /// - with probability 0.3 the ink off-centre by 2–4 px,
    /// - 0.3 an elastic distortion (α = 34, σ = 4),
    /// - 0.3 thicker (dilation blend 0.5–1) or thinner (erosion blend 0.3–0.7) strokes,
    /// - 0.3 a low-resolution version (8–16 px) scaled back up,
    /// - 0.3 a Gaussian blur of σ 0.5–1 px,
    /// - 0.3 fainter ink (× 0.6–1).
    ///
    /// About one image in nine (0.7⁶) gets none of these.
    pub fn robust_digits() -> Self {
        Self {
            off_centre: Some(OffCentre {
                probability: 0.3,
                distance: [2.0, 4.0],
            }),
            elastic: Some(Elastic {
                probability: 0.3,
                alpha: 34.0,
                sigma: 4.0,
            }),
            stroke_width: Some(StrokeWidth {
                probability: 0.3,
                thicker: [0.5, 1.0],
                thinner: [0.3, 0.7],
            }),
            low_resolution: Some(LowResolution {
                probability: 0.3,
                size: [8, 16],
            }),
            blur: Some(Blur {
                probability: 0.3,
                sigma: [0.5, 1.0],
            }),
            faint_ink: Some(FaintInk {
                probability: 0.3,
                ink: [0.6, 1.0],
            }),
            ..Self::digits()
        }
    }

    /// Writes a randomly transformed copy of the 28×28 image `src` into `dst`.
    /// Slices of another length are copied unchanged as far as they overlap. Never draws
    /// synthetic digits (it does not know the label).
    pub fn apply(&self, src: &[f32], dst: &mut [f32], rng: &mut Rng) {
        self.apply_labelled(src, None, dst, rng);
    }

    /// [`Augment::apply`] for an image of digit `label`: with [`Augment::synthetic`] and a
    /// label 0–9, sometimes a synthetic digit of that label is transformed instead of
    /// `src`. Without them it draws exactly the random numbers `apply` draws.
    pub fn apply_labelled(&self, src: &[f32], label: Option<u8>, dst: &mut [f32], rng: &mut Rng) {
        let (Ok(src), Ok(dst)) = (
            <&[f32; IMAGE_PIXELS]>::try_from(src),
            <&mut [f32; IMAGE_PIXELS]>::try_from(&mut *dst),
        ) else {
            let n = src.len().min(dst.len());
            dst[..n].copy_from_slice(&src[..n]);
            return;
        };
        let drawn;
        let src = match (self.synthetic, label) {
            (Some(s), Some(l)) if l < 10 && chance(rng, s.probability) => {
                drawn = super::strokes::render(l, rng).unwrap_or(*src);
                &drawn
            }
            _ => src,
        };
        let mut tx = rng.uniform(-self.max_shift, self.max_shift);
        let mut ty = rng.uniform(-self.max_shift, self.max_shift);
        let angle = rng
            .uniform(-self.max_rotation_deg, self.max_rotation_deg)
            .to_radians();
        let scale = 1.0 + rng.uniform(-self.max_scale, self.max_scale);
        let flip = self.horizontal_flip && rng.next_u64() & 1 == 1;
        if let Some(o) = self.off_centre
            && chance(rng, o.probability)
        {
            let d = rng.uniform(o.distance[0], o.distance[1]);
            let (sin, cos) = rng.uniform(0.0, std::f32::consts::TAU).sin_cos();
            (tx, ty) = (d * cos, d * sin);
        }
        affine(src, dst, tx, ty, angle, scale, flip);
        if let Some(e) = self.elastic
            && chance(rng, e.probability)
        {
            elastic(dst, e.alpha, e.sigma, rng);
        }
        if let Some(s) = self.stroke_width
            && chance(rng, s.probability)
        {
            if rng.next_u64() & 1 == 0 {
                thicken(dst, rng.uniform(s.thicker[0], s.thicker[1]));
            } else {
                thin(dst, rng.uniform(s.thinner[0], s.thinner[1]));
            }
        }
        if let Some(l) = self.low_resolution
            && chance(rng, l.probability)
        {
            let lo = l.size[0].min(l.size[1]);
            let hi = l.size[0].max(l.size[1]);
            let size = lo.saturating_add(rng.below(hi.saturating_sub(lo).saturating_add(1)));
            low_resolution(dst, size);
        }
        if let Some(b) = self.blur
            && chance(rng, b.probability)
        {
            gaussian_blur(dst, rng.uniform(b.sigma[0], b.sigma[1]));
        }
        if let Some(f) = self.faint_ink
            && chance(rng, f.probability)
        {
            scale_ink(dst, rng.uniform(f.ink[0], f.ink[1]));
        }
    }
}

/// One draw: true with probability `p`.
fn chance(rng: &mut Rng, p: f32) -> bool {
    rng.next_f32() < p
}

const SIZE: isize = IMAGE_SIZE as isize;

/// `src` at the real position (`sx`, `sy`), bilinearly; black outside the image.
fn sample(src: &[f32; IMAGE_PIXELS], sx: f32, sy: f32) -> f32 {
    // Every neighbour outside (also NaN and infinite positions): black.
    if !(sx > -1.0 && sx < IMAGE_SIZE as f32 && sy > -1.0 && sy < IMAGE_SIZE as f32) {
        return 0.0;
    }
    let at = |x: isize, y: isize| -> f32 {
        if (0..SIZE).contains(&x) && (0..SIZE).contains(&y) {
            src[(y * SIZE + x) as usize]
        } else {
            0.0
        }
    };
    let x0 = sx.floor();
    let y0 = sy.floor();
    let (fx, fy) = (sx - x0, sy - y0);
    let (x0, y0) = (x0 as isize, y0 as isize);
    let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
    let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// The affine step: shift (`tx`, `ty`), rotation by `angle` radians and scaling by `scale`
/// about the centre, then an optional mirror.
fn affine(
    src: &[f32; IMAGE_PIXELS],
    dst: &mut [f32; IMAGE_PIXELS],
    tx: f32,
    ty: f32,
    angle: f32,
    scale: f32,
    flip: bool,
) {
    // Inverse map: source = centre + R(−θ)·(dest − centre − t) / s, then mirror.
    let c = (IMAGE_SIZE as f32 - 1.0) / 2.0;
    let (sin, cos) = angle.sin_cos();
    let inv = 1.0 / scale;
    for (i, d) in dst.iter_mut().enumerate() {
        let dx = (i % IMAGE_SIZE) as f32 - c - tx;
        let dy = (i / IMAGE_SIZE) as f32 - c - ty;
        let mut sx = (cos * dx + sin * dy) * inv + c;
        let sy = (-sin * dx + cos * dy) * inv + c;
        if flip {
            sx = 2.0 * c - sx;
        }
        *d = sample(src, sx, sy);
    }
}

/// Moves the image by (`dx`, `dy`) pixels (right, down), bilinearly, black coming in.
pub fn shift(img: &mut [f32; IMAGE_PIXELS], dx: f32, dy: f32) {
    let src = *img;
    affine(&src, img, dx, dy, 0.0, 1.0, false);
}

/// Elastic distortion (see [`Elastic`]): a uniform `[−1, 1]` field per pixel and axis
/// drawn from `rng`, smoothed by a Gaussian of σ = `sigma`, scaled by `alpha`.
pub fn elastic(img: &mut [f32; IMAGE_PIXELS], alpha: f32, sigma: f32, rng: &mut Rng) {
    let mut fx = [0.0f32; IMAGE_PIXELS];
    let mut fy = [0.0f32; IMAGE_PIXELS];
    for (x, y) in fx.iter_mut().zip(fy.iter_mut()) {
        *x = rng.uniform(-1.0, 1.0);
        *y = rng.uniform(-1.0, 1.0);
    }
    gaussian_blur(&mut fx, sigma);
    gaussian_blur(&mut fy, sigma);
    let src = *img;
    for (i, d) in img.iter_mut().enumerate() {
        let sx = (i % IMAGE_SIZE) as f32 + alpha * fx[i];
        let sy = (i / IMAGE_SIZE) as f32 + alpha * fy[i];
        *d = sample(&src, sx, sy);
    }
}

/// 3×3 maximum (`max`) or minimum filter of `src` (pixels outside the image ignored).
fn filter3(src: &[f32; IMAGE_PIXELS], max: bool) -> [f32; IMAGE_PIXELS] {
    let mut out = [0.0f32; IMAGE_PIXELS];
    for y in 0..IMAGE_SIZE {
        for x in 0..IMAGE_SIZE {
            let mut v = src[y * IMAGE_SIZE + x];
            for ny in y.saturating_sub(1)..(y + 2).min(IMAGE_SIZE) {
                for nx in x.saturating_sub(1)..(x + 2).min(IMAGE_SIZE) {
                    let n = src[ny * IMAGE_SIZE + nx];
                    v = if max { v.max(n) } else { v.min(n) };
                }
            }
            out[y * IMAGE_SIZE + x] = v;
        }
    }
    out
}

/// `img ← (1 − amount)·img + amount·filtered`, `amount` clamped to `[0, 1]`.
fn blend(img: &mut [f32; IMAGE_PIXELS], filtered: &[f32; IMAGE_PIXELS], amount: f32) {
    let a = if amount.is_nan() {
        0.0
    } else {
        amount.clamp(0.0, 1.0)
    };
    for (v, f) in img.iter_mut().zip(filtered) {
        *v = (1.0 - a) * *v + a * f;
    }
}

/// Thicker strokes: the image blended with its 3×3 maximum filter by `amount` in `[0, 1]`.
pub fn thicken(img: &mut [f32; IMAGE_PIXELS], amount: f32) {
    let f = filter3(img, true);
    blend(img, &f, amount);
}

/// Thinner strokes: the image blended with its 3×3 minimum filter by `amount` in `[0, 1]`.
pub fn thin(img: &mut [f32; IMAGE_PIXELS], amount: f32) {
    let f = filter3(img, false);
    blend(img, &f, amount);
}

/// Largest Gaussian kernel radius (the whole image).
const MAX_RADIUS: usize = IMAGE_SIZE - 1;

/// Gaussian blur of σ = `sigma` pixels, separable, radius ⌈3σ⌉ (at most 27), black outside
/// the image. Nothing happens for σ ≤ 0 or NaN.
pub fn gaussian_blur(img: &mut [f32; IMAGE_PIXELS], sigma: f32) {
    // Positive and finite (NaN is neither).
    if !(sigma.is_finite() && sigma > 0.0) {
        return;
    }
    let radius = ((3.0 * sigma).ceil() as usize).clamp(1, MAX_RADIUS);
    let mut kernel = [0.0f32; 2 * MAX_RADIUS + 1];
    let mut sum = 0.0;
    for (k, w) in kernel[..2 * radius + 1].iter_mut().enumerate() {
        let d = k as f32 - radius as f32;
        *w = (-d * d / (2.0 * sigma * sigma)).exp();
        sum += *w;
    }
    for w in &mut kernel {
        *w /= sum;
    }
    let kernel = &kernel[..2 * radius + 1];
    let mut rows = [0.0f32; IMAGE_PIXELS];
    blur_pass(img, &mut rows, kernel, true);
    blur_pass(&rows, img, kernel, false);
}

/// One pass of a separable blur: `dst` = `src` convolved with `kernel` (odd length, centred)
/// along rows (`horizontal`) or columns, black outside the image.
fn blur_pass(
    src: &[f32; IMAGE_PIXELS],
    dst: &mut [f32; IMAGE_PIXELS],
    kernel: &[f32],
    horizontal: bool,
) {
    let radius = kernel.len() / 2;
    for y in 0..IMAGE_SIZE {
        for x in 0..IMAGE_SIZE {
            let mut acc = 0.0;
            for (k, w) in kernel.iter().enumerate() {
                let (sy, sx) = if horizontal {
                    (y, (x + k).wrapping_sub(radius))
                } else {
                    ((y + k).wrapping_sub(radius), x)
                };
                if sx < IMAGE_SIZE && sy < IMAGE_SIZE {
                    acc += w * src[sy * IMAGE_SIZE + sx];
                }
            }
            dst[y * IMAGE_SIZE + x] = acc;
        }
    }
}

/// A low-resolution scan: shrunk to `size × size` (clamped to 1–28) by area averaging,
/// then scaled back to 28 × 28 bilinearly (pixel centres aligned, edges repeated).
pub fn low_resolution(img: &mut [f32; IMAGE_PIXELS], size: usize) {
    let s = size.clamp(1, IMAGE_SIZE);
    if s == IMAGE_SIZE {
        return;
    }
    // weights[j][i]: share of source pixel i in small pixel j (its interval [j·k, (j+1)·k)).
    let k = IMAGE_SIZE as f32 / s as f32;
    let mut weights = [[0.0f32; IMAGE_SIZE]; IMAGE_SIZE];
    for (j, row) in weights[..s].iter_mut().enumerate() {
        let (lo, hi) = (j as f32 * k, (j + 1) as f32 * k);
        for (i, w) in row.iter_mut().enumerate() {
            let overlap = (hi.min(i as f32 + 1.0) - lo.max(i as f32)).max(0.0);
            *w = overlap / k;
        }
    }
    // Shrink: columns, then rows, into small[jy·28 + jx].
    let mut cols = [0.0f32; IMAGE_PIXELS];
    for y in 0..IMAGE_SIZE {
        for (jx, w) in weights[..s].iter().enumerate() {
            let row = &img[y * IMAGE_SIZE..(y + 1) * IMAGE_SIZE];
            cols[y * IMAGE_SIZE + jx] = row.iter().zip(w).map(|(v, w)| v * w).sum();
        }
    }
    let mut small = [0.0f32; IMAGE_PIXELS];
    for (jy, w) in weights[..s].iter().enumerate() {
        for jx in 0..s {
            small[jy * IMAGE_SIZE + jx] = (0..IMAGE_SIZE)
                .map(|y| w[y] * cols[y * IMAGE_SIZE + jx])
                .sum();
        }
    }
    // Grow: small pixel j's centre is at 28-pixel coordinate (j + ½)·k − ½.
    let last = (s - 1) as f32;
    let coord = |x: usize| -> (usize, usize, f32) {
        let u = ((x as f32 + 0.5) / k - 0.5).clamp(0.0, last);
        let u0 = u.floor();
        let i0 = u0 as usize;
        (i0, (i0 + 1).min(s - 1), u - u0)
    };
    for y in 0..IMAGE_SIZE {
        let (y0, y1, fy) = coord(y);
        for x in 0..IMAGE_SIZE {
            let (x0, x1, fx) = coord(x);
            let at = |yy: usize, xx: usize| small[yy * IMAGE_SIZE + xx];
            let top = at(y0, x0) * (1.0 - fx) + at(y0, x1) * fx;
            let bottom = at(y1, x0) * (1.0 - fx) + at(y1, x1) * fx;
            img[y * IMAGE_SIZE + x] = top * (1.0 - fy) + bottom * fy;
        }
    }
}

/// Fainter (or, for `factor > 1`, stronger) ink: every pixel times `factor`, clipped to
/// `[0, 1]`.
pub fn scale_ink(img: &mut [f32; IMAGE_PIXELS], factor: f32) {
    for v in img.iter_mut() {
        *v = (*v * factor).clamp(0.0, 1.0);
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn square() -> Vec<f32> {
        let mut img = vec![0.0; IMAGE_PIXELS];
        for y in 10..18 {
            for x in 10..18 {
                img[y * IMAGE_SIZE + x] = 1.0;
            }
        }
        img
    }

    /// A digit-like ring: ink within 2 px of a circle of radius 7 about the centre.
    fn ring() -> [f32; IMAGE_PIXELS] {
        let mut img = [0.0; IMAGE_PIXELS];
        for (i, v) in img.iter_mut().enumerate() {
            let dx = (i % IMAGE_SIZE) as f32 - 13.5;
            let dy = (i / IMAGE_SIZE) as f32 - 13.5;
            let d = ((dx * dx + dy * dy).sqrt() - 7.0).abs();
            *v = (2.0 - d).clamp(0.0, 1.0);
        }
        img
    }

    fn ink(img: &[f32]) -> f32 {
        img.iter().sum()
    }

    fn in_range(img: &[f32]) -> bool {
        img.iter().all(|v| (0.0..=1.0 + 1e-5).contains(v))
    }

    /// The augmentation as it was before the optional degradations, verbatim: `digits()`
    /// and `clothes()` must still draw and compute exactly this.
    fn legacy_apply(a: &Augment, src: &[f32], dst: &mut [f32], rng: &mut Rng) {
        let tx = rng.uniform(-a.max_shift, a.max_shift);
        let ty = rng.uniform(-a.max_shift, a.max_shift);
        let angle = rng
            .uniform(-a.max_rotation_deg, a.max_rotation_deg)
            .to_radians();
        let scale = 1.0 + rng.uniform(-a.max_scale, a.max_scale);
        let flip = a.horizontal_flip && rng.next_u64() & 1 == 1;
        let c = (IMAGE_SIZE as f32 - 1.0) / 2.0;
        let (sin, cos) = angle.sin_cos();
        let inv = 1.0 / scale;
        let size = IMAGE_SIZE as isize;
        let at = |x: isize, y: isize| -> f32 {
            if (0..size).contains(&x) && (0..size).contains(&y) {
                src[(y * size + x) as usize]
            } else {
                0.0
            }
        };
        for (i, d) in dst.iter_mut().enumerate() {
            let dx = (i % IMAGE_SIZE) as f32 - c - tx;
            let dy = (i / IMAGE_SIZE) as f32 - c - ty;
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

    #[test]
    fn identity_ranges_copy_the_image() {
        let src = square();
        let mut dst = vec![0.0; IMAGE_PIXELS];
        Augment::none().apply(&src, &mut dst, &mut Rng::seed_from_u64(1));
        for (s, d) in src.iter().zip(&dst) {
            assert!((s - d).abs() < 1e-5);
        }
    }

    #[test]
    fn digits_and_clothes_are_unchanged_bit_for_bit() {
        let src = ring();
        for a in [Augment::digits(), Augment::clothes()] {
            let (mut r1, mut r2) = (Rng::seed_from_u64(9), Rng::seed_from_u64(9));
            for _ in 0..50 {
                let mut new = [0.0; IMAGE_PIXELS];
                let mut old = [0.0; IMAGE_PIXELS];
                a.apply(&src, &mut new, &mut r1);
                legacy_apply(&a, &src, &mut old, &mut r2);
                assert_eq!(new, old);
            }
            assert_eq!(r1, r2, "the same random numbers are drawn");
        }
    }

    #[test]
    fn digits_augmentation_keeps_the_ink_roughly() {
        let src = square();
        let mut dst = vec![0.0; IMAGE_PIXELS];
        let mut rng = Rng::seed_from_u64(2);
        for _ in 0..20 {
            Augment::digits().apply(&src, &mut dst, &mut rng);
            let ink: f32 = dst.iter().sum();
            // 64 px of ink, scaled by at most (1.1)² and at least (0.9)².
            assert!((45.0..80.0).contains(&ink), "{ink}");
            assert!(dst.iter().all(|v| (0.0..=1.0 + 1e-5).contains(v)));
        }
    }

    #[test]
    fn synthetic_digits_replace_the_image_only_when_labelled() {
        let blank = [0.0f32; IMAGE_PIXELS];
        let a = Augment {
            synthetic: Some(Synthetic { probability: 1.0 }),
            ..Augment::none()
        };
        let mut dst = [0.0; IMAGE_PIXELS];
        a.apply_labelled(&blank, Some(7), &mut dst, &mut Rng::seed_from_u64(1));
        assert!(dst.iter().sum::<f32>() > 15.0);
        assert!(in_range(&dst));
        for label in [None, Some(10)] {
            a.apply_labelled(&blank, label, &mut dst, &mut Rng::seed_from_u64(1));
            assert!(dst.iter().all(|&v| v == 0.0));
        }
        // Without synthetic digits a label changes nothing: the same random numbers.
        let r = Augment::robust_digits();
        let src = ring();
        let (mut x, mut y) = ([0.0; IMAGE_PIXELS], [0.0; IMAGE_PIXELS]);
        let (mut r1, mut r2) = (Rng::seed_from_u64(5), Rng::seed_from_u64(5));
        for _ in 0..50 {
            r.apply(&src, &mut x, &mut r1);
            r.apply_labelled(&src, Some(3), &mut y, &mut r2);
            assert_eq!(x, y);
        }
        assert_eq!(r1.state(), r2.state());
    }

    #[test]
    fn robust_digits_is_deterministic_in_range_and_keeps_ink() {
        let src = ring();
        let a = Augment::robust_digits();
        let run = |seed| {
            let mut rng = Rng::seed_from_u64(seed);
            (0..200)
                .map(|_| {
                    let mut dst = [0.0; IMAGE_PIXELS];
                    a.apply(&src, &mut dst, &mut rng);
                    dst
                })
                .collect::<Vec<_>>()
        };
        let (first, again, other) = (run(3), run(3), run(4));
        assert_eq!(first, again);
        assert_ne!(first, other);
        let base = ink(&src);
        let mut changed = 0;
        for img in &first {
            assert!(in_range(img));
            let k = ink(img) / base;
            assert!((0.3..2.5).contains(&k), "ink ratio {k}");
            if img.iter().zip(&src).any(|(a, b)| (a - b).abs() > 1e-3) {
                changed += 1;
            }
        }
        assert_eq!(changed, first.len());
    }

    #[test]
    fn off_centre_moves_the_ink_by_its_distance() {
        let src = ring();
        let p1 = Augment {
            off_centre: Some(OffCentre {
                probability: 1.0,
                distance: [4.0, 4.0],
            }),
            ..Augment::none()
        };
        let mut dst = [0.0; IMAGE_PIXELS];
        p1.apply(&src, &mut dst, &mut Rng::seed_from_u64(5));
        // A 4 px shift of a centred ring moves its centre of mass 4 px.
        let (mut mx, mut my, mut m) = (0.0, 0.0, 0.0);
        for (i, v) in dst.iter().enumerate() {
            mx += v * (i % IMAGE_SIZE) as f32;
            my += v * (i / IMAGE_SIZE) as f32;
            m += v;
        }
        let d = ((mx / m - 13.5).powi(2) + (my / m - 13.5).powi(2)).sqrt();
        assert!((d - 4.0).abs() < 0.2, "{d}");
    }

    #[test]
    fn pixel_operations_do_what_they_say() {
        let src = ring();
        let base = ink(&src);

        let mut img = src;
        thicken(&mut img, 1.0);
        assert!(ink(&img) > 1.3 * base && in_range(&img));
        assert!(img.iter().zip(&src).all(|(a, b)| a >= b));

        let mut img = src;
        thin(&mut img, 1.0);
        assert!(ink(&img) < 0.8 * base && ink(&img) > 0.1 * base && in_range(&img));
        assert!(img.iter().zip(&src).all(|(a, b)| a <= b));

        let mut img = src;
        gaussian_blur(&mut img, 1.0);
        assert!((ink(&img) - base).abs() < 0.01 * base, "blur keeps the ink");
        let peak = |i: &[f32]| i.iter().cloned().fold(0.0, f32::max);
        assert!(peak(&img) < peak(&src) && in_range(&img));

        for size in [8, 12, 16] {
            let mut img = src;
            low_resolution(&mut img, size);
            assert!(
                (ink(&img) - base).abs() < 0.1 * base,
                "{size}: {}",
                ink(&img)
            );
            assert!(in_range(&img) && img != src);
        }

        let mut img = src;
        scale_ink(&mut img, 0.6);
        assert!((peak(&img) - 0.6).abs() < 1e-6);

        let mut img = src;
        shift(&mut img, 3.0, 0.0);
        assert!((img[14 * IMAGE_SIZE + 23] - src[14 * IMAGE_SIZE + 20]).abs() < 1e-6);

        let mut img = src;
        elastic(&mut img, 34.0, 4.0, &mut Rng::seed_from_u64(6));
        assert!(in_range(&img) && img != src);
        assert!((ink(&img) / base - 1.0).abs() < 0.4, "{}", ink(&img) / base);
    }

    #[test]
    fn no_parameters_make_it_panic() {
        let src = ring();
        let weird = [f32::NAN, f32::INFINITY, -f32::INFINITY, -5.0, 0.0, 1e30];
        let mut rng = Rng::seed_from_u64(7);
        for &w in &weird {
            let mut img = src;
            gaussian_blur(&mut img, w);
            elastic(&mut img, w, w, &mut rng);
            thicken(&mut img, w);
            thin(&mut img, w);
            scale_ink(&mut img, w);
            shift(&mut img, w, -w);
            for size in [0, 1, 2, 27, 28, 29, usize::MAX] {
                low_resolution(&mut img, size);
            }
            let a = Augment {
                max_shift: w,
                max_rotation_deg: w,
                max_scale: w,
                horizontal_flip: true,
                off_centre: Some(OffCentre {
                    probability: w,
                    distance: [w, -w],
                }),
                elastic: Some(Elastic {
                    probability: 1.0,
                    alpha: w,
                    sigma: w,
                }),
                stroke_width: Some(StrokeWidth {
                    probability: 1.0,
                    thicker: [w, 0.0],
                    thinner: [0.0, w],
                }),
                low_resolution: Some(LowResolution {
                    probability: 1.0,
                    size: [usize::MAX, 0],
                }),
                blur: Some(Blur {
                    probability: 1.0,
                    sigma: [w, w],
                }),
                faint_ink: Some(FaintInk {
                    probability: 1.0,
                    ink: [w, 1.0],
                }),
                synthetic: Some(Synthetic { probability: w }),
            };
            let mut dst = [0.0; IMAGE_PIXELS];
            a.apply(&src, &mut dst, &mut rng);
            a.apply_labelled(&src, Some(9), &mut dst, &mut rng);
            // Wrong lengths: copied as far as they overlap.
            let mut short = [0.0; 10];
            a.apply(&src, &mut short, &mut rng);
            assert_eq!(short[..], src[..10]);
        }
    }
}
