//! Any network an [`Architecture`] describes, trainable: one description, read by the
//! explorer's tables, the trainer and the weights files.
//!
//! [`Network::build`] first evaluates the description with [`Architecture::evaluate`] (the
//! explorer's own arithmetic, so a layer that breaks is refused with the explorer's message
//! naming it), then makes one node per layer — convolution (stride, padding, dilation,
//! groups), max / average / sum pooling, the activations, batch norm, dropout, flatten,
//! linear, adaptive average pooling, local response normalisation (evaluation only) and
//! residual blocks, which hold node lists of their own.
//!
//! Every learnable tensor and every buffer carries its PyTorch `state_dict` name
//! (`conv1.weight`, `block1.bn1.running_mean`): the optimizer walks
//! [`Network::parameters_mut`], the weights files map names, pages find `conv1.weight` by
//! name. Parameters are initialised as PyTorch does, layer by layer, weight then bias, from
//! one [`Rng`]: the same seed gives the same network (LeNet-5 draws exactly what the former
//! hand-wired LeNet drew).
//!
//! Forward and backward passes run in a caller-kept [`Workspace`] whose buffers are sized
//! from the evaluation (each layer's output volume × the batch) and reused batch after
//! batch; [`Network::memory`] gives the same numbers beforehand, so a network or batch too
//! large is refused with a message, never an out-of-memory abort.

mod node;
mod threads;
mod train;
mod workspace;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

pub use train::{
    BatchStats, EpochStats, Evaluation, MAX_THREADS, Trainer, check_classifier, predictions,
};
pub use workspace::{Workspace, WorkspaceOutput};

use self::node::{Kind, Node};
use super::error::{NnError, check_shape};
use super::init::{fill_uniform, pytorch_default_bound};
use crate::arch::{Architecture, Layer, NetworkReport, Op, Volume};
use crate::rng::Rng;
use crate::shape::{Conv2dParams, Pool2dParams};

/// Training (batch statistics, dropout on) or evaluation (running statistics, dropout off),
/// as PyTorch's `model.train()` / `model.eval()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Batch norm normalises with the batch's statistics and updates its running ones;
    /// dropout zeroes values at random.
    Train,
    /// Batch norm uses its running statistics; dropout passes values through.
    #[default]
    Eval,
}

/// A named tensor: a parameter or a buffer, flat row-major in PyTorch's layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// The PyTorch `state_dict` name (`conv1.weight`).
    pub name: String,
    /// PyTorch's shape (`[6, 1, 5, 5]`).
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub data: Vec<f32>,
}

/// Batch norm's momentum for the running statistics (PyTorch's default).
pub const BN_MOMENTUM: f32 = 0.1;
/// Batch norm's ε (PyTorch's default).
pub const BN_EPS: f32 = 1e-5;

/// The most memory (bytes) a network may use for its parameters, their gradients and
/// optimizer state, and one batch's activations and their gradients.
pub const MEMORY_LIMIT: u64 = if cfg!(target_arch = "wasm32") {
    1 << 30
} else {
    8 << 30
};

/// The largest batch any network runs: no page or command needs more (the CLI's default
/// is 64, the test set is scored 256 at a time), and it keeps every batch index and
/// `batch · volume` product far from overflow on 32-bit wasm, whatever the memory check
/// allows for a tiny network.
pub const MAX_BATCH: usize = 1 << 16;

/// What running a network costs in memory, in bytes (see [`Network::memory`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// Learnable values.
    pub parameters: u64,
    /// Parameters, their gradients and two optimizer states (Adam's moments), in bytes.
    pub parameter_bytes: u64,
    /// Activations, their gradients and the layers' side buffers for the batch, in bytes.
    pub activation_bytes: u64,
}

impl Memory {
    /// Everything.
    pub fn total(&self) -> u64 {
        self.parameter_bytes.saturating_add(self.activation_bytes)
    }
}

/// Bytes in the usual binary units: `12.3 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// A trainable network built from an [`Architecture`] (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    description: Architecture,
    report: NetworkReport,
    nodes: Vec<Node>,
    params: Vec<Tensor>,
    buffers: Vec<Tensor>,
    /// `num_batches_tracked` of every batch norm, in node order, with its name.
    tracked: Vec<(String, u64)>,
}

