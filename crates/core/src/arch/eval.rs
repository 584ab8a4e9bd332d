//! Walking an [`Architecture`] from an input volume: shapes, counts, receptive fields.

use serde::{Deserialize, Serialize};

use super::{
    ArchError, Architecture, BlockKind, Conv, Layer, LayerError, LayerKind, Linear, Op, Pool,
    Residual, Volume,
};
use crate::shape::{ShapeError, conv_output_size, pool_output_size};

/// A sliding window's hyper-parameters as the lecture names them: F, S, P and dilation D.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Window (filter) size F.
    pub kernel: usize,
    /// Stride S.
    pub stride: usize,
    /// Zero padding P on each side.
    pub padding: usize,
    /// Dilation D (1 for pooling and ordinary convolution).
    pub dilation: usize,
}

/// How many input pixels (along one axis) influence one output value, how far apart, in
/// input pixels, neighbouring outputs are (the jump: the product of the strides so far), and
/// where the field of the first output begins.
///
/// Per layer: `offset −= P·jump`, `size += D·(F − 1)·jump`, then `jump *= S`; output `i`
/// sees input pixels `offset + i·jump ..< offset + i·jump + size` ([`ReceptiveField::span`]). A fully connected layer acts as a
/// convolution whose window is its whole input (before any flatten); adaptive average pooling
/// as its widest window. Sizes can exceed the image (they count padding, as usual). For
/// non-square inputs the larger axis is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceptiveField {
    /// Receptive field size in input pixels.
    pub size: usize,
    /// Distance in input pixels between neighbouring outputs.
    pub jump: usize,
    /// The input pixel where the field of output 0 begins (negative: in the padding).
    #[serde(default)]
    pub offset: i64,
}

impl ReceptiveField {
    /// The input itself: one pixel, jump one.
    pub const PIXEL: Self = Self {
        size: 1,
        jump: 1,
        offset: 0,
    };

    fn through(
        self,
        kernel: usize,
        stride: usize,
        dilation: usize,
        padding: usize,
    ) -> Result<Self, LayerError> {
        let overflow = || LayerError::Overflow {
            what: "receptive field",
        };
        let grow = dilation
            .checked_mul(kernel.saturating_sub(1))
            .and_then(|g| g.checked_mul(self.jump))
            .ok_or_else(overflow)?;
        let shift = padding
            .checked_mul(self.jump)
            .and_then(|s| i64::try_from(s).ok())
            .ok_or_else(overflow)?;
        Ok(Self {
            size: self.size.checked_add(grow).ok_or_else(overflow)?,
            jump: self.jump.checked_mul(stride).ok_or_else(overflow)?,
            offset: self.offset.checked_sub(shift).ok_or_else(overflow)?,
        })
    }

    /// The input pixels output `index` sees along one axis: `[first, first + size)`, where
    /// `first` may be negative or the end past the image (padding). Saturates at `i64`'s
    /// range.
    #[must_use]
    pub fn span(&self, index: usize) -> [i64; 2] {
        let wide = |x: usize| i64::try_from(x).unwrap_or(i64::MAX);
        let first = self
            .offset
            .saturating_add(wide(index).saturating_mul(wide(self.jump)));
        [first, first.saturating_add(wide(self.size))]
    }

    /// The part of a `span` (as [`ReceptiveField::span`] gives it) that lies inside an input
    /// of `n` pixels along that axis: `[first, end)` clipped to `[0, n]`, empty (`first ==
    /// end`) when the span lies wholly in the padding.
    #[must_use]
    pub fn inside([first, end]: [i64; 2], n: usize) -> [usize; 2] {
        let clip = |v: i64| usize::try_from(v.max(0)).map_or(n, |v| v.min(n));
        let first = clip(first);
        [first, clip(end).max(first)]
    }
}

/// One evaluated layer: everything needed to print its table row or to show its formulas
/// with the values substituted (see [`super::formulas`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerReport {
    /// The layer's name (short; inside a block, relative to it: `conv1`).
    pub name: String,
    /// What kind of layer.
    pub kind: LayerKind,
    /// The lecture-style description: `96 11x11 filters at stride 4, pad 0`.
    pub description: String,
    /// Input volume (W1 = `input.w`, D1 = `input.c`).
    pub input: Volume,
    /// Output volume (W2 = `output.w`, D2 = `output.c`).
    pub output: Volume,
    /// F, S, P, D for convolutions and pooling; `None` otherwise.
    pub window: Option<Window>,
    /// K: filters of a convolution, neurons of a linear layer; `None` otherwise.
    pub filters: Option<usize>,
    /// Learnable weights (for batch norm: the scales γ).
    pub weights: u64,
    /// Learnable biases (for batch norm: the shifts β).
    pub biases: u64,
    /// `weights + biases`.
    pub params: u64,
    /// Multiply-accumulates of convolution and linear layers (see the module docs).
    pub macs: u64,
    /// Receptive field of one output value, and its jump.
    pub receptive_field: ReceptiveField,
    /// For a residual block: its main path, evaluated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub main: Vec<LayerReport>,
    /// For a residual block: its projection shortcut (empty for an identity shortcut).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shortcut: Vec<LayerReport>,
}

