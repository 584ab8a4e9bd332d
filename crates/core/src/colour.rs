//! Colour scales for feature maps (sequential for non-negative data, diverging around 0 for
//! signed data), and maps painted as RGBA pixels with them. Here, compiled with the numeric
//! code's optimisation, because the pages paint every cell of every map they draw with
//! them (a 86×86 map is 7,396 colours per draw).

/// Maps values to colours. Signed data get a diverging blue–white–red scale symmetric
/// around 0; non-negative data a sequential white-to-navy scale.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ColorScale {
    /// The value drawn with the first colour.
    pub min: f32,
    /// The value drawn with the last colour.
    pub max: f32,
    /// Whether the scale is centred on 0.
    pub diverging: bool,
}

const NEG: [f32; 3] = [33.0, 102.0, 172.0];
const MID: [f32; 3] = [247.0, 247.0, 247.0];
const POS: [f32; 3] = [178.0, 24.0, 43.0];
const LOW: [f32; 3] = [255.0, 255.0, 255.0];
const HIGH: [f32; 3] = [29.0, 53.0, 87.0];

/// The colour of a value that is not a number.
const NOT_FINITE: [u8; 3] = [200, 200, 200];

/// The diverging scale at `t` (0 the most negative, ½ zero, 1 the most positive).
///
/// The lower half mixes NEG into MID, the upper MID into POS. Without a branch (neighbouring
/// cells of a signed map change sides all the time): below the middle `hi` is 0, above it
/// `lo` is 1, and NEG + (MID − NEG) is MID exactly, so each channel is the very sum the
/// half's own mix gives.
#[inline(always)]
fn diverging(t: f32) -> [u8; 3] {
    let u = t * 2.0;
    let (lo, hi) = (u.clamp(0.0, 1.0), (u - 1.0).clamp(0.0, 1.0));
    [0, 1, 2].map(|i| round_channel(NEG[i] + (MID[i] - NEG[i]) * lo + (POS[i] - MID[i]) * hi))
}

#[inline(always)]
fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0);
    // Rounded and clamped to 0..=255 before the cast.
    [0, 1, 2].map(|i| round_channel(a[i] + (b[i] - a[i]) * t))
}

/// `x.round().clamp(0.0, 255.0) as u8` for a channel value `x` (NaN gives 0), without
/// `round`, which wasm has no instruction for (it is a call per channel, three per cell of
/// every map drawn): `floor` is one instruction, and `x - floor(x)` is exact for `x ≥ 0`.
#[inline(always)]
fn round_channel(x: f32) -> u8 {
    let x = x.clamp(0.0, 255.0);
    let down = x.floor();
    (if x - down >= 0.5 { down + 1.0 } else { down }) as u8
}

