//! The transposed-convolution trace agrees bitwise with the reference (gather) loop, names
//! the upsampled cell of every tap, and rejects bad indices.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use convscope_core::{
    ConvTranspose2dParams, ConvTransposeTrace, CoreError, Stepper, conv_transpose2d_reference,
};
use ndarray::{Array1, Array4};

use crate::common::values;

#[test]
fn conv_transpose_trace_is_bitwise_equal_to_the_reference_loop() {
    let cases = [
        (
            [2, 4, 4, 5],
            [4, 3, 3, 3],
            ConvTranspose2dParams::default()
                .with_stride(2)
                .with_padding(1)
                .with_groups(2),
        ),
        (
            [1, 3, 3, 3],
            [3, 2, 2, 3],
            ConvTranspose2dParams {
                stride: [3, 1],
                padding: [0, 2],
                output_padding: [1, 0],
                dilation: [2, 1],
                groups: 1,
            },
        ),
        ([1, 1, 5, 5], [1, 1, 3, 3], ConvTranspose2dParams::default()),
    ];
    for (i, (xs, ws, p)) in cases.into_iter().enumerate() {
        let x = values(xs, 7 + i as u32);
        let w = values(ws, 70 + i as u32);
        let c_out = ws[1] * p.groups;
        let b = Array1::from_shape_fn(c_out, |k| 0.25 * k as f32 - 0.4);
        let y = conv_transpose2d_reference(x.view(), w.view(), Some(b.view()), p).unwrap();
        for sample in 0..xs[0] {
            let trace =
                ConvTransposeTrace::new(x.view(), sample, w.view(), Some(b.view()), p).unwrap();
            let [k, h, wd] = trace.output_dims();
            assert_eq!([1, k, h, wd], [1, y.dim().1, y.dim().2, y.dim().3]);
            assert_eq!(trace.len(), k * h * wd);
            for index in 0..trace.len() {
                let step = trace.step(index).unwrap();
                let [c, oy, ox] = step.output;
                assert_eq!(
                    step.value.to_bits(),
                    y[[sample, c, oy, ox]].to_bits(),
                    "case {i}, sample {sample}, step {index}"
                );
                assert_eq!(trace.index_of(step.output), Some(index));
                assert_eq!(trace.cell_of(index), Ok(step.output));
                // Every tap names its upsampled cell; contributing taps read the input there.
                let s = p.stride;
                for t in &step.taps {
                    if let Some([iy, ix]) = t.source {
                        assert_eq!(t.upsampled, [(iy * s[0]) as isize, (ix * s[1]) as isize]);
                        assert_eq!(t.value, x[[sample, t.channel, iy, ix]]);
                    }
                }
                assert_eq!(step.taps.len(), xs[1] / p.groups * ws[2] * ws[3]);
            }
            let out = trace.output();
            assert_eq!(out, y.index_axis(ndarray::Axis(0), sample));
        }
    }
}

#[test]
fn conv_transpose_trace_upsamples_with_holes_and_rejects_bad_indices() {
    let x = Array4::from_shape_fn((1, 1, 2, 2), |(_, _, y, x)| (y * 2 + x + 1) as f32);
    let w = Array4::from_elem((1, 1, 3, 3), 1.0);
    let p = ConvTranspose2dParams::default().with_stride(2);
    let trace = ConvTransposeTrace::new(x.view(), 0, w.view(), None, p).unwrap();
    assert_eq!(trace.upsampled_size(), [3, 3]);
    assert_eq!(trace.upsampled_padding(), [2, 2]);
    let up = trace.upsampled();
    assert_eq!(
        up.iter().copied().collect::<Vec<_>>(),
        vec![1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 3.0, 0.0, 4.0]
    );
    // Output (2, 2) is the centre: every input cell's scatter reaches it.
    let step = trace.step(trace.index_of([0, 2, 2]).unwrap()).unwrap();
    assert_eq!(step.value, 10.0);
    assert_eq!(step.window_origin, [0, 0]);
    assert_eq!(step.taps.iter().filter(|t| t.source.is_some()).count(), 4);
    assert!(matches!(
        trace.step(trace.len()),
        Err(CoreError::StepOutOfRange { .. })
    ));
    assert!(ConvTransposeTrace::new(x.view(), 1, w.view(), None, p).is_err());
}
