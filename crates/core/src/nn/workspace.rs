//! The buffers of one LeNet-5 forward and backward pass, reused batch after batch.
//!
//! [`Workspace`] owns every activation and activation-gradient buffer as a flat `Vec`; a
//! batch resizes them (which never reallocates once the largest batch has been seen) and
//! the kernels write into views over them (`conv2d_into`, `pool2d_into`, the `_into`
//! backward functions). [`LeNetGradients`] owns the parameter gradients. Together they make
//! the training hot path allocation-free.

use ndarray::{
    Array2, Array4, ArrayView1, ArrayView2, ArrayView4, ArrayViewMut, ArrayViewMut1, ArrayViewMut2,
    ArrayViewMut4,
};

use super::activation::activation_x_backward_in_place;
use super::conv::{conv2d_bias_backward_into, conv2d_weight_backward_into, conv2d_x_backward_into};
use super::error::NnError;
use super::lenet::{
    CLASSES, INPUT_PIXELS, LeNet, LeNetConfig, LeNetTrace, PARAMETER_NAMES, parameter_shapes,
};
use super::linear::{
    linear_bias_backward_into, linear_forward_into, linear_weight_backward_into,
    linear_x_backward_into,
};
use super::loss::softmax_cross_entropy_into;
use super::pool::pool2d_x_backward_into;
use crate::activation::Activation;
use crate::conv::ConvScratch;
use crate::pool::{PoolKind, pool2d_into};

const OP: &str = "LeNet workspace";

// Per-sample sizes of every buffer.
const C1: [usize; 3] = [6, 28, 28];
const P1: [usize; 3] = [6, 14, 14];
const C2: [usize; 3] = [16, 10, 10];
const P2: [usize; 3] = [16, 5, 5];
const F1: usize = 120;
const F2: usize = 84;
const FLAT: usize = 400;

fn len3(s: [usize; 3]) -> usize {
    s[0] * s[1] * s[2]
}

fn layout(e: ndarray::ShapeError) -> NnError {
    crate::tensor::layout(OP, &e).into()
}

fn v4(buf: &[f32], n: usize, s: [usize; 3]) -> Result<ArrayView4<'_, f32>, NnError> {
    ArrayView4::from_shape([n, s[0], s[1], s[2]], buf).map_err(layout)
}
fn m4(buf: &mut [f32], n: usize, s: [usize; 3]) -> Result<ArrayViewMut4<'_, f32>, NnError> {
    ArrayViewMut4::from_shape([n, s[0], s[1], s[2]], buf).map_err(layout)
}
fn v2(buf: &[f32], n: usize, f: usize) -> Result<ArrayView2<'_, f32>, NnError> {
    ArrayView2::from_shape((n, f), buf).map_err(layout)
}
fn m2(buf: &mut [f32], n: usize, f: usize) -> Result<ArrayViewMut2<'_, f32>, NnError> {
    ArrayViewMut2::from_shape((n, f), buf).map_err(layout)
}

/// `out = f(x)` elementwise.
fn activate(act: Activation, x: &[f32], out: &mut [f32]) {
    match act {
        Activation::Relu => {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = if v > 0.0 { v } else { 0.0 };
            }
        }
        other => {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = other.apply(v);
            }
        }
    }
}

/// `grad ← grad ⊙ f'(x)` over flat buffers; `y = f(x)` is the forward output, from which
/// tanh' = 1 − y² and σ' = y(1 − y) follow without recomputing the function.
fn activation_backward(
    act: Activation,
    grad: &mut [f32],
    x: &[f32],
    y: &[f32],
) -> Result<(), NnError> {
    match act {
        Activation::Tanh => {
            for (g, &y) in grad.iter_mut().zip(y) {
                *g *= 1.0 - y * y;
            }
            return Ok(());
        }
        Activation::Sigmoid => {
            for (g, &y) in grad.iter_mut().zip(y) {
                *g *= y * (1.0 - y);
            }
            return Ok(());
        }
        _ => {}
    }
    let n = grad.len();
    activation_x_backward_in_place(
        act,
        ArrayViewMut::from_shape(n, grad).map_err(layout)?,
        ArrayView1::from_shape(x.len(), x).map_err(layout)?,
    )
}

/// Gradients of every LeNet-5 parameter, flat, in [`PARAMETER_NAMES`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct LeNetGradients {
    tensors: [Vec<f32>; 10],
}

impl Default for LeNetGradients {
    fn default() -> Self {
        Self::new()
    }
}

