//! The models the worker keeps: parsed once from safetensors, then used by name.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use convscope_core::arch::{Layer, Op, Volume};
use convscope_core::data::IMAGE_SIZE;
use convscope_core::nn::Network;
use convscope_core::preprocess::Style;
use convscope_core::weights::{self, ModelMetadata};
use futures::FutureExt;
use futures::channel::oneshot;
use futures::future::Shared;
use serde::{Deserialize, Serialize};

use super::ModelFile;

thread_local! {
    static MODELS: RefCell<HashMap<String, Rc<Kept>>> = RefCell::new(HashMap::new());
    /// The end of the last load asked for (see [`after_loads`]).
    static LAST_LOAD: RefCell<Option<Shared<oneshot::Receiver<()>>>> = const { RefCell::new(None) };
    /// The file the page's loader handed over ([`preload`]): its URL and its load (the model
    /// kept under that URL), until the next load ([`load_file`]). The loader hands over one
    /// file, the one the page loads first.
    static PRELOADED: RefCell<Option<(String, Result<ModelSummary, String>)>> =
        const { RefCell::new(None) };
}

/// Loads a shipped model's file that the page's loader fetched and handed over with the
/// worker's start (`www/boot.js`, on a visit that opens on the Classify page), under its URL,
/// so that the page's [`load_file`] of that URL finds it loaded and warmed up. Without it the
/// load began only once the page's first render had asked for it, and the first prediction
/// waited for it when the load took longer than the page's own work after that render. On
/// first visits (Intel Xeon, 2 vCPUs, Chromium 156, `MODEL=mnist-resnet node
/// bench/first-visit.mjs` alternated between the two builds, 12 visits each) the digit
/// ensemble's first prediction went from a median of 525 to 490 ms; LeNet-5's and the
/// residual Fashion network's, whose loads (10–35 ms) the page's layout after its first
/// render hides anyway, moved within the noise (388 → 368 ms, 419 → 446 ms, six each).
pub fn preload(handover: super::protocol::Handover) {
    let super::protocol::Handover { url, bytes } = handover;
    let loaded = load(url.clone(), &bytes);
    PRELOADED.set(Some((url, loaded)));
}

/// Waits until every model load asked for before now is done. The worker answers its
/// requests several at a time, and a load from a URL waits for its fetch: a request that
/// uses a model waits here, so that it finds the model its page loaded first. (Requests
/// start in the order they came, and each reads the last load as it starts.)
pub async fn after_loads() {
    let last = LAST_LOAD.with_borrow(Clone::clone);
    if let Some(last) = last {
        // A load that ended without saying so (never: each sends) ends the wait too.
        let _ = last.await;
    }
}

/// Where a load's model comes from.
enum Source {
    /// A file (fetched, or sent by the page).
    File(Result<Vec<u8>, String>),
    /// The file [`preload`] loaded, from this URL.
    Preloaded(String, Result<ModelSummary, String>),
}

/// Keeps `file` under `name` ([`load`]; a URL fetched first, unless its file was handed over:
/// [`preload`]), after the loads asked for before it; the requests asked for after it wait
/// for it ([`after_loads`]).
///
/// # Errors
/// When the file cannot be fetched (the message names the URL and the HTTP status) or
/// [`load`] refuses it.
pub async fn load_file(name: String, file: ModelFile) -> Result<ModelSummary, String> {
    let (done, this) = oneshot::channel();
    let before = LAST_LOAD.with_borrow_mut(|last| last.replace(this.shared()));
    // The handed-over file is for the page's first load: taken by it (at once, so that a
    // second load of the URL fetches it), or dropped with its model by any other load.
    let source = match (file, PRELOADED.take()) {
        (ModelFile::Url(url), Some((from, loaded))) if from == url => {
            Source::Preloaded(url, loaded)
        }
        (file, handed) => {
            if let Some((from, _)) = handed {
                MODELS.with_borrow_mut(|m| m.remove(&from));
            }
            match file {
                ModelFile::Url(url) => Source::File(crate::fetch::fetch_bytes(&url).await),
                ModelFile::Bytes(bytes) => Source::File(Ok(bytes)),
            }
        }
    };
    if let Some(before) = before {
        let _ = before.await;
    }
    let loaded = match source {
        Source::File(bytes) => bytes.and_then(|bytes| load(name, &bytes)),
        // Kept under `name` after the loads before it, as a file would be.
        Source::Preloaded(url, loaded) => loaded.map(|summary| {
            MODELS.with_borrow_mut(|m| {
                if let Some(kept) = m.remove(&url) {
                    m.insert(name.clone(), kept);
                }
            });
            ModelSummary { name, ..summary }
        }),
    };
    let _ = done.send(());
    loaded
}

