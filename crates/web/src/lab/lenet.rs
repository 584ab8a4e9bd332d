//! The shipped LeNet-5 models' learned first-layer filters as kernel presets: every filter
//! of conv1 (six 5×5 ones in the shipped files), its shape and values read from
//! `models/lenet-*.safetensors` by the worker.

use std::rc::Rc;

use super::kernel::Kernel;

/// A shipped model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LenetModel {
    /// Trained on MNIST.
    Mnist,
    /// Trained on Fashion-MNIST.
    Fashion,
}

impl LenetModel {
    /// Both models, in menu order.
    pub const ALL: [LenetModel; 2] = [LenetModel::Mnist, LenetModel::Fashion];

    /// Short key (URL, option values).
    pub fn key(self) -> &'static str {
        match self {
            Self::Mnist => "mnist",
            Self::Fashion => "fashion",
        }
    }

    /// Parses [`LenetModel::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.key() == key)
    }

    /// The dataset's name.
    pub fn dataset(self) -> &'static str {
        match self {
            Self::Mnist => "MNIST",
            Self::Fashion => "Fashion-MNIST",
        }
    }

    /// The file, relative to the page.
    pub fn url(self) -> &'static str {
        match self {
            Self::Mnist => "models/lenet-mnist.safetensors",
            Self::Fashion => "models/lenet-fashion.safetensors",
        }
    }

    /// "LeNet conv1 #3 (MNIST)" for filter index 2.
    pub fn label(self, filter: usize) -> String {
        format!("LeNet conv1 #{} ({})", filter + 1, self.dataset())
    }
}

/// A LeNet filter chosen as the kernel: which one, and its bias (the lab's layer has no
/// bias, so it is shown next to the kernel).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LenetChoice {
    /// The model.
    pub model: LenetModel,
    /// Filter index (0-based).
    pub filter: usize,
    /// conv1's bias for that filter.
    pub bias: f32,
}

impl LenetChoice {
    /// Key for the URL and the preset menu: `lenet-mnist-2` (0-based filter).
    pub fn key(model: LenetModel, filter: usize) -> String {
        format!("lenet-{}-{filter}", model.key())
    }

    /// Parses [`LenetChoice::key`] into `(model, filter)`.
    pub fn parse_key(key: &str) -> Option<(LenetModel, usize)> {
        let (model, filter) = key.strip_prefix("lenet-")?.rsplit_once('-')?;
        Some((LenetModel::from_key(model)?, filter.parse().ok()?))
    }
}

/// conv1 of one model: `[K, 1, F, F]` weights and `[K]` biases, as the file has them.
#[derive(Debug, Clone, PartialEq)]
pub struct Conv1Filters {
    /// `[K, 1, F, F]`.
    shape: [usize; 4],
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Conv1Filters {
    /// From the worker's model summary (`shape` and row-major `weight` of conv1, its bias).
    ///
    /// # Errors
    /// When conv1 does not read one channel through square filters, or the lengths do not
    /// match the shape.
    pub fn new(shape: [usize; 4], weight: Vec<f32>, bias: Vec<f32>) -> Result<Self, String> {
        let [k, c, fh, fw] = shape;
        if c != 1 || fh != fw || k == 0 {
            return Err(format!(
                "conv1's weight is {shape:?}: the lab's kernels are square filters over one channel"
            ));
        }
        if weight.len() != k * fh * fw || bias.len() != k {
            return Err(format!(
                "conv1 has {} weights and {} biases, expected {} and {k} for {shape:?}",
                weight.len(),
                bias.len(),
                k * fh * fw
            ));
        }
        Ok(Self {
            shape,
            weight,
            bias,
        })
    }

    /// K, the number of filters.
    pub fn count(&self) -> usize {
        self.shape[0]
    }

    /// Filter `i` as an F×F kernel with its bias.
    pub fn filter(&self, i: usize) -> Option<(Kernel, f32)> {
        let side = self.shape[2];
        let values = self.weight.get(i * side * side..(i + 1) * side * side)?;
        Some((
            Kernel {
                size: side,
                values: values.to_vec(),
            },
            *self.bias.get(i)?,
        ))
    }
}

/// Where a model's filters are.
#[derive(Debug, Clone, PartialEq)]
pub enum LenetLoad {
    /// Fetching the file or parsing it in the worker.
    Loading,
    /// Ready.
    Ready(Rc<Conv1Filters>),
    /// The fetch or the parse failed: why.
    Failed(String),
}

/// Both models' load states, in menu order.
#[derive(Debug, Clone, PartialEq)]
pub struct LenetPresets(pub Vec<(LenetModel, LenetLoad)>);

impl Default for LenetPresets {
    /// Both loading.
    fn default() -> Self {
        Self(
            LenetModel::ALL
                .into_iter()
                .map(|m| (m, LenetLoad::Loading))
                .collect(),
        )
    }
}

impl LenetPresets {
    /// Records how `model`'s load went.
    pub fn set(&mut self, model: LenetModel, load: LenetLoad) {
        if let Some((_, l)) = self.0.iter_mut().find(|(m, _)| *m == model) {
            *l = load;
        }
    }

