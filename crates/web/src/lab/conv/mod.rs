//! The convolution lab's settings, the actions that change them, and the layer they describe
//! (through the core). One concern per file: `input`, `activation`, `calc` (the
//! calculator), `maps` (the full maps, the worker's job), `transposed`, `query` (the URL encoding); kernels and built-in images are
//! the leaves [`crate::lab::kernel`] and [`crate::lab::images`].

mod activation;
mod calc;
mod input;
mod maps;
mod query;
#[cfg(test)]
mod tests;
mod transposed;

pub use activation::ActivationChoice;
pub use calc::{CALC_NAMES, CalcInputs, CalcResult};
pub use input::InputSource;
pub use maps::{ConvMaps, MapsCache, MapsJob, Plane};
pub use transposed::{
    MAX_TRANSPOSED_VALUES, TransposedError, TransposedLab, transposed_display_step,
    transposed_size_check,
};

use convscope_core::{
    Conv2dGeometry, Conv2dParams, ConvTrace, ConvTranspose2dGeometry, ConvTranspose2dParams,
    ConvTransposeTrace, CoreError, ShapeError,
};
use ndarray::{Array3, Array4, Axis};

use super::images::{LECTURE_IMAGE, rgb_pattern};
use super::kernel::{Kernel, Preset};
use super::lenet::LenetChoice;
use super::player::{Player, PlayerAction};
use super::samples::{self, Dataset, LabSamples, SampleLoad};
use super::upload::{DEFAULT_UPLOAD_SIZE, Upload};
use crate::url::Query;

/// Sizes offered for the drawing grid.
pub const DRAW_SIZES: [usize; 6] = [5, 7, 8, 12, 16, 28];
/// The largest value of stride, padding, dilation, K and groups the controls accept.
pub const MAX_HYPER: usize = 16;

/// Everything the convolution lab's controls set.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvSettings {
    /// The input.
    pub input: InputSource,
    /// Side of the drawing grid.
    pub draw_size: usize,
    /// The drawing, `draw_size²` cells, row-major.
    pub drawn: Vec<bool>,
    /// Filter 0's kernel (filter k is it turned k·90°).
    pub kernel: Kernel,
    /// The preset the kernel came from, if unedited.
    pub preset: Option<Preset>,
    /// The LeNet filter the kernel came from, if unedited (its values are in `kernel`).
    pub lenet: Option<LenetChoice>,
    /// The uploaded image (kept in `localStorage` by the page, not in the URL).
    pub upload: Option<Upload>,
    /// The side an upload is resized to.
    pub upload_size: usize,
    /// The dataset samples, as far as they are loaded on this visit (not in the URL).
    pub samples: LabSamples,
    /// The step a link asked for, kept while the sample it counts in is loading (the
    /// lecture's image standing in has fewer steps).
    pub link_step: Option<usize>,
    /// S.
    pub stride: usize,
    /// P.
    pub padding: usize,
    /// Dilation.
    pub dilation: usize,
    /// K, the number of filters.
    pub filters: usize,
    /// Channel groups (groups = D1 = K: depthwise).
    pub groups: usize,
    /// The activation after the convolution.
    pub activation: ActivationChoice,
    /// Transposed convolution instead of the stepper.
    pub transposed: bool,
    /// The stepper's transport.
    pub player: Player,
    /// The output-size calculator's fields.
    pub calc: CalcInputs,
}

impl Default for ConvSettings {
    fn default() -> Self {
        let draw_size = 8;
        Self {
            input: InputSource::Lecture,
            draw_size,
            drawn: (0..draw_size * draw_size)
                .map(|i| {
                    let (y, x) = (i / draw_size, i % draw_size);
                    (2..6).contains(&y) && (x == 2 || x == 5)
                        || (y == 2 || y == 5) && (2..6).contains(&x)
                })
                .collect(),
            kernel: Preset::Lecture.kernel(),
            preset: Some(Preset::Lecture),
            lenet: None,
            upload: None,
            upload_size: DEFAULT_UPLOAD_SIZE,
            samples: LabSamples::default(),
            link_step: None,
            stride: 1,
            padding: 0,
            dilation: 1,
            filters: 1,
            groups: 1,
            activation: ActivationChoice::Sigmoid,
            transposed: false,
            player: Player::default(),
            calc: CalcInputs::default(),
        }
    }
}

