//! Why did the network say "3"? Explanations of one prediction, for any [`Network`] the core
//! can run, each made of the lecture's own ideas:
//!
//! - [`input_gradient`]: how each input pixel moves a chosen combination of the scores —
//!   the **saliency** of one class ([`saliency`]), or of the difference of two ("why 3 and
//!   not 8?"); [`smooth_grad`] averages it over noisy copies of the image.
//! - [`occlusion`]: a gray patch slides over the image like a kernel (its positions follow
//!   the output-size formula, [`crate::conv_output_size`]), and each position's drop in the
//!   class probability becomes a map.
//! - [`grad_cam`]: a convolution layer's maps weighted by how much the class score grows
//!   with each (the mean of its gradient), summed and rectified; [`upsample_bilinear`]
//!   puts it onto the input.
//! - [`unit_field`]: what one value of any layer can see — its receptive field, from the
//!   same arithmetic as the Architectures page ([`crate::arch::ReceptiveField`]), and how
//!   much each input pixel in it weighs (the value's gradient: the chain of kernels, through
//!   the ReLUs and max-pool choices this image made).
//! - [`top_patches`] and [`maximize`]: what a filter looks for — the image patches that
//!   excite one channel most, and an image grown by gradient ascent to excite it.
//!
//! Scores are the network's outputs before any softmax (the logits); probabilities are
//! their softmax. Every function runs the network in evaluation mode on one image.

use crate::nn::{Mode, Network, NnError, Rng, Workspace};

mod filter;

pub use filter::{
    Ascent, AscentConfig, MAX_ASCENT_STEPS, TopPatch, keep_largest, maximize, top_patches,
};

/// The network's scores for one image and their softmax.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// The logits.
    pub logits: Vec<f32>,
    /// Their softmax.
    pub probabilities: Vec<f32>,
}

/// The softmax of `logits` (shifted by the largest, in f64).
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f64> = logits.iter().map(|&z| f64::from(z - max).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.iter().map(|&v| (v / sum) as f32).collect()
}

fn check_image(net: &Network, image: &[f32]) -> Result<(), NnError> {
    if image.len() == net.input_len() {
        Ok(())
    } else {
        let v = net.input();
        Err(NnError::Shape {
            op: "explain",
            what: "image",
            got: vec![image.len()],
            expected: vec![v.c, v.h, v.w],
        })
    }
}

fn check_class(net: &Network, class: usize) -> Result<(), NnError> {
    if class < net.output_len() {
        Ok(())
    } else {
        Err(NnError::Label {
            op: "explain",
            index: 0,
            label: class,
            classes: net.output_len(),
        })
    }
}

/// The scores of each of `images` (`n` images, one after the other), in one batch.
///
/// # Errors
/// As [`Network::infer`].
pub fn scores(
    net: &Network,
    images: &[f32],
    n: usize,
    ws: &mut Workspace,
) -> Result<Vec<Scores>, NnError> {
    let out = net.infer(images, n, ws)?;
    Ok(out
        .chunks(net.output_len())
        .map(|logits| Scores {
            logits: logits.to_vec(),
            probabilities: softmax(logits),
        })
        .collect())
}

/// The gradient of `Σ weights[k] · score_k` with respect to every input pixel (NCHW, as
/// long as the image). `weights` one-hot on a class gives that class's saliency; `+1` and
/// `−1` on two classes, the saliency of their difference.
///
/// # Errors
/// [`NnError::Shape`] for an image or weights of the wrong length; [`NnError::Layer`] for
/// a layer without a backward pass.
pub fn input_gradient(
    net: &Network,
    image: &[f32],
    weights: &[f32],
    ws: &mut Workspace,
) -> Result<Vec<f32>, NnError> {
    backward(net, image, weights, ws, true)?;
    Ok(ws.input_grad().to_vec())
}

/// The forward pass of `image` and the backward pass of `Σ weights[k] · score_k`, leaving
/// every layer's output and gradient in `ws` (and the input's when `input_grad`).
fn backward(
    net: &Network,
    image: &[f32],
    weights: &[f32],
    ws: &mut Workspace,
    input_grad: bool,
) -> Result<(), NnError> {
    check_image(net, image)?;
    if weights.len() != net.output_len() {
        return Err(NnError::Shape {
            op: "explain",
            what: "score weights",
            got: vec![weights.len()],
            expected: vec![net.output_len()],
        });
    }
    net.forward(image, 1, Mode::Eval, ws, &mut Rng::seed_from_u64(0))?;
    ws.output_grad_mut().copy_from_slice(weights);
    net.backward_outputs(ws, input_grad)
}