    /// The kernel action for filter `filter` of `model`, once loaded.
    pub fn choose(&self, model: LenetModel, filter: usize) -> Option<(LenetChoice, Kernel)> {
        let (_, load) = self.0.iter().find(|(m, _)| *m == model)?;
        let LenetLoad::Ready(filters) = load else {
            return None;
        };
        let (kernel, bias) = filters.filter(filter)?;
        Some((
            LenetChoice {
                model,
                filter,
                bias,
            },
            kernel,
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    #[test]
    fn keys_round_trip_and_filters_are_sliced_in_order() {
        for m in LenetModel::ALL {
            for f in 0..6 {
                assert_eq!(
                    LenetChoice::parse_key(&LenetChoice::key(m, f)),
                    Some((m, f))
                );
            }
        }
        assert_eq!(LenetChoice::parse_key("lenet-mnist-x"), None);
        assert_eq!(LenetChoice::parse_key("lenet-cifar-0"), None);
        assert_eq!(LenetModel::Mnist.label(2), "LeNet conv1 #3 (MNIST)");
        let w: Vec<f32> = (0..150).map(|i| i as f32).collect();
        let c = Conv1Filters::new([6, 1, 5, 5], w, vec![0.5; 6]).expect("valid");
        assert_eq!(c.count(), 6);
        let (k, b) = c.filter(1).expect("filter 1");
        assert_eq!(k.size, 5);
        assert_eq!(k.values[0], 25.0);
        assert_eq!(b, 0.5);
        assert!(c.filter(6).is_none());
        assert!(
            Conv1Filters::new([6, 1, 5, 5], vec![0.0; 10], vec![0.0; 6])
                .is_err_and(|e| e.contains("10"))
        );
        assert!(
            Conv1Filters::new([6, 3, 5, 5], vec![0.0; 450], vec![0.0; 6])
                .is_err_and(|e| e.contains("one channel"))
        );
        // Another network's conv1: 16 filters of 3×3.
        let c = Conv1Filters::new([16, 1, 3, 3], vec![1.0; 144], vec![0.0; 16]).expect("valid");
        assert_eq!(
            (c.count(), c.filter(15).map(|(k, _)| k.size)),
            (16, Some(3))
        );
    }

    #[test]
    fn presets_choose_only_when_loaded() {
        let mut p = LenetPresets::default();
        assert!(p.choose(LenetModel::Mnist, 0).is_none(), "still loading");
        let w: Vec<f32> = (0..150).map(|i| i as f32 * 0.5).collect();
        let c =
            Conv1Filters::new([6, 1, 5, 5], w, (0..6).map(|i| i as f32).collect()).expect("valid");
        p.set(LenetModel::Mnist, LenetLoad::Ready(Rc::new(c)));
        p.set(LenetModel::Fashion, LenetLoad::Failed("HTTP 404".into()));
        let (choice, k) = p.choose(LenetModel::Mnist, 5).expect("ready");
        assert_eq!(choice.bias, 5.0);
        assert_eq!(k.values[24], 149.0 * 0.5);
        assert!(p.choose(LenetModel::Fashion, 0).is_none());
        assert!(p.choose(LenetModel::Mnist, 6).is_none());
    }
}
