//! The shape arithmetic with any sizes: output sizes of convolution, pooling and transposed
//! convolution, the validated 2-D geometries and their accessors, `ShapeError`'s message
//! and advice (also for errors built by hand, as the calculator's callers may), and the
//! receptive field through an evaluated network. Every call must return — no panic, no
//! overflow (the fuzz build checks overflow), no endless search.
#![no_main]

use convscope_core::arch::{
    self, Architecture, BlockKind, Conv, Layer, Linear, Op, Pool, Residual, Volume,
};
use convscope_core::shape::{
    Conv2dGeometry, Conv2dParams, ConvTranspose2dGeometry, ConvTranspose2dParams, Pool2dGeometry,
    Pool2dParams, ShapeError, conv_output_size_explained, conv_transpose_output_size,
    min_padding_to_fit, pool_output_size,
};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

/// A size that is small, moderate, near a power of two or near `usize::MAX` as often as it
/// is anything at all: uniform `usize`s are almost all astronomically large.
fn size(u: &mut Unstructured<'_>) -> Result<usize> {
    Ok(match u.int_in_range(0u8..=5)? {
        0 => usize::from(u.int_in_range(0u8..=8)?),
        1 => usize::from(u.arbitrary::<u8>()?),
        2 => usize::from(u.arbitrary::<u16>()?),
        3 => usize::MAX - usize::from(u.arbitrary::<u8>()?),
        4 => {
            let shift = u.int_in_range(0u32..=63)?;
            (1usize << shift)
                .wrapping_add(usize::from(u.arbitrary::<u8>()?))
                .wrapping_sub(128)
        }
        _ => u.arbitrary()?,
    })
}

fn pair(u: &mut Unstructured<'_>) -> Result<[usize; 2]> {
    Ok([size(u)?, size(u)?])
}

fn quad(u: &mut Unstructured<'_>) -> Result<[usize; 4]> {
    Ok([size(u)?, size(u)?, size(u)?, size(u)?])
}

/// The message and advice of an error: both must be computable.
fn explain(e: &ShapeError) {
    assert!(!e.to_string().is_empty());
    if let Some(a) = e.advice() {
        assert!(!a.is_empty());
    }
}

fn arbitrary_error(u: &mut Unstructured<'_>) -> Result<ShapeError> {
    let op = "fuzz";
    Ok(match u.int_in_range(0u8..=8)? {
        0 => ShapeError::KernelTooLarge {
            input: size(u)?,
            kernel: size(u)?,
            padding: size(u)?,
            dilation: size(u)?,
            span: size(u)?,
            padded: size(u)?,
        },
        1 => ShapeError::GroupsDoNotDivide {
            op,
            groups: size(u)?,
            channels: size(u)?,
            what: "input channels",
        },
        2 => ShapeError::ZeroStride { stride: size(u)? },
        3 => ShapeError::TooLarge {
            what: "the output",
            elements: size(u)?,
            limit: size(u)?,
        },
        4 => ShapeError::ChannelMismatch {
            op,
            input_channels: size(u)?,
            weight_channels: size(u)?,
            groups: size(u)?,
        },
        5 => ShapeError::OutputPaddingTooLarge {
            output_padding: size(u)?,
            stride: size(u)?,
            dilation: size(u)?,
        },
        6 => ShapeError::EmptyOutput {
            input: size(u)?,
            kernel: size(u)?,
            stride: size(u)?,
            padding: size(u)?,
            full: size(u)?,
            two_p: size(u)?,
        },
        7 => ShapeError::PoolPaddingTooLarge {
            padding: size(u)?,
            kernel: size(u)?,
        },
        _ => ShapeError::ZeroChannels {
            op,
            what: "input channels",
        },
    })
}

/// A layer with arbitrary sizes; residual blocks nest at most `depth` more levels.
fn layer(u: &mut Unstructured<'_>, index: usize, depth: u8) -> Result<Layer> {
    let op = match u.int_in_range(0u8..=8)? {
        0 => Op::Conv(Conv {
            out_channels: size(u)?,
            kernel: size(u)?,
            stride: size(u)?,
            padding: size(u)?,
            dilation: size(u)?,
            groups: size(u)?,
            bias: u.arbitrary()?,
        }),
        1 => Op::max_pool(Pool::new(size(u)?, size(u)?).with_padding(size(u)?)),
        2 => Op::avg_pool(Pool::new(size(u)?, size(u)?).with_padding(size(u)?)),
        3 => Op::AdaptiveAvgPool {
            h: size(u)?,
            w: size(u)?,
        },
        4 => Op::Linear(Linear {
            out_features: size(u)?,
            bias: u.arbitrary()?,
        }),
        5 => Op::Flatten,
        6 => Op::BatchNorm,
        7 => Op::LocalResponseNorm { size: size(u)? },
        _ if depth > 0 => {
            let main = (0..u.int_in_range(0u8..=3)?)
                .map(|i| layer(u, usize::from(i), depth - 1))
                .collect::<Result<_>>()?;
            let shortcut = (0..u.int_in_range(0u8..=2)?)
                .map(|i| layer(u, usize::from(i), depth - 1))
                .collect::<Result<_>>()?;
            Op::Residual(Residual {
                block: BlockKind::Basic,
                main,
                shortcut,
            })
        }
        _ => Op::Flatten,
    };
    Ok(Layer::new(format!("layer{index}"), op))
}

