//! What a filter looks for: the image patches that excite one channel of a layer most
//! ([`top_patches`], each cut to the channel's receptive field), and an image grown by
//! gradient ascent on the input to excite it ([`maximize`]).

use super::{check_image, layer_report};
use crate::arch::Volume;
use crate::nn::{Mode, Network, NnError, Rng, Workspace};

/// The evaluated layer at `layer`, when it has channel `channel`.
fn channel_report<'n>(
    net: &'n Network,
    layer: &str,
    channel: usize,
) -> Result<&'n crate::arch::LayerReport, NnError> {
    let report = layer_report(net, layer)?;
    let c = report.output.c;
    if channel < c {
        Ok(report)
    } else {
        Err(NnError::Layer {
            layer: layer.to_owned(),
            reason: format!("it has {c} channels, so there is no channel {channel}"),
        })
    }
}

/// One of the patches that excite a channel most.
#[derive(Debug, Clone, PartialEq)]
pub struct TopPatch {
    /// Which image (its index in the images searched).
    pub image: usize,
    /// Where in the channel's map it peaked: `[row, column]`.
    pub at: [usize; 2],
    /// The channel's value there.
    pub value: f32,
    /// `[first, end)` input rows of the receptive field there (may reach into the padding).
    pub rows: [i64; 2],
    /// `[first, end)` input columns.
    pub cols: [i64; 2],
    /// The image's pixels in the field, `size × size` row-major (first channel; zero in
    /// the padding).
    pub pixels: Vec<f32>,
}

/// The `rows × cols` window of channel 0 of `image` (a volume `v`), zero outside it.
fn crop(image: &[f32], v: Volume, rows: [i64; 2], cols: [i64; 2]) -> Vec<f32> {
    let mut out = Vec::new();
    for r in rows[0]..rows[1] {
        for c in cols[0]..cols[1] {
            let inside = (0..v.h as i64).contains(&r) && (0..v.w as i64).contains(&c);
            out.push(if inside {
                image[r as usize * v.w + c as usize]
            } else {
                0.0
            });
        }
    }
    out
}

/// Keeps the `k` largest of `items` by `key` (`f32::total_cmp`), largest first, equal keys
/// in the order they had; drops the rest. `k` passes instead of a sort: `k` is small (the
/// patches shown), and each sort is a copy of the standard library's for its item type in
/// the wasm (11 KB of the web app's for this and the worker's merge of its parts).
pub fn keep_largest<T>(items: &mut Vec<T>, k: usize, key: impl Fn(&T) -> f32) {
    let k = k.min(items.len());
    for i in 0..k {
        let mut best = i;
        for j in i + 1..items.len() {
            if key(&items[j]).total_cmp(&key(&items[best])).is_gt() {
                best = j;
            }
        }
        // Moved up one place at a time, so that those it passes keep their order.
        for t in (i..best).rev() {
            items.swap(t, t + 1);
        }
    }
    items.truncate(k);
}

/// Searches `n` images (one after the other) for the `k` that excite `channel` of `layer`
/// most: per image its largest value in the channel's map, one patch per image, largest
/// first. Runs in batches of 64; `progress(done, n)` after each.
///
/// # Errors
/// [`NnError::Layer`] for a layer the network does not have or a channel it lacks; as
/// [`Network::infer`].
#[allow(clippy::too_many_arguments)]
pub fn top_patches(
    net: &Network,
    images: &[f32],
    n: usize,
    layer: &str,
    channel: usize,
    k: usize,
    ws: &mut Workspace,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<TopPatch>, NnError> {
    let report = channel_report(net, layer, channel)?;
    let v = report.output;
    let len = net.input_len();
    if images.len() != n.saturating_mul(len) {
        return Err(NnError::Shape {
            op: "explain",
            what: "images",
            got: vec![images.len()],
            expected: vec![n, len],
        });
    }
    let hw = v.h * v.w;
    let per_image = hw * v.c;
    // (value, image, position) of each image's peak.
    let mut peaks: Vec<(f32, usize, usize)> = Vec::with_capacity(n);
    let batch = 64;
    let mut start = 0;
    while start < n {
        let end = (start + batch).min(n);
        net.infer(&images[start * len..end * len], end - start, ws)?;
        let outputs = ws.outputs(net);
        let Some(out) = outputs.iter().find(|o| o.name == layer) else {
            return Err(NnError::Layer {
                layer: layer.to_owned(),
                reason: "the network ran without it".to_owned(),
            });
        };
        for i in 0..end - start {
            let plane = &out.values[i * per_image + channel * hw..][..hw];
            let (at, value) = plane.iter().copied().enumerate().fold(
                (0, f32::NEG_INFINITY),
                |(bi, bv), (j, x)| {
                    if x > bv { (j, x) } else { (bi, bv) }
                },
            );
            peaks.push((value, start + i, at));
        }
        start = end;
        progress(start, n);
    }
    keep_largest(&mut peaks, k, |p| p.0);
    let rf = report.receptive_field;
    let input = net.input();
    Ok(peaks
        .into_iter()
        .take(k)
        .map(|(value, image, at)| {
            let [y, x] = [at / v.w, at % v.w];
            let (rows, cols) = (rf.span(y), rf.span(x));
            TopPatch {
                image,
                at: [y, x],
                value,
                rows,
                cols,
                pixels: crop(&images[image * len..][..len], input, rows, cols),
            }
        })
        .collect())
}

/// The most gradient steps [`maximize`] takes (the Explain page offers up to 500): each
/// is a forward and a backward pass, and the objective keeps one value per step.
pub const MAX_ASCENT_STEPS: usize = 10_000;

/// The settings of [`maximize`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AscentConfig {
    /// Gradient steps.
    pub steps: usize,
    /// Each step moves every pixel by `rate · g / rms(g)` (the gradient normalised).
    pub rate: f32,
    /// L2 regulariser: after each step every pixel shrinks by this fraction towards 0.
    pub decay: f32,
    /// Seeds the starting image (0.1 plus noise of σ = 0.02).
    pub seed: u64,
}