impl Network {
    /// Builds the network `description` describes, initialised as PyTorch does from `rng`.
    ///
    /// # Errors
    /// [`NnError::Description`] with the explorer's message when a layer cannot take its
    /// input; [`NnError::Layer`] for a duplicate layer name or a layer the network cannot
    /// run; [`NnError::TooLarge`] when the parameters alone exceed [`MEMORY_LIMIT`].
    pub fn build(description: &Architecture, rng: &mut Rng) -> Result<Self, NnError> {
        let report = description.evaluate()?;
        check_parameter_memory(&description.name, report.totals.params)?;
        let mut net = Self {
            description: description.clone(),
            report,
            nodes: Vec::new(),
            params: Vec::new(),
            buffers: Vec::new(),
            tracked: Vec::new(),
        };
        let nodes = net.build_sequence(&description.layers, description.input, "", rng)?;
        net.nodes = nodes;
        Ok(net)
    }

    fn build_sequence(
        &mut self,
        layers: &[Layer],
        input: Volume,
        prefix: &str,
        rng: &mut Rng,
    ) -> Result<Vec<Node>, NnError> {
        let mut nodes: Vec<Node> = Vec::with_capacity(layers.len());
        // A set, not a scan of the nodes: a description of 10,000 layers took 0.6 s.
        let mut seen: HashSet<&str> = HashSet::with_capacity(layers.len());
        let mut volume = input;
        for layer in layers {
            let path = format!("{prefix}{}", layer.name);
            if !seen.insert(layer.name.as_str()) {
                return Err(NnError::Layer {
                    layer: path,
                    reason: "another layer of the same block has this name; parameter names must be unique".to_owned(),
                });
            }
            let node = self.build_node(layer, &path, volume, rng)?;
            volume = node.output;
            nodes.push(node);
        }
        Ok(nodes)
    }

    fn add_param(&mut self, path: &str, what: &str, shape: Vec<usize>) -> usize {
        let len = shape.iter().product();
        self.params.push(Tensor {
            name: format!("{path}.{what}"),
            shape,
            data: vec![0.0; len],
        });
        self.params.len() - 1
    }

    fn add_buffer(&mut self, path: &str, what: &str, len: usize, value: f32) -> usize {
        self.buffers.push(Tensor {
            name: format!("{path}.{what}"),
            shape: vec![len],
            data: vec![value; len],
        });
        self.buffers.len() - 1
    }