/// A model the worker keeps, with how its inputs are framed.
#[derive(Debug)]
pub struct Kept {
    /// The network.
    pub net: Network,
    /// Fashion-MNIST models frame an object; others (MNIST, unknown) a digit.
    pub style: Style,
}

/// What the page needs to know about a loaded model: its metadata, its layers and its
/// convolutions' filters (for the filter views, the click-through and the convolution lab).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// The name it is kept under.
    pub name: String,
    /// The class names in label order.
    pub class_names: Vec<String>,
    /// Dataset it was trained on ("MNIST", "Fashion-MNIST"), if the file says.
    pub dataset: Option<String>,
    /// Accuracy recorded in the file, in `[0, 1]`.
    pub accuracy: Option<f64>,
    /// What that accuracy was measured on.
    pub accuracy_on: Option<String>,
    /// Trainable parameters (61,706 for LeNet-5).
    pub parameters: usize,
    /// The network's name and title (`lenet5`, "LeNet-5, …").
    pub network: String,
    /// Its one-line text form (`input 28x28x1, conv 6 5x5 pad 2, relu, …`).
    pub text: String,
    /// Every convolution, in order.
    pub convs: Vec<ConvSummary>,
}

impl ModelSummary {
    /// The convolution called `name` (`conv1`, `block1.conv2`).
    pub fn conv(&self, name: &str) -> Option<&ConvSummary> {
        self.convs.iter().find(|c| c.name == name)
    }
}

/// One convolution of a model: its filters, its hyper-parameters, what it reads and the
/// activation that follows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvSummary {
    /// Its path: `conv1`, `block1.conv2`.
    pub name: String,
    /// The layer whose output it reads; `None` for the network input.
    pub input: Option<String>,
    /// `[C, H, W]` of what it reads.
    pub input_shape: [usize; 3],
    /// `[K, C / groups, F, F]`.
    pub shape: [usize; 4],
    /// The weights, row-major.
    #[serde(with = "crate::wire::floats")]
    pub weight: Vec<f32>,
    /// The biases (empty without bias).
    #[serde(with = "crate::wire::floats")]
    pub bias: Vec<f32>,
    /// Stride S.
    pub stride: usize,
    /// Zero padding P.
    pub padding: usize,
    /// Dilation D.
    pub dilation: usize,
    /// Channel groups G.
    pub groups: usize,
    /// The activation layer right after it, if any: its name and the activation's spelling.
    pub activation: Option<(String, String)>,
}

/// Parses `bytes` as a weights file (any network whose input is a 28×28 grayscale image)
/// and keeps it under `name`.
///
/// # Errors
/// The core's message for a file that is not a weights file, or a network this page
/// cannot feed.
#[inline(never)] // compiled on its first call only: see `agent::answer`
pub fn load(name: String, bytes: &[u8]) -> Result<ModelSummary, String> {
    if bytes.is_empty() {
        return Err("the model file is empty".into());
    }
    let (net, meta) = weights::from_safetensors(bytes).map_err(|e| e.to_string())?;
    takes_images(&net)?;
    let summary = summarize(&name, &net, &meta)?;
    let style = Style::for_dataset(meta.dataset);
    MODELS.with(|m| {
        m.borrow_mut()
            .insert(name.clone(), Rc::new(Kept { net, style }))
    });
    super::classify::warm_up(&name);
    Ok(summary)
}

/// The model kept under `name`.
///
/// # Errors
/// When no model of that name was loaded.
pub fn get(name: &str) -> Result<Rc<Kept>, String> {
    MODELS
        .with(|m| m.borrow().get(name).cloned())
        .ok_or_else(|| format!("no model named {name:?} is loaded in the worker"))
}

