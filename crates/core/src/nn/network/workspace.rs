//! The buffers of one batch through a [`Network`], reused batch after batch.
//!
//! One [`State`] per node mirrors the network's tree (a residual block's state holds the
//! states of its two paths): the node's output, the gradient of that output, and its side
//! buffers (max pooling's argmax, batch norm's statistics and normalised input, dropout's
//! mask, a convolution's im2col scratch). A batch resizes them, which never reallocates once
//! a batch this large has been seen, so training allocates nothing per step.

use super::node::{self, Backward, Forward, Kind, NoParams, Node, ParamGrads};
use super::{Mode, Network, volume_len};
use crate::arch::Volume;
use crate::conv::ConvScratch;
use crate::nn::error::{NnError, check_shape};
use crate::pool::PoolKind;
use crate::rng::Rng;

/// A node's buffers.
#[derive(Debug, Clone, Default)]
pub(crate) struct State {
    /// The node's output, `[n, c, h, w]`.
    pub out: Vec<f32>,
    /// The gradient of the loss with respect to `out`.
    pub grad: Vec<f32>,
    /// Side buffers of the node's kind.
    pub aux: Aux,
}

/// Side buffers by node kind.
#[derive(Debug, Clone, Default)]
pub(crate) enum Aux {
    #[default]
    None,
    Conv(ConvScratch),
    Argmax(Vec<usize>),
    BatchNorm {
        /// The mean used (the batch's in training, the running one in evaluation), `[c]`.
        batch_mean: Vec<f32>,
        /// The batch's unbiased variance (training only), `[c]`.
        batch_var: Vec<f32>,
        /// `1/√(var + ε)` used, `[c]`.
        inv_std: Vec<f32>,
        /// The normalised input, like the output.
        xhat: Vec<f32>,
        /// The backward pass's per-channel sums (Σ dy, Σ dy·x̂), `[c]`.
        sums: Vec<(f32, f32)>,
    },
    Mask(Vec<f32>),
    Block {
        main: Vec<State>,
        shortcut: Vec<State>,
        /// The shortcut's input gradient before it is added to the main path's.
        tmp: Vec<f32>,
    },
}

fn new_states(nodes: &[Node]) -> Vec<State> {
    nodes
        .iter()
        .map(|node| State {
            out: Vec::new(),
            grad: Vec::new(),
            aux: match &node.kind {
                Kind::Conv { .. } => Aux::Conv(ConvScratch::default()),
                Kind::Pool {
                    kind: PoolKind::Max,
                    ..
                } => Aux::Argmax(Vec::new()),
                Kind::BatchNorm { .. } => Aux::BatchNorm {
                    batch_mean: vec![0.0; node.input.c],
                    batch_var: vec![0.0; node.input.c],
                    inv_std: vec![0.0; node.input.c],
                    xhat: Vec::new(),
                    sums: vec![(0.0, 0.0); node.input.c],
                },
                Kind::Dropout { .. } => Aux::Mask(Vec::new()),
                Kind::Residual { main, shortcut } => Aux::Block {
                    main: new_states(main),
                    shortcut: new_states(shortcut),
                    tmp: Vec::new(),
                },
                _ => Aux::None,
            },
        })
        .collect()
}

fn resize_states(nodes: &[Node], states: &mut [State], n: usize) {
    for (node, s) in nodes.iter().zip(states) {
        let len = n * volume_len(node.output);
        s.out.resize(len, 0.0);
        s.grad.resize(len, 0.0);
        match &mut s.aux {
            Aux::Argmax(a) => a.resize(len, 0),
            Aux::BatchNorm { xhat, .. } => xhat.resize(len, 0.0),
            Aux::Mask(m) => m.resize(len, 0.0),
            Aux::Block {
                main: ms,
                shortcut: ss,
                tmp,
            } => {
                if let Kind::Residual { main, shortcut } = &node.kind {
                    resize_states(main, ms, n);
                    resize_states(shortcut, ss, n);
                }
                tmp.resize(n * volume_len(node.input), 0.0);
            }
            Aux::None | Aux::Conv(_) => {}
        }
    }
}

