//! One node per layer of a [`super::Network`]: what it holds and its forward and backward
//! passes, in training and evaluation modes.
//!
//! Dispatch is a `match` on [`Kind`] (static, inlinable, small in wasm). A node reads its
//! input (the previous node's output), writes its output into its [`State`], and in the
//! backward pass reads the gradient of its output from [`State::grad`] and overwrites the
//! gradient of its input (`dx`, skipped when nobody needs it: the first layer's) and of its
//! parameters. Fast paths live in the kernels, chosen by shape (the im2col GEMM, 2×2 pooling,
//! small-batch dense layers), never by network.

use ndarray::{ArrayView1, ArrayView2, ArrayView4, ArrayViewMut1, ArrayViewMut2, ArrayViewMut4};

use super::workspace::{Aux, State, backward_sequence, forward_sequence, sequence_output};
use super::{BN_EPS, Gradients, Mode, Network};
use crate::activation::Activation;
use crate::arch::Volume;
use crate::conv::conv2d_into;
use crate::nn::conv::{
    conv2d_bias_backward_into, conv2d_weight_backward_into, conv2d_x_backward_into,
};
use crate::nn::error::NnError;
use crate::nn::linear::{
    linear_bias_backward_into, linear_forward_into, linear_weight_backward_into,
    linear_x_backward_into,
};
use crate::pool::{PoolKind, pool2d_into, pool2d_x_backward_into};
use crate::rng::Rng;
use crate::shape::{Conv2dParams, Pool2dParams};

/// A layer of a built network.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// The full name (`conv1`, `block1.bn2`): parameter names are `{path}.weight`.
    pub path: String,
    /// Input volume of one sample.
    pub input: Volume,
    /// Output volume of one sample.
    pub output: Volume,
    /// What it does, with indices of its parameters and buffers in the network.
    pub kind: Kind,
}

/// A node's operation. Parameters and buffers are indices into the network's lists.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Conv {
        params: Conv2dParams,
        weight: usize,
        bias: Option<usize>,
    },
    Pool {
        kind: PoolKind,
        params: Pool2dParams,
    },
    Act(Activation),
    BatchNorm {
        gamma: usize,
        beta: usize,
        mean: usize,
        var: usize,
        tracked: usize,
    },
    Dropout {
        p: f32,
    },
    Flatten,
    Linear {
        weight: usize,
        bias: Option<usize>,
    },
    AdaptiveAvgPool,
    Lrn {
        size: usize,
    },
    Residual {
        main: Vec<Node>,
        shortcut: Vec<Node>,
    },
}

/// Local response normalisation's constants (PyTorch's defaults: α = 1e-4, β = 0.75, k = 1).
const LRN_ALPHA: f32 = 1e-4;
const LRN_BETA: f32 = 0.75;
const LRN_K: f32 = 1.0;

const OP: &str = "Network";

fn layout(e: &ndarray::ShapeError) -> NnError {
    crate::tensor::layout(OP, e).into()
}

fn v4(buf: &[f32], n: usize, v: Volume) -> Result<ArrayView4<'_, f32>, NnError> {
    ArrayView4::from_shape([n, v.c, v.h, v.w], buf).map_err(|e| layout(&e))
}
fn m4(buf: &mut [f32], n: usize, v: Volume) -> Result<ArrayViewMut4<'_, f32>, NnError> {
    ArrayViewMut4::from_shape([n, v.c, v.h, v.w], buf).map_err(|e| layout(&e))
}
fn v2(buf: &[f32], n: usize, f: usize) -> Result<ArrayView2<'_, f32>, NnError> {
    ArrayView2::from_shape((n, f), buf).map_err(|e| layout(&e))
}
fn m2(buf: &mut [f32], n: usize, f: usize) -> Result<ArrayViewMut2<'_, f32>, NnError> {
    ArrayViewMut2::from_shape((n, f), buf).map_err(|e| layout(&e))
}
fn shape4(net: &Network, i: usize) -> [usize; 4] {
    let s = &net.params[i].shape;
    [s[0], s[1], s[2], s[3]]
}