impl ColorScale {
    /// A scale covering `values` (finite ones); diverging when any is negative.
    pub fn fit<'a>(values: impl IntoIterator<Item = &'a f32>) -> Self {
        let (mut min, mut max) = (f32::INFINITY, f32::NEG_INFINITY);
        for &v in values {
            if v.is_finite() {
                min = min.min(v);
                max = max.max(v);
            }
        }
        Self::covering(min, max)
    }

    /// [`Self::fit`] over values in memory, for millions of them (the lab's maps, in the
    /// web worker): eight running minima and maxima, a loop the compiler vectorizes, and
    /// never inlined (`fit` is compiled where it is used, for size in the web crates: 13.7
    /// ms for 1.7 million values there, in a worker profile).
    #[inline(never)]
    pub fn fit_slice(values: &[f32]) -> Self {
        const LANES: usize = 8;
        let mut lo = [f32::INFINITY; LANES];
        let mut hi = [f32::NEG_INFINITY; LANES];
        let mut chunks = values.chunks_exact(LANES);
        for chunk in &mut chunks {
            for ((l, h), &v) in lo.iter_mut().zip(hi.iter_mut()).zip(chunk) {
                // A NaN or an infinity changes neither (what `fit` skips).
                let finite = v.is_finite();
                *l = if finite && v < *l { v } else { *l };
                *h = if finite && v > *h { v } else { *h };
            }
        }
        let mut min = lo.into_iter().fold(f32::INFINITY, f32::min);
        let mut max = hi.into_iter().fold(f32::NEG_INFINITY, f32::max);
        for &v in chunks.remainder() {
            if v.is_finite() {
                min = min.min(v);
                max = max.max(v);
            }
        }
        Self::covering(min, max)
    }

    /// The scale for finite values from `min` to `max` (`min` infinite: there were none).
    fn covering(min: f32, max: f32) -> Self {
        if !min.is_finite() {
            return Self {
                min: 0.0,
                max: 1.0,
                diverging: false,
            };
        }
        if min < 0.0 {
            let m = min.abs().max(max.abs()).max(f32::EPSILON);
            Self {
                min: -m,
                max: m,
                diverging: true,
            }
        } else {
            Self {
                min: 0.0,
                max: if max > 0.0 { max } else { 1.0 },
                diverging: false,
            }
        }
    }

    /// The colour of `value`.
    #[inline(always)]
    pub fn rgb(&self, value: f32) -> [u8; 3] {
        if !value.is_finite() {
            return NOT_FINITE;
        }
        let t = (value - self.min) / self.span();
        if self.diverging {
            diverging(t)
        } else {
            mix(LOW, HIGH, t)
        }
    }

    /// `max − min`, at least ε (a scale of one value still divides).
    #[inline(always)]
    fn span(&self) -> f32 {
        (self.max - self.min).max(f32::EPSILON)
    }

    /// The colour of `value` laid over a gray image pixel `base` (in `[0, 1]`), as opaque
    /// as the value is strong: far from 0 on a diverging scale (in its colour), near the top
    /// on a sequential one (in red). Where the value is weak the image shows through.
    pub fn over(&self, value: f32, base: f32) -> [u8; 3] {
        let t = if value.is_finite() {
            ((value - self.min) / self.span()).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let strength = if self.diverging {
            (t - 0.5).abs() * 2.0
        } else {
            t
        };
        let g = gray_rgb(base).map(f32::from);
        // A sequential scale's navy would vanish on a dark image: its strong values are red.
        let c = if self.diverging {
            self.rgb(value).map(f32::from)
        } else {
            POS
        };
        mix(g, c, strength.sqrt())
    }

    /// CSS colour of `value`.
    pub fn css(&self, value: f32) -> String {
        let [r, g, b] = self.rgb(value);
        format!("rgb({r},{g},{b})")
    }

    /// Whether text drawn over `value` should be white.
    pub fn dark(&self, value: f32) -> bool {
        let [r, g, b] = self.rgb(value);
        0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b) < 140.0
    }

    /// A CSS `linear-gradient` from min to max, for the legend.
    pub fn gradient(&self) -> String {
        let stops: Vec<String> = (0..=8)
            .map(|i| {
                let v = self.min + (self.max - self.min) * i as f32 / 8.0;
                self.css(v)
            })
            .collect();
        format!("linear-gradient(to right, {})", stops.join(", "))
    }
}

/// A value in `[0, 1]` as gray: 0 black, 1 white (values outside clamped, non-finite
/// black) — images drawn without a scale (dataset samples, preprocessing stages).
pub fn gray_rgb(value: f32) -> [u8; 3] {
    let g = if value.is_finite() {
        (value.clamp(0.0, 1.0) * 255.0).round() as u8
    } else {
        0
    };
    [g, g, g]
}

/// The colour of `value` under `scale`, or gray ([`gray_rgb`]) without one.
#[inline(always)]
pub fn rgb_of(scale: Option<&ColorScale>, value: f32) -> [u8; 3] {
    scale.map_or_else(|| gray_rgb(value), |s| s.rgb(value))
}

