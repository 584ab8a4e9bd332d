//! The convolution lab's settings and what they compute (through the core).

use convscope_core::{
    Activation, Conv2dGeometry, Conv2dParams, ConvStep, ConvTap, ConvTrace,
    ConvTranspose2dGeometry, ConvTranspose2dParams, ConvTransposeStep, ConvTransposeTrace,
    CoreError, ShapeError, Stepper, conv_transpose2d_reference, conv2d_reference,
};
use ndarray::{Array3, Array4, Axis};

use super::lenet::LenetChoice;
use super::player::{Player, PlayerAction};
use super::samples::{self, Dataset};
use super::upload::{DEFAULT_UPLOAD_SIZE, Upload};

/// The lecture's 5×5 binary image.
pub const LECTURE_IMAGE: [[f32; 5]; 5] = [
    [1.0, 1.0, 1.0, 0.0, 0.0],
    [0.0, 1.0, 1.0, 1.0, 0.0],
    [0.0, 0.0, 1.0, 1.0, 1.0],
    [0.0, 0.0, 1.0, 1.0, 0.0],
    [0.0, 1.0, 1.0, 0.0, 0.0],
];

/// The largest editable kernel.
pub const MAX_KERNEL: usize = 11;
/// Sizes offered for the drawing grid.
pub const DRAW_SIZES: [usize; 6] = [5, 7, 8, 12, 16, 28];
/// The largest value of stride, padding, dilation, K and groups the controls accept.
pub const MAX_HYPER: usize = 16;
/// The most values transposed mode computes and draws, over all output maps (and again
/// over all upsampled input maps). The largest settings the controls accept would give
/// 16 maps of 1169×1169 (64×64 upload, S = D = K = 16, F = 11): about 22 million values,
/// seconds of work on the page's thread and a canvas too large to read.
///
/// The forward mode needs no such cap: its output shrinks. At most 16 maps of
/// (64 + 2·16)² = 96² cells (an upload, P = 16, F = 1), 147,456 values.
pub const MAX_TRANSPOSED_VALUES: usize = 1_000_000;

/// Where the lab's input comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputSource {
    /// The lecture's 5×5 binary image.
    Lecture,
    /// The user's drawing on a small grid.
    Drawn,
    /// A built-in 8×8 RGB pattern (D1 = 3).
    Rgb,
    /// A dataset sample (MNIST or Fashion-MNIST), index into its sample set.
    Sample(Dataset, usize),
    /// The user's uploaded image ([`ConvSettings::upload`]; the lecture's image while
    /// there is none).
    Upload,
}

impl InputSource {
    /// Short key for the URL.
    pub fn key(self) -> String {
        match self {
            Self::Lecture => "lecture".into(),
            Self::Drawn => "draw".into(),
            Self::Rgb => "rgb".into(),
            Self::Sample(d, i) => format!("{}{}", d.key(), i),
            Self::Upload => "upload".into(),
        }
    }

    /// Parses [`InputSource::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "lecture" => Some(Self::Lecture),
            "draw" => Some(Self::Drawn),
            "rgb" => Some(Self::Rgb),
            "upload" => Some(Self::Upload),
            _ => Dataset::ALL.into_iter().find_map(|d| {
                let i = key.strip_prefix(d.key())?.parse().ok()?;
                (i < d.len()).then_some(Self::Sample(d, i))
            }),
        }
    }

    /// Human name.
    pub fn label(self) -> String {
        match self {
            Self::Lecture => "The lecture's 5×5 image".into(),
            Self::Drawn => "Your drawing".into(),
            Self::Rgb => "RGB pattern 8×8×3".into(),
            Self::Sample(d, i) => format!("{} sample: {}", d.name(), d.class_name(i)),
            Self::Upload => "Your image (upload)".into(),
        }
    }
}

/// A square kernel, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Kernel {
    /// F.
    pub size: usize,
    /// F·F weights, row by row.
    pub values: Vec<f32>,
}

impl Kernel {
    /// A kernel from rows.
    pub fn from_rows<const N: usize>(rows: [[f32; N]; N]) -> Self {
        Self {
            size: N,
            values: rows.iter().flatten().copied().collect(),
        }
    }

    /// The same kernel resized to `size`, centred (cropped or padded with zeros).
    pub fn resized(&self, size: usize) -> Self {
        let size = size.clamp(1, MAX_KERNEL);
        let mut values = vec![0.0; size * size];
        // Offset of the old kernel inside the new one (may be negative: cropping).
        let off = (size as isize - self.size as isize).div_euclid(2);
        for y in 0..self.size {
            for x in 0..self.size {
                let (ny, nx) = (y as isize + off, x as isize + off);
                if (0..size as isize).contains(&ny) && (0..size as isize).contains(&nx) {
                    values[ny as usize * size + nx as usize] = self.values[y * self.size + x];
                }
            }
        }
        Self { size, values }
    }