fn aux_error(node: &Node) -> NnError {
    NnError::Layer {
        layer: node.path.clone(),
        reason: "its buffers belong to another network; use a workspace per network".to_owned(),
    }
}

/// What the forward pass needs besides the node and its buffers.
pub(crate) struct Forward<'a> {
    pub net: &'a Network,
    pub mode: Mode,
    pub rng: &'a mut Rng,
    /// Whether to keep what only a backward pass reads (max pooling's argmax, batch norm's
    /// normalised input, dropout's mask): inference ([`Network::infer`]) leaves it out.
    pub for_backward: bool,
}

/// What the backward pass needs besides the node and its buffers; `G` keeps the
/// parameters' gradients ([`Gradients`], training) or none ([`NoParams`], explaining).
pub(crate) struct Backward<'a, G> {
    pub net: &'a Network,
    pub mode: Mode,
    pub grads: &'a mut G,
}

/// Where a backward pass writes the parameters' gradients.
pub(crate) trait ParamGrads {
    /// Parameter `i`'s gradient, to overwrite; `None` when they are not kept.
    fn slot(&mut self, i: usize) -> Option<&mut [f32]>;
}

impl ParamGrads for Gradients {
    fn slot(&mut self, i: usize) -> Option<&mut [f32]> {
        Some(&mut self.tensors_mut()[i])
    }
}

/// No parameter gradients: a backward pass for the layers' and the input's gradients only
/// (the explanations), which neither computes the weight-gradient products nor — its
/// `slot` being `None` at compile time — carries their code into a build that only
/// explains (the app's wasm).
pub(crate) struct NoParams;

impl ParamGrads for NoParams {
    fn slot(&mut self, _: usize) -> Option<&mut [f32]> {
        None
    }
}