/// One-hot weights on `class` (for [`input_gradient`]), or `+1` on `class` and `−1` on
/// `versus`: "why `class` and not `versus`?".
///
/// # Errors
/// [`NnError::Label`] for a class the network does not have.
pub fn class_weights(
    net: &Network,
    class: usize,
    versus: Option<usize>,
) -> Result<Vec<f32>, NnError> {
    check_class(net, class)?;
    let mut w = vec![0.0; net.output_len()];
    w[class] = 1.0;
    if let Some(b) = versus {
        check_class(net, b)?;
        w[b] -= 1.0;
    }
    Ok(w)
}

/// The saliency of `class`: the gradient of its score with respect to the input.
///
/// # Errors
/// As [`input_gradient`] and [`class_weights`].
pub fn saliency(
    net: &Network,
    image: &[f32],
    class: usize,
    ws: &mut Workspace,
) -> Result<Vec<f32>, NnError> {
    input_gradient(net, image, &class_weights(net, class, None)?, ws)
}

/// A standard normal draw (Marsaglia's polar method: a point drawn uniformly in the unit
/// disc, its first coordinate scaled). It takes `ln` and `sqrt` only: Box–Muller's cosine
/// brought libm's trigonometry into the app's wasm, 2 KB gzipped for this one call.
fn normal(rng: &mut Rng) -> f32 {
    loop {
        let u = 2.0 * rng.next_f64() - 1.0;
        let v = 2.0 * rng.next_f64() - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            return (u * (-2.0 * s.ln() / s).sqrt()) as f32;
        }
    }
}

/// The most noisy copies [`smooth_grad`] averages (the Explain page offers up to 200):
/// each copy is a forward and a backward pass, so the cap bounds the time of one request.
pub const MAX_SMOOTHGRAD_COPIES: usize = 1_000;

/// The most pixels [`upsample_bilinear`] produces: 4096² values, 64 MiB of `f32` (maps are
/// drawn over the network's input, 28×28 to 227×227).
pub const MAX_UPSAMPLE_PIXELS: usize = 1 << 24;

/// SmoothGrad: the mean of [`input_gradient`] over `count` copies of the image with
/// Gaussian noise of standard deviation `sigma` added to every pixel (seeded by `seed`).
///
/// # Errors
/// As [`input_gradient`]; [`NnError::HyperParameter`] for `count` 0 or above
/// [`MAX_SMOOTHGRAD_COPIES`], or a negative or non-finite `sigma`.
pub fn smooth_grad(
    net: &Network,
    image: &[f32],
    weights: &[f32],
    sigma: f32,
    count: usize,
    seed: u64,
    ws: &mut Workspace,
) -> Result<Vec<f32>, NnError> {
    if count == 0 || count > MAX_SMOOTHGRAD_COPIES {
        return Err(NnError::HyperParameter {
            what: "the number of noisy copies",
            requirement: "between 1 and 1000 (MAX_SMOOTHGRAD_COPIES)",
            value: count as f64,
        });
    }
    if !(sigma.is_finite() && sigma >= 0.0) {
        return Err(NnError::HyperParameter {
            what: "the noise level σ",
            requirement: "finite and at least 0",
            value: f64::from(sigma),
        });
    }
    check_image(net, image)?;
    let mut rng = Rng::seed_from_u64(seed);
    let mut sum = vec![0.0f64; image.len()];
    let mut noisy = vec![0.0f32; image.len()];
    for _ in 0..count {
        for (n, &x) in noisy.iter_mut().zip(image) {
            *n = x + sigma * normal(&mut rng);
        }
        for (s, g) in sum
            .iter_mut()
            .zip(input_gradient(net, &noisy, weights, ws)?)
        {
            *s += f64::from(g);
        }
    }
    Ok(sum.iter().map(|&s| (s / count as f64) as f32).collect())
}

/// The occluding patch: a `patch`×`patch` square of `fill` moved `stride` pixels a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OcclusionConfig {
    /// The patch's side.
    pub patch: usize,
    /// Its step.
    pub stride: usize,
    /// The value it paints (0.5: gray on images in `[0, 1]`).
    pub fill: f32,
}

impl Default for OcclusionConfig {
    /// An 8×8 gray patch moved 2 pixels a step: 11×11 positions on 28×28.
    fn default() -> Self {
        Self {
            patch: 8,
            stride: 2,
            fill: 0.5,
        }
    }
}

