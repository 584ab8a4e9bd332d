//! The convolution behind a clicked feature-map pixel, computed by the core's
//! [`ConvTrace`]: the input window over every input channel the filter reads, the kernel
//! slices, the products, their sum, the bias, and the activation that follows.
//!
//! Any convolution of any network: the model's summary says what each convolution reads
//! (the network input or another layer's maps), its hyper-parameters and its filters.

use std::rc::Rc;

use convscope_core::{Activation, Conv2dParams, ConvStep, ConvTrace};
use ndarray::{ArrayView1, ArrayView4};

use crate::agent::{Classified, ModelSummary};

/// One explained pixel.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    /// Which convolution (`conv1`, `block1.conv2`).
    pub layer: String,
    /// What it reads: "the 28×28 network input" or "the 6 maps of pool1 (14×14)".
    pub input_name: String,
    /// The step: taps, products, sum, bias, activation (from the core's trace).
    pub step: Rc<ConvStep>,
    /// The input maps the window reads, one plane per input channel of the filter's group.
    pub inputs: Vec<Rc<Vec<f32>>>,
    /// The input channel of each plane.
    pub channels: Vec<usize>,
    /// Rows of an input map.
    pub input_rows: usize,
    /// Columns of an input map.
    pub input_cols: usize,
    /// Zero padding around the input.
    pub padding: usize,
    /// Kernel side F.
    pub kernel: usize,
    /// The window's taps on each input plane, `[y, x]` unpadded.
    pub taps: Vec<Rc<Vec<[isize; 2]>>>,
    /// The kernel's slice for each input plane, F×F row-major.
    pub kernels: Vec<Rc<Vec<f32>>>,
    /// The clicked map's value at the pixel, from the forward pass (before the activation).
    pub map_value: f32,
    /// The activation layer after the convolution, if any.
    pub activation_layer: Option<String>,
    /// The activated map's value at the pixel, from the forward pass (the map value when no
    /// activation follows).
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

fn layer<'a>(c: &'a Classified, name: &str) -> Result<&'a [f32], String> {
    c.layers
        .iter()
        .find(|l| l.name == name)
        .map(|l| &l.values[..])
        .ok_or_else(|| format!("the result has no layer {name}"))
}

