//! The drawing pad's content: strokes in page coordinates `[0, 1]²` (egui's painting demo
//! does the same), so the pad can be drawn at any size and resampled for the network.

use convscope_core::data::pen::ink_stroke;

/// Pixels a side of the image sent to the worker (4 × 28: the worker crops and scales it).
pub const RASTER_SIDE: u32 = 112;

/// Brush sizes offered, in pixels of a 280-pixel pad.
pub const BRUSHES: [u32; 4] = [12, 18, 24, 32];
/// The brush a new page starts with.
pub const DEFAULT_BRUSH: u32 = 24;
/// The pad's side in CSS pixels that the brush sizes refer to.
pub const PAD_SIDE: f32 = 280.0;

/// One pen-down to pen-up path.
#[derive(Debug, Clone, PartialEq)]
pub struct Stroke {
    /// Pen diameter as a fraction of the pad's side.
    pub width: f32,
    /// Points in `[0, 1]²`, `[x, y]`.
    pub points: Vec<[f32; 2]>,
}

/// Everything drawn since the last clear.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Drawing {
    /// The strokes in drawing order.
    pub strokes: Vec<Stroke>,
}

fn clamp01(p: [f32; 2]) -> [f32; 2] {
    let c = |v: f32| {
        if v.is_finite() {
            v.clamp(0.0, 1.0)
        } else {
            0.0
        }
    };
    [c(p[0]), c(p[1])]
}

impl Drawing {
    /// Nothing drawn.
    pub fn is_empty(&self) -> bool {
        self.strokes.is_empty()
    }

    /// Starts a stroke at `p` with a pen `brush` pixels wide on a [`PAD_SIDE`] pad.
    pub fn begin(&mut self, p: [f32; 2], brush: u32) {
        self.strokes.push(Stroke {
            width: brush as f32 / PAD_SIDE,
            points: vec![clamp01(p)],
        });
    }

    /// Continues the current stroke to `p` (ignored when no stroke was begun).
    pub fn extend(&mut self, p: [f32; 2]) {
        if let Some(s) = self.strokes.last_mut() {
            s.points.push(clamp01(p));
        }
    }

    /// The drawing as a `side`×`side` grayscale image, row-major: white page (1), dark ink
    /// (0), edges antialiased over one pixel — what a scanned drawing looks like.
    pub fn rasterize(&self, side: u32) -> Vec<f32> {
        let n = side.max(1) as usize;
        let s = n as f32;
        let mut ink = vec![0.0f32; n * n];
        for stroke in &self.strokes {
            let radius = (stroke.width * s / 2.0).max(0.5);
            let points: Vec<[f32; 2]> =
                stroke.points.iter().map(|p| [p[0] * s, p[1] * s]).collect();
            ink_stroke(&mut ink, n, &points, radius);
        }
        ink.iter().map(|v| 1.0 - v).collect()
    }

    /// A compact text form for `localStorage`: strokes separated by `;`, each the pen width
    /// then `x,y` pairs, in thousandths.
    pub fn encode(&self) -> String {
        let q = |v: f32| (v * 1000.0).round() as i32;
        self.strokes
            .iter()
            .map(|s| {
                let mut parts = vec![q(s.width).to_string()];
                parts.extend(s.points.iter().map(|p| format!("{},{}", q(p[0]), q(p[1]))));
                parts.join(" ")
            })
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Parses [`Drawing::encode`]; `None` for anything malformed.
    pub fn decode(text: &str) -> Option<Self> {
        if text.is_empty() {
            return Some(Self::default());
        }
        let num = |s: &str| s.parse::<i32>().ok().map(|v| v as f32 / 1000.0);
        let strokes = text
            .split(';')
            .map(|s| {
                let mut parts = s.split(' ');
                let width = num(parts.next()?)?;
                let points = parts
                    .map(|p| {
                        let (x, y) = p.split_once(',')?;
                        Some(clamp01([num(x)?, num(y)?]))
                    })
                    .collect::<Option<Vec<_>>>()?;
                (width > 0.0 && width <= 1.0 && !points.is_empty())
                    .then_some(Stroke { width, points })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self { strokes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seven() -> Drawing {
        let mut d = Drawing::default();
        d.begin([0.2, 0.15], 24);
        d.extend([0.8, 0.15]);
        d.extend([0.45, 0.9]);
        d
    }

    #[test]
    fn a_stroke_is_dark_ink_on_a_white_page() {
        let img = seven().rasterize(100);
        assert_eq!(img.len(), 100 * 100);
        // On the top bar, and far from any stroke.
        assert_eq!(img[15 * 100 + 50], 0.0);
        assert_eq!(img[60 * 100 + 10], 1.0);
        assert!(img.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn a_single_tap_is_a_dot() {
        let mut d = Drawing::default();
        d.begin([0.5, 0.5], 28);
        let img = d.rasterize(28);
        assert_eq!(img[14 * 28 + 14], 0.0);
        assert_eq!(img[0], 1.0);
    }

    #[test]
    fn points_outside_the_pad_are_clamped() {
        let mut d = Drawing::default();
        d.begin([-3.0, f32::NAN], 12);
        d.extend([4.0, 0.5]);
        assert_eq!(d.strokes[0].points, vec![[0.0, 0.0], [1.0, 0.5]]);
        // extend without begin is ignored
        let mut e = Drawing::default();
        e.extend([0.5, 0.5]);
        assert!(e.is_empty());
    }

    #[test]
    fn the_text_form_round_trips_and_refuses_garbage() {
        let d = seven();
        let back = Drawing::decode(&d.encode());
        assert_eq!(back.as_ref().map(|b| b.strokes.len()), Some(1));
        assert_eq!(back.map(|b| b.encode()), Some(d.encode()));
        assert_eq!(Drawing::decode(""), Some(Drawing::default()));
        assert_eq!(Drawing::decode("abc"), None);
        assert_eq!(Drawing::decode("86 1,2 3"), None);
        assert_eq!(Drawing::decode("0 1,2"), None);
    }
}