/// Floats one sample needs across all nodes' buffers (the argmax's indices count as two:
/// they are 8 bytes natively).
pub(crate) fn floats_per_sample(nodes: &[Node]) -> u64 {
    nodes
        .iter()
        .map(|node| {
            let out = volume_len(node.output) as u64;
            let aux = match &node.kind {
                Kind::Pool {
                    kind: PoolKind::Max,
                    ..
                } => 2 * out,
                Kind::BatchNorm { .. } | Kind::Dropout { .. } => out,
                Kind::Residual { main, shortcut } => floats_per_sample(main)
                    .saturating_add(floats_per_sample(shortcut))
                    .saturating_add(volume_len(node.input) as u64),
                _ => 0,
            };
            (2 * out).saturating_add(aux)
        })
        .fold(0u64, u64::saturating_add)
}

/// A fingerprint of a network's structure: a workspace built for another is rebuilt.
fn fingerprint(nodes: &[Node], into: &mut Vec<usize>) {
    for node in nodes {
        let kind = match &node.kind {
            Kind::Conv { .. } => 1,
            Kind::Pool { kind, .. } => 2 + *kind as usize,
            Kind::Act(_) => 6,
            Kind::BatchNorm { .. } => 7,
            Kind::Dropout { .. } => 8,
            Kind::Flatten => 9,
            Kind::Linear { .. } => 10,
            Kind::AdaptiveAvgPool => 11,
            Kind::Lrn { .. } => 12,
            Kind::Residual { .. } => 13,
        };
        into.extend([kind, node.output.h, node.output.w, node.output.c]);
        if let Kind::Residual { main, shortcut } = &node.kind {
            into.push(usize::MAX);
            fingerprint(main, into);
            into.push(usize::MAX - 1);
            fingerprint(shortcut, into);
            into.push(usize::MAX - 2);
        }
    }
}

/// The output of a sequence whose input is `x`: its last node's, or `x` for an empty one.
pub(crate) fn sequence_output<'a>(states: &'a [State], x: &'a [f32]) -> &'a [f32] {
    states.last().map_or(x, |s| &s.out[..])
}

/// Forward through `nodes` from `x`.
pub(crate) fn forward_sequence(
    nodes: &[Node],
    states: &mut [State],
    x: &[f32],
    n: usize,
    ctx: &mut Forward<'_>,
) -> Result<(), NnError> {
    for (i, node) in nodes.iter().enumerate() {
        let (done, rest) = states.split_at_mut(i);
        let input = done.last().map_or(x, |s| &s.out[..]);
        node::forward(node, &mut rest[0], input, n, ctx)?;
    }
    Ok(())
}

/// Backward through `nodes` from the gradient in the last state's `grad`; the input
/// gradient goes to `dx` (overwritten) when given.
pub(crate) fn backward_sequence<G: ParamGrads>(
    nodes: &[Node],
    states: &mut [State],
    x: &[f32],
    mut dx: Option<&mut [f32]>,
    n: usize,
    ctx: &mut Backward<'_, G>,
) -> Result<(), NnError> {
    for i in (0..nodes.len()).rev() {
        let (done, rest) = states.split_at_mut(i);
        let state = &mut rest[0];
        match done.last_mut() {
            Some(prev) => {
                node::backward(&nodes[i], state, &prev.out, Some(&mut prev.grad), n, ctx)?;
            }
            None => node::backward(&nodes[i], state, x, dx.as_deref_mut(), n, ctx)?,
        }
    }
    Ok(())
}

/// One node's output in a workspace, for drawing and explaining.
#[derive(Debug, Clone, Copy)]
pub struct WorkspaceOutput<'a> {
    /// The layer's path (`conv1`, `block1.conv2`).
    pub name: &'a str,
    /// One sample's output volume.
    pub volume: Volume,
    /// `[n, c, h, w]` row-major for the whole batch.
    pub values: &'a [f32],
    /// The gradient with respect to `values` after a backward pass (as long as `values`;
    /// stale or empty before one).
    pub grad: &'a [f32],
}

/// The buffers of one batch through a [`Network`] (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    batch: usize,
    input: Vec<f32>,
    input_grad: Vec<f32>,
    states: Vec<State>,
    fingerprint: Vec<usize>,
    /// Whether the last forward pass kept what a backward pass reads (max pooling's
    /// argmax, batch norm's normalised input, dropout's mask): [`Network::forward`] does,
    /// [`Network::infer`] does not, and a backward pass without it is an error.
    kept: bool,
}

impl Workspace {
    /// Empty buffers (sized by the first batch).
    pub fn new() -> Self {
        Self::default()
    }

