//! A layer's feature maps ready to draw: one plane per channel, one colour scale for the
//! whole layer (so maps of a layer compare), and the RGBA pixels a canvas `ImageData` takes.

use std::rc::Rc;

use crate::agent::classify::LayerOutput;
use crate::lab::ColorScale;

/// The maps of a `[C, H, W]` layer output.
#[derive(Debug, Clone, PartialEq)]
pub struct MapLayer {
    /// One row-major plane per channel.
    pub planes: Vec<Rc<Vec<f32>>>,
    /// H.
    pub rows: usize,
    /// W.
    pub cols: usize,
    /// The scale every map of the layer is drawn with.
    pub scale: ColorScale,
}

impl MapLayer {
    /// Splits a `[C, H, W]` output into planes.
    ///
    /// # Errors
    /// When the shape is not three axes or does not match the number of values.
    pub fn from_output(out: &LayerOutput) -> Result<Self, String> {
        let &[c, h, w] = out.shape.as_slice() else {
            return Err(format!("expected a [C, H, W] output, got {:?}", out.shape));
        };
        if c * h * w != out.values.len() || h * w == 0 {
            return Err(format!(
                "shape {:?} does not hold {} values",
                out.shape,
                out.values.len()
            ));
        }
        Ok(Self {
            planes: out
                .values
                .chunks(h * w)
                .map(|p| Rc::new(p.to_vec()))
                .collect(),
            rows: h,
            cols: w,
            scale: ColorScale::fit(out.values.iter()),
        })
    }

    /// The value of map `k` at `[y, x]`.
    pub fn value(&self, [k, y, x]: [usize; 3]) -> Option<f32> {
        (y < self.rows && x < self.cols)
            .then(|| self.planes.get(k)?.get(y * self.cols + x).copied())
            .flatten()
    }
}

/// RGBA bytes of a plane under `scale` (opaque), for one `putImageData`.
pub fn rgba(values: &[f32], scale: &ColorScale) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 4);
    for &v in values {
        let [r, g, b] = scale.rgb(v);
        out.extend_from_slice(&[r, g, b, 255]);
    }
    out
}

/// A grayscale image in `[0, 1]` as RGBA: 0 black, 1 white.
pub fn gray_rgba(values: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 4);
    for &v in values {
        let g = if v.is_finite() {
            (v.clamp(0.0, 1.0) * 255.0).round() as u8
        } else {
            0
        };
        out.extend_from_slice(&[g, g, g, 255]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layer_splits_into_planes_with_one_scale() -> Result<(), String> {
        let out = LayerOutput {
            shape: vec![2, 2, 3],
            values: vec![
                0.0, 1.0, 2.0, 3.0, 4.0, 5.0, -6.0, 7.0, 8.0, 9.0, 10.0, 11.0,
            ],
        };
        let m = MapLayer::from_output(&out)?;
        assert_eq!(m.planes.len(), 2);
        assert_eq!((m.rows, m.cols), (2, 3));
        assert_eq!(m.value([1, 0, 0]), Some(-6.0));
        assert_eq!(m.value([1, 1, 2]), Some(11.0));
        assert_eq!(m.value([2, 0, 0]), None);
        assert_eq!(m.value([0, 0, 3]), None);
        assert!(m.scale.diverging);
        assert_eq!(m.scale.max, 11.0);
        Ok(())
    }

    #[test]
    fn bad_shapes_are_errors() {
        let flat = LayerOutput {
            shape: vec![10],
            values: vec![0.0; 10],
        };
        assert!(MapLayer::from_output(&flat).is_err());
        let short = LayerOutput {
            shape: vec![1, 2, 2],
            values: vec![0.0; 3],
        };
        assert!(MapLayer::from_output(&short).is_err());
    }

    #[test]
    fn pixels_are_rgba() {
        let s = ColorScale::fit(&[0.0, 4.0]);
        assert_eq!(
            rgba(&[0.0, 4.0], &s),
            vec![255, 255, 255, 255, 29, 53, 87, 255]
        );
        assert_eq!(
            gray_rgba(&[0.0, 1.0, 2.0]),
            vec![0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255]
        );
    }
}