impl LayerReport {
    /// The output as the lecture writes it: `55x55x96`, or `4096` for fully connected and
    /// flatten layers and for element-wise layers (ReLU, dropout) applied to such a vector.
    #[must_use]
    pub fn output_label(&self) -> String {
        let vector = |v: Volume| v.h == 1 && v.w == 1;
        let elementwise = matches!(
            self.kind,
            LayerKind::Activation | LayerKind::Dropout | LayerKind::BatchNorm
        );
        match self.kind {
            LayerKind::Linear | LayerKind::Flatten => self.output.c.to_string(),
            _ if elementwise && vector(self.input) && vector(self.output) => {
                self.output.c.to_string()
            }
            _ => self.output.to_string(),
        }
    }

    /// The lecture's line for this layer: `[55x55x96] CONV1: 96 11x11 filters at stride 4, pad 0`.
    #[must_use]
    pub fn lecture_line(&self) -> String {
        format!(
            "[{}] {}: {}",
            self.output_label(),
            self.name,
            self.description
        )
    }
}

/// Sums over the whole network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Learnable weights.
    pub weights: u64,
    /// Learnable biases.
    pub biases: u64,
    /// All learnable parameters.
    pub params: u64,
    /// Multiply-accumulates of convolution and linear layers.
    pub macs: u64,
    /// The network's output volume.
    pub output: Volume,
    /// Receptive field of one output value.
    pub receptive_field: ReceptiveField,
}

/// An evaluated network: one report per top-level layer and the totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkReport {
    /// The architecture's short name.
    pub name: String,
    /// Its title.
    pub title: String,
    /// The input volume it was evaluated for.
    pub input: Volume,
    /// The top-level layers in order (residual blocks hold their own).
    pub layers: Vec<LayerReport>,
    /// Sums over all layers.
    pub totals: Totals,
}

impl NetworkReport {
    /// The layer at `path` (`conv1`, `block1.conv2`, `block1.downsample.0`): a residual
    /// block's layers are named after it, as the network's parameters are.
    #[must_use]
    pub fn find(&self, path: &str) -> Option<&LayerReport> {
        fn walk<'a>(
            layers: &'a [LayerReport],
            prefix: &str,
            path: &str,
        ) -> Option<&'a LayerReport> {
            for l in layers {
                let full = format!("{prefix}{}", l.name);
                if full == path {
                    return Some(l);
                }
                if path.strip_prefix(&full).is_some_and(|r| r.starts_with('.')) {
                    let inner = format!("{full}.");
                    let found =
                        walk(&l.main, &inner, path).or_else(|| walk(&l.shortcut, &inner, path));
                    if found.is_some() {
                        return found;
                    }
                }
            }
            None
        }
        walk(&self.layers, "", path)
    }
}

impl Architecture {
    /// Evaluates the network for its own input volume.
    ///
    /// # Errors
    /// See [`Architecture::evaluate_with_input`].
    pub fn evaluate(&self) -> Result<NetworkReport, ArchError> {
        self.evaluate_with_input(self.input)
    }

    /// Evaluates the network for `input`, propagating the size through every layer.
    ///
    /// # Errors
    /// An [`ArchError`] naming the first layer that cannot take its input (window larger
    /// than the input, zero sizes in the description, mismatched residual paths) or whose
    /// counts overflow 64-bit arithmetic; `INPUT` if the input volume has a zero side.
    pub fn evaluate_with_input(&self, input: Volume) -> Result<NetworkReport, ArchError> {
        if input.is_empty() {
            return Err(ArchError {
                layer: "INPUT".to_owned(),
                reason: LayerError::EmptyInput { volume: input },
            });
        }
        let (mut layers, output, receptive_field) =
            eval_sequence(&self.layers, input, ReceptiveField::PIXEL, "")?;
        if let Some(last) = layers.last_mut()
            && last.kind == LayerKind::Linear
        {
            last.description.push_str(" (class scores)");
        }
        let totals = sum(&layers)
            .map(|(weights, biases, params, macs)| Totals {
                weights,
                biases,
                params,
                macs,
                output,
                receptive_field,
            })
            .map_err(|reason| ArchError {
                layer: "TOTAL".to_owned(),
                reason,
            })?;
        Ok(NetworkReport {
            name: self.name.clone(),
            title: self.title.clone(),
            input,
            layers,
            totals,
        })
    }
}