/// Occlusion sensitivity of one class.
#[derive(Debug, Clone, PartialEq)]
pub struct Occlusion {
    /// `[rows, cols]` of positions: `(H − patch)/stride + 1` each way, the lecture's formula
    /// with P = 0.
    pub dims: [usize; 2],
    /// The patch's side.
    pub patch: usize,
    /// Its step.
    pub stride: usize,
    /// The class probability of the image as it is.
    pub baseline: f32,
    /// Per position (row-major): the baseline minus the class probability with the patch
    /// there (positive: the patch hid evidence for the class).
    pub drops: Vec<f32>,
}

impl Occlusion {
    /// The top-left pixel `[y, x]` of the patch at position `index`.
    pub fn origin(&self, index: usize) -> [usize; 2] {
        let cols = self.dims[1].max(1);
        [
            (index / cols).saturating_mul(self.stride),
            (index % cols).saturating_mul(self.stride),
        ]
    }
}

/// Sets the `patch`×`patch` square at `[y, x]` of every channel of `image` (a volume `v`)
/// to `fill`, clipped at the image's edges: what [`occlusion`] does at each position (the
/// page draws it with this too).
///
/// # Errors
/// [`NnError::Shape`] when `image` is not `v`'s length (or `v`'s size overflows).
pub fn cover(
    image: &mut [f32],
    v: crate::arch::Volume,
    [y, x]: [usize; 2],
    patch: usize,
    fill: f32,
) -> Result<(), NnError> {
    if v.elements() != Some(image.len()) {
        return Err(NnError::Shape {
            op: "explain",
            what: "image",
            got: vec![image.len()],
            expected: vec![v.c, v.h, v.w],
        });
    }
    for c in 0..v.c {
        for yy in y..y.saturating_add(patch).min(v.h) {
            let row = (c * v.h + yy) * v.w;
            image[row + x.min(v.w)..row + x.saturating_add(patch).min(v.w)].fill(fill);
        }
    }
    Ok(())
}

/// `image` with a `patch`×`patch` square at `[y, x]` set to `fill` in every channel.
///
/// # Errors
/// [`NnError::Shape`] for an image of the wrong length.
pub fn occluded(
    net: &Network,
    image: &[f32],
    [y, x]: [usize; 2],
    patch: usize,
    fill: f32,
) -> Result<Vec<f32>, NnError> {
    check_image(net, image)?;
    let mut out = image.to_vec();
    cover(&mut out, net.input(), [y, x], patch, fill)?;
    Ok(out)
}

/// Slides the patch of `config` over the image and records, at each position, how much the
/// probability of `class` drops. The occluded images run in
/// batches of `batch`; `progress(done, total)` is called after each.
///
/// # Errors
/// The core's message for a patch larger than the image or a zero stride (the output-size
/// formula's), [`NnError::Label`], [`NnError::Shape`], or the network's.
pub fn occlusion(
    net: &Network,
    image: &[f32],
    class: usize,
    config: OcclusionConfig,
    ws: &mut Workspace,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Occlusion, NnError> {
    let OcclusionConfig {
        patch,
        stride,
        fill,
    } = config;
    check_image(net, image)?;
    check_class(net, class)?;
    let v = net.input();
    let rows = crate::conv_output_size(v.h, patch, stride, 0, 1).map_err(crate::CoreError::from)?;
    let cols = crate::conv_output_size(v.w, patch, stride, 0, 1).map_err(crate::CoreError::from)?;
    let baseline = scores(net, image, 1, ws)?[0].probabilities[class];
    let total = rows * cols;
    let batch = 32.min(total).max(1);
    let mut drops = Vec::with_capacity(total);
    let mut images = Vec::with_capacity(batch * image.len());
    let mut start = 0;
    while start < total {
        let end = (start + batch).min(total);
        images.clear();
        for i in start..end {
            let at = images.len();
            images.extend_from_slice(image);
            cover(
                &mut images[at..],
                v,
                [i / cols * stride, i % cols * stride],
                patch,
                fill,
            )?;
        }
        for s in scores(net, &images, end - start, ws)? {
            drops.push(baseline - s.probabilities[class]);
        }
        start = end;
        progress(start, total);
    }
    Ok(Occlusion {
        dims: [rows, cols],
        patch,
        stride,
        baseline,
        drops,
    })
}

/// Grad-CAM at one layer.
#[derive(Debug, Clone, PartialEq)]
pub struct GradCam {
    /// The layer's path.
    pub layer: String,
    /// `[h, w]` of its maps.
    pub dims: [usize; 2],
    /// Per map: the mean over its pixels of the score's gradient (its weight).
    pub weights: Vec<f32>,
    /// `ReLU(Σ_k weight_k · map_k)`, row-major `h·w`.
    pub map: Vec<f32>,
}

/// Grad-CAM of the scores weighted by `weights` (see [`class_weights`]) at `layer` (a layer
/// path, `conv2` or `block1.conv2`).
///
/// # Errors
/// [`NnError::Layer`] for a layer the network does not have; as [`input_gradient`].
pub fn grad_cam(
    net: &Network,
    image: &[f32],
    weights: &[f32],
    layer: &str,
    ws: &mut Workspace,
) -> Result<GradCam, NnError> {
    // Grad-CAM needs the layer's gradient, not the input's.
    backward(net, image, weights, ws, false)?;
    let outputs = ws.outputs(net);
    let Some(out) = outputs.iter().find(|o| o.name == layer) else {
        let names: Vec<&str> = outputs.iter().map(|o| o.name).collect();
        return Err(NnError::Layer {
            layer: layer.to_owned(),
            reason: format!("no such layer; the network has {}", names.join(", ")),
        });
    };
    let v = out.volume;
    let hw = v.h * v.w;
    let (values, grad) = (&out.values[..v.c * hw], &out.grad[..v.c * hw]);
    let alphas: Vec<f32> = grad
        .chunks(hw)
        .map(|g| (g.iter().map(|&x| f64::from(x)).sum::<f64>() / hw as f64) as f32)
        .collect();
    let mut map = vec![0.0f32; hw];
    for (a, plane) in alphas.iter().zip(values.chunks(hw)) {
        for (m, &x) in map.iter_mut().zip(plane) {
            *m += a * x;
        }
    }
    map.iter_mut().for_each(|m| *m = m.max(0.0));
    Ok(GradCam {
        layer: layer.to_owned(),
        dims: [v.h, v.w],
        weights: alphas,
        map,
    })
}

/// One value of one layer, traced back to the input.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitField {
    /// The layer's path.
    pub layer: String,
    /// The value's `[channel, row, column]` in the layer's output.
    pub unit: [usize; 3],
    /// The value itself.
    pub value: f32,
    /// `[first, end)` input rows its receptive field covers (may reach into the padding).
    pub rows: [i64; 2],
    /// `[first, end)` input columns.
    pub cols: [i64; 2],
    /// The field's side, as the Architectures page's RF column gives it.
    pub size: usize,
    /// The gradient of the value with respect to every input pixel (as long as the image):
    /// zero outside the field.
    pub gradient: Vec<f32>,
}

