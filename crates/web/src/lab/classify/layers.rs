//! A layer's feature maps ready to draw: one plane per channel, one colour scale for the
//! whole layer (so maps of a layer compare), and the RGBA pixels a canvas `ImageData` takes.

use std::rc::Rc;

use crate::agent::classify::LayerOutput;
use crate::agent::{Classified, Stages};
use crate::lab::ColorScale;

use super::inspect::ConvLayer;

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

/// One map layer of the network as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedMaps {
    /// `conv1`, `act1`, `pool1`, `conv2`, `act2`, `pool2`.
    pub name: &'static str,
    /// What the layer is.
    pub what: &'static str,
    /// The convolution a pixel of this layer can be explained by (conv and its activation).
    pub explains: Option<ConvLayer>,
    /// The maps.
    pub maps: Rc<MapLayer>,
}

impl NamedMaps {
    /// "conv1: 6 maps of 28×28 — …".
    pub fn title(&self) -> String {
        let l = &self.maps;
        format!(
            "{}: {} maps of {}×{} — {}",
            self.name,
            l.planes.len(),
            l.rows,
            l.cols,
            self.what
        )
    }
}

/// Every layer of one forward pass, ready to draw; built once per result.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkViews {
    /// The six map layers, input to output.
    pub maps: Vec<NamedMaps>,
    /// The dense layers after their activations, and the logits: `(title, values)`.
    pub dense: Vec<(&'static str, Rc<Vec<f32>>)>,
    /// Softmax probabilities.
    pub probabilities: Rc<Vec<f32>>,
    /// The 28×28 network input.
    pub input: Rc<Vec<f32>>,
    /// The preprocessing stages (none for a dataset sample).
    pub stages: Option<Rc<Stages>>,
}

impl NetworkViews {
    /// Splits a classification's layers.
    ///
    /// # Errors
    /// When a map layer's shape does not match its values.
    pub fn new(c: &Classified) -> Result<Self, String> {
        let m = &c.maps;
        let named = |name, what, explains, out: &LayerOutput| -> Result<NamedMaps, String> {
            Ok(NamedMaps {
                name,
                what,
                explains,
                maps: Rc::new(MapLayer::from_output(out)?),
            })
        };
        let pool = "after pooling 2×2, stride 2";
        Ok(Self {
            maps: vec![
                named(
                    "conv1",
                    "the first convolution (5×5, padding 2), before the activation",
                    Some(ConvLayer::Conv1),
                    &m.conv1,
                )?,
                named(
                    "act1",
                    "conv1 after the activation",
                    Some(ConvLayer::Conv1),
                    &m.act1,
                )?,
                named("pool1", pool, None, &m.pool1)?,
                named(
                    "conv2",
                    "the second convolution (5×5 over the 6 pooled maps), before the activation",
                    Some(ConvLayer::Conv2),
                    &m.conv2,
                )?,
                named(
                    "act2",
                    "conv2 after the activation",
                    Some(ConvLayer::Conv2),
                    &m.act2,
                )?,
                named("pool2", pool, None, &m.pool2)?,
            ],
            dense: vec![
                ("fc1 → activation", Rc::new(m.act3.values.clone())),
                ("fc2 → activation", Rc::new(m.act4.values.clone())),
                ("fc3: logits", Rc::new(m.logits.values.clone())),
            ],
            probabilities: Rc::new(m.probabilities.values.clone()),
            input: Rc::new(c.input.clone()),
            stages: c.stages.clone().map(Rc::new),
        })
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
    fn a_forward_pass_gives_six_map_layers_and_three_dense_ones() -> Result<(), String> {
        use crate::agent::{ClassifyInput, classify, model};
        model::load(
            "layers-mnist".into(),
            include_bytes!("../../../../../www/models/lenet-mnist.safetensors"),
        )?;
        let c = classify::classify("layers-mnist", ClassifyInput::Ready(vec![0.5; 784]))?;
        let v = NetworkViews::new(&c)?;
        let dims: Vec<(usize, usize)> = v
            .maps
            .iter()
            .map(|m| (m.maps.planes.len(), m.maps.rows))
            .collect();
        assert_eq!(
            dims,
            vec![(6, 28), (6, 28), (6, 14), (16, 10), (16, 10), (16, 5)]
        );
        let explained: Vec<_> = v.maps.iter().map(|m| m.explains).collect();
        assert_eq!(
            explained,
            vec![
                Some(ConvLayer::Conv1),
                Some(ConvLayer::Conv1),
                None,
                Some(ConvLayer::Conv2),
                Some(ConvLayer::Conv2),
                None
            ]
        );
        let units: Vec<usize> = v.dense.iter().map(|(_, d)| d.len()).collect();
        assert_eq!(units, vec![120, 84, 10]);
        assert_eq!(v.probabilities.len(), 10);
        assert!(v.maps[0].title().starts_with("conv1: 6 maps of 28×28 — "));
        // act1 is never negative: a sequential scale.
        assert!(!v.maps[1].maps.scale.diverging);
        Ok(())
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