/// Paints `values` into `rgba`, four bytes per value (red, green, blue; the fourth, alpha,
/// is left as it is): under `scale`, or gray ([`gray_rgb`]) without one. Paints as many
/// pixels as both hold. Never inlined, so that it stays compiled for speed in the web app,
/// whose own code is compiled for size.
#[inline(never)]
pub fn paint(scale: Option<&ColorScale>, values: &[f32], rgba: &mut [u8]) {
    /// One loop per scale kind, each pixel's colour chosen without a branch (a map of a
    /// hundred thousand cells is painted in a frame): what [`ColorScale::rgb`] gives.
    #[inline(always)]
    fn each(rgba: &mut [u8], values: &[f32], colour: impl Fn(f32) -> [u8; 3]) {
        for (px, &v) in rgba.chunks_exact_mut(4).zip(values) {
            let c = colour(v);
            let c = if v.is_finite() { c } else { NOT_FINITE };
            px[0] = c[0];
            px[1] = c[1];
            px[2] = c[2];
        }
    }
    match scale {
        // The scale's fields in locals: through the reference, every byte written might
        // have changed them (bytes may alias anything), and they would be read and the
        // span divided again for every pixel.
        Some(s) => {
            let (min, span) = (s.min, s.span());
            if s.diverging {
                each(rgba, values, |v| diverging((v - min) / span));
            } else {
                each(rgba, values, |v| mix(LOW, HIGH, (v - min) / span));
            }
        }
        None => {
            for (px, &v) in rgba.chunks_exact_mut(4).zip(values) {
                px[..3].copy_from_slice(&gray_rgb(v));
            }
        }
    }
}