fn one(u: &mut Unstructured<'_>) -> Result<()> {
    match u.int_in_range(0u8..=8)? {
        0 => {
            let (i, k, s, p, d) = (size(u)?, size(u)?, size(u)?, size(u)?, size(u)?);
            match conv_output_size_explained(i, k, s, p, d) {
                Ok(o) => {
                    assert!(o.size >= 1 && o.numerator == o.padded - o.span);
                    assert_eq!(o.remainder, o.numerator % s);
                    if let Some(note) = o.note {
                        assert!(!note.to_string().is_empty());
                        for t in [note.smaller_stride, note.larger_stride]
                            .into_iter()
                            .flatten()
                        {
                            assert_eq!(o.numerator % t, 0, "stride {t} divides");
                        }
                    }
                }
                Err(e) => explain(&e),
            }
        }
        1 => {
            if let Err(e) = pool_output_size(size(u)?, size(u)?, size(u)?, size(u)?) {
                explain(&e);
            }
        }
        2 => {
            let (i, k, s, p, op, d) = (size(u)?, size(u)?, size(u)?, size(u)?, size(u)?, size(u)?);
            match conv_transpose_output_size(i, k, s, p, op, d) {
                Ok(n) => assert!(n >= 1),
                Err(e) => explain(&e),
            }
        }
        3 => {
            let params = Conv2dParams {
                stride: pair(u)?,
                padding: pair(u)?,
                dilation: pair(u)?,
                groups: size(u)?,
            };
            match Conv2dGeometry::new(quad(u)?, size(u)?, pair(u)?, params) {
                Ok(g) => {
                    let _ = (
                        g.output_shape(),
                        g.cols_shape(),
                        g.macs(),
                        g.macs_per_sample(),
                    );
                    let _ = (g.weight_count(), g.parameter_count(true), g.axes());
                    let [out_h, out_w] = g.output_size();
                    for (axis, (outputs, k)) in g
                        .window_axes()
                        .into_iter()
                        .zip([(out_h, g.kernel()[0]), (out_w, g.kernel()[1])])
                    {
                        for (o, t) in [(0, 0), (outputs - 1, k - 1), (outputs / 2, k / 2)] {
                            let _ = (axis.inside(o, t), axis.position(o, t));
                            let r = axis.valid_outputs(t, outputs);
                            assert!(r.start <= r.end && r.end <= outputs);
                        }
                    }
                }
                Err(e) => explain(&e),
            }
        }
        4 => {
            let params = ConvTranspose2dParams {
                stride: pair(u)?,
                padding: pair(u)?,
                output_padding: pair(u)?,
                dilation: pair(u)?,
                groups: size(u)?,
            };
            match ConvTranspose2dGeometry::from_shapes(quad(u)?, quad(u)?, params) {
                Ok(g) => {
                    let _ = (g.output_shape(), g.cols_shape(), g.weight_shape());
                    let _ = (g.upsampled_size(), g.parameter_count(true));
                }
                Err(e) => explain(&e),
            }
        }
        5 => {
            let params = Pool2dParams {
                kernel: pair(u)?,
                stride: pair(u)?,
                padding: pair(u)?,
            };
            match Pool2dGeometry::new(quad(u)?, params) {
                Ok(g) => {
                    let _ = (g.output_shape(), g.window_axes(), g.axes());
                }
                Err(e) => explain(&e),
            }
        }
        6 => explain(&arbitrary_error(u)?),
        7 => {
            let _ = min_padding_to_fit(size(u)?, size(u)?);
        }
        _ => {
            let input = Volume::new(size(u)?, size(u)?, size(u)?);
            let layers = (0..u.int_in_range(1u8..=6)?)
                .map(|i| layer(u, usize::from(i), 2))
                .collect::<Result<_>>()?;
            let a = Architecture {
                name: "fuzz".to_owned(),
                title: "fuzz".to_owned(),
                input,
                layers,
            };
            match a.evaluate() {
                Ok(report) => {
                    let rf = report.totals.receptive_field;
                    assert!(rf.size >= 1 && rf.jump >= 1);
                    for l in &report.layers {
                        let _ = arch::formulas(l);
                        let _ = l.lecture_line();
                    }
                }
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    while !u.is_empty() {
        if one(&mut u).is_err() {
            break;
        }
    }
});