impl LeNetGradients {
    /// Zero gradients of the right sizes.
    pub fn new() -> Self {
        Self {
            tensors: parameter_shapes().map(|s| vec![0.0; s.iter().product()]),
        }
    }
    /// The gradient tensors, flat, in [`PARAMETER_NAMES`] order.
    pub fn tensors(&self) -> [&[f32]; 10] {
        let t = &self.tensors;
        [
            &t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &t[6], &t[7], &t[8], &t[9],
        ]
    }
    /// The gradient tensors, mutable (the data-parallel trainer combines its shares here).
    pub(crate) fn tensors_mut(&mut self) -> &mut [Vec<f32>; 10] {
        &mut self.tensors
    }
    /// The gradient of the parameter called `name` (e.g. `"conv1.weight"`).
    pub fn get(&self, name: &str) -> Option<&[f32]> {
        PARAMETER_NAMES
            .iter()
            .position(|&n| n == name)
            .map(|i| &self.tensors[i][..])
    }
}

/// Activation and gradient buffers for one batch of LeNet-5 (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    batch: usize,
    pub(crate) x: Vec<f32>,
    pub(crate) labels: Vec<usize>,
    conv1: Vec<f32>,
    act1: Vec<f32>,
    pool1: Vec<f32>,
    arg1: Vec<usize>,
    conv2: Vec<f32>,
    act2: Vec<f32>,
    pool2: Vec<f32>,
    arg2: Vec<usize>,
    fc1: Vec<f32>,
    act3: Vec<f32>,
    fc2: Vec<f32>,
    act4: Vec<f32>,
    logits: Vec<f32>,
    probs: Vec<f32>,
    d_logits: Vec<f32>,
    d_f2: Vec<f32>,
    d_f1: Vec<f32>,
    d_pool2: Vec<f32>,
    d_c2: Vec<f32>,
    d_pool1: Vec<f32>,
    d_c1: Vec<f32>,
    s1: ConvScratch,
    s2: ConvScratch,
}

impl Workspace {
    /// Empty buffers (sized by the first batch).
    pub fn new() -> Self {
        Self::default()
    }

    /// The current batch size.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Sizes every buffer for `n` samples (no reallocation once a batch this large has been
    /// seen).
    pub(crate) fn resize(&mut self, n: usize) {
        self.batch = n;
        self.x.resize(n * INPUT_PIXELS, 0.0);
        self.labels.resize(n, 0);
        for (buf, len) in [
            (&mut self.conv1, len3(C1)),
            (&mut self.act1, len3(C1)),
            (&mut self.d_c1, len3(C1)),
            (&mut self.pool1, len3(P1)),
            (&mut self.d_pool1, len3(P1)),
            (&mut self.conv2, len3(C2)),
            (&mut self.act2, len3(C2)),
            (&mut self.d_c2, len3(C2)),
            (&mut self.pool2, len3(P2)),
            (&mut self.d_pool2, len3(P2)),
            (&mut self.fc1, F1),
            (&mut self.act3, F1),
            (&mut self.d_f1, F1),
            (&mut self.fc2, F2),
            (&mut self.act4, F2),
            (&mut self.d_f2, F2),
            (&mut self.logits, CLASSES),
            (&mut self.probs, CLASSES),
            (&mut self.d_logits, CLASSES),
        ] {
            buf.resize(n * len, 0.0);
        }
        self.arg1.resize(n * len3(P1), 0);
        self.arg2.resize(n * len3(P2), 0);
    }

    /// Copies `n` images (`n · 784` values) into the input buffer.
    pub(crate) fn load_input(&mut self, images: &[f32], n: usize) -> Result<(), NnError> {
        super::error::check_shape(OP, "the images", &[images.len()], &[n * INPUT_PIXELS])?;
        self.resize(n);
        self.x.copy_from_slice(images);
        Ok(())
    }

