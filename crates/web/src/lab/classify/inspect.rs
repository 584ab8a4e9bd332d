//! The convolution behind a clicked feature-map pixel, computed by the core's
//! [`ConvTrace`]: the input window over every input channel, the kernel slices, the products,
//! their sum, the bias, and the activation.
//!
//! conv1 reads the 28×28 network input (1 channel, padding 2); conv2 reads the six 14×14
//! maps after the first pooling (no padding).

use std::rc::Rc;

use convscope_core::{Conv2dParams, ConvStep, ConvTrace};
use ndarray::{ArrayView1, ArrayView4};

use crate::agent::{Classified, ModelSummary};

/// Kernel side of both LeNet convolutions.
pub const KERNEL: usize = 5;

/// Which convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvLayer {
    /// 1 → 6 channels, 28×28, padding 2.
    Conv1,
    /// 6 → 16 channels, 14×14 → 10×10.
    Conv2,
}

impl ConvLayer {
    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Conv1 => "conv1",
            Self::Conv2 => "conv2",
        }
    }
}

/// One explained pixel.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    /// Which convolution.
    pub layer: ConvLayer,
    /// The step: taps, products, sum, bias, activation (from the core's trace).
    pub step: Rc<ConvStep>,
    /// The input maps the window reads, one plane per input channel.
    pub inputs: Vec<Rc<Vec<f32>>>,
    /// Side of an input map.
    pub input_side: usize,
    /// Zero padding around the input.
    pub padding: usize,
    /// The window's taps on each input channel, `[y, x]` unpadded.
    pub taps: Vec<Rc<Vec<[isize; 2]>>>,
    /// The kernel's slice for each input channel, 5×5 row-major.
    pub kernels: Vec<Rc<Vec<f32>>>,
    /// The clicked map's value at the pixel, from the forward pass (before the activation).
    pub map_value: f32,
    /// The activated map's value at the pixel, from the forward pass.
    pub activated: f32,
}

fn at(values: &[f32], shape: [usize; 3], [k, y, x]: [usize; 3]) -> Result<f32, String> {
    let [c, h, w] = shape;
    if k >= c || y >= h || x >= w {
        return Err(format!(
            "pixel ({k}, {y}, {x}) is outside the maps {c}×{h}×{w}"
        ));
    }
    values
        .get((k * h + y) * w + x)
        .copied()
        .ok_or_else(|| format!("the maps hold {} values, not {}", values.len(), c * h * w))
}