    /// The batch size of the last batch loaded.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Sizes the buffers for `n` samples of `net` (rebuilding them for another network),
    /// leaving the input to be written through [`Workspace::input_mut`]; the first `n`
    /// samples already there stay.
    ///
    /// # Errors
    /// [`NnError::EmptyBatch`] for `n = 0`, [`NnError::TooLarge`] for `n` above
    /// [`super::MAX_BATCH`] or when the buffers would exceed [`super::MEMORY_LIMIT`] (checked
    /// before anything is allocated).
    pub fn prepare(&mut self, net: &Network, n: usize) -> Result<(), NnError> {
        if n == 0 {
            return Err(NnError::EmptyBatch { op: "Network" });
        }
        net.check_batch(n)?;
        let mut fp = Vec::new();
        fingerprint(net.nodes(), &mut fp);
        if fp != self.fingerprint {
            self.states = new_states(net.nodes());
            self.fingerprint = fp;
        }
        resize_states(net.nodes(), &mut self.states, n);
        self.input.resize(n * net.input_len(), 0.0);
        self.batch = n;
        Ok(())
    }

    /// Copies `n` samples into the input (after [`Workspace::prepare`]).
    ///
    /// # Errors
    /// As [`Workspace::prepare`], plus [`NnError::Shape`] when `images` is not
    /// `n · input_len` long.
    pub fn load(&mut self, net: &Network, images: &[f32], n: usize) -> Result<(), NnError> {
        check_shape(
            "Network",
            "the input",
            &[images.len()],
            &[n.saturating_mul(net.input_len())],
        )?;
        self.prepare(net, n)?;
        self.input.copy_from_slice(images);
        Ok(())
    }

    /// The input buffer, `[n, c, h, w]`.
    pub fn input(&self) -> &[f32] {
        &self.input
    }

    /// The input buffer, to fill in place.
    pub fn input_mut(&mut self) -> &mut [f32] {
        &mut self.input
    }

    /// The network's output for the batch, `[n, output_len]`.
    pub fn output(&self) -> &[f32] {
        sequence_output(&self.states, &self.input)
    }

    /// The gradient of the loss with respect to the output, to be written before
    /// [`Network::backward`]. Empty for a network without layers.
    pub fn output_grad_mut(&mut self) -> &mut [f32] {
        self.states.last_mut().map_or(&mut [], |s| &mut s.grad[..])
    }

    /// The output and its gradient buffer together (the loss reads one, writes the other).
    pub(crate) fn output_and_grad(&mut self) -> (&[f32], &mut [f32]) {
        match self.states.last_mut() {
            Some(s) => (&s.out, &mut s.grad),
            None => (&self.input, &mut []),
        }
    }

    /// The gradient with respect to the input, after a backward pass that asked for it.
    pub fn input_grad(&self) -> &[f32] {
        &self.input_grad
    }