/// Explains output pixel `[k, y, x]` of convolution `conv` for the forward pass `c` of
/// `model`.
///
/// # Errors
/// When `c` was computed by another model than `model` (a new model's kernels never meet
/// an old result's maps), the model has no such convolution, or the pixel is outside the
/// map.
pub fn inspect(
    model: &ModelSummary,
    c: &Classified,
    conv: &str,
    pixel: [usize; 3],
) -> Result<Inspection, String> {
    if model.name != c.model {
        return Err(format!(
            "the result on screen is from model {}, not {}: classify again to inspect it",
            c.model, model.name
        ));
    }
    let s = model
        .conv(conv)
        .ok_or_else(|| format!("the model has no convolution {conv}"))?;
    let activation = match &s.activation {
        Some((_, spelling)) => spelling.parse::<Activation>().map_err(|e| e.to_string())?,
        None => Activation::Identity,
    };
    let input = match &s.input {
        None => &c.input[..],
        Some(name) => layer(c, name)?,
    };
    let [in_ch, rows, cols] = s.input_shape;
    let [out_ch, cg, f, _] = s.shape;
    let x = ArrayView4::from_shape((1, in_ch, rows, cols), input).map_err(|e| e.to_string())?;
    let w = ArrayView4::from_shape((out_ch, cg, f, f), &s.weight[..]).map_err(|e| e.to_string())?;
    let b = (!s.bias.is_empty()).then(|| ArrayView1::from(&s.bias[..]));
    let params = Conv2dParams::default()
        .with_stride(s.stride)
        .with_padding(s.padding)
        .with_dilation(s.dilation)
        .with_groups(s.groups);
    let trace = ConvTrace::new(x, 0, w, b, params, activation).map_err(|e| e.to_string())?;
    let dims = trace.output_dims();
    let index = trace
        .index_of(pixel)
        .ok_or_else(|| format!("pixel {pixel:?} is outside the {dims:?} maps"))?;
    let step = convscope_core::Stepper::step(&trace, index).map_err(|e| e.to_string())?;
    let [k, _, _] = pixel;
    let plane = rows * cols;
    let kk = f * f;
    // The channels of the filter's group.
    let group = k / (out_ch / s.groups.max(1)).max(1);
    let channels: Vec<usize> = (group * cg..(group + 1) * cg).collect();
    let input_name = match &s.input {
        None => format!("the {rows}×{cols} network input"),
        Some(name) => format!("the {in_ch} maps of {name} ({rows}×{cols})"),
    };
    let pre = layer(c, &s.name)?;
    let post = match &s.activation {
        Some((name, _)) => layer(c, name)?,
        None => pre,
    };
    Ok(Inspection {
        layer: s.name.clone(),
        input_name,
        inputs: channels
            .iter()
            .map(|&ch| {
                Rc::new(
                    input
                        .get(ch * plane..(ch + 1) * plane)
                        .map(<[f32]>::to_vec)
                        .unwrap_or_default(),
                )
            })
            .collect(),
        input_rows: rows,
        input_cols: cols,
        padding: s.padding,
        kernel: f,
        taps: channels
            .iter()
            .map(|&ch| {
                Rc::new(
                    step.taps
                        .iter()
                        .filter(|t| t.channel == ch)
                        .map(|t| t.input)
                        .collect(),
                )
            })
            .collect(),
        kernels: (0..cg)
            .map(|j| {
                let start = (k * cg + j) * kk;
                Rc::new(
                    s.weight
                        .get(start..start + kk)
                        .map(<[f32]>::to_vec)
                        .unwrap_or_default(),
                )
            })
            .collect(),
        channels,
        map_value: at(pre, dims, pixel)?,
        activation_layer: s.activation.as_ref().map(|(n, _)| n.clone()),
        activated: at(post, dims, pixel)?,
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
            let i = inspect(&m, &c, "conv1", pixel)?;
            assert_eq!(i.step.taps.len(), 25);
            assert_eq!(i.inputs.len(), 1);
            assert_eq!(i.kernels.len(), 1);
            assert_eq!(i.padding, 2);
            let bias = i.step.bias.ok_or("conv1 has a bias")?;
            assert!((i.step.sum + bias - i.map_value).abs() < 1e-4, "{pixel:?}");
            assert!((i.step.value - i.activated).abs() < 1e-4, "{pixel:?}");
        }
        // The corner's window lies partly in the padding.
        let corner = inspect(&m, &c, "conv1", [0, 0, 0])?;
        assert_eq!(corner.step.taps.iter().filter(|t| t.padding).count(), 16);
        Ok(())
    }

    #[test]
    fn a_conv2_pixel_reads_all_six_pooled_maps() -> Result<(), String> {
        let (m, c) = forward()?;
        let i = inspect(&m, &c, "conv2", [15, 4, 6])?;
        assert_eq!(i.step.taps.len(), 6 * 25);
        assert_eq!(i.inputs.len(), 6);
        assert_eq!(i.kernels.len(), 6);
        assert_eq!(
            i.kernels[5].as_slice(),
            &m.conv("conv2").ok_or("conv2")?.weight[(15 * 6 + 5) * 25..(15 * 6 + 6) * 25]
        );
        assert!((i.step.pre_activation - i.map_value).abs() < 1e-4);
        assert!((i.step.value - i.activated).abs() < 1e-4);
        Ok(())
    }

    #[test]
    fn any_convolution_of_the_residual_network_is_explained() -> Result<(), String> {
        let m = model::load(
            "inspect-resnet".into(),
            include_bytes!("../../../../../www/models/fashion-resnet.safetensors"),
        )?;
        let g = Gallery::from_safetensors(include_bytes!(
            "../../../../../www/samples/fashion-test.safetensors"
        ))?;
        let c = classify::classify(
            "inspect-resnet",
            ClassifyInput::Ready(g.samples[12].pixels.to_vec()),
        )?;
        for (conv, pixel, taps) in [
            ("conv1", [3, 10, 11], 9),
            ("conv2", [31, 0, 27], 16 * 9),
            ("block1.conv2", [5, 7, 3], 32 * 9),
            ("conv3", [60, 6, 6], 32 * 9),
        ] {
            let i = inspect(&m, &c, conv, pixel)?;
            assert_eq!(i.step.taps.len(), taps, "{conv}");
            assert_eq!(i.step.bias, None, "{conv} has no bias: batch norm follows");
            assert!(
                (i.step.pre_activation - i.map_value).abs() <= 1e-4 * i.map_value.abs().max(1.0),
                "{conv}: {} vs {}",
                i.step.pre_activation,
                i.map_value
            );
            // Batch norm, not an activation, follows each of them.
            assert_eq!(i.activation_layer, None, "{conv}");
        }
        let inner = inspect(&m, &c, "block1.conv2", [0, 0, 0])?;
        assert_eq!(inner.input_name, "the 32 maps of block1.relu (14×14)");
        Ok(())
    }

    #[test]
    fn another_models_result_is_not_inspected() -> Result<(), String> {
        let (mut m, c) = forward()?;
        m.name = "another".into();
        let e = inspect(&m, &c, "conv1", [0, 0, 0])
            .err()
            .ok_or("inspected with another model's kernels")?;
        assert!(e.contains("another"), "{e}");
        Ok(())
    }

    #[test]
    fn pixels_outside_the_maps_are_errors() -> Result<(), String> {
        let (m, c) = forward()?;
        assert!(inspect(&m, &c, "conv1", [6, 0, 0]).is_err());
        assert!(inspect(&m, &c, "conv2", [0, 10, 0]).is_err());
        assert!(inspect(&m, &c, "conv9", [0, 0, 0]).is_err());
        Ok(())
    }
}