/// Paints `values` laid over the gray image `under` ([`ColorScale::over`]) into `rgba`, as
/// [`paint`] does (and never inlined either).
#[inline(never)]
pub fn paint_over(scale: &ColorScale, values: &[f32], under: &[f32], rgba: &mut [u8]) {
    let scale = *scale;
    for ((px, &v), &u) in rgba.chunks_exact_mut(4).zip(values).zip(under) {
        px[..3].copy_from_slice(&scale.over(v, u));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slice_fits_as_any_iterator_does() {
        let mut seed = 0x9e37_79b9u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let specials = [
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.0,
            -0.0,
            1e-30,
            -3.5,
        ];
        for case in 0..400 {
            let len = (next() % 40) as usize;
            let values: Vec<f32> = (0..len)
                .map(|_| match next() % 5 {
                    0 => specials[(next() % 7) as usize],
                    // Non-negative only in some cases (a sequential scale), signed in others.
                    _ if case % 2 == 0 => (next() % 1000) as f32 / 7.0,
                    _ => (next() % 1000) as f32 / 7.0 - 60.0,
                })
                .collect();
            assert_eq!(
                ColorScale::fit_slice(&values),
                ColorScale::fit(&values),
                "{values:?}"
            );
        }
        assert_eq!(ColorScale::fit_slice(&[]), ColorScale::fit(&[]));
    }

    #[test]
    fn channels_round_half_away_from_zero_and_clamp() {
        let mut x = -2.0f32;
        while x < 258.0 {
            for v in [
                x,
                x.next_up(),
                x.next_down(),
                x + 0.5,
                (x + 0.5).next_down(),
            ] {
                assert_eq!(round_channel(v), v.round().clamp(0.0, 255.0) as u8, "{v}");
            }
            x += 0.125;
        }
        let mut seed = 7u32;
        for _ in 0..100_000 {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let v = (seed >> 8) as f32 / (1u32 << 24) as f32 * 260.0 - 2.0;
            assert_eq!(round_channel(v), v.round().clamp(0.0, 255.0) as u8, "{v}");
        }
        assert_eq!(round_channel(f32::NAN), 0);
    }

    #[test]
    fn strong_values_cover_the_image_and_weak_ones_let_it_through() {
        let s = ColorScale::fit(&[-2.0, 2.0]);
        // 0 on a diverging scale: the image's gray.
        assert_eq!(s.over(0.0, 1.0), [255, 255, 255]);
        assert_eq!(s.over(0.0, 0.0), [0, 0, 0]);
        // The extremes: their own colours.
        assert_eq!(s.over(2.0, 0.0), s.rgb(2.0));
        assert_eq!(s.over(-2.0, 1.0), s.rgb(-2.0));
        let q = ColorScale::fit(&[0.0, 4.0]);
        assert_eq!(q.over(0.0, 0.5), [128, 128, 128]);
        assert_eq!(q.over(4.0, 0.0), [178, 24, 43]);
    }

    #[test]
    fn pixels_are_rgba() {
        let s = ColorScale::fit(&[0.0, 4.0]);
        let mut px = vec![9; 8];
        paint(Some(&s), &[0.0, 4.0], &mut px);
        assert_eq!(px, vec![255, 255, 255, 9, 29, 53, 87, 9]);
        let mut px = vec![255; 16];
        paint(None, &[0.0, 1.0, 2.0, f32::NAN], &mut px);
        assert_eq!(
            px,
            vec![
                0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 255
            ]
        );
        // As many pixels as both hold.
        let mut px = vec![1; 6];
        paint(Some(&s), &[4.0, 4.0, 4.0], &mut px);
        assert_eq!(px, vec![29, 53, 87, 1, 1, 1]);
        let mut px = vec![255; 8];
        paint_over(&s, &[0.0, 4.0], &[0.5, 0.0], &mut px);
        assert_eq!(px, vec![128, 128, 128, 255, 178, 24, 43, 255]);
    }

    #[test]
    fn the_diverging_scale_mixes_each_half_exactly() {
        // The two halves as two mixes, a branch per value: what `rgb` and `paint` compute
        // without one.
        let halves = |s: &ColorScale, v: f32| {
            let t = (v - s.min) / (s.max - s.min).max(f32::EPSILON);
            if t < 0.5 {
                mix(NEG, MID, t * 2.0)
            } else {
                mix(MID, POS, (t - 0.5) * 2.0)
            }
        };
        let s = ColorScale::fit(&[-3.7, 1.0]);
        let mut seed = 11u32;
        for i in 0..200_000 {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let v = (seed >> 8) as f32 / (1u32 << 24) as f32 * 9.0 - 4.5;
            let v = if i % 7 == 0 { v * 1e30 } else { v };
            assert_eq!(s.rgb(v), halves(&s, v), "{v}");
            let mut px = [0; 4];
            paint(Some(&s), &[v], &mut px);
            assert_eq!(px[..3], halves(&s, v), "{v}");
        }
        for v in [-3.7, 0.0, 3.7, -0.0, f32::MIN_POSITIVE, f32::MAX, f32::MIN] {
            assert_eq!(s.rgb(v), halves(&s, v), "{v}");
        }
        // Sequential scales and values that are not numbers: `paint` is `rgb`.
        let q = ColorScale::fit(&[0.0, 2.5]);
        let values = [
            -1.0,
            0.0,
            0.3,
            1.25,
            2.5,
            9.0,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ];
        for scale in [q, s] {
            let mut px = [0; 36];
            paint(Some(&scale), &values, &mut px);
            for (p, &v) in px.chunks_exact(4).zip(&values) {
                assert_eq!(p[..3], scale.rgb(v), "{v}");
            }
        }
    }

    #[test]
    fn signed_data_get_a_symmetric_diverging_scale() {
        let s = ColorScale::fit(&[-1.0, 3.0]);
        assert!(s.diverging);
        assert_eq!((s.min, s.max), (-3.0, 3.0));
        assert_eq!(s.rgb(0.0), [247, 247, 247]);
        let s = ColorScale::fit(&[0.0, 4.0]);
        assert!(!s.diverging);
        assert_eq!(s.rgb(0.0), [255, 255, 255]);
        assert_eq!(s.rgb(4.0), [29, 53, 87]);
    }
}