/// The forward pass of `node` on `x` (`n` samples of `node.input`) into `state.out`.
pub(crate) fn forward(
    node: &Node,
    state: &mut State,
    x: &[f32],
    n: usize,
    ctx: &mut Forward<'_>,
) -> Result<(), NnError> {
    let net = ctx.net;
    let State { out, aux, .. } = state;
    match &node.kind {
        Kind::Conv {
            params,
            weight,
            bias,
        } => {
            let Aux::Conv(scratch) = aux else {
                return Err(aux_error(node));
            };
            let w = ArrayView4::from_shape(shape4(net, *weight), net.param(*weight))
                .map_err(|e| layout(&e))?;
            let b = bias.map(|b| ArrayView1::from(net.param(b)));
            conv2d_into(
                v4(x, n, node.input)?,
                w,
                b,
                *params,
                m4(out, n, node.output)?,
                scratch,
            )?;
        }
        Kind::Pool { kind, params } => {
            let argmax = match aux {
                Aux::Argmax(a) if ctx.for_backward => Some(m4_usize(a, n, node.output)?),
                _ => None,
            };
            pool2d_into(
                v4(x, n, node.input)?,
                *kind,
                *params,
                m4(out, n, node.output)?,
                argmax,
            )?;
        }
        Kind::Act(a) => activate(*a, x, out),
        Kind::BatchNorm {
            gamma,
            beta,
            mean,
            var,
            ..
        } => {
            let Aux::BatchNorm {
                batch_mean,
                batch_var,
                inv_std,
                xhat,
                ..
            } = aux
            else {
                return Err(aux_error(node));
            };
            let c = node.input.c;
            let hw = node.input.h * node.input.w;
            let m = n * hw;
            if ctx.mode == Mode::Train {
                if m < 2 {
                    return Err(NnError::Layer {
                        layer: node.path.clone(),
                        reason: format!(
                            "batch norm in training needs more than one value per channel, but a batch of {n} gives {m}; train with a larger batch"
                        ),
                    });
                }
                for ch in 0..c {
                    let mut sum = 0.0f64;
                    for s in 0..n {
                        let o = (s * c + ch) * hw;
                        sum += x[o..o + hw].iter().map(|&v| f64::from(v)).sum::<f64>();
                    }
                    let mu = sum / m as f64;
                    let mut sq = 0.0f64;
                    for s in 0..n {
                        let o = (s * c + ch) * hw;
                        sq += x[o..o + hw]
                            .iter()
                            .map(|&v| (f64::from(v) - mu).powi(2))
                            .sum::<f64>();
                    }
                    let biased = sq / m as f64;
                    batch_mean[ch] = mu as f32;
                    batch_var[ch] = (sq / (m - 1) as f64) as f32;
                    inv_std[ch] = (1.0 / (biased + f64::from(BN_EPS)).sqrt()) as f32;
                }
            } else {
                let (rm, rv) = (net.buffer(*mean), net.buffer(*var));
                for ch in 0..c {
                    batch_mean[ch] = rm[ch];
                    inv_std[ch] = 1.0 / (rv[ch] + BN_EPS).sqrt();
                }
            }
            let (g, b) = (net.param(*gamma), net.param(*beta));
            for s in 0..n {
                for ch in 0..c {
                    let o = (s * c + ch) * hw;
                    let (mu, is, gc, bc) = (batch_mean[ch], inv_std[ch], g[ch], b[ch]);
                    let (out, x) = (&mut out[o..o + hw], &x[o..o + hw]);
                    if ctx.for_backward {
                        for ((y, xh), &v) in out.iter_mut().zip(&mut xhat[o..o + hw]).zip(x) {
                            *xh = (v - mu) * is;
                            *y = gc * *xh + bc;
                        }
                    } else {
                        // The same arithmetic, the normalised input not kept.
                        for (y, &v) in out.iter_mut().zip(x) {
                            *y = gc * ((v - mu) * is) + bc;
                        }
                    }
                }
            }
        }
        Kind::Dropout { p } => {
            let Aux::Mask(mask) = aux else {
                return Err(aux_error(node));
            };
            if ctx.mode == Mode::Train && *p > 0.0 {
                let keep = 1.0 / (1.0 - p);
                for ((y, m), &v) in out.iter_mut().zip(mask.iter_mut()).zip(x) {
                    *m = if ctx.rng.next_f32() < *p { 0.0 } else { keep };
                    *y = v * *m;
                }
            } else {
                if ctx.for_backward {
                    mask.fill(1.0);
                }
                out.copy_from_slice(x);
            }
        }
        Kind::Flatten => out.copy_from_slice(x),
        Kind::Linear { weight, bias } => {
            let s = &net.params[*weight].shape;
            let (o, i) = (s[0], s[1]);
            let w = ArrayView2::from_shape((o, i), net.param(*weight)).map_err(|e| layout(&e))?;
            let b = bias.map(|b| ArrayView1::from(net.param(b)));
            linear_forward_into(v2(x, n, i)?, w, b, m2(out, n, o)?)?;
        }
        Kind::AdaptiveAvgPool => adaptive_forward(node.input, node.output, n, x, out),
        Kind::Lrn { size } => lrn_forward(*size, node.input, n, x, out),
        Kind::Residual { main, shortcut } => {
            let Aux::Block {
                main: ms,
                shortcut: ss,
                ..
            } = aux
            else {
                return Err(aux_error(node));
            };
            forward_sequence(main, ms, x, n, ctx)?;
            forward_sequence(shortcut, ss, x, n, ctx)?;
            let a = sequence_output(ms, x);
            let b = sequence_output(ss, x);
            for ((y, &p), &q) in out.iter_mut().zip(a).zip(b) {
                let s = p + q;
                *y = if s > 0.0 { s } else { 0.0 };
            }
        }
    }
    Ok(())
}

fn m4_usize(buf: &mut [usize], n: usize, v: Volume) -> Result<ArrayViewMut4<'_, usize>, NnError> {
    ArrayViewMut4::from_shape([n, v.c, v.h, v.w], buf).map_err(|e| layout(&e))
}

/// `out = f(x)` elementwise.
fn activate(act: Activation, x: &[f32], out: &mut [f32]) {
    match act {
        Activation::Relu => {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = if v > 0.0 { v } else { 0.0 };
            }
        }
        Activation::Identity => out.copy_from_slice(x),
        // Its own loop, which LLVM vectorises (no call in `tanh`).
        Activation::Tanh => {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = crate::activation::tanh(v);
            }
        }
        other => {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = other.apply(v);
            }
        }
    }
}