/// Refuses a network this page cannot feed: its inputs are the datasets' grayscale images
/// ([`IMAGE_SIZE`]² pixels, one channel).
pub(crate) fn takes_images(net: &Network) -> Result<(), String> {
    let images = Volume::new(IMAGE_SIZE, IMAGE_SIZE, 1);
    if net.input() == images {
        Ok(())
    } else {
        Err(format!(
            "this page classifies {images} images, but the network {} takes {} inputs: {}",
            net.description().name,
            net.input(),
            net.description().to_text()
        ))
    }
}

/// Every convolution of `layers` (which read `input`, of volume `volume`), in order.
fn convs(
    net: &Network,
    layers: &[Layer],
    prefix: &str,
    mut input: Option<String>,
    mut volume: Volume,
    out: &mut Vec<ConvSummary>,
) {
    let report = net.report();
    for (i, layer) in layers.iter().enumerate() {
        let path = format!("{prefix}{}", layer.name);
        let Some(r) = report.find(&path) else {
            return;
        };
        match &layer.op {
            Op::Conv(c) => {
                let tensor = |n: &str| net.tensor(&format!("{path}.{n}")).map(|t| t.data.clone());
                let activation = layers.get(i + 1).and_then(|next| match next.op {
                    Op::Activation { function } => {
                        Some((format!("{prefix}{}", next.name), function.to_string()))
                    }
                    _ => None,
                });
                out.push(ConvSummary {
                    name: path.clone(),
                    input: input.clone(),
                    input_shape: [volume.c, volume.h, volume.w],
                    shape: [
                        c.out_channels,
                        volume.c / c.groups.max(1),
                        c.kernel,
                        c.kernel,
                    ],
                    weight: tensor("weight").unwrap_or_default(),
                    bias: tensor("bias").unwrap_or_default(),
                    stride: c.stride,
                    padding: c.padding,
                    dilation: c.dilation,
                    groups: c.groups,
                    activation,
                });
            }
            Op::Residual(block) => {
                let inner = format!("{path}.");
                convs(net, &block.main, &inner, input.clone(), volume, out);
                convs(net, &block.shortcut, &inner, input.clone(), volume, out);
            }
            _ => {}
        }
        input = Some(path);
        volume = r.output;
    }
}

