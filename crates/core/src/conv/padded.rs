//! A stride-1 convolution's input planes padded once, and where each kernel tap reads them:
//! the piece the two stride-1 im2col layouts share ([`super::quads`] for wasm's packed
//! GEMM, [`super::shifted`] for the native products).
//!
//! With the planes of one group padded to `H_p × W_p` (`H_p = H + 2P_h`, `W_p = W + 2P_w`)
//! and laid back to back, kernel tap `t = (c, ky, kx)` at the output cell `(oy, ox)` reads the
//! padded cell `oy·W_p + ox + off(t)`, `off(t) = c·H_p·W_p + ky·D_h·W_p + kx·D_w`: no padding
//! check, and consecutive outputs of a row read consecutive floats.

use crate::shape::Conv2dGeometry;

/// One geometry's padded planes and tap offsets, made once per call.
#[derive(Debug, Clone)]
pub(super) struct PaddedPlanes {
    /// Padded plane size `[H_p, W_p]`.
    pub(super) padded: [usize; 2],
    /// Input plane size `[H, W]`.
    input: [usize; 2],
    /// Padding `[P_h, P_w]`.
    padding: [usize; 2],
    /// Input channels per group.
    channels: usize,
    /// The offsets `off(t)` of the taps in im2col order `(c, ky, kx)`.
    pub(super) offsets: Vec<usize>,
}

impl PaddedPlanes {
    /// The padded planes of `g` (any stride: the layouts that use them check it is 1).
    pub(super) fn of(g: &Conv2dGeometry) -> Self {
        let p = g.params();
        let [h, w] = g.input_size();
        let ([hp, wp], [kh, kw], [dh, dw]) = (
            [h + 2 * p.padding[0], w + 2 * p.padding[1]],
            g.kernel(),
            p.dilation,
        );
        let offsets = (0..g.in_channels_per_group())
            .flat_map(|c| {
                (0..kh)
                    .flat_map(move |ky| (0..kw).map(move |kx| c * hp * wp + ky * dh * wp + kx * dw))
            })
            .collect();
        Self {
            padded: [hp, wp],
            input: [h, w],
            padding: p.padding,
            channels: g.in_channels_per_group(),
            offsets,
        }
    }

    /// Floats of the padded planes of one group: `C_in/groups · H_p · W_p`.
    pub(super) fn len(&self) -> usize {
        self.channels * self.padded[0] * self.padded[1]
    }

    /// Copies one group's `planes` (`C_in/groups` planes of `H × W`) into `padded`
    /// (`buffer_len ≥` [`PaddedPlanes::len`] floats: the planes, then slack the layout's
    /// last reads need), zero borders and slack.
    pub(super) fn pad(&self, planes: &[f32], buffer_len: usize, padded: &mut Vec<f32>) {
        let ([h, w], [hp, wp], [ph, pw]) = (self.input, self.padded, self.padding);
        padded.clear();
        padded.resize(buffer_len.max(self.len()), 0.0);
        for (src, dst) in planes
            .chunks_exact((h * w).max(1))
            .zip(padded.chunks_exact_mut(hp * wp))
        {
            for (s, d) in src
                .chunks_exact(w.max(1))
                .zip(dst[ph * wp..].chunks_exact_mut(wp))
            {
                d[pw..pw + w].copy_from_slice(s);
            }
        }
    }

    /// Copies the interior of the padded planes into `planes` (`C_in/groups` planes of
    /// `H × W`, overwritten): the inverse of [`PaddedPlanes::pad`].
    pub(super) fn unpad(&self, padded: &[f32], planes: &mut [f32]) {
        let ([h, w], [hp, wp], [ph, pw]) = (self.input, self.padded, self.padding);
        for (src, dst) in padded
            .chunks_exact(hp * wp)
            .zip(planes.chunks_exact_mut((h * w).max(1)))
        {
            for (s, d) in src[ph * wp..]
                .chunks_exact(wp)
                .zip(dst.chunks_exact_mut(w.max(1)))
            {
                d.copy_from_slice(&s[pw..pw + w]);
            }
        }
    }
}