/// The backward pass of `node`: reads the gradient of its output from `state.grad`,
/// overwrites `dx` (if given) and, when `G` keeps them, its parameters' gradients.
pub(crate) fn backward<G: ParamGrads>(
    node: &Node,
    state: &mut State,
    x: &[f32],
    dx: Option<&mut [f32]>,
    n: usize,
    ctx: &mut Backward<'_, G>,
) -> Result<(), NnError> {
    let net = ctx.net;
    let State { out, grad, aux } = state;
    let dy: &[f32] = grad;
    match &node.kind {
        Kind::Conv {
            params,
            weight,
            bias,
        } => {
            let Aux::Conv(scratch) = aux else {
                return Err(aux_error(node));
            };
            let wshape = shape4(net, *weight);
            let dyv = v4(dy, n, node.output)?;
            if let Some(gw) = ctx.grads.slot(*weight) {
                conv2d_weight_backward_into(
                    v4(x, n, node.input)?,
                    dyv,
                    *params,
                    ArrayViewMut4::from_shape(wshape, gw).map_err(|e| layout(&e))?,
                    scratch,
                )?;
            }
            if let Some(gb) = bias.and_then(|b| ctx.grads.slot(b)) {
                conv2d_bias_backward_into(dyv, ArrayViewMut1::from(gb))?;
            }
            if let Some(dx) = dx {
                let w =
                    ArrayView4::from_shape(wshape, net.param(*weight)).map_err(|e| layout(&e))?;
                conv2d_x_backward_into(dyv, w, *params, m4(dx, n, node.input)?, scratch)?;
            }
        }
        Kind::Pool { kind, params } => {
            if let Some(dx) = dx {
                let argmax = match aux {
                    Aux::Argmax(a) => Some(
                        ArrayView4::from_shape(
                            [n, node.output.c, node.output.h, node.output.w],
                            &a[..],
                        )
                        .map_err(|e| layout(&e))?,
                    ),
                    _ => None,
                };
                pool2d_x_backward_into(
                    *kind,
                    *params,
                    v4(dy, n, node.output)?,
                    argmax,
                    m4(dx, n, node.input)?,
                )?;
            }
        }
        Kind::Act(a) => {
            if let Some(dx) = dx {
                activation_backward(*a, dy, x, out, dx);
            }
        }
        Kind::BatchNorm { gamma, beta, .. } => {
            let Aux::BatchNorm {
                inv_std,
                xhat,
                sums,
                ..
            } = aux
            else {
                return Err(aux_error(node));
            };
            let c = node.input.c;
            let hw = node.input.h * node.input.w;
            let m = (n * hw) as f32;
            let g = net.param(*gamma);
            sums.fill((0.0, 0.0));
            for s in 0..n {
                for (ch, sum) in sums.iter_mut().enumerate() {
                    let o = (s * c + ch) * hw;
                    for (&d, &xh) in dy[o..o + hw].iter().zip(&xhat[o..o + hw]) {
                        sum.0 += d;
                        sum.1 += d * xh;
                    }
                }
            }
            if let Some(gg) = ctx.grads.slot(*gamma) {
                for (g, &(_, sum_dy_xhat)) in gg.iter_mut().zip(sums.iter()) {
                    *g = sum_dy_xhat;
                }
            }
            if let Some(gb) = ctx.grads.slot(*beta) {
                for (g, &(sum_dy, _)) in gb.iter_mut().zip(sums.iter()) {
                    *g = sum_dy;
                }
            }
            if let Some(dx) = dx {
                for s in 0..n {
                    for (ch, &(sum_dy, sum_dy_xhat)) in sums.iter().enumerate() {
                        let o = (s * c + ch) * hw;
                        let scale = g[ch] * inv_std[ch];
                        let rows = dx[o..o + hw]
                            .iter_mut()
                            .zip(&dy[o..o + hw])
                            .zip(&xhat[o..o + hw]);
                        if ctx.mode == Mode::Train {
                            for ((d, &gy), &xh) in rows {
                                *d = scale / m * (m * gy - sum_dy - xh * sum_dy_xhat);
                            }
                        } else {
                            for ((d, &gy), _) in rows {
                                *d = scale * gy;
                            }
                        }
                    }
                }
            }
        }
        Kind::Dropout { .. } => {
            let Aux::Mask(mask) = aux else {
                return Err(aux_error(node));
            };
            if let Some(dx) = dx {
                for ((d, &g), &k) in dx.iter_mut().zip(dy).zip(mask.iter()) {
                    *d = g * k;
                }
            }
        }
        Kind::Flatten => {
            if let Some(dx) = dx {
                dx.copy_from_slice(dy);
            }
        }
        Kind::Linear { weight, bias } => {
            let s = &net.params[*weight].shape;
            let (o, i) = (s[0], s[1]);
            let dyv = v2(dy, n, o)?;
            if let Some(gw) = ctx.grads.slot(*weight) {
                linear_weight_backward_into(v2(x, n, i)?, dyv, m2(gw, o, i)?)?;
            }
            if let Some(gb) = bias.and_then(|b| ctx.grads.slot(b)) {
                linear_bias_backward_into(dyv, ArrayViewMut1::from(gb))?;
            }
            if let Some(dx) = dx {
                let w =
                    ArrayView2::from_shape((o, i), net.param(*weight)).map_err(|e| layout(&e))?;
                linear_x_backward_into(dyv, w, m2(dx, n, i)?)?;
            }
        }
        Kind::AdaptiveAvgPool => {
            if let Some(dx) = dx {
                adaptive_backward(node.input, node.output, n, dy, dx);
            }
        }
        Kind::Lrn { .. } => {
            return Err(NnError::Layer {
                layer: node.path.clone(),
                reason: "local response normalisation has no backward pass here, so a network with it can be evaluated but not trained or explained; remove it or use batchnorm".to_owned(),
            });
        }
        Kind::Residual { main, shortcut } => {
            let Aux::Block {
                main: ms,
                shortcut: ss,
                tmp,
            } = aux
            else {
                return Err(aux_error(node));
            };
            // relu(main + shortcut): the gradient passes where the sum was positive.
            for (g, &y) in grad.iter_mut().zip(out.iter()) {
                if y <= 0.0 {
                    *g = 0.0;
                }
            }
            let dy: &[f32] = grad;
            let mut dx = dx;
            match ms.last_mut() {
                Some(last) => {
                    last.grad.copy_from_slice(dy);
                    backward_sequence(main, ms, x, dx.as_deref_mut(), n, ctx)?;
                }
                None => {
                    if let Some(dx) = dx.as_deref_mut() {
                        dx.copy_from_slice(dy);
                    }
                }
            }
            match ss.last_mut() {
                Some(last) => {
                    last.grad.copy_from_slice(dy);
                    let want = dx.is_some();
                    backward_sequence(shortcut, ss, x, want.then_some(&mut tmp[..]), n, ctx)?;
                    if let Some(dx) = dx {
                        for (d, &t) in dx.iter_mut().zip(tmp.iter()) {
                            *d += t;
                        }
                    }
                }
                None => {
                    if let Some(dx) = dx {
                        for (d, &g) in dx.iter_mut().zip(dy) {
                            *d += g;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// `dx = dy ⊙ f'(x)`; `y = f(x)` gives tanh' = 1 − y² and σ' = y(1 − y).
fn activation_backward(act: Activation, dy: &[f32], x: &[f32], y: &[f32], dx: &mut [f32]) {
    match act {
        Activation::Identity => dx.copy_from_slice(dy),
        Activation::Relu => {
            for ((d, &g), &v) in dx.iter_mut().zip(dy).zip(x) {
                *d = if v > 0.0 { g } else { 0.0 };
            }
        }
        Activation::Tanh => {
            for ((d, &g), &v) in dx.iter_mut().zip(dy).zip(y) {
                *d = g * (1.0 - v * v);
            }
        }
        Activation::Sigmoid => {
            for ((d, &g), &v) in dx.iter_mut().zip(dy).zip(y) {
                *d = g * v * (1.0 - v);
            }
        }
        // Any other activation through its own derivative: a new kind needs no code here.
        a => {
            for ((d, &g), &v) in dx.iter_mut().zip(dy).zip(x) {
                *d = g * a.derivative(v);
            }
        }
    }
}

/// Output `i` of `m` over an axis of `n` averages `[⌊i·n/m⌋, ⌈(i+1)·n/m⌉)` (PyTorch's rule).
fn adaptive_range(i: usize, n: usize, m: usize) -> (usize, usize) {
    ((i * n) / m, ((i + 1) * n).div_ceil(m))
}

fn adaptive_forward(input: Volume, output: Volume, n: usize, x: &[f32], out: &mut [f32]) {
    let (h, w) = (input.h, input.w);
    let planes = n * input.c;
    for p in 0..planes {
        let plane = &x[p * h * w..(p + 1) * h * w];
        for oy in 0..output.h {
            let (y0, y1) = adaptive_range(oy, h, output.h);
            for ox in 0..output.w {
                let (x0, x1) = adaptive_range(ox, w, output.w);
                let mut sum = 0.0f32;
                for yy in y0..y1 {
                    sum += plane[yy * w + x0..yy * w + x1].iter().sum::<f32>();
                }
                out[(p * output.h + oy) * output.w + ox] = sum / ((y1 - y0) * (x1 - x0)) as f32;
            }
        }
    }
}

fn adaptive_backward(input: Volume, output: Volume, n: usize, dy: &[f32], dx: &mut [f32]) {
    let (h, w) = (input.h, input.w);
    dx.fill(0.0);
    for p in 0..n * input.c {
        let plane = &mut dx[p * h * w..(p + 1) * h * w];
        for oy in 0..output.h {
            let (y0, y1) = adaptive_range(oy, h, output.h);
            for ox in 0..output.w {
                let (x0, x1) = adaptive_range(ox, w, output.w);
                let g = dy[(p * output.h + oy) * output.w + ox] / ((y1 - y0) * (x1 - x0)) as f32;
                for yy in y0..y1 {
                    for v in &mut plane[yy * w + x0..yy * w + x1] {
                        *v += g;
                    }
                }
            }
        }
    }
}

/// PyTorch's `LocalResponseNorm(size)`: `b_c = a_c / (k + α/size · Σ a_{c'}²)^β` over the
/// channels `c − ⌊size/2⌋ ..= c + ⌊(size−1)/2⌋`.
fn lrn_forward(size: usize, input: Volume, n: usize, x: &[f32], out: &mut [f32]) {
    let (c, hw) = (input.c, input.h * input.w);
    let (before, after) = (size / 2, (size - 1) / 2);
    for s in 0..n {
        for ch in 0..c {
            let lo = ch.saturating_sub(before);
            let hi = (ch + after).min(c - 1);
            for i in 0..hw {
                let mut sq = 0.0f32;
                for k in lo..=hi {
                    let v = x[(s * c + k) * hw + i];
                    sq += v * v;
                }
                let o = (s * c + ch) * hw + i;
                out[o] = x[o] / (LRN_K + LRN_ALPHA / size as f32 * sq).powf(LRN_BETA);
            }
        }
    }
}

/// Refuses a network with a layer that has no backward pass.
pub(crate) fn check_trainable(nodes: &[Node]) -> Result<(), NnError> {
    for node in nodes {
        match &node.kind {
            Kind::Lrn { .. } => {
                return Err(NnError::Layer {
                    layer: node.path.clone(),
                    reason: "local response normalisation can be evaluated but not trained here; remove it or use batchnorm".to_owned(),
                });
            }
            Kind::Residual { main, shortcut } => {
                check_trainable(main)?;
                check_trainable(shortcut)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Calls `f(running_mean, running_var, tracked)` (buffer indices) for every batch norm, in
/// the order [`State`]s report their statistics.
pub(crate) fn for_each_batch_norm(nodes: &[Node], f: &mut impl FnMut(usize, usize, usize)) {
    for node in nodes {
        match &node.kind {
            Kind::BatchNorm {
                mean, var, tracked, ..
            } => f(*mean, *var, *tracked),
            Kind::Residual { main, shortcut } => {
                for_each_batch_norm(main, f);
                for_each_batch_norm(shortcut, f);
            }
            _ => {}
        }
    }
}
