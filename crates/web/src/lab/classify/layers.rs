//! A layer's feature maps ready to draw: one plane per channel, one colour scale for the
//! whole layer (so maps of a layer compare).

use std::rc::Rc;

use convscope_core::arch::LayerKind;

use crate::agent::classify::LayerOutput;
use crate::agent::{Classified, ModelSummary, Stages};
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

/// One map layer of the network as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedMaps {
    /// The layer's path: `conv1`, `relu1`, `pool1`, `block1.conv2`.
    pub name: String,
    /// What the layer is (the explorer's description).
    pub what: String,
    /// The convolution a pixel of this layer can be explained by (a convolution, and the
    /// activation right after it).
    pub explains: Option<String>,
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

/// One vector layer (a 1×1 volume) as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedVector {
    /// The layer's path (`relu3`, `fc3`).
    pub name: String,
    /// "relu3: 120 values — ReLU".
    pub title: String,
    /// The values.
    pub values: Rc<Vec<f32>>,
}

/// Every layer of one forward pass, ready to draw; built once per result.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkViews {
    /// The map layers (every output with more than one pixel per map), input to output.
    pub maps: Vec<NamedMaps>,
    /// The vector layers worth a bar chart: each one not followed by its activation
    /// (which is shown instead), not a flatten or a dropout (a copy of the layer before).
    pub dense: Vec<NamedVector>,
    /// Softmax probabilities.
    pub probabilities: Rc<Vec<f32>>,
    /// The 28×28 network input.
    pub input: Rc<Vec<f32>>,
    /// The preprocessing stages (none for a dataset sample).
    pub stages: Option<Rc<Stages>>,
}

impl NetworkViews {
    /// Splits a classification's layers; `model` (the summary of the network that computed
    /// it) says which maps a click can explain.
    ///
    /// # Errors
    /// When a map layer's shape does not match its values.
    pub fn new(c: &Classified, model: Option<&ModelSummary>) -> Result<Self, String> {
        let explains = |name: &str| {
            model.and_then(|m| {
                m.convs
                    .iter()
                    .find(|conv| {
                        conv.name == name
                            || conv.activation.as_ref().is_some_and(|(a, _)| a == name)
                    })
                    .map(|conv| conv.name.clone())
            })
        };
        let mut maps = Vec::new();
        let mut dense = Vec::new();
        for (i, l) in c.layers.iter().enumerate() {
            if l.shape.len() == 3 && l.shape[1] * l.shape[2] > 1 {
                maps.push(NamedMaps {
                    name: l.name.clone(),
                    what: l.description.clone(),
                    explains: explains(&l.name),
                    maps: Rc::new(MapLayer::from_output(l)?),
                });
                continue;
            }
            let activated_next = c
                .layers
                .get(i + 1)
                .is_some_and(|n| n.kind == LayerKind::Activation && n.shape == l.shape);
            if matches!(l.kind, LayerKind::Flatten | LayerKind::Dropout) || activated_next {
                continue;
            }
            dense.push(NamedVector {
                name: l.name.clone(),
                title: format!("{}: {} values — {}", l.name, l.values.len(), l.description),
                values: Rc::new(l.values.clone()),
            });
        }
        Ok(Self {
            maps,
            dense,
            probabilities: Rc::new(c.probabilities.clone()),
            input: Rc::new(c.input.clone()),
            stages: c.stages.clone().map(Rc::new),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layer_splits_into_planes_with_one_scale() -> Result<(), String> {
        let out = LayerOutput {
            name: "test".into(),
            kind: LayerKind::Conv,
            description: String::new(),
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
            name: "test".into(),
            kind: LayerKind::Conv,
            description: String::new(),
            shape: vec![10],
            values: vec![0.0; 10],
        };
        assert!(MapLayer::from_output(&flat).is_err());
        let short = LayerOutput {
            name: "test".into(),
            kind: LayerKind::Conv,
            description: String::new(),
            shape: vec![1, 2, 2],
            values: vec![0.0; 3],
        };
        assert!(MapLayer::from_output(&short).is_err());
    }

    #[test]
    fn a_forward_pass_gives_six_map_layers_and_three_dense_ones() -> Result<(), String> {
        use crate::agent::{ClassifyInput, classify, model};
        let summary = model::load(
            "layers-mnist".into(),
            include_bytes!("../../../../../www/models/lenet-mnist.safetensors"),
        )?;
        let c = classify::classify("layers-mnist", ClassifyInput::Ready(vec![0.5; 784]))?;
        let v = NetworkViews::new(&c, Some(&summary))?;
        let dims: Vec<(usize, usize)> = v
            .maps
            .iter()
            .map(|m| (m.maps.planes.len(), m.maps.rows))
            .collect();
        assert_eq!(
            dims,
            vec![(6, 28), (6, 28), (6, 14), (16, 10), (16, 10), (16, 5)]
        );
        let explained: Vec<Option<&str>> = v.maps.iter().map(|m| m.explains.as_deref()).collect();
        assert_eq!(
            explained,
            vec![
                Some("conv1"),
                Some("conv1"),
                None,
                Some("conv2"),
                Some("conv2"),
                None
            ]
        );
        let dense: Vec<(&str, usize)> = v
            .dense
            .iter()
            .map(|d| (d.name.as_str(), d.values.len()))
            .collect();
        assert_eq!(dense, vec![("relu3", 120), ("relu4", 84), ("fc3", 10)]);
        assert_eq!(v.probabilities.len(), 10);
        assert!(v.maps[0].title().starts_with("conv1: 6 maps of 28×28 — "));
        // act1 is never negative: a sequential scale.
        assert!(!v.maps[1].maps.scale.diverging);
        Ok(())
    }

    #[test]
    fn a_residual_network_shows_its_block_and_one_dense_layer() -> Result<(), String> {
        use crate::agent::{ClassifyInput, classify, model};
        let summary = model::load(
            "layers-resnet".into(),
            include_bytes!("../../../../../www/models/fashion-resnet.safetensors"),
        )?;
        let c = classify::classify("layers-resnet", ClassifyInput::Ready(vec![0.5; 784]))?;
        let v = NetworkViews::new(&c, Some(&summary))?;
        let names: Vec<&str> = v.maps.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "conv1",
                "bn1",
                "relu1",
                "conv2",
                "bn2",
                "relu2",
                "pool1",
                "block1",
                "block1.conv1",
                "block1.bn1",
                "block1.relu",
                "block1.conv2",
                "block1.bn2",
                "pool2",
                "conv3",
                "bn3",
                "relu3"
            ]
        );
        let explained: Vec<&str> = v
            .maps
            .iter()
            .filter_map(|m| m.explains.as_deref())
            .collect();
        assert_eq!(
            explained,
            ["conv1", "conv2", "block1.conv1", "block1.conv2", "conv3"]
        );
        let dense: Vec<(&str, usize)> = v
            .dense
            .iter()
            .map(|d| (d.name.as_str(), d.values.len()))
            .collect();
        assert_eq!(dense, [("fc1", 10)]);
        Ok(())
    }
}