    /// The kernel turned `quarter_turns` × 90° clockwise.
    pub fn rotated(&self, quarter_turns: usize) -> Self {
        let n = self.size;
        let mut k = self.clone();
        for _ in 0..quarter_turns % 4 {
            let mut v = vec![0.0; n * n];
            for y in 0..n {
                for x in 0..n {
                    v[x * n + (n - 1 - y)] = k.values[y * n + x];
                }
            }
            k.values = v;
        }
        k
    }
}

/// Named kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// The lecture's [[1,0,1],[0,1,0],[1,0,1]].
    Lecture,
    /// Identity.
    Identity,
    /// Box blur (all ones / 9).
    BoxBlur,
    /// Gaussian blur (binomial / 16).
    Gaussian,
    /// Sharpen.
    Sharpen,
    /// Sobel, horizontal gradient.
    SobelX,
    /// Sobel, vertical gradient.
    SobelY,
    /// Laplacian.
    Laplacian,
    /// Emboss.
    Emboss,
}

impl Preset {
    /// Every preset, in menu order.
    pub const ALL: [Preset; 9] = [
        Preset::Lecture,
        Preset::Identity,
        Preset::BoxBlur,
        Preset::Gaussian,
        Preset::Sharpen,
        Preset::SobelX,
        Preset::SobelY,
        Preset::Laplacian,
        Preset::Emboss,
    ];

    /// Short key.
    pub fn key(self) -> &'static str {
        match self {
            Self::Lecture => "lecture",
            Self::Identity => "identity",
            Self::BoxBlur => "box",
            Self::Gaussian => "gauss",
            Self::Sharpen => "sharpen",
            Self::SobelX => "sobelx",
            Self::SobelY => "sobely",
            Self::Laplacian => "laplace",
            Self::Emboss => "emboss",
        }
    }

    /// Parses [`Preset::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }

    /// Menu label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Lecture => "Lecture [[1,0,1],[0,1,0],[1,0,1]]",
            Self::Identity => "Identity",
            Self::BoxBlur => "Box blur (1/9)",
            Self::Gaussian => "Gaussian blur (1/16)",
            Self::Sharpen => "Sharpen",
            Self::SobelX => "Sobel x",
            Self::SobelY => "Sobel y",
            Self::Laplacian => "Laplacian",
            Self::Emboss => "Emboss",
        }
    }

    /// The 3×3 kernel.
    pub fn kernel(self) -> Kernel {
        let n = 1.0 / 9.0;
        let g = 1.0 / 16.0;
        Kernel::from_rows(match self {
            Self::Lecture => [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]],
            Self::Identity => [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]],
            Self::BoxBlur => [[n; 3]; 3],
            Self::Gaussian => [
                [g, 2.0 * g, g],
                [2.0 * g, 4.0 * g, 2.0 * g],
                [g, 2.0 * g, g],
            ],
            Self::Sharpen => [[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]],
            Self::SobelX => [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]],
            Self::SobelY => [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]],
            Self::Laplacian => [[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]],
            Self::Emboss => [[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]],
        })
    }
}

/// The activation after the convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivationChoice {
    /// None.
    Identity,
    /// ReLU.
    Relu,
    /// Leaky ReLU, slope 0.1.
    LeakyRelu,
    /// Sigmoid (the lecture's).
    Sigmoid,
    /// tanh.
    Tanh,
}

impl ActivationChoice {
    /// Every choice, in menu order.
    pub const ALL: [ActivationChoice; 5] = [
        Self::Sigmoid,
        Self::Relu,
        Self::LeakyRelu,
        Self::Tanh,
        Self::Identity,
    ];
    /// The leaky ReLU slope shown (PyTorch's default 0.01 would be invisible on a plot).
    pub const LEAKY_SLOPE: f32 = 0.1;

    /// The core's activation.
    pub fn activation(self) -> Activation {
        match self {
            Self::Identity => Activation::Identity,
            Self::Relu => Activation::Relu,
            Self::LeakyRelu => Activation::LeakyRelu {
                slope: Self::LEAKY_SLOPE,
            },
            Self::Sigmoid => Activation::Sigmoid,
            Self::Tanh => Activation::Tanh,
        }
    }