    /// Every layer's output, in order, blocks' inner layers after their block.
    pub fn outputs<'a>(&'a self, net: &'a Network) -> Vec<WorkspaceOutput<'a>> {
        fn walk<'a>(nodes: &'a [Node], states: &'a [State], out: &mut Vec<WorkspaceOutput<'a>>) {
            for (node, state) in nodes.iter().zip(states) {
                out.push(WorkspaceOutput {
                    name: &node.path,
                    volume: node.output,
                    values: &state.out,
                    grad: &state.grad,
                });
                if let (
                    Kind::Residual { main, shortcut },
                    Aux::Block {
                        main: ms,
                        shortcut: ss,
                        ..
                    },
                ) = (&node.kind, &state.aux)
                {
                    walk(main, ms, out);
                    walk(shortcut, ss, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(net.nodes(), &self.states, &mut out);
        out
    }

    pub(crate) fn forward(
        &mut self,
        net: &Network,
        mode: Mode,
        rng: &mut Rng,
        for_backward: bool,
    ) -> Result<(), NnError> {
        let mut ctx = Forward {
            net,
            mode,
            rng,
            for_backward,
        };
        let n = self.batch;
        self.kept = false;
        forward_sequence(net.nodes(), &mut self.states, &self.input, n, &mut ctx)?;
        self.kept = for_backward;
        Ok(())
    }

    pub(crate) fn backward<G: ParamGrads>(
        &mut self,
        net: &Network,
        mode: Mode,
        grads: &mut G,
        input_grad: bool,
    ) -> Result<(), NnError> {
        if !self.kept {
            return Err(NnError::NoForward {
                op: "Network::backward",
            });
        }
        let n = self.batch;
        let mut ctx = Backward { net, mode, grads };
        if input_grad {
            self.input_grad.resize(self.input.len(), 0.0);
            if self.states.is_empty() {
                self.input_grad.fill(0.0);
            }
        }
        let dx = input_grad.then_some(&mut self.input_grad[..]);
        backward_sequence(net.nodes(), &mut self.states, &self.input, dx, n, &mut ctx)
    }

    /// The backward pass from one layer's output (after a forward pass): the gradient of
    /// `Σ seed_i · value_i` over the first sample's values of the layer at `path` (top
    /// level, or inside a residual block's path) with respect to the input, into
    /// [`Workspace::input_grad`]. Only the layers before it run, and no parameter's
    /// gradient is computed.
    ///
    /// # Errors
    /// [`NnError::Layer`] for a path the network does not have, or a layer without a
    /// backward pass; [`NnError::Shape`] for a seed of another length than the layer's
    /// output.
    pub(crate) fn backward_from(
        &mut self,
        net: &Network,
        path: &str,
        seed_grad: &[f32],
    ) -> Result<(), NnError> {
        if !self.kept {
            return Err(NnError::NoForward {
                op: "the receptive field's backward pass",
            });
        }
        let n = self.batch;
        let mut ctx = Backward {
            net,
            mode: Mode::Eval,
            grads: &mut NoParams,
        };
        self.input_grad.resize(self.input.len(), 0.0);
        let nodes = net.nodes();
        let seed = |node: &Node, state: &mut State| -> Result<(), NnError> {
            let len = volume_len(node.output);
            check_shape("explain", "the seed gradient", &[seed_grad.len()], &[len])?;
            state.grad.fill(0.0);
            state.grad[..len].copy_from_slice(seed_grad);
            Ok(())
        };
        for (k, node) in nodes.iter().enumerate() {
            let (before, rest) = self.states.split_at_mut(k);
            if node.path == path {
                seed(node, &mut rest[0])?;
                return backward_sequence(
                    &nodes[..=k],
                    &mut self.states[..=k],
                    &self.input,
                    Some(&mut self.input_grad),
                    n,
                    &mut ctx,
                );
            }
            let (
                Kind::Residual { main, shortcut },
                Aux::Block {
                    main: ms,
                    shortcut: ss,
                    ..
                },
            ) = (&node.kind, &mut rest[0].aux)
            else {
                continue;
            };
            for (inner, states) in [(main, ms), (shortcut, ss)] {
                let Some(j) = inner.iter().position(|m| m.path == path) else {
                    continue;
                };
                seed(&inner[j], &mut states[j])?;
                return match before.last_mut() {
                    Some(prev) => {
                        backward_sequence(
                            &inner[..=j],
                            &mut states[..=j],
                            &prev.out,
                            Some(&mut prev.grad),
                            n,
                            &mut ctx,
                        )?;
                        backward_sequence(
                            &nodes[..k],
                            before,
                            &self.input,
                            Some(&mut self.input_grad),
                            n,
                            &mut ctx,
                        )
                    }
                    None => backward_sequence(
                        &inner[..=j],
                        &mut states[..=j],
                        &self.input,
                        Some(&mut self.input_grad),
                        n,
                        &mut ctx,
                    ),
                };
            }
        }
        let names: Vec<&str> = self.outputs(net).iter().map(|o| o.name).collect();
        Err(NnError::Layer {
            layer: path.to_owned(),
            reason: format!("no such layer; the network has {}", names.join(", ")),
        })
    }

    /// Calls `f(mean, unbiased variance)` of the last training batch for every batch norm,
    /// in the network's order.
    pub(crate) fn batch_norm_stats(&self, f: &mut impl FnMut(&[f32], &[f32])) {
        fn walk(states: &[State], f: &mut impl FnMut(&[f32], &[f32])) {
            for s in states {
                match &s.aux {
                    Aux::BatchNorm {
                        batch_mean,
                        batch_var,
                        ..
                    } => f(batch_mean, batch_var),
                    Aux::Block { main, shortcut, .. } => {
                        walk(main, f);
                        walk(shortcut, f);
                    }
                    _ => {}
                }
            }
        }
        walk(&self.states, f);
    }
}
