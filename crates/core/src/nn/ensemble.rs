//! Several trained networks of one description as one network that averages their logits.
//!
//! `N` members with the same description become one network of the same layers with every
//! channel count times `N`: the first convolution stacks the members' filters (each reads
//! the one input), every later convolution has `N` times the groups (member `i`'s channels
//! are the `i`-th block of every layer, and each block reads only its own), batch norm,
//! activations, pooling, dropout and residual blocks work channel by channel as they are,
//! and the last layer — a linear one after the flatten — reads all members' features with
//! each member's weights divided by `N`, its bias their mean: the mean of the members'
//! logits, up to float rounding. The tensors keep their names and are the members'
//! concatenated along their first axis (PyTorch's `Conv2d(N·C, N·K, groups=N·G)` holds its
//! filters that way), so the file loads in PyTorch as any other.
//!
//! What cannot be merged so is refused, naming the layer: a first layer that is not an
//! ungrouped convolution (the members would each need the input), local response
//! normalisation (it mixes neighbouring channels, so members' channels would mix), and a
//! linear layer anywhere but last (a hidden one would mix all members' features).

use super::error::NnError;
use super::network::Network;
use crate::arch::{Architecture, Layer, Op};
use crate::rng::Rng;

/// The most networks [`ensemble`] merges.
pub const MAX_MEMBERS: usize = 16;

/// One network computing the mean of `members`' logits (see the module documentation).
///
/// # Errors
/// [`NnError::Layer`] for no members or more than [`MAX_MEMBERS`], members of different
/// descriptions, or a layer that cannot be merged (named); [`NnError::TooLarge`] when the
/// merged network's parameters would not fit.
pub fn ensemble(members: &[Network]) -> Result<Network, NnError> {
    let Some(first) = members.first() else {
        return Err(refused("INPUT", "an ensemble needs at least one network"));
    };
    let n = members.len();
    if n > MAX_MEMBERS {
        return Err(refused(
            "INPUT",
            format!("{n} networks given; an ensemble merges at most {MAX_MEMBERS}"),
        ));
    }
    let description = first.description();
    if let Some((i, _)) = members
        .iter()
        .enumerate()
        .find(|(_, m)| m.description() != description)
    {
        return Err(refused(
            "INPUT",
            format!(
                "network {} is {} and network 1 is {}: an ensemble's networks share one description",
                i + 1,
                members[i].description().to_text(),
                description.to_text()
            ),
        ));
    }
    let (last, classes, body) = match description.layers.split_last() {
        Some((
            last @ Layer {
                op: Op::Linear(linear),
                ..
            },
            body,
        )) => (last, linear.out_features, body),
        Some((last, _)) => {
            return Err(refused(
                &last.name,
                "an ensemble's networks end in a linear layer (their logits), after the flatten",
            ));
        }
        None => return Err(refused("INPUT", "the networks have no layers")),
    };
    let mut layers = Vec::with_capacity(description.layers.len());
    for (i, layer) in body.iter().enumerate() {
        layers.push(widen(layer, n, i == 0)?);
    }
    layers.push(last.clone());
    let merged = Architecture {
        name: format!("{}_x{n}", description.name),
        title: format!(
            "{n} × {}, their logits averaged (convscope ensemble)",
            description.title
        ),
        input: description.input,
        layers,
    };
    let mut net = Network::build(&merged, &mut Rng::seed_from_u64(0))?;
    let head = format!("{}.", last.name);
    let names: Vec<String> = net
        .parameters()
        .iter()
        .chain(net.buffers())
        .map(|t| t.name.clone())
        .collect();
    for name in names {
        let parts: Vec<&[f32]> = members
            .iter()
            .map(|m| m.tensor(&name).map(|t| &t.data[..]))
            .collect::<Option<_>>()
            .ok_or_else(|| refused(&name, "a network has no such tensor"))?;
        let data = if !name.starts_with(&head) {
            parts.concat()
        } else if name.ends_with(".bias") {
            mean(&parts)
        } else {
            // `[classes, features]` each: row k of the merged weight is every member's row k,
            // divided by N, side by side.
            let features = parts[0].len() / classes.max(1);
            let mut w = Vec::with_capacity(n * parts[0].len());
            for k in 0..classes {
                for p in &parts {
                    w.extend(
                        p[k * features..(k + 1) * features]
                            .iter()
                            .map(|v| v / n as f32),
                    );
                }
            }
            w
        };
        net.set_tensor(&name, &data)?;
    }
    let tracked: Vec<(String, u64)> = first.batches_tracked().to_vec();
    for (name, count) in tracked {
        net.set_batches_tracked(&name, count)?;
    }
    Ok(net)
}

fn refused(layer: &str, reason: impl Into<String>) -> NnError {
    NnError::Layer {
        layer: layer.to_owned(),
        reason: reason.into(),
    }
}

/// The element-wise mean of equally long slices.
fn mean(parts: &[&[f32]]) -> Vec<f32> {
    let n = parts.len() as f32;
    (0..parts[0].len())
        .map(|j| parts.iter().map(|p| p[j]).sum::<f32>() / n)
        .collect()
}

