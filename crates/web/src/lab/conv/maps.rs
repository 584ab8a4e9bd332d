//! The lab's full feature maps, computed off the page's thread: the page builds a
//! [`MapsJob`] (the layer's input, weight and settings, a few kilobytes), the web worker runs
//! it ([`MapsJob::run`]) and answers [`ConvMaps`]. The page's thread keeps only the trace,
//! whose single steps cost nanoseconds.
//!
//! Every value comes from the core's trace arithmetic, so a map's cell equals, bitwise, the
//! value the stepper shows for it.

use convscope_core::{
    ConvTrace, ConvTranspose2dParams, ConvTransposeTrace, conv_transpose2d_reference,
};
use std::rc::Rc;

use ndarray::{Array4, Axis};
use serde::{Deserialize, Serialize};

use super::{ActivationChoice, transposed_size_check};
use crate::lab::{ColorScale, planes};

/// One map, row-major, shared with the canvases without copying.
pub type Plane = Rc<Vec<f32>>;

/// One layer for the worker to compute in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapsJob {
    /// `[D1, H, W]`.
    pub input_dims: [usize; 3],
    /// The input, row-major.
    pub input: Vec<f32>,
    /// Forward: `[K, D1/groups, F, F]`; transposed: `[D1, K/groups, F, F]`.
    pub weight_dims: [usize; 4],
    /// The weight, row-major.
    pub weight: Vec<f32>,
    /// S.
    pub stride: usize,
    /// P.
    pub padding: usize,
    /// D.
    pub dilation: usize,
    /// Groups.
    pub groups: usize,
    /// The activation (forward mode only).
    pub activation: ActivationChoice,
    /// Transposed convolution instead of the forward one.
    pub transposed: bool,
}

/// The maps the lab draws, each a row-major plane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ConvMaps {
    /// The forward convolution.
    Forward {
        /// `[K, H2, W2]`.
        dims: [usize; 3],
        /// Before the activation, one plane per filter.
        #[serde(with = "plane_bytes")]
        pre: Vec<Plane>,
        /// After the activation.
        #[serde(with = "plane_bytes")]
        post: Vec<Plane>,
        /// The scale fitted to `pre`.
        pre_scale: ColorScale,
        /// The scale fitted to `post`.
        post_scale: ColorScale,
    },
    /// The transposed convolution.
    Transposed {
        /// `[K, H2, W2]`.
        dims: [usize; 3],
        /// The input with S − 1 zeros between cells, one plane per input channel,
        /// `(H−1)·S+1 × (W−1)·S+1`.
        #[serde(with = "plane_bytes")]
        upsampled: Vec<Plane>,
        /// The output, one plane per map.
        #[serde(with = "plane_bytes")]
        output: Vec<Plane>,
        /// The scale fitted to `output`.
        out_scale: ColorScale,
    },
}

impl ConvMaps {
    /// `[K, H2, W2]` of the output.
    pub fn dims(&self) -> [usize; 3] {
        match self {
            Self::Forward { dims, .. } | Self::Transposed { dims, .. } => *dims,
        }
    }
}

impl MapsJob {
    fn tensors(&self) -> Result<(Array4<f32>, Array4<f32>), String> {
        let [c, h, w] = self.input_dims;
        let input = Array4::from_shape_vec((1, c, h, w), self.input.clone())
            .map_err(|e| format!("input {:?}: {e}", self.input_dims))?;
        let [a, b, f1, f2] = self.weight_dims;
        let weight = Array4::from_shape_vec((a, b, f1, f2), self.weight.clone())
            .map_err(|e| format!("weight {:?}: {e}", self.weight_dims))?;
        Ok((input, weight))
    }

