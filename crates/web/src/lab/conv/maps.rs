//! The lab's full feature maps, computed off the page's thread: the page builds a
//! [`MapsJob`] (the layer's input, weight and settings, a few kilobytes), the web worker runs
//! it ([`MapsJob::run`]) and answers [`ConvMaps`]. The page's thread keeps only the trace,
//! whose single steps cost nanoseconds.
//!
//! The worker keeps the last job's maps ([`MapsCache`]) and sends the page only the planes
//! it draws ([`ConvMaps::pick`]): with the stepper on map k, maps 0 to k (the stack, filled up
//! to the current cell) and map k after the activation. A 64×64 input with F = 11, P = 16 and
//! K = 16 has 2 × 16 maps of 86×86, about a megabyte; with the stepper on map 0 the page is
//! sent 59 KB of it, and moving on to map 1 costs one more small answer from the kept maps.
//!
//! Every value comes from the core's trace arithmetic, so a map's cell equals, bitwise, the
//! value the stepper shows for it.

use convscope_core::{ConvTrace, ConvTranspose2dParams, ConvTransposeTrace};
use std::rc::Rc;

use ndarray::{Array3, Array4};
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
    #[serde(with = "crate::wire::floats")]
    pub input: Vec<f32>,
    /// Forward: `[K, D1/groups, F, F]`; transposed: `[D1, K/groups, F, F]`.
    pub weight_dims: [usize; 4],
    /// The weight, row-major.
    #[serde(with = "crate::wire::floats")]
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
        #[serde(with = "crate::wire::planes")]
        pre: Vec<Plane>,
        /// After the activation.
        #[serde(with = "crate::wire::planes")]
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
        #[serde(with = "crate::wire::planes")]
        upsampled: Vec<Plane>,
        /// The output, one plane per map.
        #[serde(with = "crate::wire::planes")]
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

    /// The planes the page draws with the stepper on output map `k`: the output stack's maps
    /// `0..=k` (before the activation in forward mode), map k after the activation, and every
    /// upsampled input plane (transposed mode). The others are left empty (not sent); the
    /// scales stay those of all maps.
    pub fn pick(&self, k: usize) -> Self {
        let keep = |planes: &[Plane], wanted: &dyn Fn(usize) -> bool| -> Vec<Plane> {
            planes
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    if wanted(i) {
                        p.clone()
                    } else {
                        Plane::default()
                    }
                })
                .collect()
        };
        match self {
            Self::Forward {
                dims,
                pre,
                post,
                pre_scale,
                post_scale,
            } => Self::Forward {
                dims: *dims,
                pre: keep(pre, &|i| i <= k),
                post: keep(post, &|i| i == k),
                pre_scale: *pre_scale,
                post_scale: *post_scale,
            },
            Self::Transposed {
                dims,
                upsampled,
                output,
                out_scale,
            } => Self::Transposed {
                dims: *dims,
                upsampled: upsampled.clone(),
                output: keep(output, &|i| i <= k),
                out_scale: *out_scale,
            },
        }
    }

    /// Whether these maps hold every plane the page draws with the stepper on map `k` (what
    /// [`Self::pick`]`(k)` keeps; a map is never empty, so an empty plane was not sent).
    pub fn covers(&self, k: usize) -> bool {
        let sent = |planes: &[Plane], i: usize| planes.get(i).is_some_and(|p| !p.is_empty());
        match self {
            Self::Forward { pre, post, .. } => (0..=k).all(|i| sent(pre, i)) && sent(post, k),
            Self::Transposed { output, .. } => (0..=k).all(|i| sent(output, i)),
        }
    }
}

/// The worker's last job and its maps (or the reason it has none), with how long they took:
/// the page asking for other planes of the same job is answered without computing again.
#[derive(Debug, Default)]
pub struct MapsCache {
    last: Option<(MapsJob, Result<ConvMaps, String>, Option<f64>)>,
}

impl MapsCache {
    /// The planes of `job` for the stepper on map `k` ([`ConvMaps::pick`]) or
    /// [`MapsJob::run`]'s reason, and how long computing the maps took (milliseconds, measured
    /// by `clock`); the job is run only when it is not the last one.
    pub fn answer(
        &mut self,
        job: MapsJob,
        k: usize,
        clock: impl Fn() -> Option<f64>,
    ) -> (Result<ConvMaps, String>, Option<f64>) {
        let (_, maps, millis) = match self.last.take() {
            Some(last) if last.0 == job => self.last.insert(last),
            _ => {
                let start = clock();
                let maps = job.run();
                let millis = start.zip(clock()).map(|(a, b)| b - a);
                self.last.insert((job, maps, millis))
            }
        };
        (
            maps.as_ref().map(|m| m.pick(k)).map_err(Clone::clone),
            *millis,
        )
    }
}

/// The colour scale of a stack of maps: over its memory when contiguous (the core's fast
/// path; these come from the core's loops, contiguous), else value by value.
fn scale_of(maps: &Array3<f32>) -> ColorScale {
    maps.as_slice()
        .map_or_else(|| ColorScale::fit(maps.iter()), ColorScale::fit_slice)
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
            // The steps' numbers, bitwise.
            let output = trace.output();
            Ok(ConvMaps::Transposed {
                dims: trace.output_dims(),
                upsampled: planes(&trace.upsampled()),
                out_scale: scale_of(&output),
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
                pre_scale: scale_of(&pre),
                post_scale: scale_of(&post),
                pre: planes(&pre),
                post: planes(&post),
            })
        }
    }
}