/// `layer` for `n` members side by side: `first` is the network's first layer, the one
/// every member reads the input with.
fn widen(layer: &Layer, n: usize, first: bool) -> Result<Layer, NnError> {
    let op = match &layer.op {
        Op::Conv(c) if first && c.groups != 1 => {
            return Err(refused(
                &layer.name,
                format!(
                    "an ensemble's first convolution has groups 1 (this one has {}): each network's filters read the whole input",
                    c.groups
                ),
            ));
        }
        Op::Conv(c) => {
            let mut c = *c;
            c.out_channels *= n;
            if !first {
                c.groups *= n;
            }
            Op::Conv(c)
        }
        _ if first => {
            return Err(refused(
                &layer.name,
                "an ensemble's networks start with a convolution, which reads the input for each of them",
            ));
        }
        Op::LocalResponseNorm { .. } => {
            return Err(refused(
                &layer.name,
                "local response normalisation mixes neighbouring channels, so the networks' channels would mix",
            ));
        }
        Op::Linear(_) => {
            return Err(refused(
                &layer.name,
                "only the last layer may be linear: a hidden one would mix the networks' features",
            ));
        }
        Op::Residual(r) => {
            let mut r = r.clone();
            for l in r.main.iter_mut().chain(r.shortcut.iter_mut()) {
                *l = widen(l, n, false)?;
            }
            Op::Residual(r)
        }
        Op::Pool { .. }
        | Op::Activation { .. }
        | Op::BatchNorm
        | Op::AdaptiveAvgPool { .. }
        | Op::Flatten
        | Op::Dropout { .. } => layer.op.clone(),
    };
    Ok(Layer {
        name: layer.name.clone(),
        op,
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::nn::{AdamConfig, Trainer, Workspace};

    fn trained(text: &str, seed: u64) -> Network {
        let arch = Architecture::from_text(text).unwrap();
        let mut net = Network::build(&arch, &mut Rng::seed_from_u64(seed)).unwrap();
        // A few steps, so that batch norm's running statistics and the biases are not the
        // initial ones.
        let mut rng = Rng::seed_from_u64(seed + 100);
        let n = 16;
        let images: Vec<f32> = (0..n * net.input_len()).map(|_| rng.next_f32()).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % net.output_len()) as u8).collect();
        let mut opt = AdamConfig::new(1e-2).init().unwrap();
        let mut trainer = Trainer::new();
        for _ in 0..3 {
            trainer
                .train_batch(&mut net, &mut opt, &images, &labels, &mut rng)
                .unwrap();
        }
        net
    }

    /// The merged network's logits are the mean of the members' (batch norm, a residual
    /// block with a projection, a grouped convolution, dropout, two pooling kinds), and its
    /// parameter count is the members' sum but for the shared classifier's bias.
    #[test]
    fn the_merged_network_averages_its_members_logits() {
        let text = "input 12x12x2, conv 4 3x3 pad 1 nobias, bn, relu, basic(conv 6 3x3 pad 1 groups 2 nobias, bn, relu, conv 6 3x3 pad 1 nobias, bn | conv 6 1x1 nobias, bn), maxpool 2, conv 4 3x3 pad 1, tanh, avgpool 2, flatten, dropout 0.3, linear 5";
        let members: Vec<Network> = (0..3).map(|s| trained(text, s)).collect();
        let merged = ensemble(&members).unwrap();
        assert_eq!(merged.output_len(), 5);
        let member_params: u64 = members.iter().map(Network::parameter_count).sum();
        assert_eq!(merged.parameter_count(), member_params - 2 * 5);
        let mut rng = Rng::seed_from_u64(9);
        let n = 7;
        let images: Vec<f32> = (0..n * merged.input_len())
            .map(|_| rng.next_f32())
            .collect();
        let mut want = vec![0.0f32; n * 5];
        for m in &members {
            let mut ws = Workspace::new();
            for (w, v) in want.iter_mut().zip(m.infer(&images, n, &mut ws).unwrap()) {
                *w += v / 3.0;
            }
        }
        let mut ws = Workspace::new();
        let got = merged.infer(&images, n, &mut ws).unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() <= 1e-5 * w.abs().max(1.0), "{g} vs {w}");
        }
        // Its description says what it is, and reads back from its own text.
        let d = merged.description();
        assert!(d.title.starts_with("3 × "), "{}", d.title);
        assert_eq!(
            Architecture::from_text(&d.to_text()).unwrap().layers,
            d.layers
        );
    }

    #[test]
    fn what_cannot_be_merged_is_refused_naming_the_layer() {
        let refusal = |texts: &[&str]| {
            let members: Vec<Network> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let arch = Architecture::from_text(t).unwrap();
                    Network::build(&arch, &mut Rng::seed_from_u64(i as u64)).unwrap()
                })
                .collect();
            ensemble(&members).unwrap_err().to_string()
        };
        let lenet = "input 8x8x1, conv 2 3x3, relu, flatten, linear 6, relu, linear 3";
        let e = refusal(&[lenet, lenet]);
        assert!(e.contains("only the last layer may be linear"), "{e}");
        let e = refusal(&["input 8x8x2, conv 2 3x3 groups 2, flatten, linear 3"; 2]);
        assert!(e.contains("groups 1 (this one has 2)"), "{e}");
        let e = refusal(&["input 8x8x1, bn, conv 2 3x3, flatten, linear 3"; 2]);
        assert!(e.contains("start with a convolution"), "{e}");
        let e = refusal(&["input 8x8x1, conv 4 3x3, lrn 3, flatten, linear 3"; 2]);
        assert!(e.contains("mixes neighbouring channels"), "{e}");
        let e = refusal(&[
            "input 8x8x1, conv 2 3x3, flatten, linear 3",
            "input 8x8x1, conv 3 3x3, flatten, linear 3",
        ]);
        assert!(
            e.contains("network 2 is") && e.contains("share one description"),
            "{e}"
        );
        let e = refusal(&["input 8x8x1, conv 2 3x3, relu"; 2]);
        assert!(e.contains("end in a linear layer"), "{e}");
        assert!(
            ensemble(&[])
                .unwrap_err()
                .to_string()
                .contains("at least one")
        );
    }
}