    /// Computes every map.
    ///
    /// # Errors
    /// The core's message when the layer is invalid, or when transposed mode would draw more
    /// than [`super::MAX_TRANSPOSED_VALUES`] values.
    pub fn run(&self) -> Result<ConvMaps, String> {
        let (input, weight) = self.tensors()?;
        if self.transposed {
            let params = ConvTranspose2dParams::default()
                .with_stride(self.stride)
                .with_padding(self.padding)
                .with_dilation(self.dilation)
                .with_groups(self.groups);
            let trace = ConvTransposeTrace::new(input.view(), 0, weight.view(), None, params)
                .map_err(|e| e.to_string())?;
            transposed_size_check(trace.geometry()).map_err(|e| e.to_string())?;
            // The reference loop sums in the trace's order: the same numbers, bitwise.
            let output = conv_transpose2d_reference(input.view(), weight.view(), None, params)
                .map_err(|e| e.to_string())?
                .index_axis_move(Axis(0), 0);
            Ok(ConvMaps::Transposed {
                dims: trace.output_dims(),
                upsampled: planes(&trace.upsampled()),
                out_scale: ColorScale::fit(output.iter()),
                output: planes(&output),
            })
        } else {
            let params = convscope_core::Conv2dParams::default()
                .with_stride(self.stride)
                .with_padding(self.padding)
                .with_dilation(self.dilation)
                .with_groups(self.groups);
            let trace = ConvTrace::new(
                input.view(),
                0,
                weight.view(),
                None,
                params,
                self.activation.activation(),
            )
            .map_err(|e| e.to_string())?;
            let (pre, post) = trace.feature_maps();
            Ok(ConvMaps::Forward {
                dims: trace.output_dims(),
                pre_scale: ColorScale::fit(pre.iter()),
                post_scale: ColorScale::fit(post.iter()),
                pre: planes(&pre),
                post: planes(&post),
            })
        }
    }
}

/// Planes on the wire as one byte string: the plane count, each plane's length (`u64` little
/// endian) and then every value (`f32` little endian). bincode copies a byte string whole,
/// where a sequence of floats costs the page's thread a call per value (16 maps of 86×86,
/// before and after the activation, took it 2.5 ms).
mod plane_bytes {
    use std::rc::Rc;

    use serde::{Deserializer, Serializer, de};

    use super::Plane;

    pub fn serialize<S: Serializer>(planes: &[Plane], s: S) -> Result<S::Ok, S::Error> {
        let values: usize = planes.iter().map(|p| p.len()).sum();
        let mut bytes = Vec::with_capacity(8 * (1 + planes.len()) + 4 * values);
        bytes.extend_from_slice(&(planes.len() as u64).to_le_bytes());
        for p in planes {
            bytes.extend_from_slice(&(p.len() as u64).to_le_bytes());
        }
        for p in planes {
            for v in p.iter() {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
        s.serialize_bytes(&bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Plane>, D::Error> {
        struct Bytes;
        impl de::Visitor<'_> for Bytes {
            type Value = Vec<Plane>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("planes as bytes: a count, the lengths, the values")
            }
            fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<Vec<Plane>, E> {
                parse(b).ok_or_else(|| {
                    E::custom(format!(
                        "{} bytes are not planes (count, lengths, values)",
                        b.len()
                    ))
                })
            }
        }
        d.deserialize_bytes(Bytes)
    }

    fn take_len(b: &[u8]) -> Option<(usize, &[u8])> {
        let (head, rest) = b.split_first_chunk::<8>()?;
        Some((usize::try_from(u64::from_le_bytes(*head)).ok()?, rest))
    }

    /// The planes in `b`, or `None` when the counts and the bytes disagree.
    pub(super) fn parse(b: &[u8]) -> Option<Vec<Plane>> {
        let (count, mut rest) = take_len(b)?;
        if count > rest.len() / 8 {
            return None;
        }
        let mut lens = Vec::with_capacity(count);
        for _ in 0..count {
            let (len, r) = take_len(rest)?;
            lens.push(len);
            rest = r;
        }
        let mut planes = Vec::with_capacity(count);
        for len in lens {
            let (values, r) = rest.split_at_checked(len.checked_mul(4)?)?;
            rest = r;
            planes.push(Rc::new(
                values
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ));
        }
        rest.is_empty().then_some(planes)
    }
}