type Evaluated = (Vec<LayerReport>, Volume, ReceptiveField);

/// The positions a fully connected layer reads, along one axis: `extent` of them, the first
/// with receptive field `first` (see [`eval_sequence`]).
#[derive(Debug, Clone, Copy)]
struct Span {
    first: ReceptiveField,
    extent: usize,
}

fn eval_sequence(
    layers: &[Layer],
    input: Volume,
    rf: ReceptiveField,
    prefix: &str,
) -> Result<Evaluated, ArchError> {
    let mut reports = Vec::with_capacity(layers.len());
    let (mut volume, mut rf) = (input, rf);
    // What a fully connected layer spans: every position of the last volume a convolution,
    // a pooling or a residual block made, as the receptive field of its first position and
    // its extent. The layers after those move no position (an activation, a flatten, which
    // moves positions into channels without mixing them, a dropout), or, for an adaptive
    // average pool, see together exactly its input however many outputs it has (more than
    // its input when it repeats values: VGG's 7 × 7 from a 1 × 1 input).
    let mut span = Span {
        first: rf,
        extent: input.h.max(input.w),
    };
    for layer in layers {
        let report = eval_layer(layer, volume, rf, span, prefix)?;
        volume = report.output;
        rf = report.receptive_field;
        if matches!(
            report.kind,
            LayerKind::Conv
                | LayerKind::MaxPool
                | LayerKind::AvgPool
                | LayerKind::SumPool
                | LayerKind::BasicBlock
                | LayerKind::Bottleneck
        ) {
            span = Span {
                first: rf,
                extent: volume.h.max(volume.w),
            };
        }
        reports.push(report);
    }
    Ok((reports, volume, rf))
}

fn eval_layer(
    layer: &Layer,
    input: Volume,
    rf: ReceptiveField,
    span: Span,
    prefix: &str,
) -> Result<LayerReport, ArchError> {
    let path = format!("{prefix}{}", layer.name);
    let mut r = LayerReport {
        name: layer.name.clone(),
        kind: layer.op.kind(),
        description: String::new(),
        input,
        output: input,
        window: None,
        filters: None,
        weights: 0,
        biases: 0,
        params: 0,
        macs: 0,
        receptive_field: rf,
        main: Vec::new(),
        shortcut: Vec::new(),
    };
    let result = match &layer.op {
        Op::Conv(c) => conv(&mut r, c),
        Op::Pool { window, .. } => pool(&mut r, window),
        Op::LocalResponseNorm { size } => {
            r.description = format!("Normalization layer (local response, size {size})");
            nonzero(*size, "the LRN size")
        }
        Op::Activation { function } => {
            r.description = function.name().to_owned();
            Ok(())
        }
        Op::BatchNorm => {
            r.weights = wide(input.c);
            r.biases = wide(input.c);
            r.description = "batch norm (γ, β per channel)".to_owned();
            Ok(())
        }
        Op::AdaptiveAvgPool { h, w } => adaptive_avg_pool(&mut r, *h, *w),
        Op::Flatten => flatten(&mut r),
        Op::Linear(l) => linear(&mut r, l, span),
        Op::Dropout { p } => {
            r.description = format!("dropout, p = {p}");
            if (0.0..1.0).contains(p) {
                Ok(())
            } else {
                Err(LayerError::Probability { p: *p })
            }
        }
        Op::Residual(block) => return residual(r, block, &path),
    };
    let fail = |reason| ArchError {
        layer: path.clone(),
        reason,
    };
    result.map_err(fail)?;
    r.params = r.weights.checked_add(r.biases).ok_or_else(|| {
        fail(LayerError::Overflow {
            what: "parameter count",
        })
    })?;
    Ok(r)
}

/// `usize` → `u64`; lossless on every target this crate builds for (32- and 64-bit).
const fn wide(x: usize) -> u64 {
    x as u64
}

fn product(factors: &[usize], what: &'static str) -> Result<u64, LayerError> {
    factors.iter().try_fold(1_u64, |acc, &f| {
        acc.checked_mul(wide(f))
            .ok_or(LayerError::Overflow { what })
    })
}

fn nonzero(value: usize, what: &'static str) -> Result<(), LayerError> {
    if value == 0 {
        Err(LayerError::ZeroSize { what })
    } else {
        Ok(())
    }
}

