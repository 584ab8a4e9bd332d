//! LeNet-5 for 28×28 grayscale digits (PyTorch's usual adaptation of LeCun et al. 1998).
//!
//! | layer | operation | output `[N, C, H, W]` | parameters |
//! |---|---|---|---|
//! | input | | `[N, 1, 28, 28]` | |
//! | conv1 | 6 filters 5×5, pad 2 | `[N, 6, 28, 28]` | 6·25 + 6 = 156 |
//! | act1 | activation | `[N, 6, 28, 28]` | |
//! | pool1 | 2×2, stride 2 | `[N, 6, 14, 14]` | |
//! | conv2 | 16 filters 5×5 | `[N, 16, 10, 10]` | 16·150 + 16 = 2,416 |
//! | act2 | activation | `[N, 16, 10, 10]` | |
//! | pool2 | 2×2, stride 2 | `[N, 16, 5, 5]` → flatten `[N, 400]` | |
//! | fc1 (+act3) | linear | `[N, 120]` | 400·120 + 120 = 48,120 |
//! | fc2 (+act4) | linear | `[N, 84]` | 120·84 + 84 = 10,164 |
//! | fc3 | linear | `[N, 10]` logits | 84·10 + 10 = 850 |
//!
//! 61,706 parameters in all. Activation and pooling are configurable: ReLU + max pooling by
//! default, tanh + average pooling as LeCun had it ([`LeNetConfig::lecun`]).
//! Parameter names and layouts are PyTorch's `state_dict` ones ([`PARAMETER_NAMES`]).

use ndarray::{Array2, Array4, ArrayView4};
use serde::{Deserialize, Serialize};

use super::conv::Conv2d;
use super::error::{NnError, check_shape};
use super::linear::{Linear, LinearConfig};
use super::rng::Rng;
use super::workspace::Workspace;
use crate::activation::Activation;
use crate::conv::Conv2dConfig;
use crate::pool::PoolKind;
use crate::shape::{Conv2dParams, Pool2dParams};

/// Input height and width.
pub const INPUT_SIZE: usize = 28;
/// Pixels of one input image (28·28).
pub const INPUT_PIXELS: usize = INPUT_SIZE * INPUT_SIZE;
/// Output classes.
pub const CLASSES: usize = 10;
/// Total learnable parameters.
pub const PARAMETER_COUNT: usize = 61_706;
/// PyTorch `state_dict` names, in the order every parameter list of this module uses.
pub const PARAMETER_NAMES: [&str; 10] = [
    "conv1.weight",
    "conv1.bias",
    "conv2.weight",
    "conv2.bias",
    "fc1.weight",
    "fc1.bias",
    "fc2.weight",
    "fc2.bias",
    "fc3.weight",
    "fc3.bias",
];

/// The shapes of [`PARAMETER_NAMES`], in PyTorch's layouts.
pub fn parameter_shapes() -> [Vec<usize>; 10] {
    [
        vec![6, 1, 5, 5],
        vec![6],
        vec![16, 6, 5, 5],
        vec![16],
        vec![120, 400],
        vec![120],
        vec![84, 120],
        vec![84],
        vec![10, 84],
        vec![10],
    ]
}

/// Activation and pooling of a [`LeNet`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LeNetConfig {
    /// After conv1, conv2, fc1 and fc2.
    pub activation: Activation,
    /// pool1 and pool2 (2×2, stride 2).
    pub pool: PoolKind,
}

impl Default for LeNetConfig {
    /// ReLU and max pooling.
    fn default() -> Self {
        Self {
            activation: Activation::Relu,
            pool: PoolKind::Max,
        }
    }
}

impl LeNetConfig {
    /// tanh and average pooling, as LeCun et al. (1998).
    pub fn lecun() -> Self {
        Self {
            activation: Activation::Tanh,
            pool: PoolKind::Average,
        }
    }

    /// With another activation.
    #[must_use]
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// With another pooling.
    #[must_use]
    pub fn with_pool(mut self, pool: PoolKind) -> Self {
        self.pool = pool;
        self
    }