/// What the lab's controls ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum ConvAction {
    /// Another input.
    Input(InputSource),
    /// Another drawing-grid size (the drawing is resampled).
    DrawSize(usize),
    /// Set one drawing cell.
    Paint(usize, bool),
    /// Clear the drawing.
    ClearDrawing,
    /// A new kernel (edited).
    Kernel(Kernel),
    /// A preset kernel.
    Preset(Preset),
    /// S.
    Stride(usize),
    /// P.
    Padding(usize),
    /// Dilation.
    Dilation(usize),
    /// K.
    Filters(usize),
    /// Groups.
    Groups(usize),
    /// The activation.
    Activation(ActivationChoice),
    /// Transposed mode on or off.
    Transposed(bool),
    /// The stepper.
    Player(PlayerAction),
    /// Jump to the step of output cell `[k, y, x]`.
    JumpTo([usize; 3]),
    /// A calculator field changed (index into `[W, F, S, P, D]`).
    Calc(usize, String),
    /// A freshly decoded upload: kept, and made the input.
    Uploaded(Upload),
    /// An upload kept without changing the input: the stored one restored on load (the
    /// input stays what the URL says), or the kept file decoded again at a new size.
    RestoreUpload(Upload),
    /// Another upload size. The kept image is resampled at once; the page re-decodes the
    /// file instead when it still has its bytes (sharper) and sends [`ConvAction::Uploaded`].
    UploadSize(usize),
    /// A LeNet conv1 filter as the kernel (values read from the model file).
    LenetFilter(LenetChoice, Kernel),
    /// How loading a dataset's samples goes (the page fetches the file).
    Samples(Dataset, SampleLoad),
    /// The URL's query changed (a pasted or followed link): every URL setting is re-read;
    /// the upload and the samples, which are not in the URL, are kept.
    Query(Query),
}

/// The lab's stepper: the input and the core's trace (cheap: it copies the input and the
/// weight and validates the layer; each step is computed when asked). The full maps are the
/// worker's ([`MapsJob`]).
#[derive(Debug, Clone)]
pub struct ConvLab {
    /// The input `[D1, H, W]`.
    pub input: Array3<f32>,
    /// The trace the stepper walks.
    pub trace: ConvTrace,
}

/// The lecture's 5×5 image as an input `[1, 1, 5, 5]` (also the stand-in for an upload or
/// a sample that is not there).
fn lecture() -> Array4<f32> {
    Array4::from_shape_fn((1, 1, 5, 5), |(_, _, y, x)| LECTURE_IMAGE[y][x])
}

impl ConvSettings {
    /// Whether `other` steps over the same frame: the same input, the same windows, the same
    /// sizes and modes, so that step `i` is the same window and output cell in both. Only
    /// the values may differ: the kernel's weights (typed, a preset, a LeNet filter of the
    /// same size) and the activation. The step and the calculator are not compared.
    pub fn same_frame(&self, other: &Self) -> bool {
        // Destructured: a new setting must be sorted into one kind or the other to compile.
        let Self {
            input,
            draw_size,
            drawn,
            kernel,
            preset: _,
            lenet: _,
            upload,
            upload_size,
            samples,
            link_step: _,
            stride,
            padding,
            dilation,
            filters,
            groups,
            activation: _,
            transposed,
            player: _,
            calc: _,
        } = self;
        *input == other.input
            && *draw_size == other.draw_size
            && *drawn == other.drawn
            && kernel.size == other.kernel.size
            && *upload == other.upload
            && *upload_size == other.upload_size
            && *samples == other.samples
            && *stride == other.stride
            && *padding == other.padding
            && *dilation == other.dilation
            && *filters == other.filters
            && *groups == other.groups
            && *transposed == other.transposed
    }