    fn build_node(
        &mut self,
        layer: &Layer,
        path: &str,
        input: Volume,
        rng: &mut Rng,
    ) -> Result<Node, NnError> {
        let layer_error = |reason: String| NnError::Layer {
            layer: path.to_owned(),
            reason,
        };
        // The explorer's evaluation of this one layer gives the output volume and checks it.
        let single = Architecture {
            name: String::new(),
            title: String::new(),
            input,
            layers: vec![layer.clone()],
        };
        let output = single
            .evaluate()
            .map_err(|mut e| {
                e.layer = format!("{path}{}", e.layer.strip_prefix(&layer.name).unwrap_or(""));
                NnError::Description(e)
            })?
            .totals
            .output;
        let kind = match &layer.op {
            Op::Conv(c) => {
                let cg = input.c / c.groups.max(1);
                let shape = vec![c.out_channels, cg, c.kernel, c.kernel];
                let bound = pytorch_default_bound(cg * c.kernel * c.kernel);
                let weight = self.add_param(path, "weight", shape);
                fill_uniform(&mut self.params[weight].data, bound, rng);
                let bias = c.bias.then(|| {
                    let b = self.add_param(path, "bias", vec![c.out_channels]);
                    fill_uniform(&mut self.params[b].data, bound, rng);
                    b
                });
                let params = Conv2dParams {
                    stride: [c.stride; 2],
                    padding: [c.padding; 2],
                    dilation: [c.dilation; 2],
                    groups: c.groups,
                };
                Kind::Conv {
                    params,
                    weight,
                    bias,
                }
            }
            Op::Pool { .. } => {
                let (kind, p) = layer
                    .op
                    .as_pool()
                    .ok_or_else(|| layer_error("not a pooling layer".to_owned()))?;
                Kind::Pool {
                    kind,
                    params: Pool2dParams {
                        kernel: [p.kernel; 2],
                        stride: [p.stride; 2],
                        padding: [p.padding; 2],
                    },
                }
            }
            Op::Activation { function } => Kind::Act(*function),
            Op::BatchNorm => {
                let c = input.c;
                let gamma = self.add_param(path, "weight", vec![c]);
                self.params[gamma].data.fill(1.0);
                let beta = self.add_param(path, "bias", vec![c]);
                let mean = self.add_buffer(path, "running_mean", c, 0.0);
                let var = self.add_buffer(path, "running_var", c, 1.0);
                self.tracked
                    .push((format!("{path}.num_batches_tracked"), 0));
                Kind::BatchNorm {
                    gamma,
                    beta,
                    mean,
                    var,
                    tracked: self.tracked.len() - 1,
                }
            }
            Op::Dropout { p } => Kind::Dropout { p: *p as f32 },
            Op::Flatten => Kind::Flatten,
            Op::Linear(l) => {
                let inputs = input.elements().unwrap_or(0);
                let bound = pytorch_default_bound(inputs);
                let weight = self.add_param(path, "weight", vec![l.out_features, inputs]);
                fill_uniform(&mut self.params[weight].data, bound, rng);
                let bias = l.bias.then(|| {
                    let b = self.add_param(path, "bias", vec![l.out_features]);
                    fill_uniform(&mut self.params[b].data, bound, rng);
                    b
                });
                Kind::Linear { weight, bias }
            }
            Op::AdaptiveAvgPool { .. } => Kind::AdaptiveAvgPool,
            Op::LocalResponseNorm { size } => Kind::Lrn { size: *size },
            Op::Residual(block) => {
                let prefix = format!("{path}.");
                let main = self.build_sequence(&block.main, input, &prefix, rng)?;
                let shortcut = self.build_sequence(&block.shortcut, input, &prefix, rng)?;
                // Both paths name tensors under the block: a shared name would give two
                // tensors one name.
                if let Some(n) = shortcut
                    .iter()
                    .find(|n| main.iter().any(|m| m.path == n.path))
                {
                    return Err(NnError::Layer {
                        layer: n.path.clone(),
                        reason: "the block's main path has a layer of the same name; parameter names must be unique".to_owned(),
                    });
                }
                Kind::Residual { main, shortcut }
            }
        };
        Ok(Node {
            path: path.to_owned(),
            input,
            output,
            kind,
        })
    }

    /// The description it was built from.
    pub fn description(&self) -> &Architecture {
        &self.description
    }

    /// The explorer's evaluation of the description (volumes, parameters, MACs per layer).
    pub fn report(&self) -> &NetworkReport {
        &self.report
    }

    /// The input volume (`28x28x1` for the digit models).
    pub fn input(&self) -> Volume {
        self.description.input
    }

    /// Values per input sample (h·w·c).
    pub fn input_len(&self) -> usize {
        volume_len(self.description.input)
    }

    /// The output volume.
    pub fn output(&self) -> Volume {
        self.report.totals.output
    }

    /// Values per output sample (the number of classes for a classifier).
    pub fn output_len(&self) -> usize {
        volume_len(self.output())
    }

    /// Learnable values (the explorer's total).
    pub fn parameter_count(&self) -> u64 {
        self.report.totals.params
    }

    /// The learnable tensors, in PyTorch's `state_dict` order.
    pub fn parameters(&self) -> &[Tensor] {
        &self.params
    }

    /// The learnable values as flat slices, in [`Network::parameters`] order (for
    /// optimizers).
    pub fn parameters_mut(&mut self) -> Vec<&mut [f32]> {
        self.params.iter_mut().map(|t| &mut t.data[..]).collect()
    }