    pub(crate) fn conv1() -> Conv2dConfig {
        Conv2dConfig::new(1, 6, [5, 5]).with_params(Conv2dParams::default().with_padding(2))
    }
    pub(crate) fn conv2() -> Conv2dConfig {
        Conv2dConfig::new(6, 16, [5, 5])
    }
    pub(crate) fn pool_params() -> Pool2dParams {
        Pool2dParams::new(2)
    }

    /// A network initialised as PyTorch does (layers in order conv1, conv2, fc1, fc2, fc3,
    /// each weight then bias, from one `rng`): the same seed gives the same network.
    ///
    /// # Errors
    /// Never for the fixed LeNet-5 geometry; [`NnError`] reports an internal inconsistency.
    pub fn init(&self, rng: &mut Rng) -> Result<LeNet, NnError> {
        Ok(LeNet {
            config: *self,
            conv1: Conv2d::init(&Self::conv1(), rng)?,
            conv2: Conv2d::init(&Self::conv2(), rng)?,
            fc1: LinearConfig::new(400, 120).init(rng),
            fc2: LinearConfig::new(120, 84).init(rng),
            fc3: LinearConfig::new(84, CLASSES).init(rng),
        })
    }

    /// A network from parameter tensors in [`PARAMETER_NAMES`] order, each flat row-major
    /// with the shape of [`parameter_shapes`].
    ///
    /// # Errors
    /// [`NnError::ParamCount`] for another number of tensors, [`NnError::Shape`] naming the
    /// tensor whose length is wrong.
    pub fn init_with(&self, tensors: Vec<Vec<f32>>) -> Result<LeNet, NnError> {
        const OP: &str = "LeNetConfig::init_with";
        if tensors.len() != PARAMETER_NAMES.len() {
            return Err(NnError::ParamCount {
                op: OP,
                got: tensors.len(),
                expected: PARAMETER_NAMES.len(),
            });
        }
        let shapes = parameter_shapes();
        for ((t, shape), name) in tensors.iter().zip(&shapes).zip(PARAMETER_NAMES) {
            let n: usize = shape.iter().product();
            if t.len() != n {
                return Err(NnError::Shape {
                    op: OP,
                    what: name,
                    got: vec![t.len()],
                    expected: vec![n],
                });
            }
        }
        let layout = |e: ndarray::ShapeError| NnError::from(crate::tensor::layout(OP, &e));
        let mut it = tensors.into_iter();
        let mut next = || it.next().unwrap_or_default();
        let conv = |cfg: Conv2dConfig, w: Vec<f32>, b: Vec<f32>| -> Result<Conv2d, NnError> {
            let w = Array4::from_shape_vec(cfg.weight_shape(), w).map_err(layout)?;
            let layer = cfg.init_with(w, Some(b.into()))?;
            Ok(Conv2d::from_layer(&layer))
        };
        let linear = |i: usize, o: usize, w: Vec<f32>, b: Vec<f32>| -> Result<Linear, NnError> {
            let w = Array2::from_shape_vec((o, i), w).map_err(layout)?;
            LinearConfig::new(i, o).init_with(w, Some(b.into()))
        };
        let conv1 = conv(Self::conv1(), next(), next())?;
        let conv2 = conv(Self::conv2(), next(), next())?;
        let fc1 = linear(400, 120, next(), next())?;
        let fc2 = linear(120, 84, next(), next())?;
        let fc3 = linear(84, CLASSES, next(), next())?;
        Ok(LeNet {
            config: *self,
            conv1,
            conv2,
            fc1,
            fc2,
            fc3,
        })
    }
}

/// LeNet-5 (see the module documentation for the layer table).
#[derive(Debug, Clone, PartialEq)]
pub struct LeNet {
    config: LeNetConfig,
    pub(crate) conv1: Conv2d,
    pub(crate) conv2: Conv2d,
    pub(crate) fc1: Linear,
    pub(crate) fc2: Linear,
    pub(crate) fc3: Linear,
}