/// Traces value `[c, y, x]` of the layer at `layer` back to the input of `image`: its
/// receptive field and its gradient.
///
/// # Errors
/// [`NnError::Layer`] for a layer the network does not have or a unit outside its output;
/// as [`input_gradient`].
pub fn unit_field(
    net: &Network,
    image: &[f32],
    layer: &str,
    [c, y, x]: [usize; 3],
    ws: &mut Workspace,
) -> Result<UnitField, NnError> {
    check_image(net, image)?;
    let report = layer_report(net, layer)?;
    let v = report.output;
    if c >= v.c || y >= v.h || x >= v.w {
        return Err(NnError::Layer {
            layer: layer.to_owned(),
            reason: format!(
                "its output is {v} (channels × rows × columns {} × {} × {}), so it has no value at channel {c}, row {y}, column {x}",
                v.c, v.h, v.w
            ),
        });
    }
    let rf = report.receptive_field;
    let unit = (c * v.h + y) * v.w + x;
    // After a flatten, value c sits at a position of the volume that was flattened.
    let [y_at, x_at] = match flattened_from(net, layer) {
        Some(f) if f.h * f.w > 1 => [c % (f.h * f.w) / f.w, c % f.w],
        _ => [y, x],
    };
    net.forward(image, 1, Mode::Eval, ws, &mut Rng::seed_from_u64(0))?;
    let value = ws
        .outputs(net)
        .iter()
        .find(|o| o.name == layer)
        .and_then(|o| o.values.get(unit).copied())
        .unwrap_or(f32::NAN);
    let mut seed = vec![0.0; v.h * v.w * v.c];
    seed[unit] = 1.0;
    ws.backward_from(net, layer, &seed)?;
    Ok(UnitField {
        layer: layer.to_owned(),
        unit: [c, y, x],
        value,
        rows: rf.span(y_at),
        cols: rf.span(x_at),
        size: rf.size,
        gradient: ws.input_grad().to_vec(),
    })
}

/// The volume a vector layer's values came from, when `layer` is a top-level flatten or an
/// element-wise layer after one (before any linear layer mixes the positions).
fn flattened_from(net: &Network, layer: &str) -> Option<crate::arch::Volume> {
    use crate::arch::LayerKind;
    let mut from = None;
    for l in &net.report().layers {
        from = match l.kind {
            LayerKind::Flatten => Some(l.input),
            LayerKind::Activation | LayerKind::Dropout | LayerKind::BatchNorm => from,
            _ => None,
        };
        if l.name == layer {
            return from;
        }
    }
    None
}