    /// Makes this network `other`'s copy: in place (parameters, buffers and counters copied,
    /// nothing allocated) when both have the same description, otherwise by cloning.
    pub(crate) fn copy_state_from(&mut self, other: &Network) {
        let same = self.description == other.description
            && self.params.len() == other.params.len()
            && self.buffers.len() == other.buffers.len()
            && self.tracked.len() == other.tracked.len()
            && self
                .params
                .iter()
                .chain(&self.buffers)
                .zip(other.params.iter().chain(&other.buffers))
                .all(|(a, b)| a.data.len() == b.data.len());
        if !same {
            *self = other.clone();
            return;
        }
        for (a, b) in self
            .params
            .iter_mut()
            .chain(self.buffers.iter_mut())
            .zip(other.params.iter().chain(&other.buffers))
        {
            a.data.copy_from_slice(&b.data);
        }
        self.tracked.clone_from(&other.tracked);
    }

    /// The buffers (batch norm's `running_mean` and `running_var`).
    pub fn buffers(&self) -> &[Tensor] {
        &self.buffers
    }

    /// Batch norm's `num_batches_tracked`, by name.
    pub fn batches_tracked(&self) -> &[(String, u64)] {
        &self.tracked
    }

    /// The parameter or buffer called `name`.
    pub fn tensor(&self, name: &str) -> Option<&Tensor> {
        self.params
            .iter()
            .chain(&self.buffers)
            .find(|t| t.name == name)
    }

    /// Replaces the values of the parameter or buffer called `name`.
    ///
    /// # Errors
    /// [`NnError::Layer`] for an unknown name, [`NnError::Shape`] for another length.
    pub fn set_tensor(&mut self, name: &str, data: &[f32]) -> Result<(), NnError> {
        let t = self
            .params
            .iter_mut()
            .chain(&mut self.buffers)
            .find(|t| t.name == name)
            .ok_or_else(|| NnError::Layer {
                layer: name.to_owned(),
                reason: "this network has no such tensor".to_owned(),
            })?;
        check_shape(
            "Network::set_tensor",
            "the values",
            &[data.len()],
            &[t.data.len()],
        )?;
        t.data.copy_from_slice(data);
        Ok(())
    }

    /// Sets a batch norm's `num_batches_tracked`.
    ///
    /// # Errors
    /// [`NnError::Layer`] for an unknown name.
    pub fn set_batches_tracked(&mut self, name: &str, value: u64) -> Result<(), NnError> {
        let slot = self
            .tracked
            .iter_mut()
            .find(|(n, _)| n == name)
            .ok_or_else(|| NnError::Layer {
                layer: name.to_owned(),
                reason: "this network has no such batch norm counter".to_owned(),
            })?;
        slot.1 = value;
        Ok(())
    }

    /// Memory for training with batches of `batch` (see [`Memory`]).
    pub fn memory(&self, batch: usize) -> Memory {
        let per_sample = workspace::floats_per_sample(&self.nodes);
        let input = self.input_len() as u64;
        Memory {
            parameters: self.report.totals.params,
            parameter_bytes: param_bytes(self.report.totals.params),
            activation_bytes: per_sample
                .saturating_add(input)
                .saturating_mul(batch as u64)
                .saturating_mul(4),
        }
    }

    /// Refuses a batch larger than [`MAX_BATCH`] or whose buffers would exceed
    /// [`MEMORY_LIMIT`], with the numbers.
    ///
    /// # Errors
    /// [`NnError::TooLarge`].
    pub fn check_batch(&self, batch: usize) -> Result<(), NnError> {
        // The memory first: its message says how large a batch fits.
        let m = self.memory(batch);
        if m.total() > MEMORY_LIMIT {
            let per = self.memory(1).activation_bytes.max(1);
            let fits = (MEMORY_LIMIT.saturating_sub(m.parameter_bytes) / per).min(MAX_BATCH as u64);
            return Err(NnError::TooLarge {
                message: format!(
                    "a batch of {} images needs {} for the activations of {} and their gradients ({} per image) plus {} for its {} parameters: {} in all, more than the {} allowed here; use a batch of at most {}",
                    crate::format::thousands(batch as u64),
                    human_bytes(m.activation_bytes),
                    self.description.name,
                    human_bytes(per),
                    human_bytes(m.parameter_bytes),
                    crate::format::thousands(m.parameters),
                    human_bytes(m.total()),
                    human_bytes(MEMORY_LIMIT),
                    crate::format::thousands(fits),
                ),
            });
        }
        if batch > MAX_BATCH {
            return Err(NnError::TooLarge {
                message: format!(
                    "a batch of {} images is more than the {} allowed; use a batch of at most {}",
                    crate::format::thousands(batch as u64),
                    crate::format::thousands(MAX_BATCH as u64),
                    crate::format::thousands(MAX_BATCH as u64),
                ),
            });
        }
        Ok(())
    }