/// Every intermediate tensor of one forward pass, for the visualizer.
///
/// `fc1`, `fc2` hold the linear layers' outputs before their activation, `act3`, `act4`
/// after it; `probabilities` is the softmax of `logits`.
#[derive(Debug, Clone, PartialEq)]
pub struct LeNetTrace {
    /// `[N, 6, 28, 28]`.
    pub conv1: Array4<f32>,
    /// `[N, 6, 28, 28]`.
    pub act1: Array4<f32>,
    /// `[N, 6, 14, 14]`.
    pub pool1: Array4<f32>,
    /// `[N, 16, 10, 10]`.
    pub conv2: Array4<f32>,
    /// `[N, 16, 10, 10]`.
    pub act2: Array4<f32>,
    /// `[N, 16, 5, 5]`.
    pub pool2: Array4<f32>,
    /// `[N, 120]`.
    pub fc1: Array2<f32>,
    /// `[N, 120]`.
    pub act3: Array2<f32>,
    /// `[N, 84]`.
    pub fc2: Array2<f32>,
    /// `[N, 84]`.
    pub act4: Array2<f32>,
    /// `[N, 10]`.
    pub logits: Array2<f32>,
    /// `[N, 10]`, each row sums to 1.
    pub probabilities: Array2<f32>,
}

impl LeNet {
    /// The configuration.
    pub fn config(&self) -> &LeNetConfig {
        &self.config
    }
    /// conv1.
    pub fn conv1(&self) -> &Conv2d {
        &self.conv1
    }
    /// conv2.
    pub fn conv2(&self) -> &Conv2d {
        &self.conv2
    }
    /// fc1.
    pub fn fc1(&self) -> &Linear {
        &self.fc1
    }
    /// fc2.
    pub fn fc2(&self) -> &Linear {
        &self.fc2
    }
    /// fc3.
    pub fn fc3(&self) -> &Linear {
        &self.fc3
    }

    /// Weights plus biases of every layer (61,706).
    pub fn parameter_count(&self) -> usize {
        self.conv1.parameter_count()
            + self.conv2.parameter_count()
            + self.fc1.parameter_count()
            + self.fc2.parameter_count()
            + self.fc3.parameter_count()
    }

    /// Every parameter tensor as a flat row-major slice, in [`PARAMETER_NAMES`] order.
    ///
    /// # Errors
    /// [`NnError::NotContiguous`] if a tensor were not contiguous (not possible for a
    /// network built by this module).
    pub fn parameters(&self) -> Result<[&[f32]; 10], NnError> {
        fn w<'a>(a: Option<&'a [f32]>, what: &'static str) -> Result<&'a [f32], NnError> {
            a.ok_or(NnError::NotContiguous {
                op: "LeNet::parameters",
                what,
            })
        }
        fn b(l: Option<&ndarray::Array1<f32>>) -> Option<&[f32]> {
            l.and_then(|b| b.as_slice())
        }
        Ok([
            w(self.conv1.weight().as_slice(), "conv1.weight")?,
            w(b(self.conv1.bias()), "conv1.bias")?,
            w(self.conv2.weight().as_slice(), "conv2.weight")?,
            w(b(self.conv2.bias()), "conv2.bias")?,
            w(self.fc1.weight().as_slice(), "fc1.weight")?,
            w(b(self.fc1.bias()), "fc1.bias")?,
            w(self.fc2.weight().as_slice(), "fc2.weight")?,
            w(b(self.fc2.bias()), "fc2.bias")?,
            w(self.fc3.weight().as_slice(), "fc3.weight")?,
            w(b(self.fc3.bias()), "fc3.bias")?,
        ])
    }