    /// Short key.
    pub fn key(self) -> &'static str {
        match self {
            Self::Identity => "none",
            Self::Relu => "relu",
            Self::LeakyRelu => "leaky",
            Self::Sigmoid => "sigmoid",
            Self::Tanh => "tanh",
        }
    }

    /// Parses [`ActivationChoice::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key)
    }

    /// Menu label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Identity => "none (identity)",
            Self::Relu => "ReLU",
            Self::LeakyRelu => "leaky ReLU (0.1)",
            Self::Sigmoid => "sigmoid",
            Self::Tanh => "tanh",
        }
    }

    /// The formula, for the panel.
    pub fn formula(self) -> &'static str {
        match self {
            Self::Identity => "f(x) = x",
            Self::Relu => "ReLU(x) = max(0, x)",
            Self::LeakyRelu => "leaky(x) = x if x > 0 else 0.1·x",
            Self::Sigmoid => "sigmoid(x) = 1 / (1 + exp(−x))",
            Self::Tanh => "tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)",
        }
    }
}

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

/// The output-size calculator's fields W, F, S, P, dilation, as typed (digits only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalcInputs {
    /// `[W, F, S, P, D]`.
    pub fields: [String; 5],
}

impl Default for CalcInputs {
    /// The lecture's AlexNet CONV1: W = 227, F = 11, S = 4, P = 0.
    fn default() -> Self {
        Self {
            fields: ["227", "11", "4", "0", "1"].map(String::from),
        }
    }
}

/// The calculator's parsed result, from the core.
#[derive(Debug, Clone, PartialEq)]
pub enum CalcResult {
    /// A field is empty or not a number: its name.
    Missing(&'static str),
    /// The core's explained output size.
    Size(convscope_core::OutputSize),
    /// The core's reason the setting is invalid.
    Invalid(convscope_core::ShapeError),
}

/// The calculator's field names.
pub const CALC_NAMES: [&str; 5] = ["W", "F", "S", "P", "D"];

impl CalcInputs {
    /// The numbers, or the first field that is not one.
    pub fn numbers(&self) -> Result<[usize; 5], &'static str> {
        let mut out = [0; 5];
        for (i, f) in self.fields.iter().enumerate() {
            out[i] = f.trim().parse().map_err(|_| CALC_NAMES[i])?;
        }
        Ok(out)
    }

    /// Runs the core's explained output size.
    pub fn result(&self) -> CalcResult {
        match self.numbers() {
            Err(name) => CalcResult::Missing(name),
            Ok([w, f, s, p, d]) => {
                match convscope_core::conv_output_size_explained(w, f, s, p, d) {
                    Ok(o) => CalcResult::Size(o),
                    Err(e) => CalcResult::Invalid(e),
                }
            }
        }
    }
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
    /// The URL's query changed (a pasted or followed link): every URL setting is re-read;
    /// the upload, which is not in the URL, is kept.
    Query(String),
}

/// The computed lab: the trace and the feature maps, all from the core.
#[derive(Debug, Clone)]
pub struct ConvLab {
    /// The input `[1, D1, H, W]`.
    pub input: Array4<f32>,
    /// The trace the stepper walks.
    pub trace: ConvTrace,
    /// The convolution before the activation `[K, H2, W2]`.
    pub pre: Array3<f32>,
    /// After the activation `[K, H2, W2]`.
    pub post: Array3<f32>,
}