    /// Applies an action, keeping the step inside the (possibly new) stepper.
    pub fn apply(&mut self, action: ConvAction) {
        // A link's step waits for its sample, unless something else happens first.
        let link_step = self.link_step.take();
        match action {
            ConvAction::Input(i) => self.input = i,
            ConvAction::DrawSize(n) => {
                let n = n.clamp(2, 64);
                self.drawn =
                    convscope_core::preprocess::resize_nearest(&self.drawn, self.draw_size, n);
                self.draw_size = n;
            }
            ConvAction::Paint(i, on) => {
                if let Some(c) = self.drawn.get_mut(i) {
                    *c = on;
                }
            }
            ConvAction::ClearDrawing => self.drawn.iter_mut().for_each(|c| *c = false),
            ConvAction::Kernel(k) => {
                self.preset = None;
                self.lenet = None;
                self.kernel = k;
            }
            ConvAction::Preset(p) => {
                self.preset = Some(p);
                self.lenet = None;
                self.kernel = p.kernel();
            }
            ConvAction::LenetFilter(choice, k) => {
                self.preset = None;
                self.lenet = Some(choice);
                self.kernel = k;
            }
            ConvAction::Uploaded(u) => {
                self.upload_size = u.size;
                self.upload = Some(u);
                self.input = InputSource::Upload;
            }
            ConvAction::RestoreUpload(u) => {
                self.upload_size = u.size;
                self.upload = Some(u);
            }
            ConvAction::UploadSize(n) => {
                let n = n.clamp(1, 64);
                self.upload_size = n;
                if let Some(u) = &mut self.upload
                    && u.size != n
                {
                    *u = u.resampled(n);
                }
            }
            ConvAction::Samples(d, load) => {
                self.samples.set(d, load);
                if let Some(step) = link_step {
                    self.take_link_step(step);
                }
            }
            ConvAction::Query(q) => {
                let upload = self.upload.take();
                let upload_size = self.upload_size;
                let samples = std::mem::take(&mut self.samples);
                *self = ConvSettings::from_query(&q);
                self.upload = upload;
                self.upload_size = upload_size;
                self.samples = samples;
                // The step the link asks for, now that the upload (and so the size) is back.
                let step = q.number("i", usize::MAX).unwrap_or(0);
                self.take_link_step(step);
            }
            ConvAction::Stride(v) => self.stride = v.min(MAX_HYPER),
            ConvAction::Padding(v) => self.padding = v.min(MAX_HYPER),
            ConvAction::Dilation(v) => self.dilation = v.min(MAX_HYPER),
            ConvAction::Filters(v) => self.filters = v.min(MAX_HYPER),
            ConvAction::Groups(v) => self.groups = v.min(MAX_HYPER),
            ConvAction::Activation(a) => self.activation = a,
            ConvAction::Transposed(t) => self.transposed = t,
            ConvAction::Player(a) => {
                let len = self.step_count();
                self.player.apply(a, len);
            }
            ConvAction::Calc(i, v) => {
                if let Some(f) = self.calc.fields.get_mut(i) {
                    *f = CalcInputs::as_typed(&v);
                }
            }
            ConvAction::JumpTo([k, y, x]) => {
                let shape = if self.transposed {
                    self.transposed_geometry().map(|g| g.output_shape())
                } else {
                    self.geometry().map(|g| g.output_shape())
                };
                if let Ok([_, _, h, w]) = shape {
                    let index = (k * h + y) * w + x;
                    let len = self.step_count();
                    self.player.apply(PlayerAction::To(index), len);
                }
            }
        }
        let len = self.step_count();
        self.player.clamp(len);
    }

    /// Goes to a link's step, or keeps it for later while the link's sample is loading.
    fn take_link_step(&mut self, step: usize) {
        if matches!(
            self.sample_missing(),
            Some((_, SampleLoad::Idle | SampleLoad::Loading))
        ) {
            self.link_step = Some(step);
        } else {
            let len = self.step_count();
            self.player.apply(PlayerAction::To(step), len);
        }
    }

    /// The input tensor `[1, D1, H, W]`.
    pub fn input_tensor(&self) -> Array4<f32> {
        match self.input {
            InputSource::Lecture => lecture(),
            InputSource::Drawn => {
                let n = self.draw_size;
                Array4::from_shape_fn((1, 1, n, n), |(_, _, y, x)| {
                    if self.drawn.get(y * n + x).copied().unwrap_or(false) {
                        1.0
                    } else {
                        0.0
                    }
                })
            }
            InputSource::Rgb => rgb_pattern(),
            InputSource::Sample(d, i) => match self.samples.ready(d) {
                Some(s) => {
                    Array4::from_shape_fn((1, 1, samples::SIDE, samples::SIDE), |(_, _, y, x)| {
                        s.value(i, y, x)
                    })
                }
                None => lecture(),
            },
            InputSource::Upload => match &self.upload {
                Some(u) => {
                    Array4::from_shape_fn((1, 1, u.size, u.size), |(_, _, y, x)| u.value(y, x))
                }
                None => lecture(),
            },
        }
    }

