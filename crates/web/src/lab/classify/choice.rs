//! The model the page runs: one of the shipped networks, the network trained on the Train
//! page, or a file the user loaded; kept in the URL's query (`#/classify?model=fashion`)
//! so a reload keeps it.

use convscope_core::data::DatasetKind;
use convscope_core::format::thousands;

use crate::agent::ModelSummary;
use crate::url::Query;

/// Which model the page runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelChoice {
    /// The shipped LeNet trained on MNIST.
    Mnist,
    /// The shipped residual network with batch norm, trained on MNIST with the robust
    /// augmentation (photos and scans).
    MnistResnet,
    /// The shipped LeNet trained on Fashion-MNIST.
    Fashion,
    /// The shipped residual network with batch norm, trained on Fashion-MNIST.
    FashionResnet,
    /// The network trained on the Train page (handed over by its "Classify with this
    /// network", or after a reload the run saved in the browser).
    Trained,
    /// A safetensors file the user loaded (its file name).
    File(String),
}

impl ModelChoice {
    /// The shipped models, in menu order.
    pub const SHIPPED: [ModelChoice; 4] = [
        ModelChoice::Mnist,
        ModelChoice::MnistResnet,
        ModelChoice::Fashion,
        ModelChoice::FashionResnet,
    ];

    /// The key in the URL and the menu (`mnist`, `fashion`, `file`).
    pub fn key(&self) -> &'static str {
        match self {
            Self::Mnist => "mnist",
            Self::MnistResnet => "mnist-resnet",
            Self::Fashion => "fashion",
            Self::FashionResnet => "fashion-resnet",
            Self::Trained => "trained",
            Self::File(_) => "file",
        }
    }

    /// Menu label.
    pub fn label(&self) -> String {
        match self {
            Self::Mnist => "LeNet-5 trained on MNIST (digits)".into(),
            Self::MnistResnet => {
                "Five residual networks with batch norm, averaged, on MNIST (digits; holds up on photos and scans)"
                    .into()
            }
            Self::Fashion => "LeNet-5 trained on Fashion-MNIST (clothes)".into(),
            Self::FashionResnet => {
                "A residual network with batch norm, on Fashion-MNIST (clothes)".into()
            }
            Self::Trained => "the network you trained (Train page)".into(),
            Self::File(name) => format!("your file: {name}"),
        }
    }

    /// Where a shipped model is fetched from (relative to the page).
    pub fn url(&self) -> Option<&'static str> {
        match self {
            Self::Mnist => Some("models/lenet-mnist.safetensors"),
            Self::MnistResnet => Some("models/digit-resnet.safetensors"),
            Self::Fashion => Some("models/lenet-fashion.safetensors"),
            Self::FashionResnet => Some("models/fashion-resnet.safetensors"),
            Self::Trained | Self::File(_) => None,
        }
    }

    /// The dataset a shipped model was trained on, known before its file arrives (so the
    /// page fetches the gallery while the model loads); a user's file says it in its
    /// metadata ([`dataset_of`] its summary).
    pub fn dataset(&self) -> Option<DatasetKind> {
        match self {
            Self::Mnist | Self::MnistResnet => Some(DatasetKind::Mnist),
            Self::Fashion | Self::FashionResnet => Some(DatasetKind::Fashion),
            Self::Trained | Self::File(_) => None,
        }
    }

    /// The name the worker keeps it under.
    pub fn worker_name(&self) -> String {
        match self {
            Self::File(name) => format!("file:{name}"),
            other => other.key().to_owned(),
        }
    }

    /// The choice a URL query names; a user's file cannot survive a reload, so anything
    /// but another shipped model or the trained network opens the MNIST model.
    pub fn from_query(query: &Query) -> Self {
        let key = query.get("model");
        Self::SHIPPED
            .into_iter()
            .chain([Self::Trained])
            .find(|c| Some(c.key()) == key)
            .unwrap_or(Self::Mnist)
    }

    /// The URL query for this choice (empty for the default).
    pub fn to_query(&self) -> Query {
        match self {
            Self::Mnist | Self::File(_) => Query::new(),
            shipped => Query::from_pairs([("model", shipped.key())]),
        }
    }
}

