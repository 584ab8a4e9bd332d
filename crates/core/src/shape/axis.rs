//! One axis: output sizes of convolution, transposed convolution and pooling, the
//! lecture's formula spelled out, and the sliding window's positions ([`WindowAxis`]).

use super::*;

/// Output size along one axis, as PyTorch computes it:
/// ⌊(W1 + 2P − D(F − 1) − 1)/S⌋ + 1.
///
/// # Errors
/// [`ShapeError`] for a zero stride, kernel or dilation, a kernel larger than the padded
/// input, or arithmetic overflow.
pub fn conv_output_size(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
) -> Result<usize, ShapeError> {
    conv_output_size_explained(input, kernel, stride, padding, dilation).map(|o| o.size)
}

/// One axis of a convolution or pooling, with the arithmetic spelled out for a UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputSize {
    /// The output size ⌊(W1 + 2P − D(F − 1) − 1)/S⌋ + 1.
    pub size: usize,
    /// Cells the dilated kernel covers: D(F − 1) + 1 (= F without dilation).
    pub span: usize,
    /// The padded input W1 + 2P.
    pub padded: usize,
    /// The numerator W1 + 2P − span (= W1 − F + 2P without dilation).
    pub numerator: usize,
    /// `numerator mod S`: the trailing input cells no window reaches.
    pub remainder: usize,
    /// Present when S does not divide the numerator.
    pub note: Option<DivisibilityNote>,
}

/// The stride does not divide (W1 − F + 2P): the lecture's formula gives a fraction and
/// PyTorch floors it. Names the nearest hyper-parameters that divide evenly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DivisibilityNote {
    /// W1 + 2P − D(F − 1) − 1.
    pub numerator: usize,
    /// S.
    pub stride: usize,
    /// `numerator mod S` (> 0).
    pub remainder: usize,
    /// The largest stride below S that divides the numerator (searched down to S − 4096;
    /// 1 always divides, so this is `Some` whenever S ≤ 4097).
    pub smaller_stride: Option<usize>,
    /// The smallest stride above S that divides the numerator (searched up to S + 4096).
    pub larger_stride: Option<usize>,
    /// The largest padding below P for which S divides evenly and the kernel still fits
    /// (searched within min(S, 4096) of P).
    pub smaller_padding: Option<usize>,
    /// The smallest padding above P for which S divides evenly (same search window).
    pub larger_padding: Option<usize>,
}

impl fmt::Display for DivisibilityNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "(W − F + 2P) = {} is not divisible by S = {} (remainder {}): the last {} input cell(s) are never covered and the size is floored",
            self.numerator, self.stride, self.remainder, self.remainder
        )?;
        let strides: Vec<String> = [self.smaller_stride, self.larger_stride]
            .iter()
            .flatten()
            .map(|s| format!("S = {s}"))
            .collect();
        if !strides.is_empty() {
            write!(f, "; divides evenly with {}", strides.join(" or "))?;
        }
        let paddings: Vec<String> = [self.smaller_padding, self.larger_padding]
            .iter()
            .flatten()
            .map(|p| format!("P = {p}"))
            .collect();
        if !paddings.is_empty() {
            write!(f, "; or keep S and use {}", paddings.join(" or "))?;
        }
        Ok(())
    }
}

/// How far above the stride [`DivisibilityNote::larger_stride`] is searched.
const STRIDE_SEARCH: usize = 4096;

/// Refuses a zero stride, kernel or dilation: the checks every window along an axis needs.
/// The window itself first: a pooling's stride defaults to its size, so `maxpool 0` is a
/// window of zero, not (only) a stride of zero.
fn check_window(kernel: usize, stride: usize, dilation: usize) -> Result<(), ShapeError> {
    if kernel == 0 {
        Err(ShapeError::ZeroKernel { kernel })
    } else if stride == 0 {
        Err(ShapeError::ZeroStride { stride })
    } else if dilation == 0 {
        Err(ShapeError::ZeroDilation { dilation })
    } else {
        Ok(())
    }
}

/// [`conv_output_size`] with the arithmetic and, when S does not divide evenly, a
/// [`DivisibilityNote`]. The size is always PyTorch's floor result.
///
/// # Errors
/// As [`conv_output_size`].
pub fn conv_output_size_explained(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
) -> Result<OutputSize, ShapeError> {
    check_window(kernel, stride, dilation)?;
    let span = dilation
        .checked_mul(kernel - 1)
        .and_then(|v| v.checked_add(1))
        .ok_or(overflow("the dilated kernel span"))?;
    let padded = padding
        .checked_mul(2)
        .and_then(|p| p.checked_add(input))
        .ok_or(overflow("the padded input"))?;
    if span > padded {
        return Err(ShapeError::KernelTooLarge {
            input,
            kernel,
            padding,
            dilation,
            span,
            padded,
        });
    }
    let numerator = padded - span;
    let remainder = numerator % stride;
    let note = (remainder != 0).then(|| {
        let divides = |s: usize| numerator % s == 0;
        // Bounded searches: a few thousand candidates at most, whatever the inputs.
        let smaller_stride = (stride.saturating_sub(STRIDE_SEARCH).max(1)
            ..stride.min(numerator + 1))
            .rev()
            .find(|&s| divides(s));
        let larger_stride = (stride.saturating_add(1)
            ..=numerator.min(stride.saturating_add(STRIDE_SEARCH)))
            .find(|&s| s > stride && divides(s));
        // numerator(P') = input + 2P' − span; P' works iff S divides it, which repeats with
        // period S in P', so S candidates on each side suffice (capped for huge S).
        let fits = |p: usize| -> Option<usize> {
            let padded = p.checked_mul(2)?.checked_add(input)?;
            let num = padded.checked_sub(span)?;
            (num % stride == 0).then_some(p)
        };
        let window = stride.min(STRIDE_SEARCH);
        let smaller_padding = (padding.saturating_sub(window)..padding)
            .rev()
            .find_map(fits);
        let larger_padding = (1..=window).find_map(|d| padding.checked_add(d).and_then(fits));
        DivisibilityNote {
            numerator,
            stride,
            remainder,
            smaller_stride,
            larger_stride,
            smaller_padding,
            larger_padding,
        }
    });
    Ok(OutputSize {
        size: numerator / stride + 1,
        span,
        padded,
        numerator,
        remainder,
        note,
    })
}