    /// `[D1, H, W]` of the input, without building it.
    pub fn input_dims(&self) -> [usize; 3] {
        match (&self.input, &self.upload) {
            (InputSource::Lecture, _) | (InputSource::Upload, None) => [1, 5, 5],
            (InputSource::Drawn, _) => [1, self.draw_size, self.draw_size],
            (InputSource::Rgb, _) => [3, 8, 8],
            (InputSource::Sample(d, _), _) if self.samples.ready(*d).is_none() => [1, 5, 5],
            (InputSource::Sample(..), _) => [1, samples::SIDE, samples::SIDE],
            (InputSource::Upload, Some(u)) => [1, u.size, u.size],
        }
    }

    /// D1 of the current input.
    pub fn depth(&self) -> usize {
        if self.input == InputSource::Rgb { 3 } else { 1 }
    }

    /// The layer's hyper-parameters for the core.
    pub fn params(&self) -> Conv2dParams {
        Conv2dParams::default()
            .with_stride(self.stride)
            .with_padding(self.padding)
            .with_dilation(self.dilation)
            .with_groups(self.groups)
    }

    /// `[K, D1/groups, F, F]` of the weight, without building it.
    pub fn weight_dims(&self) -> [usize; 4] {
        let per_group = self
            .depth()
            .checked_div(self.groups)
            .map_or(self.depth(), |n| n.max(1));
        let f = self.kernel.size;
        [self.filters, per_group, f, f]
    }

    /// The weight `[K, D1/groups, F, F]`: filter k is the kernel turned k·90°, the same
    /// on every input channel it sees.
    pub fn weight_tensor(&self) -> Array4<f32> {
        let [k, per_group, f, _] = self.weight_dims();
        let turned: Vec<Kernel> = (0..4).map(|q| self.kernel.rotated(q)).collect();
        Array4::from_shape_fn((k, per_group, f, f), |(k, _, y, x)| {
            turned[k % 4].values[y * f + x]
        })
    }

    /// The validated geometry (or the core's reason it is invalid).
    ///
    /// # Errors
    /// The core's [`convscope_core::ShapeError`], as a [`CoreError`].
    /// From the dimensions alone: every action (each step of a playing stepper) asks for it,
    /// and building the input and weight tensors for their shapes cost an upload's copy.
    pub fn geometry(&self) -> Result<Conv2dGeometry, CoreError> {
        let [d, h, w] = self.input_dims();
        Ok(Conv2dGeometry::from_shapes(
            [1, d, h, w],
            self.weight_dims(),
            self.params(),
        )?)
    }

    /// Whether the upload input is chosen but no image is kept (the lecture's image stands
    /// in, and the page says so).
    pub fn upload_missing(&self) -> bool {
        self.input == InputSource::Upload && self.upload.is_none()
    }

    /// The dataset whose samples the input wants, when they are not ready (the lecture's
    /// image stands in, and the page says why), with how their load goes.
    pub fn sample_missing(&self) -> Option<(Dataset, &SampleLoad)> {
        match self.input {
            InputSource::Sample(d, _) if self.samples.ready(d).is_none() => {
                Some((d, self.samples.load(d)))
            }
            _ => None,
        }
    }

    /// The dataset whose sample file the page must fetch now (a sample of it is the input,
    /// and it was not asked for yet on this visit).
    pub fn samples_to_fetch(&self) -> Option<Dataset> {
        let wanted = match self.input {
            InputSource::Sample(d, _) => Some(d),
            _ => None,
        };
        self.samples.to_fetch(wanted)
    }

    /// Steps of the stepper (0 when the settings are invalid, or too large to draw in
    /// transposed mode).
    pub fn step_count(&self) -> usize {
        if self.transposed {
            return self
                .transposed_geometry()
                .ok()
                .filter(|g| transposed_size_check(g).is_ok())
                .map_or(0, |g| g.output_shape()[1..].iter().product());
        }
        self.geometry()
            .map(|g| g.output_shape()[1..].iter().product())
            .unwrap_or(0)
    }