/// The dataset a model was trained on, from its summary (MNIST when the file does not say).
pub fn dataset_of(summary: &ModelSummary) -> DatasetKind {
    summary
        .dataset
        .as_deref()
        .and_then(|d| d.parse().ok())
        .unwrap_or(DatasetKind::Mnist)
}

/// Where the gallery of a dataset's test-split samples is fetched from.
pub fn samples_url(kind: DatasetKind) -> &'static str {
    match kind {
        DatasetKind::Mnist => "samples/mnist-test.safetensors",
        DatasetKind::Fashion => "samples/fashion-test.safetensors",
    }
}

/// The model's facts as `(name, value)` rows.
pub fn facts(summary: &ModelSummary) -> Vec<(&'static str, String)> {
    let dataset = match summary.dataset.as_deref().map(str::parse::<DatasetKind>) {
        Some(Ok(kind)) => kind.title().to_owned(),
        Some(Err(_)) => summary.dataset.clone().unwrap_or_default(),
        None => "not recorded".to_owned(),
    };
    let accuracy = match (summary.accuracy, &summary.accuracy_on) {
        (Some(a), Some(on)) => format!("{:.2} % on {on}", a * 100.0),
        (Some(a), None) => format!("{:.2} %", a * 100.0),
        (None, _) => "not recorded".to_owned(),
    };
    vec![
        ("network", summary.network.clone()),
        ("layers", summary.text.clone()),
        ("dataset", dataset),
        ("parameters", thousands(summary.parameters as u64)),
        ("recorded accuracy", accuracy),
        ("classes", summary.class_names.join(", ")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_round_trips_through_the_query() {
        for c in ModelChoice::SHIPPED {
            assert_eq!(ModelChoice::from_query(&c.to_query()), c);
        }
        assert_eq!(
            ModelChoice::from_query(&Query::plain("model=nope")),
            ModelChoice::Mnist
        );
        assert_eq!(
            ModelChoice::from_query(&ModelChoice::File("a.safetensors".into()).to_query()),
            ModelChoice::Mnist
        );
        assert_eq!(ModelChoice::File("a".into()).worker_name(), "file:a");
        // The trained network survives a reload (the run is saved in the browser).
        assert_eq!(
            ModelChoice::from_query(&ModelChoice::Trained.to_query()),
            ModelChoice::Trained
        );
        assert_eq!(
            ModelChoice::Trained.to_query(),
            Query::plain("model=trained")
        );
    }

    #[test]
    fn a_shipped_models_dataset_is_known_before_it_loads() -> Result<(), String> {
        assert_eq!(ModelChoice::Mnist.dataset(), Some(DatasetKind::Mnist));
        assert_eq!(ModelChoice::File("a.safetensors".into()).dataset(), None);
        // The same as the file's own metadata says once loaded.
        let bytes = include_bytes!("../../../../../www/models/lenet-fashion.safetensors");
        let s = crate::agent::model::load("dataset-fashion".into(), bytes)?;
        assert_eq!(ModelChoice::Fashion.dataset(), Some(dataset_of(&s)));
        Ok(())
    }

    #[test]
    fn facts_read_like_a_table() -> Result<(), String> {
        let bytes = include_bytes!("../../../../../www/models/lenet-fashion.safetensors");
        let s = crate::agent::model::load("facts-fashion".into(), bytes)?;
        let f = facts(&s);
        assert!(f.contains(&("dataset", "Fashion-MNIST".into())), "{f:?}");
        assert!(f.contains(&("parameters", "61,706".into())), "{f:?}");
        assert_eq!(dataset_of(&s), DatasetKind::Fashion);
        Ok(())
    }
}