/// Describes a model.
///
/// # Errors
/// Never for a network built by the core; kept fallible for the page's error path.
pub fn summarize(name: &str, net: &Network, meta: &ModelMetadata) -> Result<ModelSummary, String> {
    let description = net.description();
    let mut all = Vec::new();
    convs(
        net,
        &description.layers,
        "",
        None,
        description.input,
        &mut all,
    );
    Ok(ModelSummary {
        name: name.to_owned(),
        class_names: meta.class_names.clone(),
        dataset: meta.dataset.map(|d| d.name().to_owned()),
        accuracy: meta.accuracy,
        accuracy_on: meta.accuracy_on.clone(),
        parameters: usize::try_from(net.parameter_count()).unwrap_or(usize::MAX),
        network: format!("{} — {}", description.name, description.title),
        text: description.to_text(),
        convs: all,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MNIST: &[u8] = include_bytes!("../../../../www/models/lenet-mnist.safetensors");

    #[test]
    fn loads_the_shipped_model_and_describes_it() -> Result<(), String> {
        let s = load("mnist".into(), MNIST)?;
        assert_eq!(s.parameters, 61_706);
        assert_eq!(s.class_names.len(), 10);
        let c1 = s.conv("conv1").ok_or("conv1")?;
        assert_eq!((c1.weight.len(), c1.bias.len()), (6 * 25, 6));
        assert_eq!(
            (c1.input.clone(), c1.input_shape, c1.padding),
            (None, [1, 28, 28], 2)
        );
        assert_eq!(c1.activation, Some(("relu1".to_owned(), "relu".to_owned())));
        let c2 = s.conv("conv2").ok_or("conv2")?;
        assert_eq!((c2.weight.len(), c2.bias.len()), (16 * 6 * 25, 16));
        assert_eq!(
            (c2.input.as_deref(), c2.input_shape),
            (Some("pool1"), [6, 14, 14])
        );
        assert!(
            s.text
                .starts_with("input 28x28x1, conv 6 5x5 pad 2, relu, maxpool 2")
        );
        assert!(get("mnist").is_ok());
        Ok(())
    }

    fn file(text: &str) -> Result<Vec<u8>, String> {
        use convscope_core::arch::Architecture;
        use convscope_core::data::DatasetKind;
        use convscope_core::nn::Rng;
        let arch = Architecture::from_text(text).map_err(|e| e.to_string())?;
        let net = Network::build(&arch, &mut Rng::seed_from_u64(0)).map_err(|e| e.to_string())?;
        weights::to_safetensors(&net, &ModelMetadata::new(DatasetKind::Mnist))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn any_network_on_28x28_images_loads_with_its_convolutions() -> Result<(), String> {
        let s = load(
            "residual".into(),
            &file(
                "conv 4 3x3 pad 1, relu, basic(conv 4 3x3 pad 1 nobias, bn, relu, conv 4 3x3 pad 1 nobias, bn | conv 4 1x1 nobias, bn), maxpool 2, flatten, linear 10",
            )?,
        )?;
        let names: Vec<&str> = s.convs.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "conv1",
                "block1.conv1",
                "block1.conv2",
                "block1.downsample.0"
            ]
        );
        let inputs: Vec<Option<&str>> = s.convs.iter().map(|c| c.input.as_deref()).collect();
        assert_eq!(
            inputs,
            [None, Some("relu1"), Some("block1.relu"), Some("relu1")]
        );
        assert!(s.convs[1].bias.is_empty());
        assert_eq!(s.convs[1].activation, None);
        Ok(())
    }

    #[test]
    fn a_network_this_page_cannot_feed_is_refused_with_its_description() -> Result<(), String> {
        let e = load(
            "rgb".into(),
            &file("input 32x32x3, conv 4 3x3, flatten, linear 10")?,
        )
        .err()
        .unwrap_or_default();
        assert!(e.contains("28x28x1 images"), "{e}");
        assert!(e.contains("input 32x32x3, conv 4 3x3"), "{e}");
        Ok(())
    }

    #[test]
    fn a_handed_over_file_is_loaded_before_the_page_asks_then_kept_under_the_pages_name()
    -> Result<(), String> {
        use super::super::protocol::Handover;
        use futures::FutureExt;
        let url = "http://127.0.0.1:8080/models/lenet-mnist.safetensors";
        preload(Handover {
            url: url.into(),
            bytes: MNIST.to_vec(),
        });
        assert!(
            get(url).is_ok(),
            "loaded under its URL before the page asks"
        );
        // No fetch (there is none natively): the load is done at once.
        let s = load_file("mnist".into(), ModelFile::Url(url.into()))
            .now_or_never()
            .ok_or("the load of a handed-over file waited")??;
        assert_eq!((s.name.as_str(), s.parameters), ("mnist", 61_706));
        assert!(get("mnist").is_ok());
        assert!(get(url).is_err(), "one name per model");
        assert!(PRELOADED.with_borrow(Option::is_none), "taken once");

        // A handed-over file that is no model: the page's load says why.
        let bad = "http://127.0.0.1:8080/models/bad.safetensors";
        preload(Handover {
            url: bad.into(),
            bytes: b"not a model".to_vec(),
        });
        let e = load_file("bad".into(), ModelFile::Url(bad.into()))
            .now_or_never()
            .ok_or("the load of a handed-over file waited")?;
        assert!(e.is_err(), "{e:?}");
        assert!(get("bad").is_err());

        // Another load first: the handed-over file and its model are dropped.
        preload(Handover {
            url: url.into(),
            bytes: MNIST.to_vec(),
        });
        load_file("other".into(), ModelFile::Bytes(MNIST.to_vec()))
            .now_or_never()
            .ok_or("the load of a file waited")??;
        assert!(get("other").is_ok());
        assert!(get(url).is_err(), "the handed-over model is dropped");
        assert!(PRELOADED.with_borrow(Option::is_none));
        Ok(())
    }

    #[test]
    fn refuses_empty_and_garbage_files() {
        assert!(load("x".into(), &[]).is_err_and(|e| e.contains("empty")));
        assert!(load("x".into(), b"not a model").is_err());
        assert!(get("never-loaded").is_err_and(|e| e.contains("never-loaded")));
    }
}