/// Explains output pixel `[k, y, x]` of `layer` for the forward pass `c` of `model`.
///
/// # Errors
/// When `c` was computed by another model than `model` (a new model's kernels never meet
/// an old result's maps), the model's activation cannot be parsed, the shapes do not fit
/// LeNet-5, or the pixel is outside the map.
pub fn inspect(
    model: &ModelSummary,
    c: &Classified,
    layer: ConvLayer,
    pixel: [usize; 3],
) -> Result<Inspection, String> {
    if model.name != c.model {
        return Err(format!(
            "the result on screen is from model {}, not {}: classify again to inspect it",
            c.model, model.name
        ));
    }
    let activation = model
        .activation
        .parse::<convscope_core::Activation>()
        .map_err(|e| e.to_string())?;
    let (input, side, in_ch, weight, bias, padding, pre, post) = match layer {
        ConvLayer::Conv1 => (
            &c.input,
            28,
            1,
            &model.conv1_weight,
            &model.conv1_bias,
            2,
            &c.maps.conv1,
            &c.maps.act1,
        ),
        ConvLayer::Conv2 => (
            &c.maps.pool1.values,
            14,
            6,
            &model.conv2_weight,
            &model.conv2_bias,
            0,
            &c.maps.conv2,
            &c.maps.act2,
        ),
    };
    let out_ch = bias.len();
    let x = ArrayView4::from_shape((1, in_ch, side, side), input.as_slice())
        .map_err(|e| e.to_string())?;
    let w = ArrayView4::from_shape((out_ch, in_ch, KERNEL, KERNEL), weight.as_slice())
        .map_err(|e| e.to_string())?;
    let b = ArrayView1::from(bias.as_slice());
    let trace = ConvTrace::new(
        x,
        0,
        w,
        Some(b),
        Conv2dParams::default().with_padding(padding),
        activation,
    )
    .map_err(|e| e.to_string())?;
    let dims = trace.output_dims();
    let index = trace
        .index_of(pixel)
        .ok_or_else(|| format!("pixel {pixel:?} is outside the {dims:?} maps"))?;
    let step = convscope_core::Stepper::step(&trace, index).map_err(|e| e.to_string())?;
    let [k, _, _] = pixel;
    let plane = side * side;
    let kk = KERNEL * KERNEL;
    Ok(Inspection {
        layer,
        inputs: input.chunks(plane).map(|p| Rc::new(p.to_vec())).collect(),
        input_side: side,
        padding,
        taps: (0..in_ch)
            .map(|ch| {
                Rc::new(
                    step.taps
                        .iter()
                        .filter(|t| t.channel == ch)
                        .map(|t| t.input)
                        .collect(),
                )
            })
            .collect(),
        kernels: (0..in_ch)
            .map(|ch| {
                let start = (k * in_ch + ch) * kk;
                Rc::new(
                    weight
                        .get(start..start + kk)
                        .map(<[f32]>::to_vec)
                        .unwrap_or_default(),
                )
            })
            .collect(),
        map_value: at(&pre.values, dims, pixel)?,
        activated: at(&post.values, dims, pixel)?,
        step: Rc::new(step),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::ClassifyInput;
    use crate::agent::{classify, model};
    use crate::lab::classify::Gallery;

    fn forward() -> Result<(ModelSummary, Classified), String> {
        let summary = model::load(
            "inspect-mnist".into(),
            include_bytes!("../../../../../www/models/lenet-mnist.safetensors"),
        )?;
        let g = Gallery::from_safetensors(include_bytes!(
            "../../../../../www/samples/mnist-test.safetensors"
        ))?;
        let input = g.samples[37].pixels.to_vec();
        let c = classify::classify("inspect-mnist", ClassifyInput::Ready(input))?;
        Ok((summary, c))
    }

    #[test]
    fn a_conv1_pixel_is_its_window_sum_plus_bias() -> Result<(), String> {
        let (m, c) = forward()?;
        for pixel in [[0, 0, 0], [3, 14, 9], [5, 27, 27]] {
            let i = inspect(&m, &c, ConvLayer::Conv1, pixel)?;
            assert_eq!(i.step.taps.len(), 25);
            assert_eq!(i.inputs.len(), 1);
            assert_eq!(i.kernels.len(), 1);
            assert_eq!(i.padding, 2);
            let bias = i.step.bias.ok_or("conv1 has a bias")?;
            assert!((i.step.sum + bias - i.map_value).abs() < 1e-4, "{pixel:?}");
            assert!((i.step.value - i.activated).abs() < 1e-4, "{pixel:?}");
        }
        // The corner's window lies partly in the padding.
        let corner = inspect(&m, &c, ConvLayer::Conv1, [0, 0, 0])?;
        assert_eq!(corner.step.taps.iter().filter(|t| t.padding).count(), 16);
        Ok(())
    }

    #[test]
    fn a_conv2_pixel_reads_all_six_pooled_maps() -> Result<(), String> {
        let (m, c) = forward()?;
        let i = inspect(&m, &c, ConvLayer::Conv2, [15, 4, 6])?;
        assert_eq!(i.step.taps.len(), 6 * 25);
        assert_eq!(i.inputs.len(), 6);
        assert_eq!(i.kernels.len(), 6);
        assert_eq!(
            i.kernels[5].as_slice(),
            &m.conv2_weight[(15 * 6 + 5) * 25..(15 * 6 + 6) * 25]
        );
        assert!((i.step.pre_activation - i.map_value).abs() < 1e-4);
        assert!((i.step.value - i.activated).abs() < 1e-4);
        Ok(())
    }

    #[test]
    fn another_models_result_is_not_inspected() -> Result<(), String> {
        let (mut m, c) = forward()?;
        m.name = "another".into();
        let e = inspect(&m, &c, ConvLayer::Conv1, [0, 0, 0])
            .err()
            .ok_or("inspected with another model's kernels")?;
        assert!(e.contains("another"), "{e}");
        Ok(())
    }

    #[test]
    fn pixels_outside_the_maps_are_errors() -> Result<(), String> {
        let (m, c) = forward()?;
        assert!(inspect(&m, &c, ConvLayer::Conv1, [6, 0, 0]).is_err());
        assert!(inspect(&m, &c, ConvLayer::Conv2, [0, 10, 0]).is_err());
        Ok(())
    }
}