impl Default for AscentConfig {
    fn default() -> Self {
        Self {
            steps: 40,
            rate: 0.05,
            decay: 0.01,
            seed: 1,
        }
    }
}

/// An image grown to excite one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Ascent {
    /// The image, as long as the network's input, in `[0, 1]`.
    pub image: Vec<f32>,
    /// The objective (the channel's value at [`Ascent::at`]) before each step and after the
    /// last: `steps + 1` values.
    pub objective: Vec<f32>,
    /// The unit maximised: the centre of the channel's map, `[row, column]`.
    pub at: [usize; 2],
    /// `[first, end)` input rows of its receptive field (may reach into the padding):
    /// the only pixels the ascent moves; the others only decay.
    pub rows: [i64; 2],
    /// `[first, end)` input columns.
    pub cols: [i64; 2],
    /// The image's pixels in that field, row-major (first channel; zero in the padding),
    /// as [`TopPatch::pixels`] cuts the patches it compares with.
    pub field: Vec<f32>,
}

/// Gradient ascent on the input: starting from a dark image with a little noise, steps
/// that raise the value of `channel` of `layer` at the centre of its map, each followed by
/// the L2 decay and a clip to `[0, 1]` (the range of the network's images).
///
/// One unit, not the channel's mean: a convolution is linear in its input, so the gradient
/// of its mean is the same at every pixel away from the borders, and the mean of a first
/// layer's filter grows into a uniform white or black image. One unit's gradient is the
/// filter itself (through the layers below): the image shows, in the unit's receptive
/// field, the pattern the filter responds to most.
///
/// # Errors
/// [`NnError::Layer`] for a layer or channel the network lacks, [`NnError::HyperParameter`]
/// for more than [`MAX_ASCENT_STEPS`] steps, or a non-finite or negative rate or decay (or a
/// decay of 1 or more); as [`Network::forward`].
pub fn maximize(
    net: &Network,
    layer: &str,
    channel: usize,
    config: AscentConfig,
    ws: &mut Workspace,
) -> Result<Ascent, NnError> {
    let report = channel_report(net, layer, channel)?;
    let v = report.output;
    if config.steps > MAX_ASCENT_STEPS {
        return Err(NnError::HyperParameter {
            what: "the number of ascent steps",
            requirement: "at most 10000 (MAX_ASCENT_STEPS)",
            value: config.steps as f64,
        });
    }
    for (what, value, ok) in [
        (
            "the ascent's rate",
            config.rate,
            config.rate.is_finite() && config.rate >= 0.0,
        ),
        (
            "the L2 decay",
            config.decay,
            config.decay.is_finite() && (0.0..1.0).contains(&config.decay),
        ),
    ] {
        if !ok {
            return Err(NnError::HyperParameter {
                what,
                requirement: "finite, at least 0 (the decay below 1)",
                value: f64::from(value),
            });
        }
    }
    let hw = v.h * v.w;
    let at = [v.h / 2, v.w / 2];
    let unit = channel * hw + at[0] * v.w + at[1];
    let mut seed = vec![0.0f32; hw * v.c];
    seed[unit] = 1.0;
    let mut rng = Rng::seed_from_u64(config.seed);
    let mut image: Vec<f32> = (0..net.input_len())
        .map(|_| (0.1 + 0.02 * super::normal(&mut rng)).clamp(0.0, 1.0))
        .collect();
    check_image(net, &image)?;
    let mut objective = Vec::with_capacity(config.steps + 1);
    let value = |ws: &Workspace| -> f32 {
        ws.outputs(net)
            .iter()
            .find(|o| o.name == layer)
            .and_then(|o| o.values.get(unit).copied())
            .unwrap_or(f32::NAN)
    };
    for _ in 0..config.steps {
        net.forward(&image, 1, Mode::Eval, ws, &mut Rng::seed_from_u64(0))?;
        objective.push(value(ws));
        ws.backward_from(net, layer, &seed)?;
        let g = ws.input_grad();
        let rms = (g.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() / g.len() as f64)
            .sqrt() as f32;
        let step = config.rate / (rms + 1e-8);
        for (p, &d) in image.iter_mut().zip(g) {
            *p = ((*p + step * d) * (1.0 - config.decay)).clamp(0.0, 1.0);
        }
    }
    net.forward(&image, 1, Mode::Eval, ws, &mut Rng::seed_from_u64(0))?;
    objective.push(value(ws));
    let rf = report.receptive_field;
    let (rows, cols) = (rf.span(at[0]), rf.span(at[1]));
    Ok(Ascent {
        field: crop(&image, net.input(), rows, cols),
        image,
        objective,
        at,
        rows,
        cols,
    })
}