/// Output size along one axis of a transposed convolution, as PyTorch computes it:
/// (W − 1)·S − 2P + D·(F − 1) + output_padding + 1.
///
/// # Errors
/// [`ShapeError`] for a zero stride, kernel or dilation, an output padding not smaller than
/// the stride or the dilation, an empty result, or overflow.
pub fn conv_transpose_output_size(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    output_padding: usize,
    dilation: usize,
) -> Result<usize, ShapeError> {
    check_window(kernel, stride, dilation)?;
    if output_padding >= stride && output_padding >= dilation {
        return Err(ShapeError::OutputPaddingTooLarge {
            output_padding,
            stride,
            dilation,
        });
    }
    let what = "the transposed convolution output";
    let full = input
        .saturating_sub(1)
        .checked_mul(stride)
        .and_then(|v| v.checked_add(dilation.checked_mul(kernel - 1)?))
        .and_then(|v| v.checked_add(output_padding))
        .and_then(|v| v.checked_add(1))
        .ok_or(overflow(what))?;
    if input == 0 {
        return Err(ShapeError::EmptyAxis {
            op: "conv_transpose2d",
            axis: "size",
        });
    }
    let two_p = mul(padding, 2, what)?;
    match full.checked_sub(two_p) {
        Some(size) if size > 0 => Ok(size),
        _ => Err(ShapeError::EmptyOutput {
            input,
            kernel,
            stride,
            padding,
            full,
            two_p,
        }),
    }
}

/// Output size along one axis of a pooling window (no dilation, floor mode, PyTorch's rule
/// that padding is at most half the window).
///
/// # Errors
/// As [`conv_output_size`], plus [`ShapeError::PoolPaddingTooLarge`].
pub fn pool_output_size(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
) -> Result<usize, ShapeError> {
    if kernel > 0 && padding > kernel / 2 {
        return Err(ShapeError::PoolPaddingTooLarge { padding, kernel });
    }
    conv_output_size(input, kernel, stride, padding, 1)
}

/// One axis of a sliding window (convolution or pooling) over an input of `size` cells:
/// output `o` and kernel tap `k` read the padded position `o·S + k·D`, that is input cell
/// `o·S + k·D − P`, or padding when that falls outside `0..size`.
///
/// The one place this arithmetic lives: the reference convolution, im2col and col2im,
/// pooling and its backward pass, and the traces all ask it. Only for geometries that
/// passed validation (their products fit in `usize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowAxis {
    /// Stride S.
    pub stride: usize,
    /// Dilation D (1 for pooling).
    pub dilation: usize,
    /// Padding P before the first cell.
    pub padding: usize,
    /// Input cells along this axis.
    pub size: usize,
}

impl WindowAxis {
    /// The position `o·S + k·D` in the padded input.
    #[inline]
    pub fn padded(self, o: usize, k: usize) -> usize {
        o * self.stride + k * self.dilation
    }

    /// The input cell output `o`'s tap `k` reads, or `None` in the padding.
    #[inline]
    pub fn inside(self, o: usize, k: usize) -> Option<usize> {
        self.padded(o, k)
            .checked_sub(self.padding)
            .filter(|&i| i < self.size)
    }

    /// The same position as a signed input coordinate: negative inside the leading padding,
    /// `size` or more inside the trailing one (saturating for absurd paddings).
    pub fn position(self, o: usize, k: usize) -> isize {
        let padded = self.padded(o, k);
        if padded >= self.padding {
            isize::try_from(padded - self.padding).unwrap_or(isize::MAX)
        } else {
            isize::try_from(self.padding - padded).map_or(isize::MIN, |v| -v)
        }
    }

    /// The outputs among `0..outputs` whose tap `k` reads an input cell (not padding): a
    /// contiguous range, since the position grows with the output index.
    #[inline]
    pub fn valid_outputs(self, k: usize, outputs: usize) -> std::ops::Range<usize> {
        let off = k * self.dilation;
        // o·S + off ≥ P  ⇔  o ≥ ⌈(P − off)/S⌉
        let lo = self
            .padding
            .saturating_sub(off)
            .div_ceil(self.stride)
            .min(outputs);
        // o·S + off − P < size  ⇔  o·S < size + P − off
        let limit = (self.size + self.padding).saturating_sub(off);
        let hi = limit.div_ceil(self.stride).min(outputs).max(lo);
        lo..hi
    }
}