/// Output height and width of a window, through the operations' own arithmetic:
/// [`conv_output_size`] for convolutions, [`pool_output_size`] (which calls it and adds
/// PyTorch's padding ≤ F/2 rule) for pooling.
fn spatial(input: Volume, w: Window, pooling: bool) -> Result<(usize, usize), LayerError> {
    let size = |n| {
        if pooling {
            pool_output_size(n, w.kernel, w.stride, w.padding)
        } else {
            conv_output_size(n, w.kernel, w.stride, w.padding, w.dilation)
        }
    };
    let axis = |n| {
        size(n).map_err(|e| match e {
            ShapeError::KernelTooLarge { .. } => LayerError::WindowTooLarge {
                kernel: w.kernel,
                dilation: w.dilation,
                padding: w.padding,
                height: input.h,
                width: input.w,
            },
            other => LayerError::Shape(other),
        })
    };
    Ok((axis(input.h)?, axis(input.w)?))
}

fn conv(r: &mut LayerReport, c: &Conv) -> Result<(), LayerError> {
    let k = c.out_channels;
    let window = Window {
        kernel: c.kernel,
        stride: c.stride,
        padding: c.padding,
        dilation: c.dilation,
    };
    r.description = format!(
        "{k} {f}x{f} filters at stride {s}, pad {p}{d}{g}{b}",
        f = c.kernel,
        s = c.stride,
        p = c.padding,
        d = if c.dilation == 1 {
            String::new()
        } else {
            format!(", dilation {}", c.dilation)
        },
        g = if c.groups == 1 {
            String::new()
        } else {
            format!(", {} groups", c.groups)
        },
        b = if c.bias { "" } else { ", no bias" },
    );
    r.window = Some(window);
    r.filters = Some(k);
    nonzero(k, "the number of filters K")?;
    nonzero(c.groups, "the number of groups")?;
    if !r.input.c.is_multiple_of(c.groups) || !k.is_multiple_of(c.groups) {
        return Err(LayerError::Groups {
            groups: c.groups,
            in_channels: r.input.c,
            out_channels: k,
        });
    }
    let (h, w) = spatial(r.input, window, false)?;
    r.output = Volume::new(h, w, k);
    let per_output = product(&[c.kernel, c.kernel, r.input.c / c.groups], "weight count")?;
    r.weights = per_output
        .checked_mul(wide(k))
        .ok_or(LayerError::Overflow {
            what: "weight count",
        })?;
    r.biases = if c.bias { wide(k) } else { 0 };
    r.macs = product(&[h, w, k], "multiply-accumulate count")?
        .checked_mul(per_output)
        .ok_or(LayerError::Overflow {
            what: "multiply-accumulate count",
        })?;
    r.receptive_field = r
        .receptive_field
        .through(c.kernel, c.stride, c.dilation, c.padding)?;
    Ok(())
}

fn pool(r: &mut LayerReport, p: &Pool) -> Result<(), LayerError> {
    let window = Window {
        kernel: p.kernel,
        stride: p.stride,
        padding: p.padding,
        dilation: 1,
    };
    r.description = format!("{f}x{f} filters at stride {s}", f = p.kernel, s = p.stride);
    if p.padding > 0 {
        r.description.push_str(&format!(", pad {}", p.padding));
    }
    r.window = Some(window);
    let (h, w) = spatial(r.input, window, true)?;
    r.output = Volume::new(h, w, r.input.c);
    r.receptive_field = r
        .receptive_field
        .through(p.kernel, p.stride, 1, p.padding)?;
    Ok(())
}

/// The widest window adaptive average pooling uses when it maps `n` inputs to `m` outputs:
/// output `i` averages `[⌊i·n/m⌋, ⌈(i+1)·n/m⌉)`.
fn adaptive_window(n: usize, m: usize) -> usize {
    let q = n / m;
    if n.is_multiple_of(m) {
        return q;
    }
    if m > 4096 {
        // Every window is q + 1 or q + 2 wide; skip the scan for absurd output sizes.
        return q.saturating_add(2);
    }
    let (n, m) = (n as u128, m as u128);
    (0..m)
        .map(|i| ((i + 1) * n).div_ceil(m) - (i * n) / m)
        .max()
        .map_or(q, |w| usize::try_from(w).unwrap_or(usize::MAX))
}