    /// Refuses a network with a layer that cannot be trained, naming it.
    ///
    /// # Errors
    /// [`NnError::Layer`] for local response normalisation.
    pub fn check_trainable(&self) -> Result<(), NnError> {
        node::check_trainable(&self.nodes)
    }

    /// Outputs for `n` samples (`n · input_len` values, NCHW row-major) in `ws`, returned
    /// as a view of its buffer (`n · output_len` values). `rng` drives dropout in
    /// [`Mode::Train`].
    ///
    /// # Errors
    /// [`NnError::Shape`] when `images` is not `n · input_len` long,
    /// [`NnError::EmptyBatch`] for `n = 0`, [`NnError::TooLarge`] for a batch too large,
    /// [`NnError::Layer`] for a layer that cannot run in `mode`.
    pub fn forward<'w>(
        &self,
        images: &[f32],
        n: usize,
        mode: Mode,
        ws: &'w mut Workspace,
        rng: &mut Rng,
    ) -> Result<&'w [f32], NnError> {
        ws.load(self, images, n)?;
        self.forward_loaded(mode, ws, rng, true)?;
        Ok(ws.output())
    }

    /// [`Network::forward`] in [`Mode::Eval`] (no randomness) for its outputs only: the
    /// inference path the Classify page and the benchmarks take. Every layer's output is
    /// in `ws` as after `forward`, but not what only a backward pass reads (max pooling's
    /// argmax: 40 % of a 2×2 pooling's time in wasm; batch norm's normalised input; dropout's
    /// mask), so a backward pass after it is an error ([`NnError::NoForward`]).
    ///
    /// # Errors
    /// As [`Network::forward`].
    pub fn infer<'w>(
        &self,
        images: &[f32],
        n: usize,
        ws: &'w mut Workspace,
    ) -> Result<&'w [f32], NnError> {
        ws.load(self, images, n)?;
        self.forward_loaded(Mode::Eval, ws, &mut Rng::seed_from_u64(0), false)?;
        Ok(ws.output())
    }

    /// The forward pass of the batch already in `ws` (see [`Workspace::load`]), keeping
    /// what a backward pass reads when `for_backward` is set.
    pub(crate) fn forward_loaded(
        &self,
        mode: Mode,
        ws: &mut Workspace,
        rng: &mut Rng,
        for_backward: bool,
    ) -> Result<(), NnError> {
        ws.forward(self, mode, rng, for_backward)
    }

    /// The backward pass after [`Network::forward`] in `mode`, from the output gradient
    /// in [`Workspace::output_grad_mut`]: parameter gradients into `grads` (in
    /// [`Network::parameters`] order, overwritten), and the input gradient into
    /// [`Workspace::input_grad`] when `input_grad` is set.
    ///
    /// # Errors
    /// [`NnError::Layer`] for a layer without a backward pass (local response
    /// normalisation); [`NnError::Shape`] for gradients of another network.
    pub fn backward(
        &self,
        mode: Mode,
        ws: &mut Workspace,
        grads: &mut Gradients,
        input_grad: bool,
    ) -> Result<(), NnError> {
        grads.fit(self);
        ws.backward(self, mode, grads, input_grad)
    }

    /// [`Network::backward`] in evaluation mode for the layers' gradients only (in
    /// [`Workspace::outputs`]) and, when `input_grad` is set, the input's: what the
    /// explanations need. No parameter's gradient is computed.
    ///
    /// # Errors
    /// As [`Network::backward`].
    pub fn backward_outputs(&self, ws: &mut Workspace, input_grad: bool) -> Result<(), NnError> {
        ws.backward(self, Mode::Eval, &mut node::NoParams, input_grad)
    }

    /// After a training step: batch norm's running statistics move towards the batch's by
    /// [`BN_MOMENTUM`] (the variance unbiased, as PyTorch), and `num_batches_tracked`
    /// counts one more batch. `shares` are the workspaces a batch was split over, with
    /// their fractions of it; their statistics are averaged by those weights.
    pub fn track_running_stats(&mut self, shares: &[(&Workspace, f32)]) {
        let mut stats = Vec::new();
        for (ws, w) in shares {
            let mut i = 0;
            ws.batch_norm_stats(&mut |mean, var| {
                if stats.len() <= i {
                    stats.push((vec![0.0f32; mean.len()], vec![0.0f32; var.len()]));
                }
                for (s, &m) in stats[i].0.iter_mut().zip(mean) {
                    *s += w * m;
                }
                for (s, &v) in stats[i].1.iter_mut().zip(var) {
                    *s += w * v;
                }
                i += 1;
            });
        }
        let mut i = 0;
        let buffers = &mut self.buffers;
        let tracked = &mut self.tracked;
        node::for_each_batch_norm(&self.nodes, &mut |mean, var, t| {
            if let Some((m, v)) = stats.get(i) {
                for (r, &b) in buffers[mean].data.iter_mut().zip(m) {
                    *r = (1.0 - BN_MOMENTUM) * *r + BN_MOMENTUM * b;
                }
                for (r, &b) in buffers[var].data.iter_mut().zip(v) {
                    *r = (1.0 - BN_MOMENTUM) * *r + BN_MOMENTUM * b;
                }
                tracked[t].1 += 1;
            }
            i += 1;
        });
    }

    pub(crate) fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub(crate) fn param(&self, i: usize) -> &[f32] {
        &self.params[i].data
    }

    pub(crate) fn buffer(&self, i: usize) -> &[f32] {
        &self.buffers[i].data
    }
}