    /// Mutable flat parameter slices in [`PARAMETER_NAMES`] order (for optimizers).
    ///
    /// # Errors
    /// As [`LeNet::parameters`].
    pub fn parameters_mut(&mut self) -> Result<[&mut [f32]; 10], NnError> {
        fn pair<'a>(
            p: (Option<&'a mut [f32]>, Option<&'a mut [f32]>),
            name: &'static str,
        ) -> Result<(&'a mut [f32], &'a mut [f32]), NnError> {
            let e = NnError::NotContiguous {
                op: "LeNet::parameters_mut",
                what: name,
            };
            match p {
                (Some(w), Some(b)) => Ok((w, b)),
                _ => Err(e),
            }
        }
        let (a, b) = pair(self.conv1.parameters_mut(), "conv1")?;
        let (c, d) = pair(self.conv2.parameters_mut(), "conv2")?;
        let (e, f) = pair(self.fc1.parameters_mut(), "fc1")?;
        let (g, h) = pair(self.fc2.parameters_mut(), "fc2")?;
        let (i, j) = pair(self.fc3.parameters_mut(), "fc3")?;
        Ok([a, b, c, d, e, f, g, h, i, j])
    }

    /// Logits for a batch.
    ///
    /// # Shapes
    /// `[N, 1, 28, 28]` → `[N, 10]`.
    ///
    /// # Errors
    /// [`NnError::Shape`] for another input shape, [`NnError::EmptyBatch`] for `N = 0`.
    pub fn forward(&self, x: ArrayView4<'_, f32>) -> Result<Array2<f32>, NnError> {
        let mut ws = self.workspace_for(&x)?;
        ws.forward(self)?;
        ws.logits_array()
    }

    /// Logits for `n` images in a caller-kept [`Workspace`], returned as a view of its
    /// buffer: nothing is allocated once the workspace has seen a batch this large. The
    /// inference path the benchmarks time.
    ///
    /// # Shapes
    /// images: `n · 784` values (`[n, 1, 28, 28]` row-major) → `n · 10` logits (`[n, 10]`).
    ///
    /// # Errors
    /// [`NnError::Shape`] when `images` is not `n · 784` long, [`NnError::EmptyBatch`] for
    /// `n = 0`.
    pub fn logits_with<'w>(
        &self,
        images: &[f32],
        n: usize,
        ws: &'w mut Workspace,
    ) -> Result<&'w [f32], NnError> {
        if n == 0 {
            return Err(NnError::EmptyBatch {
                op: "LeNet::logits_with",
            });
        }
        ws.load_input(images, n)?;
        ws.forward(self)?;
        Ok(ws.logits())
    }

    /// The forward pass keeping every intermediate tensor.
    ///
    /// # Shapes
    /// `[N, 1, 28, 28]` → see [`LeNetTrace`].
    ///
    /// # Errors
    /// As [`LeNet::forward`].
    pub fn forward_trace(&self, x: ArrayView4<'_, f32>) -> Result<LeNetTrace, NnError> {
        self.forward_trace_with(x, &mut Workspace::new())
    }

    /// [`LeNet::forward_trace`] in a caller-kept [`Workspace`]: no buffer is allocated
    /// once the workspace has seen a batch this large (the web worker keeps one).
    ///
    /// # Errors
    /// As [`LeNet::forward`].
    pub fn forward_trace_with(
        &self,
        x: ArrayView4<'_, f32>,
        ws: &mut Workspace,
    ) -> Result<LeNetTrace, NnError> {
        Self::check_input(&x)?;
        ws.load_input(x.as_standard_layout().as_slice().unwrap_or(&[]), x.dim().0)?;
        ws.forward(self)?;
        ws.softmax_logits();
        ws.trace()
    }

    fn check_input(x: &ArrayView4<'_, f32>) -> Result<(), NnError> {
        let (n, ..) = x.dim();
        if n == 0 {
            return Err(NnError::EmptyBatch {
                op: "LeNet::forward",
            });
        }
        check_shape(
            "LeNet::forward",
            "the input",
            x.shape(),
            &[n, 1, INPUT_SIZE, INPUT_SIZE],
        )
    }

    fn workspace_for(&self, x: &ArrayView4<'_, f32>) -> Result<Workspace, NnError> {
        Self::check_input(x)?;
        let n = x.dim().0;
        let mut ws = Workspace::new();
        ws.load_input(x.as_standard_layout().as_slice().unwrap_or(&[]), n)?;
        Ok(ws)
    }
}