fn adaptive_avg_pool(r: &mut LayerReport, h: usize, w: usize) -> Result<(), LayerError> {
    r.description = format!("filters with output size {h}x{w}");
    nonzero(h, "the adaptive pool's output height")?;
    nonzero(w, "the adaptive pool's output width")?;
    r.output = Volume::new(h, w, r.input.c);
    let (kh, kw) = (adaptive_window(r.input.h, h), adaptive_window(r.input.w, w));
    let (sh, sw) = ((r.input.h / h).max(1), (r.input.w / w).max(1));
    let rf_h = r.receptive_field.through(kh, sh, 1, 0)?;
    let rf_w = r.receptive_field.through(kw, sw, 1, 0)?;
    r.receptive_field = if rf_w.size >= rf_h.size { rf_w } else { rf_h };
    Ok(())
}

fn flatten(r: &mut LayerReport) -> Result<(), LayerError> {
    let n = r.input.elements().ok_or(LayerError::Overflow {
        what: "flattened size",
    })?;
    r.output = Volume::new(1, 1, n);
    r.description = format!("flatten {} to {n}", r.input);
    Ok(())
}

fn linear(r: &mut LayerReport, l: &Linear, span: Span) -> Result<(), LayerError> {
    let k = l.out_features;
    r.description = format!("{k} neurons");
    r.filters = Some(k);
    nonzero(k, "the number of neurons")?;
    let inputs = r.input.elements().ok_or(LayerError::Overflow {
        what: "input feature count",
    })?;
    r.output = Volume::new(1, 1, k);
    r.weights = product(&[inputs, k], "weight count")?;
    r.biases = if l.bias { wide(k) } else { 0 };
    r.macs = r.weights;
    // A fully connected layer is a convolution whose window is its whole (unflattened) input.
    r.receptive_field = span.first.through(span.extent, 1, 1, 0)?;
    Ok(())
}

fn residual(mut r: LayerReport, block: &Residual, path: &str) -> Result<LayerReport, ArchError> {
    let prefix = format!("{path}.");
    let (main, main_out, main_rf) =
        eval_sequence(&block.main, r.input, r.receptive_field, &prefix)?;
    let (shortcut, short_out, short_rf) =
        eval_sequence(&block.shortcut, r.input, r.receptive_field, &prefix)?;
    let fail = |reason| ArchError {
        layer: path.to_owned(),
        reason,
    };
    if main_out != short_out {
        return Err(fail(LayerError::ShortcutMismatch {
            main: main_out,
            shortcut: short_out,
        }));
    }
    let (weights, biases, params, macs) = sum(main.iter().chain(&shortcut)).map_err(fail)?;
    r.description = block_description(block.block, &main, &shortcut);
    r.output = main_out;
    r.weights = weights;
    r.biases = biases;
    r.params = params;
    r.macs = macs;
    // The block's output sees the union of what its two paths see.
    let [first, end] = [main_rf, short_rf]
        .iter()
        .fold([i64::MAX, i64::MIN], |[a, b], rf| {
            let [f, e] = rf.span(0);
            [a.min(f), b.max(e)]
        });
    r.receptive_field = ReceptiveField {
        size: usize::try_from(end.saturating_sub(first)).unwrap_or(usize::MAX),
        jump: main_rf.jump,
        offset: first,
    };
    r.main = main;
    r.shortcut = shortcut;
    Ok(r)
}

fn block_description(kind: BlockKind, main: &[LayerReport], shortcut: &[LayerReport]) -> String {
    let convs = |layers: &[LayerReport]| {
        layers
            .iter()
            .filter_map(|l| {
                let (w, k) = (l.window?, l.filters?);
                let stride = if w.stride == 1 {
                    String::new()
                } else {
                    format!(" stride {}", w.stride)
                };
                Some(format!("{f}x{f} {k}{stride}", f = w.kernel))
            })
            .collect::<Vec<_>>()
            .join(" → ")
    };
    let name = match kind {
        BlockKind::Basic => "basic block",
        BlockKind::Bottleneck => "bottleneck",
    };
    let short = if shortcut.is_empty() {
        "identity".to_owned()
    } else {
        format!("projection {}", convs(shortcut))
    };
    format!("{name} {} + {short}", convs(main))
}

/// Checked sums of (weights, biases, params, macs).
fn sum<'a>(
    layers: impl IntoIterator<Item = &'a LayerReport>,
) -> Result<(u64, u64, u64, u64), LayerError> {
    let add = |a: u64, b: u64, what| a.checked_add(b).ok_or(LayerError::Overflow { what });
    layers
        .into_iter()
        .try_fold((0, 0, 0, 0), |(w, b, p, m), l| {
            Ok((
                add(w, l.weights, "total weight count")?,
                add(b, l.biases, "total bias count")?,
                add(p, l.params, "total parameter count")?,
                add(m, l.macs, "total multiply-accumulate count")?,
            ))
        })
}