    /// Forward pass of the batch in `x` up to the logits.
    pub(crate) fn forward(&mut self, model: &LeNet) -> Result<(), NnError> {
        let n = self.batch;
        let cfg = *model.config();
        let act = cfg.activation;
        model.conv1.forward_into(
            v4(&self.x, n, [1, 28, 28])?,
            m4(&mut self.conv1, n, C1)?,
            &mut self.s1,
        )?;
        activate(act, &self.conv1, &mut self.act1);
        pool_forward(
            cfg.pool,
            &self.act1,
            n,
            C1,
            &mut self.pool1,
            &mut self.arg1,
            P1,
        )?;
        model.conv2.forward_into(
            v4(&self.pool1, n, P1)?,
            m4(&mut self.conv2, n, C2)?,
            &mut self.s2,
        )?;
        activate(act, &self.conv2, &mut self.act2);
        pool_forward(
            cfg.pool,
            &self.act2,
            n,
            C2,
            &mut self.pool2,
            &mut self.arg2,
            P2,
        )?;
        fn bias(l: &super::linear::Linear) -> Option<ArrayView1<'_, f32>> {
            l.bias().map(|b| b.view())
        }
        linear_forward_into(
            v2(&self.pool2, n, FLAT)?,
            model.fc1.weight().view(),
            bias(&model.fc1),
            m2(&mut self.fc1, n, F1)?,
        )?;
        activate(act, &self.fc1, &mut self.act3);
        linear_forward_into(
            v2(&self.act3, n, F1)?,
            model.fc2.weight().view(),
            bias(&model.fc2),
            m2(&mut self.fc2, n, F2)?,
        )?;
        activate(act, &self.fc2, &mut self.act4);
        linear_forward_into(
            v2(&self.act4, n, F2)?,
            model.fc3.weight().view(),
            bias(&model.fc3),
            m2(&mut self.logits, n, CLASSES)?,
        )?;
        Ok(())
    }

    /// Softmax cross-entropy of the logits against `labels` (mean over the batch); fills
    /// the probabilities and the logits' gradient.
    pub(crate) fn loss(&mut self) -> Result<f32, NnError> {
        let n = self.batch;
        softmax_cross_entropy_into(
            v2(&self.logits, n, CLASSES)?,
            &self.labels,
            m2(&mut self.probs, n, CLASSES)?,
            m2(&mut self.d_logits, n, CLASSES)?,
        )
    }

    /// Probabilities without a loss (inference).
    pub(crate) fn softmax_logits(&mut self) {
        for (z, p) in self
            .logits
            .chunks_exact(CLASSES)
            .zip(self.probs.chunks_exact_mut(CLASSES))
        {
            let _ = crate::activation::softmax_into(z, p);
        }
    }

    /// Backward pass from the logits' gradient (after [`Workspace::loss`]) into `grads`.
    pub(crate) fn backward(
        &mut self,
        model: &LeNet,
        grads: &mut LeNetGradients,
    ) -> Result<(), NnError> {
        let n = self.batch;
        let cfg = *model.config();
        let act = cfg.activation;
        let [g0, g1, g2, g3, g4, g5, g6, g7, g8, g9] = &mut grads.tensors;
        fn gv(g: &mut [f32], r: usize, c: usize) -> Result<ArrayViewMut2<'_, f32>, NnError> {
            ArrayViewMut2::from_shape((r, c), g).map_err(layout)
        }
        fn gb(g: &mut [f32]) -> Result<ArrayViewMut1<'_, f32>, NnError> {
            ArrayViewMut1::from_shape(g.len(), g).map_err(layout)
        }

        // fc3
        let d_logits = v2(&self.d_logits, n, CLASSES)?;
        linear_weight_backward_into(v2(&self.act4, n, F2)?, d_logits, gv(g8, CLASSES, F2)?)?;
        linear_bias_backward_into(d_logits, gb(g9)?)?;
        linear_x_backward_into(
            d_logits,
            model.fc3.weight().view(),
            m2(&mut self.d_f2, n, F2)?,
        )?;
        activation_backward(act, &mut self.d_f2, &self.fc2, &self.act4)?;
        // fc2
        let d_f2 = v2(&self.d_f2, n, F2)?;
        linear_weight_backward_into(v2(&self.act3, n, F1)?, d_f2, gv(g6, F2, F1)?)?;
        linear_bias_backward_into(d_f2, gb(g7)?)?;
        linear_x_backward_into(d_f2, model.fc2.weight().view(), m2(&mut self.d_f1, n, F1)?)?;
        activation_backward(act, &mut self.d_f1, &self.fc1, &self.act3)?;
        // fc1
        let d_f1 = v2(&self.d_f1, n, F1)?;
        linear_weight_backward_into(v2(&self.pool2, n, FLAT)?, d_f1, gv(g4, F1, FLAT)?)?;
        linear_bias_backward_into(d_f1, gb(g5)?)?;
        linear_x_backward_into(
            d_f1,
            model.fc1.weight().view(),
            m2(&mut self.d_pool2, n, FLAT)?,
        )?;
        // pool2, act2
        pool_backward(
            cfg.pool,
            &self.d_pool2,
            &self.arg2,
            n,
            P2,
            &mut self.d_c2,
            C2,
        )?;
        activation_backward(act, &mut self.d_c2, &self.conv2, &self.act2)?;
        // conv2
        let d_c2 = v4(&self.d_c2, n, C2)?;
        let p2 = LeNetConfig::conv2().params;
        conv2d_weight_backward_into(
            v4(&self.pool1, n, P1)?,
            d_c2,
            p2,
            ArrayViewMut4::from_shape([16, 6, 5, 5], &mut g2[..]).map_err(layout)?,
            &mut self.s2,
        )?;
        conv2d_bias_backward_into(d_c2, gb(g3)?)?;
        conv2d_x_backward_into(
            d_c2,
            model.conv2.weight().view(),
            p2,
            m4(&mut self.d_pool1, n, P1)?,
            &mut self.s2,
        )?;
        // pool1, act1
        pool_backward(
            cfg.pool,
            &self.d_pool1,
            &self.arg1,
            n,
            P1,
            &mut self.d_c1,
            C1,
        )?;
        activation_backward(act, &mut self.d_c1, &self.conv1, &self.act1)?;
        // conv1 (no input gradient needed)
        let d_c1 = v4(&self.d_c1, n, C1)?;
        conv2d_weight_backward_into(
            v4(&self.x, n, [1, 28, 28])?,
            d_c1,
            LeNetConfig::conv1().params,
            ArrayViewMut4::from_shape([6, 1, 5, 5], &mut g0[..]).map_err(layout)?,
            &mut self.s1,
        )?;
        conv2d_bias_backward_into(d_c1, gb(g1)?)?;
        Ok(())
    }

    /// Row-major logits `[n, 10]`.
    pub(crate) fn logits(&self) -> &[f32] {
        &self.logits
    }

    pub(crate) fn logits_array(&self) -> Result<Array2<f32>, NnError> {
        Array2::from_shape_vec((self.batch, CLASSES), self.logits.clone()).map_err(layout)
    }

    pub(crate) fn trace(&self) -> Result<LeNetTrace, NnError> {
        let n = self.batch;
        let a4 = |b: &Vec<f32>, s: [usize; 3]| {
            Array4::from_shape_vec([n, s[0], s[1], s[2]], b.clone()).map_err(layout)
        };
        let a2 = |b: &Vec<f32>, f: usize| Array2::from_shape_vec((n, f), b.clone()).map_err(layout);
        Ok(LeNetTrace {
            conv1: a4(&self.conv1, C1)?,
            act1: a4(&self.act1, C1)?,
            pool1: a4(&self.pool1, P1)?,
            conv2: a4(&self.conv2, C2)?,
            act2: a4(&self.act2, C2)?,
            pool2: a4(&self.pool2, P2)?,
            fc1: a2(&self.fc1, F1)?,
            act3: a2(&self.act3, F1)?,
            fc2: a2(&self.fc2, F2)?,
            act4: a2(&self.act4, F2)?,
            logits: a2(&self.logits, CLASSES)?,
            probabilities: a2(&self.probs, CLASSES)?,
        })
    }
}

fn pool_forward(
    kind: PoolKind,
    x: &[f32],
    n: usize,
    xs: [usize; 3],
    out: &mut [f32],
    arg: &mut [usize],
    os: [usize; 3],
) -> Result<(), NnError> {
    let argmax = if kind == PoolKind::Max {
        Some(ArrayViewMut4::from_shape([n, os[0], os[1], os[2]], arg).map_err(layout)?)
    } else {
        None
    };
    pool2d_into(
        v4(x, n, xs)?,
        kind,
        LeNetConfig::pool_params(),
        m4(out, n, os)?,
        argmax,
    )?;
    Ok(())
}

fn pool_backward(
    kind: PoolKind,
    dy: &[f32],
    arg: &[usize],
    n: usize,
    ys: [usize; 3],
    dx: &mut [f32],
    xs: [usize; 3],
) -> Result<(), NnError> {
    let argmax = if kind == PoolKind::Max {
        Some(ndarray::ArrayView4::from_shape([n, ys[0], ys[1], ys[2]], arg).map_err(layout)?)
    } else {
        None
    };
    pool2d_x_backward_into(
        kind,
        LeNetConfig::pool_params(),
        v4(dy, n, ys)?,
        argmax,
        m4(dx, n, xs)?,
    )
}