/// Parameter gradients, in [`Network::parameters`] order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gradients {
    tensors: Vec<Vec<f32>>,
}

impl Gradients {
    /// Zero gradients for `net`.
    pub fn new(net: &Network) -> Self {
        let mut g = Self::default();
        g.fit(net);
        g
    }

    /// Sizes the tensors for `net` (no reallocation when they already fit).
    pub(crate) fn fit(&mut self, net: &Network) {
        self.tensors.resize_with(net.params.len(), Vec::new);
        for (g, p) in self.tensors.iter_mut().zip(&net.params) {
            g.resize(p.data.len(), 0.0);
        }
    }

    /// The gradient tensors, flat, in [`Network::parameters`] order.
    pub fn tensors(&self) -> Vec<&[f32]> {
        self.tensors.iter().map(|t| &t[..]).collect()
    }

    /// Mutable tensors (the data-parallel trainer combines its shares here).
    pub(crate) fn tensors_mut(&mut self) -> &mut [Vec<f32>] {
        &mut self.tensors
    }

    /// The gradient of the parameter called `name` in `net`.
    pub fn get<'a>(&'a self, net: &Network, name: &str) -> Option<&'a [f32]> {
        let i = net.params.iter().position(|t| t.name == name)?;
        self.tensors.get(i).map(|t| &t[..])
    }
}

/// Refuses `params` learnable parameters when they, their gradients and optimizer state
/// exceed [`MEMORY_LIMIT`] (what [`Network::build`] checks before allocating anything).
///
/// # Errors
/// [`NnError::TooLarge`] naming the network `name`, the count and the bytes.
pub(crate) fn check_parameter_memory(name: &str, params: u64) -> Result<(), NnError> {
    let params_bytes = param_bytes(params);
    if params_bytes > MEMORY_LIMIT {
        return Err(NnError::TooLarge {
            message: format!(
                "{name} has {} learnable parameters; with their gradients and optimizer state that is {}, more than the {} allowed here",
                crate::format::thousands(params),
                human_bytes(params_bytes),
                human_bytes(MEMORY_LIMIT),
            ),
        });
    }
    Ok(())
}

/// Bytes for parameters, their gradients and two optimizer states.
fn param_bytes(params: u64) -> u64 {
    params.saturating_mul(16)
}

/// h·w·c (volumes of a built network fit in memory: they passed [`Network::check_batch`]'s
/// arithmetic or the evaluation's checked products).
pub(crate) fn volume_len(v: Volume) -> usize {
    v.h.saturating_mul(v.w).saturating_mul(v.c)
}