/// The evaluated layer at `layer` (a path).
fn layer_report<'n>(
    net: &'n Network,
    layer: &str,
) -> Result<&'n crate::arch::LayerReport, NnError> {
    net.report().find(layer).ok_or_else(|| NnError::Layer {
        layer: layer.to_owned(),
        reason: format!(
            "no such layer; the network has {}",
            layer_names(net).join(", ")
        ),
    })
}

/// Every layer's path, blocks' inner layers after their block.
fn layer_names(net: &Network) -> Vec<String> {
    fn walk(layers: &[crate::arch::LayerReport], prefix: &str, out: &mut Vec<String>) {
        for l in layers {
            let path = format!("{prefix}{}", l.name);
            out.push(path.clone());
            walk(&l.main, &format!("{path}."), out);
            walk(&l.shortcut, &format!("{path}."), out);
        }
    }
    let mut out = Vec::new();
    walk(&net.report().layers, "", &mut out);
    out
}

/// `map` (`h×w`) resized to `out_h×out_w` by bilinear interpolation with aligned centres
/// (PyTorch's `align_corners=False`), for drawing a coarse map over the input. An empty
/// map (`h` or `w` 0) gives zeros.
///
/// # Errors
/// [`crate::CoreError::Length`] when `map` is not `h·w` values, [`crate::CoreError::Shape`]
/// when `out_h·out_w` overflows or exceeds [`MAX_UPSAMPLE_PIXELS`].
pub fn upsample_bilinear(
    map: &[f32],
    [h, w]: [usize; 2],
    [out_h, out_w]: [usize; 2],
) -> Result<Vec<f32>, crate::CoreError> {
    let out_len = out_h
        .checked_mul(out_w)
        .ok_or(crate::shape::ShapeError::Overflow {
            what: "the upsampled map",
        })?;
    if out_len > MAX_UPSAMPLE_PIXELS {
        return Err(crate::shape::ShapeError::TooLarge {
            what: "the upsampled map",
            elements: out_len,
            limit: MAX_UPSAMPLE_PIXELS,
        }
        .into());
    }
    let in_len = h.checked_mul(w);
    if in_len != Some(map.len()) {
        return Err(crate::CoreError::Length {
            op: "upsample_bilinear",
            what: "the map",
            got: map.len(),
            expected: in_len.unwrap_or(usize::MAX),
        });
    }
    if h == 0 || w == 0 || out_len == 0 {
        // Also for `out_len` 0 with one huge axis: no loop over it.
        return Ok(vec![0.0; out_len]);
    }
    let axis = |i: usize, n_in: usize, n_out: usize| -> (usize, usize, f32) {
        let s = (i as f32 + 0.5) * n_in as f32 / n_out as f32 - 0.5;
        let s = s.clamp(0.0, (n_in - 1) as f32);
        let i0 = s.floor() as usize;
        let i1 = (i0 + 1).min(n_in - 1);
        (i0, i1, s - i0 as f32)
    };
    let mut out = Vec::with_capacity(out_h * out_w);
    for y in 0..out_h {
        let (y0, y1, fy) = axis(y, h, out_h);
        for x in 0..out_w {
            let (x0, x1, fx) = axis(x, w, out_w);
            let top = map[y0 * w + x0] * (1.0 - fx) + map[y0 * w + x1] * fx;
            let bottom = map[y1 * w + x0] * (1.0 - fx) + map[y1 * w + x1] * fx;
            out.push(top * (1.0 - fy) + bottom * fy);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn normal_draws_have_mean_0_variance_1_and_normal_tails() {
        let mut rng = Rng::seed_from_u64(7);
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| f64::from(normal(&mut rng))).collect();
        let mean = draws.iter().sum::<f64>() / f64::from(n);
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / f64::from(n);
        // Standard errors: 1/√n ≈ 0.0022 for the mean, √(2/n) ≈ 0.0032 for the variance.
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.015, "variance {var}");
        // P(|Z| > 2) = 4.55 %, P(|Z| > 3) = 0.27 %.
        let beyond = |k: f64| draws.iter().filter(|x| x.abs() > k).count() as f64 / f64::from(n);
        assert!(
            (beyond(2.0) - 0.0455).abs() < 0.002,
            "beyond 2: {}",
            beyond(2.0)
        );
        assert!(
            (beyond(3.0) - 0.0027).abs() < 0.0006,
            "beyond 3: {}",
            beyond(3.0)
        );
    }
}