    /// The stepper: the input and the core's trace.
    ///
    /// # Errors
    /// The core's error when the settings are invalid.
    pub fn build(&self) -> Result<ConvLab, CoreError> {
        let input = self.input_tensor();
        let trace = ConvTrace::new(
            input.view(),
            0,
            self.weight_tensor().view(),
            None,
            self.params(),
            self.activation.activation(),
        )?;
        Ok(ConvLab {
            input: input.index_axis_move(Axis(0), 0),
            trace,
        })
    }

    /// The whole layer for the worker, forward or transposed as the mode says ([`MapsJob::run`]
    /// computes the maps the stage draws).
    pub fn maps_job(&self) -> MapsJob {
        let input = self.input_tensor();
        let weight = if self.transposed {
            self.transposed_weight()
        } else {
            self.weight_tensor()
        };
        let dims = |a: &[usize]| [a[0], a[1], a[2], a[3]];
        let [_, c, h, w] = dims(input.shape());
        MapsJob {
            input_dims: [c, h, w],
            input: input.iter().copied().collect(),
            weight_dims: dims(weight.shape()),
            weight: weight.iter().copied().collect(),
            stride: self.stride,
            padding: self.padding,
            dilation: self.dilation,
            groups: self.groups,
            activation: self.activation,
            transposed: self.transposed,
        }
    }

    /// The transposed layer: input, weight `[D1, K/groups, F, F]` (filter k is the kernel
    /// turned k·90°, as in the forward path) and hyper-parameters.
    ///
    /// # Errors
    /// When K does not split into the groups (the output depth shown is K).
    fn transposed_parts(
        &self,
    ) -> Result<(Array4<f32>, Array4<f32>, ConvTranspose2dParams), CoreError> {
        let input = self.input_tensor();
        // K filters in `groups` groups: the output depth is K, so K must split evenly (as
        // in the forward path); otherwise the volume shown would not be the core's.
        if self.groups > 0 && !self.filters.is_multiple_of(self.groups) {
            return Err(ShapeError::GroupsDoNotDivide {
                op: "conv_transpose2d",
                groups: self.groups,
                channels: self.filters,
                what: "filters",
            }
            .into());
        }
        let weight = self.transposed_weight();
        let params = ConvTranspose2dParams::default()
            .with_stride(self.stride)
            .with_padding(self.padding)
            .with_dilation(self.dilation)
            .with_groups(self.groups);
        Ok((input, weight, params))
    }

    /// The transposed weight `[D1, K/groups, F, F]`: filter k is the kernel turned k·90°.
    fn transposed_weight(&self) -> Array4<f32> {
        // groups = 0 is left to the core, which names it.
        let per_group = self
            .filters
            .checked_div(self.groups)
            .unwrap_or(self.filters);
        let f = self.kernel.size;
        let turned: Vec<Kernel> = (0..4).map(|q| self.kernel.rotated(q)).collect();
        Array4::from_shape_fn((self.depth(), per_group, f, f), |(_, k, y, x)| {
            turned[k % 4].values[y * f + x]
        })
    }

    /// The validated transposed geometry.
    ///
    /// # Errors
    /// As [`ConvSettings::build_transposed`].
    pub fn transposed_geometry(&self) -> Result<ConvTranspose2dGeometry, CoreError> {
        let (input, weight, params) = self.transposed_parts()?;
        let dims = |a: &[usize]| [a[0], a[1], a[2], a[3]];
        Ok(ConvTranspose2dGeometry::from_shapes(
            dims(input.shape()),
            dims(weight.shape()),
            params,
        )?)
    }

    /// The transposed stepper: the input and the core's trace, refused when its pictures
    /// would be too large to draw.
    ///
    /// # Errors
    /// The core's error when the settings are invalid; [`TransposedError::TooLarge`] when
    /// the output or the upsampled input would hold more than [`MAX_TRANSPOSED_VALUES`].
    pub fn build_transposed(&self) -> Result<TransposedLab, TransposedError> {
        let (input, weight, params) = self.transposed_parts()?;
        // The trace only validates and keeps copies of the (small) input and weight.
        let trace = ConvTransposeTrace::new(input.view(), 0, weight.view(), None, params)?;
        transposed_size_check(trace.geometry())?;
        Ok(TransposedLab {
            input: input.index_axis_move(Axis(0), 0),
            trace,
        })
    }
}
