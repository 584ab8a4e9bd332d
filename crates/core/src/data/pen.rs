//! A round pen on a square canvas of ink: the one rasterizer of strokes, used by the
//! synthetic digits ([`crate::data::strokes`]) and by the Classify page's drawing pad.
//!
//! Ink is in `[0, 1]` (0 none, 1 full). A segment covers the pixels whose centres lie
//! within `radius` of it, with one pixel of anti-aliasing: a pixel at distance `d` gets
//! `clamp(radius + 0.5 − d, 0, 1)`. Where segments overlap, a pixel keeps the most ink any
//! of them gives it, so a stroke's joints are not darker than its segments.

/// Inks the round-capped segment from `a` to `b` (`[x, y]` in canvas pixels, the canvas
/// `side`×`side`, row-major) with a pen of half-width `radius` pixels. `a == b` draws a dot.
/// Parts outside the canvas are clipped.
///
/// # Panics
/// If `canvas` is shorter than `side · side`.
pub fn ink_segment(canvas: &mut [f32], side: usize, a: [f32; 2], b: [f32; 2], radius: f32) {
    assert!(
        canvas.len() >= side * side,
        "ink_segment: a canvas of {} values is smaller than {side}×{side}",
        canvas.len()
    );
    let reach = radius + 1.0;
    let lo = |u: f32, v: f32| (u.min(v) - reach).floor().max(0.0) as usize;
    let hi = |u: f32, v: f32| ((u.max(v) + reach).ceil().max(0.0) as usize).min(side);
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    for y in lo(a[1], b[1])..hi(a[1], b[1]) {
        for x in lo(a[0], b[0])..hi(a[0], b[0]) {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let t = if len2 > 0.0 {
                (((px - a[0]) * dx + (py - a[1]) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (ex, ey) = (px - a[0] - t * dx, py - a[1] - t * dy);
            let ink = (radius + 0.5 - (ex * ex + ey * ey).sqrt()).clamp(0.0, 1.0);
            let c = &mut canvas[y * side + x];
            *c = c.max(ink);
        }
    }
}

/// Inks a polyline (`points` in canvas pixels) with [`ink_segment`]; one point is a dot,
/// none draws nothing.
pub fn ink_stroke(canvas: &mut [f32], side: usize, points: &[[f32; 2]], radius: f32) {
    match points {
        [] => {}
        [p] => ink_segment(canvas, side, *p, *p, radius),
        _ => {
            for pair in points.windows(2) {
                ink_segment(canvas, side, pair[0], pair[1], radius);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn a_dot_is_full_inside_soft_at_its_edge_and_empty_beyond() {
        let mut c = vec![0.0f32; 16 * 16];
        ink_segment(&mut c, 16, [8.0, 8.0], [8.0, 8.0], 2.0);
        // Pixel (7, 7)'s centre (7.5, 7.5) is 0.71 from the dot: full ink.
        assert_eq!(c[7 * 16 + 7], 1.0);
        // Pixel (10, 7)'s centre (10.5, 7.5) is 2.55 away: 2.5 − 2.55 clamps to 0.
        assert_eq!(c[7 * 16 + 10], 0.0);
        // Pixel (9, 8): centre (9.5, 8.5), 1.58 away: full; pixel (10, 8), 2.55: none;
        // pixel (9, 9), (9.5, 9.5), 2.12 away: 2.5 − 2.12 = 0.38.
        assert!((c[9 * 16 + 9] - (2.5 - 2.0f32.sqrt() * 1.5)).abs() < 1e-6);
        let inked: usize = c.iter().filter(|&&v| v > 0.0).count();
        assert!(
            inked > 12 && inked < 30,
            "{inked} pixels inked by a dot of radius 2"
        );
    }

    #[test]
    fn a_horizontal_line_inks_its_rows_evenly_and_overlaps_keep_the_most() {
        let mut c = vec![0.0f32; 32 * 32];
        ink_stroke(&mut c, 32, &[[4.0, 16.0], [16.0, 16.0], [28.0, 16.0]], 1.0);
        // Rows 15 and 16 have centres 0.5 from the line: 1.0 + 0.5 − 0.5 = 1.
        for x in 4..28 {
            assert_eq!(c[15 * 32 + x], 1.0, "row 15, x = {x}");
            assert_eq!(c[16 * 32 + x], 1.0, "row 16, x = {x}");
            // Rows 14 and 17: 1.5 away, no ink.
            assert_eq!(c[14 * 32 + x], 0.0, "row 14, x = {x}");
        }
        // Drawing it again changes nothing (the most ink, not the sum).
        let once = c.clone();
        ink_stroke(&mut c, 32, &[[4.0, 16.0], [28.0, 16.0]], 1.0);
        assert_eq!(c, once);
    }

    #[test]
    fn strokes_past_the_edge_are_clipped_and_no_points_draw_nothing() {
        let mut c = vec![0.0f32; 8 * 8];
        ink_stroke(&mut c, 8, &[], 3.0);
        assert!(c.iter().all(|&v| v == 0.0));
        ink_stroke(&mut c, 8, &[[-5.0, -5.0], [20.0, 20.0]], 1.0);
        assert_eq!(c[0], 1.0);
        assert_eq!(c[63], 1.0);
        assert_eq!(c[7], 0.0);
    }
}
