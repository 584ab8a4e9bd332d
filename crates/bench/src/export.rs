//! The fixture as one safetensors file, for engines outside this process (PyTorch).
//!
//! | tensor | dtype | shape |
//! |---|---|---|
//! | `conv1.weight` … `fc3.bias` | F32 | PyTorch's `state_dict` layouts |
//! | `check.input` | F32 | `[1, 1, 28, 28]` |
//! | `check.logits` | F32 | `[1, 10]`: convscope's logits for `check.input` |
//! | `train.images` | F32 | `[64, 1, 28, 28]` |
//! | `train.labels` | I64 | `[64]` (PyTorch's cross-entropy wants `long`) |

use std::collections::HashMap;

use convscope_core::data::{CLASSES, IMAGE_SIZE};
use safetensors::tensor::{Dtype, TensorView};

use crate::fixture::{BenchError, Fixture, LEARNING_RATE, TRAIN_BATCH};

fn le_f32(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The fixture made with `seed` as safetensors bytes (see the module's table).
///
/// # Errors
/// [`BenchError::Serialize`] if the writer fails; [`BenchError::Nn`] from the core.
pub fn to_safetensors(fixture: &Fixture, seed: u64) -> Result<Vec<u8>, BenchError> {
    let ser = |e: &dyn std::fmt::Display| BenchError::Serialize(e.to_string());
    let mut tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = fixture
        .model
        .parameters()
        .iter()
        .map(|t| (t.name.clone(), Dtype::F32, t.shape.clone(), le_f32(&t.data)))
        .collect();
    let s = IMAGE_SIZE;
    tensors.push((
        "check.input".into(),
        Dtype::F32,
        vec![1, 1, s, s],
        le_f32(&fixture.check_input),
    ));
    tensors.push((
        "check.logits".into(),
        Dtype::F32,
        vec![1, CLASSES],
        le_f32(&fixture.check_logits()?),
    ));
    tensors.push((
        "train.images".into(),
        Dtype::F32,
        vec![TRAIN_BATCH, 1, s, s],
        le_f32(&fixture.train_images),
    ));
    let labels: Vec<u8> = fixture
        .train_labels
        .iter()
        .flat_map(|&l| i64::from(l).to_le_bytes())
        .collect();
    tensors.push(("train.labels".into(), Dtype::I64, vec![TRAIN_BATCH], labels));
    let mut views = Vec::with_capacity(tensors.len());
    for (name, dtype, shape, data) in &tensors {
        views.push((
            name.as_str(),
            TensorView::new(*dtype, shape.clone(), data).map_err(|e| ser(&e))?,
        ));
    }
    let mut info = HashMap::new();
    info.insert("format".to_owned(), "pt".to_owned());
    info.insert("architecture".to_owned(), "lenet5".to_owned());
    info.insert("seed".to_owned(), seed.to_string());
    info.insert("learning_rate".to_owned(), LEARNING_RATE.to_string());
    safetensors::serialize(views, Some(info)).map_err(|e| ser(&e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use safetensors::SafeTensors;

    #[test]
    fn the_file_holds_the_weights_the_check_and_the_batch() {
        let f = Fixture::new(3).unwrap();
        let bytes = to_safetensors(&f, 3).unwrap();
        let st = SafeTensors::deserialize(&bytes).unwrap();
        assert_eq!(st.tensor("conv2.weight").unwrap().shape(), [16, 6, 5, 5]);
        assert_eq!(st.tensor("train.labels").unwrap().dtype(), Dtype::I64);
        let logits = st.tensor("check.logits").unwrap();
        assert_eq!(logits.data(), le_f32(&f.check_logits().unwrap()));
        // The weights are the network's, by name.
        for t in f.model.parameters() {
            assert_eq!(
                st.tensor(&t.name).unwrap().data(),
                le_f32(&t.data),
                "{}",
                t.name
            );
        }
    }
}