impl ConvSettings {
    /// Applies an action, keeping the step inside the (possibly new) stepper.
    pub fn apply(&mut self, action: ConvAction) {
        match action {
            ConvAction::Input(i) => self.input = i,
            ConvAction::DrawSize(n) => {
                let n = n.clamp(2, 64);
                let old = self.draw_size;
                self.drawn = (0..n * n)
                    .map(|i| {
                        let (y, x) = (i / n * old / n, i % n * old / n);
                        self.drawn.get(y * old + x).copied().unwrap_or(false)
                    })
                    .collect();
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
            ConvAction::Query(q) => {
                let upload = self.upload.take();
                let upload_size = self.upload_size;
                *self = ConvSettings::from_query(&q);
                self.upload = upload;
                self.upload_size = upload_size;
                // The step the link asks for, now that the upload (and so the size) is back.
                let step = super::query::pairs(&q)
                    .into_iter()
                    .find(|(k, _)| *k == "i")
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                let len = self.step_count();
                self.player.apply(PlayerAction::To(step), len);
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
                    *f = CalcInputs::sanitize(&v);
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

    /// The input tensor `[1, D1, H, W]`.
    pub fn input_tensor(&self) -> Array4<f32> {
        match self.input {
            InputSource::Lecture => {
                Array4::from_shape_fn((1, 1, 5, 5), |(_, _, y, x)| LECTURE_IMAGE[y][x])
            }
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
            InputSource::Sample(d, i) => {
                let px = d.pixels(i);
                Array4::from_shape_fn((1, 1, samples::SIDE, samples::SIDE), |(_, _, y, x)| {
                    f32::from(px[y * samples::SIDE + x]) / 255.0
                })
            }
            InputSource::Upload => match &self.upload {
                Some(u) => {
                    Array4::from_shape_fn((1, 1, u.size, u.size), |(_, _, y, x)| u.value(y, x))
                }
                None => Array4::from_shape_fn((1, 1, 5, 5), |(_, _, y, x)| LECTURE_IMAGE[y][x]),
            },
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

    /// The weight `[K, D1/groups, F, F]`: filter k is the kernel turned k·90°, the same
    /// on every input channel it sees.
    pub fn weight_tensor(&self) -> Array4<f32> {
        let per_group = self
            .depth()
            .checked_div(self.groups)
            .map_or(self.depth(), |n| n.max(1));
        let f = self.kernel.size;
        let turned: Vec<Kernel> = (0..4).map(|q| self.kernel.rotated(q)).collect();
        Array4::from_shape_fn((self.filters, per_group, f, f), |(k, _, y, x)| {
            turned[k % 4].values[y * f + x]
        })
    }

    /// The validated geometry (or the core's reason it is invalid).
    ///
    /// # Errors
    /// The core's [`convscope_core::ShapeError`], as a [`CoreError`].
    pub fn geometry(&self) -> Result<Conv2dGeometry, CoreError> {
        let input = self.input_tensor();
        let weight = self.weight_tensor();
        let dims = |a: &[usize]| [a[0], a[1], a[2], a[3]];
        Ok(Conv2dGeometry::from_shapes(
            dims(input.shape()),
            dims(weight.shape()),
            self.params(),
        )?)
    }

    /// Whether the upload input is chosen but no image is kept (the lecture's image stands
    /// in, and the page says so).
    pub fn upload_missing(&self) -> bool {
        self.input == InputSource::Upload && self.upload.is_none()
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

    /// Runs the core: the trace and both feature maps.
    ///
    /// # Errors
    /// The core's error when the settings are invalid.
    pub fn build(&self) -> Result<ConvLab, CoreError> {
        let input = self.input_tensor();
        let weight = self.weight_tensor();
        let trace = ConvTrace::new(
            input.view(),
            0,
            weight.view(),
            None,
            self.params(),
            self.activation.activation(),
        )?;
        let pre = conv2d_reference(input.view(), weight.view(), None, self.params())?
            .index_axis_move(Axis(0), 0);
        let post = trace.output();
        debug_assert_eq!(trace.len(), post.len());
        Ok(ConvLab {
            input,
            trace,
            pre,
            post,
        })
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
        let d1 = self.depth();
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
        // groups = 0 is left to the core, which names it.
        let per_group = self
            .filters
            .checked_div(self.groups)
            .unwrap_or(self.filters);
        let f = self.kernel.size;
        let turned: Vec<Kernel> = (0..4).map(|q| self.kernel.rotated(q)).collect();
        let weight = Array4::from_shape_fn((d1, per_group, f, f), |(_, k, y, x)| {
            turned[k % 4].values[y * f + x]
        });
        let params = ConvTranspose2dParams::default()
            .with_stride(self.stride)
            .with_padding(self.padding)
            .with_dilation(self.dilation)
            .with_groups(self.groups);
        Ok((input, weight, params))
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

    /// The transposed convolution of the input with the same kernel: the core's trace (the
    /// stepper in transposed mode), the upsampled input and the output `[K, H2, W2]`.
    ///
    /// The output comes from the core's reference loop, not from the trace's per-step
    /// sums: the same numbers (the trace sums in the reference's order, so every step's
    /// value equals its output cell bitwise) at a fraction of the cost.
    ///
    /// # Errors
    /// The core's error when the settings are invalid; [`TransposedError::TooLarge`] when
    /// the output or the upsampled input would hold more than [`MAX_TRANSPOSED_VALUES`].
    pub fn build_transposed(&self) -> Result<TransposedLab, TransposedError> {
        let (input, weight, params) = self.transposed_parts()?;
        // The trace only validates and keeps copies of the (small) input and weight.
        let trace = ConvTransposeTrace::new(input.view(), 0, weight.view(), None, params)?;
        transposed_size_check(trace.geometry())?;
        let output = conv_transpose2d_reference(input.view(), weight.view(), None, params)?
            .index_axis_move(Axis(0), 0);
        let upsampled = trace.upsampled();
        Ok(TransposedLab {
            input: input.index_axis_move(Axis(0), 0),
            upsampled,
            output,
            trace,
        })
    }
}

/// Why transposed mode shows no stage.
#[derive(Debug, Clone, PartialEq)]
pub enum TransposedError {
    /// The core refuses the settings.
    Core(CoreError),
    /// Valid settings whose pictures would be too large to compute and draw.
    TooLarge {
        /// "output" or "upsampled input".
        what: &'static str,
        /// How many maps.
        maps: usize,
        /// `[H, W]` of each map.
        size: [usize; 2],
        /// What to lower.
        advice: &'static str,
    },
}

impl From<CoreError> for TransposedError {
    fn from(e: CoreError) -> Self {
        Self::Core(e)
    }
}

impl std::fmt::Display for TransposedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Core(e) => e.fmt(f),
            Self::TooLarge {
                what,
                maps,
                size: [h, w],
                advice,
            } => write!(
                f,
                "the {what} would be {maps} map{} of {h}×{w} = {} values; at most {} are drawn — {advice}",
                if *maps == 1 { "" } else { "s" },
                grouped(maps.saturating_mul(*h).saturating_mul(*w)),
                grouped(MAX_TRANSPOSED_VALUES),
            ),
        }
    }
}

/// `n` with thousands separated by commas: 21,865,776.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Refuses a transposed layer whose output or upsampled input would hold more than
/// [`MAX_TRANSPOSED_VALUES`] values (both are computed and drawn).
///
/// # Errors
/// [`TransposedError::TooLarge`], naming the picture and its size.
pub fn transposed_size_check(g: &ConvTranspose2dGeometry) -> Result<(), TransposedError> {
    let check = |what, maps: usize, [h, w]: [usize; 2], advice| {
        if maps.saturating_mul(h).saturating_mul(w) > MAX_TRANSPOSED_VALUES {
            Err(TransposedError::TooLarge {
                what,
                maps,
                size: [h, w],
                advice,
            })
        } else {
            Ok(())
        }
    };
    let [_, k, h2, w2] = g.output_shape();
    check("output", k, [h2, w2], "lower the stride, dilation or K")?;
    let [h, w] = g.input_size();
    let s = g.params().stride;
    // (H − 1)·S + 1, as `ConvTransposeTrace::upsampled_size`.
    let up = |n: usize, s: usize| n.saturating_sub(1).saturating_mul(s).saturating_add(1);
    check(
        "upsampled input",
        g.in_channels(),
        [up(h, s[0]), up(w, s[1])],
        "lower the stride or use a smaller image",
    )
}

/// A transposed step in the forward stepper's shape, for the products grid and the written
/// sum: a tap's `input` is its cell of the upsampled input, and a stride hole or padding is
/// a skipped tap (`padding: true`, no product).
pub fn transposed_display_step(step: &ConvTransposeStep) -> ConvStep {
    ConvStep {
        index: step.index,
        output: step.output,
        window_origin: step.window_origin,
        taps: step
            .taps
            .iter()
            .map(|t| ConvTap {
                channel: t.channel,
                kernel: t.kernel,
                input: t.upsampled,
                padding: t.source.is_none(),
                value: t.value,
                weight: t.weight,
                product: t.product,
            })
            .collect(),
        channel_sums: step.channel_sums.clone(),
        sum: step.sum,
        bias: step.bias,
        pre_activation: step.value,
        activation: Activation::Identity,
        value: step.value,
    }
}

/// The computed transposed lab, all from the core.
#[derive(Debug, Clone)]
pub struct TransposedLab {
    /// The input `[D1, H, W]`.
    pub input: Array3<f32>,
    /// The input with S − 1 zeros between cells `[D1, (H−1)·S+1, (W−1)·S+1]`.
    pub upsampled: Array3<f32>,
    /// The output `[K, H2, W2]`.
    pub output: Array3<f32>,
    /// The trace the stepper walks.
    pub trace: ConvTransposeTrace,
}

/// The built-in 8×8 RGB pattern: red left half, a green diagonal, a blue square outline.
pub fn rgb_pattern() -> Array4<f32> {
    Array4::from_shape_fn((1, 3, 8, 8), |(_, c, y, x)| {
        let on = match c {
            0 => x < 4,
            1 => x == y || x + 1 == y,
            _ => {
                (2..6).contains(&y) && (x == 2 || x == 5)
                    || (y == 2 || y == 5) && (2..6).contains(&x)
            }
        };
        if on { 1.0 } else { 0.0 }
    })
}

/// What to change when the core rejects a setting: which term fails and the nearest values
/// that work (for the calculator and the lab's formula panel).
pub fn shape_advice(e: &convscope_core::ShapeError) -> Option<String> {
    use convscope_core::ShapeError as E;
    match e {
        E::KernelTooLarge {
            input,
            span,
            padding,
            ..
        } => Some(format!(
            "Which term: W + 2P = {} is smaller than the kernel's span {span}. Nearest valid: P = {} (keeping F), or a kernel spanning at most {} cells (keeping P).",
            input + 2 * padding,
            min_padding_to_fit(*input, *span),
            input + 2 * padding
        )),
        E::ZeroStride { .. } => Some(
            "Which term: S divides (W − F + 2P), so S = 0 is undefined. Nearest valid: S = 1.".into(),
        ),
        E::ZeroKernel { .. } => Some("Which term: F = 0 means no filter. Nearest valid: F = 1.".into()),
        E::ZeroDilation { .. } => Some(
            "Which term: dilation D = 0 collapses the kernel. Nearest valid: D = 1 (a dense kernel)."
                .into(),
        ),
        E::GroupsDoNotDivide {
            groups, channels, ..
        } => {
            let lower = (1..=*channels).rev().find(|g| channels % g == 0 && g < groups);
            let higher = (*groups + 1..=*channels).find(|g| channels % g == 0);
            let lower_k = channels - channels % groups;
            let nearest: Vec<String> = [lower, higher]
                .iter()
                .flatten()
                .map(|g| format!("groups = {g}"))
                .collect();
            Some(format!(
                "Which term: {channels} channels cannot be split into {groups} equal groups (remainder {}). Nearest valid: {}{}.",
                channels % groups,
                nearest.join(" or "),
                if lower_k > 0 {
                    format!(", or {lower_k} or {} channels", lower_k + groups)
                } else {
                    format!(", or {groups} channels")
                }
            ))
        }
        E::ZeroChannels { what, .. } => Some(format!("Which term: {what} = 0. Nearest valid: 1.")),
        E::ZeroGroups { .. } => Some("Which term: groups = 0. Nearest valid: groups = 1.".into()),
        _ => None,
    }
}

/// The smallest padding for which a kernel spanning `span` cells fits an input of `input`
/// cells (for the calculator's explanation of [`convscope_core::ShapeError::KernelTooLarge`]).
pub fn min_padding_to_fit(input: usize, span: usize) -> usize {
    span.saturating_sub(input).div_ceil(2)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;
    use convscope_core::Stepper;

    #[test]
    fn the_default_is_the_lecture_example() {
        let lab = ConvSettings::default().build().expect("valid");
        assert_eq!(lab.trace.output_dims(), [1, 3, 3]);
        let step = lab.trace.step(0).expect("step 0");
        assert_eq!(step.sum, 4.0);
        assert!((step.value - 0.98).abs() < 0.005);
        assert_eq!(lab.pre[[0, 0, 0]], 4.0);
    }

    #[test]
    fn rgb_input_with_filters_gives_a_stack() {
        let mut s = ConvSettings::default();
        s.apply(ConvAction::Input(InputSource::Rgb));
        s.apply(ConvAction::Filters(4));
        let lab = s.build().expect("valid");
        assert_eq!(lab.trace.output_dims(), [4, 6, 6]);
        assert_eq!(lab.trace.step(0).expect("step").channel_sums.len(), 3);
        s.apply(ConvAction::Groups(3));
        assert!(s.build().is_err(), "4 filters cannot split into 3 groups");
        s.apply(ConvAction::Filters(3));
        let lab = s.build().expect("depthwise");
        assert_eq!(lab.trace.step(0).expect("step").channel_sums.len(), 1);
    }

    #[test]
    fn invalid_settings_report_and_stop_the_stepper() {
        let mut s = ConvSettings::default();
        s.apply(ConvAction::Player(PlayerAction::Last));
        assert_eq!(s.player.step, 8);
        s.apply(ConvAction::Kernel(Preset::Identity.kernel().resized(7)));
        assert!(s.build().is_err());
        assert_eq!(s.step_count(), 0);
        assert_eq!(s.player.step, 0);
    }

    #[test]
    fn jump_to_an_output_cell() {
        let mut s = ConvSettings::default();
        s.apply(ConvAction::JumpTo([0, 2, 1]));
        assert_eq!(s.player.step, 7);
    }

    #[test]
    fn kernels_resize_and_rotate_around_their_centre() {
        let k = Preset::SobelX.kernel();
        assert_eq!(k.resized(5).resized(3), k);
        assert_eq!(k.rotated(1), Preset::SobelY.kernel());
        assert_eq!(k.rotated(4), k);
    }

    #[test]
    fn transposed_mode_upsamples() {
        let mut s = ConvSettings::default();
        s.apply(ConvAction::Transposed(true));
        s.apply(ConvAction::Stride(2));
        let out = s.build_transposed().expect("valid").output;
        assert_eq!(out.dim(), (1, 11, 11));
    }

    #[test]
    fn transposed_depth_is_the_filter_count_or_an_error() {
        let mut s = ConvSettings::default();
        s.apply(ConvAction::Transposed(true));
        s.apply(ConvAction::Input(InputSource::Rgb));
        s.apply(ConvAction::Groups(3));
        s.apply(ConvAction::Filters(4));
        assert!(
            s.build_transposed().is_err(),
            "4 filters cannot split into 3 groups"
        );
        s.apply(ConvAction::Filters(6));
        let out = s.build_transposed().expect("valid").output;
        assert_eq!(out.dim().0, 6, "the depth shown as D2 = K");
    }

    fn upload(n: usize) -> Upload {
        let px: Vec<f32> = (0..n * n).map(|i| (i % 3) as f32 / 2.0).collect();
        Upload::from_decoded([640, 480], n, &px).expect("valid")
    }

    #[test]
    fn an_upload_becomes_the_input_and_resizes() {
        let mut s = ConvSettings::default();
        s.apply(ConvAction::Input(InputSource::Upload));
        assert!(s.upload_missing(), "no image yet: the lecture's stands in");
        assert_eq!(s.input_tensor().dim(), (1, 1, 5, 5));
        s.apply(ConvAction::Input(InputSource::Lecture));
        s.apply(ConvAction::Uploaded(upload(12)));
        assert_eq!(s.input, InputSource::Upload);
        assert!(!s.upload_missing());
        assert_eq!(s.upload_size, 12);
        let x = s.input_tensor();
        assert_eq!(x.dim(), (1, 1, 12, 12));
        assert_eq!(x[[0, 0, 0, 1]], 128.0 / 255.0);
        assert_eq!(s.step_count(), 10 * 10);
        s.apply(ConvAction::UploadSize(28));
        assert_eq!(s.upload_size, 28);
        assert_eq!(s.input_tensor().dim(), (1, 1, 28, 28));
        assert_eq!(s.upload.as_ref().map(|u| u.original), Some([640, 480]));
        assert_eq!(s.step_count(), 26 * 26);
    }

    #[test]
    fn a_restored_upload_keeps_the_input_the_url_chose() {
        let mut s = ConvSettings::default();
        s.apply(ConvAction::RestoreUpload(upload(8)));
        assert_eq!(s.input, InputSource::Lecture);
        assert_eq!(s.upload_size, 8);
        s.apply(ConvAction::Query("in=upload&i=20".into()));
        assert_eq!(s.input, InputSource::Upload);
        assert_eq!(
            s.player.step, 20,
            "the step is clamped against the upload's size"
        );
        assert!(s.upload.is_some(), "a new query keeps the upload");
    }

    #[test]
    fn a_new_query_replaces_every_url_setting() {
        let mut s = ConvSettings::default();
        s.apply(ConvAction::Stride(2));
        s.apply(ConvAction::Activation(ActivationChoice::Tanh));
        s.apply(ConvAction::Query("p=1&kp=sobelx".into()));
        assert_eq!(s.stride, 1);
        assert_eq!(s.padding, 1);
        assert_eq!(s.activation, ActivationChoice::Sigmoid);
        assert_eq!(s.preset, Some(Preset::SobelX));
        s.apply(ConvAction::Query(String::new()));
        assert_eq!(s, ConvSettings::default());
    }

    #[test]
    fn a_lenet_filter_is_the_kernel_until_edited() {
        use super::super::lenet::LenetModel;
        let mut s = ConvSettings::default();
        let k = Kernel {
            size: 5,
            values: (0..25).map(|i| i as f32 * 0.013 - 0.1).collect(),
        };
        let choice = LenetChoice {
            model: LenetModel::Fashion,
            filter: 4,
            bias: -0.0625,
        };
        s.apply(ConvAction::LenetFilter(choice, k.clone()));
        assert_eq!(s.kernel, k);
        assert_eq!(s.preset, None);
        assert_eq!(s.lenet, Some(choice));
        // The URL carries its values, name and bias.
        let back = ConvSettings::from_query(&s.to_query());
        assert_eq!(back.kernel, k);
        assert_eq!(back.lenet, Some(choice));
        s.apply(ConvAction::Kernel(k.resized(3)));
        assert_eq!(s.lenet, None);
        s.apply(ConvAction::LenetFilter(choice, k));
        s.apply(ConvAction::Preset(Preset::Emboss));
        assert_eq!(s.lenet, None);
    }

    #[test]
    fn transposed_mode_has_a_stepper() {
        let mut s = ConvSettings::default();
        s.apply(ConvAction::Transposed(true));
        s.apply(ConvAction::Stride(2));
        assert_eq!(s.step_count(), 11 * 11);
        s.apply(ConvAction::JumpTo([0, 3, 4]));
        assert_eq!(s.player.step, 3 * 11 + 4);
        let lab = s.build_transposed().expect("valid");
        assert_eq!(lab.upsampled.dim(), (1, 9, 9));
        let step = lab.trace.step(s.player.step).expect("step");
        assert_eq!(step.value, lab.output[[0, 3, 4]]);
        let shown = transposed_display_step(&step);
        assert_eq!(shown.pre_activation, step.value);
        assert_eq!(shown.taps.len(), 9);
        assert_eq!(
            shown.taps.iter().filter(|t| t.product.is_some()).count(),
            step.taps.iter().filter(|t| t.source.is_some()).count()
        );
        s.apply(ConvAction::Player(PlayerAction::Last));
        assert_eq!(s.player.step, 120);
        s.apply(ConvAction::Transposed(false));
        assert_eq!(s.player.step, 3, "back on the 2×2 forward stepper (S = 2)");
    }

    #[test]
    fn transposed_steps_equal_the_output_bitwise_on_fractional_values() {
        // An upload (thirds, quantised to bytes) and a fractional kernel: sums that round,
        // so the output must add in the trace's order to match every step exactly.
        let mut s = ConvSettings::default();
        s.apply(ConvAction::Uploaded(upload(7)));
        s.apply(ConvAction::Preset(Preset::Gaussian));
        s.apply(ConvAction::Transposed(true));
        s.apply(ConvAction::Stride(2));
        s.apply(ConvAction::Dilation(2));
        s.apply(ConvAction::Padding(1));
        s.apply(ConvAction::Filters(2));
        let lab = s.build_transposed().expect("valid");
        assert_eq!(lab.output.dim(), (2, 15, 15));
        for i in 0..lab.trace.len() {
            let step = lab.trace.step(i).expect("step");
            let [k, y, x] = step.output;
            assert_eq!(
                step.value.to_bits(),
                lab.output[[k, y, x]].to_bits(),
                "step {i}"
            );
        }
    }

    #[test]
    fn transposed_mode_refuses_pictures_too_large_to_draw() {
        let mut s = ConvSettings::default();
        s.apply(ConvAction::Uploaded(upload(64)));
        s.apply(ConvAction::Transposed(true));
        s.apply(ConvAction::Kernel(Preset::Identity.kernel().resized(11)));
        for a in [
            ConvAction::Stride(16),
            ConvAction::Dilation(16),
            ConvAction::Filters(16),
        ] {
            s.apply(a);
        }
        let e = s.build_transposed().expect_err("too large");
        assert_eq!(
            e.to_string(),
            "the output would be 16 maps of 1169×1169 = 21,864,976 values; at most 1,000,000 are drawn — lower the stride, dilation or K"
        );
        assert_eq!(s.step_count(), 0, "no stepper without a stage");
        // One map of 1169² is still over; the upsampled input alone can be too.
        s.apply(ConvAction::Filters(1));
        assert!(matches!(
            s.build_transposed(),
            Err(TransposedError::TooLarge {
                what: "output",
                maps: 1,
                ..
            })
        ));
        s.apply(ConvAction::Kernel(Preset::Identity.kernel().resized(1)));
        s.apply(ConvAction::Padding(16));
        let e = s.build_transposed().expect_err("upsampled too large");
        assert_eq!(
            e.to_string(),
            "the upsampled input would be 1 map of 1009×1009 = 1,018,081 values; at most 1,000,000 are drawn — lower the stride or use a smaller image"
        );
        s.apply(ConvAction::Stride(15));
        let lab = s
            .build_transposed()
            .expect("946² upsampled, 914² out: both fit");
        assert_eq!(lab.output.dim(), (1, 914, 914));
        assert_eq!(s.step_count(), 914 * 914);
        // The core's own errors pass through unchanged.
        s.apply(ConvAction::Stride(0));
        assert!(matches!(
            s.build_transposed(),
            Err(TransposedError::Core(_))
        ));
    }

    #[test]
    fn forward_mode_is_bounded_by_its_controls() {
        // The largest forward output the controls allow: a 64² upload, P = 16, F = 1, K = 16.
        let mut s = ConvSettings::default();
        s.apply(ConvAction::Uploaded(upload(64)));
        s.apply(ConvAction::Kernel(Preset::Identity.kernel().resized(1)));
        s.apply(ConvAction::Padding(MAX_HYPER));
        s.apply(ConvAction::Filters(MAX_HYPER));
        assert_eq!(s.step_count(), 16 * 96 * 96);
        assert!(s.step_count() < MAX_TRANSPOSED_VALUES);
    }

    #[test]
    fn grouped_numbers() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(21_865_776), "21,865,776");
    }

    #[test]
    fn advice_names_the_nearest_valid_values() {
        let e =
            convscope_core::conv_output_size_explained(227, 300, 4, 0, 1).expect_err("too large");
        let a = shape_advice(&e).expect("advice");
        assert!(a.contains("P = 37"), "{a}");
        let e = convscope_core::ShapeError::GroupsDoNotDivide {
            op: "conv2d",
            groups: 3,
            channels: 4,
            what: "output channels",
        };
        let a = shape_advice(&e).expect("advice");
        assert!(a.contains("groups = 2 or groups = 4"), "{a}");
        assert!(a.contains("3 or 6 channels"), "{a}");
    }

    #[test]
    fn min_padding() {
        assert_eq!(min_padding_to_fit(5, 7), 1);
        assert_eq!(min_padding_to_fit(5, 8), 2);
        assert_eq!(min_padding_to_fit(5, 3), 0);
    }
}
