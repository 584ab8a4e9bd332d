//! The web workers' task: core computations run off the UI thread.
//!
//! The page sends a [`CoreRequest`]; a worker answers with a [`CoreReply`] computed by
//! `convscope-core`. Two workers speak this protocol ([`protocol`]): the core's worker
//! (the app's own wasm in a worker: `src/bin/app.rs`, [`handle`]) answers every kind but the
//! files', and keeps the models it was sent ([`model`]), so a classification request carries
//! only the image; the image worker (`images.js`, [`decode::answer`]) decodes uploaded
//! files, and is started by the first upload (its decoders are most of its code, and most
//! visits upload nothing). Each sends what it does not answer back as [`CoreReply::NotHere`].
//!
//! - [`CoreRequest::OutputSize`]: one axis of a convolution's output.
//! - [`CoreRequest::LoadModel`]: parse a safetensors file, keep it under a name, describe it.
//! - [`CoreRequest::Classify`]: preprocess an image (a drawing, a prepared file, or a ready
//!   28×28 input) and run a kept model on it, every layer returned ([`classify`]).
//! - [`CoreRequest::Speed`]: time a kept model on one image in the worker ([`speed`]).
//! - [`CoreRequest::DecodeImage`] (the image worker): decode an image file to grayscale at a
//!   chosen size (the convolution lab's upload, [`decode::decode`]).
//! - [`CoreRequest::Prepare`] (the image worker): decode an image file and frame it as a
//!   network input, every stage kept (the Classify page's upload, [`decode::prepare`]).
//! - [`CoreRequest::Explain`]: saliency, occlusion, Grad-CAM or a receptive field of a kept
//!   model's prediction ([`explain`]).
//! - [`CoreRequest::Filter`], [`CoreRequest::FilterNext`]: what a filter looks for — the
//!   test patches that excite it most and an image grown to excite it ([`filter`]), in
//!   parts so the page shows the progress; the one asynchronous request (it may fetch the
//!   test split first).
//! - [`CoreRequest::ConvMaps`]: the convolution lab's feature maps
//!   ([`crate::lab::conv::MapsJob`]), the last job's kept ([`crate::lab::conv::MapsCache`]):
//!   the planes the page draws are sent, and more of them on request.

pub mod classify;
pub mod decode;
pub mod explain;
pub mod filter;
pub mod model;
pub mod protocol;
pub mod speed;

use convscope_core::preprocess::Style;
use serde::{Deserialize, Serialize};

pub use classify::{Classified, ClassifyInput, LayerOutput, Prepared, Stage, Stages};
pub use decode::Decoded;
pub use explain::{ExplainRequest, Explained, FieldInfo};
pub use filter::{FilterJob, FilterLooks, FilterPatch, FilterStep, PatchSource};
pub use model::{ConvSummary, ModelSummary};
pub use speed::SpeedReport;

use std::cell::RefCell;

use crate::lab::conv::{ConvMaps, MapsCache, MapsJob};

thread_local! {
    /// The convolution lab's last maps.
    static MAPS: RefCell<MapsCache> = RefCell::default();
}

/// What the page asks the worker to compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CoreRequest {
    /// Output size along one axis of a convolution.
    OutputSize {
        input: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        dilation: usize,
    },
    /// Parse a safetensors file and keep it under `name` (replacing a model of that name).
    LoadModel { name: String, file: ModelFile },
    /// Classify an image with the model kept under `model`.
    Classify { model: String, input: ClassifyInput },
    /// Decode an image file to grayscale, resized to `size`×`size` (aspect kept, centred
    /// on the background colour of its border). The image worker's.
    DecodeImage {
        #[serde(with = "crate::wire::bytes")]
        bytes: Vec<u8>,
        size: usize,
    },
    /// Decode an image file and frame it as a network input in `style`. The image
    /// worker's.
    Prepare {
        #[serde(with = "crate::wire::bytes")]
        bytes: Vec<u8>,
        style: Style,
    },
    /// Time `runs` classifications by the model kept under `model`, after `warmup` untimed.
    Speed {
        model: String,
        runs: usize,
        warmup: usize,
    },
    /// The maps of the convolution lab's layer that the page draws with the stepper on
    /// output map `map` ([`ConvMaps::pick`]).
    ConvMaps { job: Box<MapsJob>, map: usize },
    /// An explanation of the kept model's prediction on a network input.
    Explain {
        model: String,
        #[serde(with = "crate::wire::floats")]
        image: Vec<f32>,
        request: ExplainRequest,
    },
    /// What a filter of a kept model looks for: starts a search (its first part).
    Filter(Box<FilterJob>),
    /// The next part of a filter search.
    FilterNext { search: u64 },
    /// For the end-to-end tests of a worker that dies or hangs.
    Test(WorkerTest),
}

/// Where the core's worker gets a model's file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ModelFile {
    /// Fetched by the worker from this URL, absolute (a worker started from a `blob:` URL
    /// has no base for a relative one): a shipped model. Its bytes do not wait for the
    /// page's thread. On a visit that opens on the Classify page, the page's loader has
    /// handed its file to the worker already ([`model::preload`]).
    Url(String),
    /// The file itself: a trained network, a file the visitor chose, a shipped model the
    /// page's loader fetched while the app's wasm compiled and the app took before the
    /// loader could hand it to the worker.
    Bytes(#[serde(with = "crate::wire::bytes")] Vec<u8>),
}

/// What [`CoreRequest::Test`] makes the worker do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkerTest {
    /// Panic: in the release wasm a panic traps at once (`-C panic=immediate-abort`), as
    /// running out of memory does.
    Trap,
    /// Compute for `seconds` without answering; the page gives up after `deadline_ms`.
    Hang { seconds: u32, deadline_ms: u32 },
}

impl CoreRequest {
    /// Whether it uses a kept model (and so comes after the loads asked before it).
    pub fn uses_models(&self) -> bool {
        matches!(
            self,
            Self::Classify { .. }
                | Self::Speed { .. }
                | Self::Explain { .. }
                | Self::Filter(_)
                | Self::FilterNext { .. }
        )
    }

    /// The request's kind, for the worker's performance marks.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::OutputSize { .. } => "OutputSize",
            Self::LoadModel { .. } => "LoadModel",
            Self::Classify { .. } => "Classify",
            Self::DecodeImage { .. } => "DecodeImage",
            Self::Prepare { .. } => "Prepare",
            Self::Speed { .. } => "Speed",
            Self::ConvMaps { .. } => "ConvMaps",
            Self::Explain { .. } => "Explain",
            Self::Filter(_) => "Filter",
            Self::FilterNext { .. } => "FilterNext",
            Self::Test(_) => "Test",
        }
    }

    /// How long the page waits for the answer before it takes the worker for stuck and
    /// replaces it (milliseconds). Ten seconds, more for what may fetch data or time many
    /// runs.
    pub fn deadline_ms(&self) -> u32 {
        match self {
            Self::Filter(_) => 60_000,
            Self::Speed { .. } => 30_000,
            Self::Test(WorkerTest::Hang { deadline_ms, .. }) => *deadline_ms,
            _ => 10_000,
        }
    }
}

/// The worker's answer: the result, or the core's error message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CoreReply {
    /// An output size.
    OutputSize(Result<usize, String>),
    /// The model's description, or why the file was refused.
    ModelLoaded(Result<Box<ModelSummary>, String>),
    /// Every layer of one forward pass, or why the input was refused.
    Classified(Result<Box<Classified>, String>),
    /// The decoded image, or why it was refused.
    Decoded(Result<Decoded, String>),
    /// The prepared network input, or why the file was refused.
    Prepared(Result<Box<Prepared>, String>),
    /// The timing, or why it could not run.
    Speed(Result<SpeedReport, String>),
    /// The lab's maps (those asked for: the others are empty), or why the layer cannot run,
    /// and how long the worker took to compute them (milliseconds, when it has a clock).
    ConvMaps {
        maps: Result<Box<ConvMaps>, String>,
        millis: Option<f64>,
    },
    /// The explanation, or why it could not be computed.
    Explained(Result<Box<Explained>, String>),
    /// How far a filter search got, or its patches and grown image, or why they could not
    /// be computed.
    Filter(Result<FilterStep, String>),
    /// No answer: the worker died or hung and was replaced (the page's side says so; the
    /// worker never sends it).
    Lost(String),
    /// The request was sent to the worker that does not answer its kind (a bug of the
    /// page's).
    NotHere(String),
}

/// The message for a reply that is not the kind asked for: a lost worker's own message,
/// else which kind came instead (not its values: a model's every map, and `Debug`'s code
/// for every type a reply holds in the wasm).
pub fn unexpected(reply: CoreReply, what: &str) -> String {
    let kind = match reply {
        CoreReply::Lost(m) => return m,
        CoreReply::NotHere(m) => return format!("{m} (asked for {what})"),
        CoreReply::OutputSize(_) => "an output size",
        CoreReply::ModelLoaded(_) => "a model load",
        CoreReply::Classified(_) => "a classification",
        CoreReply::Decoded(_) => "a decoded image",
        CoreReply::Prepared(_) => "a prepared input",
        CoreReply::Speed(_) => "a speed check",
        CoreReply::ConvMaps { .. } => "the lab's maps",
        CoreReply::Explained(_) => "an explanation",
        CoreReply::Filter(_) => "a filter search",
    };
    format!("the worker answered with {kind} to {what}")
}

/// Answers one request in the core's worker (a [`CoreRequest::Filter`] without fetching the
/// test split: see [`handle`]).
///
/// Each kind's work is a function of its own that is not inlined here (`#[inline(never)]`
/// on the handlers: [`model::load`], [`classify::classify`] …). A browser compiles a wasm
/// function on its first call; when this match held every handler inline, the worker's
/// first request (the Classify page's model load) compiled all of them, explanations and
/// filter searches included: about 90 KB of code, 10–25 ms in Chromium on a
/// first visit. (binaryen's inliner would put every handler called from one place back:
/// the app's `wasm-opt` in `index.html` inlines such functions only up to 500 in size.)
#[inline(never)]
pub fn answer(request: CoreRequest) -> CoreReply {
    match request {
        CoreRequest::OutputSize {
            input,
            kernel,
            stride,
            padding,
            dilation,
        } => CoreReply::OutputSize(
            convscope_core::conv_output_size(input, kernel, stride, padding, dilation)
                .map_err(|e| e.to_string()),
        ),
        CoreRequest::LoadModel {
            name,
            file: ModelFile::Bytes(bytes),
        } => CoreReply::ModelLoaded(model::load(name, &bytes).map(Box::new)),
        CoreRequest::LoadModel {
            file: ModelFile::Url(url),
            ..
        } => CoreReply::ModelLoaded(Err(format!(
            "{url} is fetched in the worker's loop (agent::handle), not here"
        ))),
        CoreRequest::Classify { model, input } => {
            CoreReply::Classified(classify::classify(&model, input).map(Box::new))
        }
        CoreRequest::Speed {
            model,
            runs,
            warmup,
        } => CoreReply::Speed(speed::measure(&model, runs, warmup)),
        CoreRequest::DecodeImage { .. } | CoreRequest::Prepare { .. } => {
            CoreReply::NotHere(format!(
                "the core's worker does not decode files ({} requests go to the image worker)",
                request.kind()
            ))
        }
        CoreRequest::ConvMaps { job, map } => conv_maps(*job, map),
        CoreRequest::Explain {
            model,
            image,
            request,
        } => CoreReply::Explained(explain::explain(&model, &image, request).map(Box::new)),
        CoreRequest::Filter(job) => CoreReply::Filter(
            filter::run(*job, &Default::default()).map(|l| FilterStep::Done(Box::new(l))),
        ),
        CoreRequest::FilterNext { search } => CoreReply::Filter(filter::resume(search)),
        CoreRequest::Test(t) => test(t),
    }
}

/// The convolution lab's maps, from the last job's kept when it is the same.
#[inline(never)]
fn conv_maps(job: MapsJob, map: usize) -> CoreReply {
    let (maps, millis) = MAPS.with_borrow_mut(|cache| cache.answer(job, map, classify::now_ms));
    CoreReply::ConvMaps {
        maps: maps.map(Box::new),
        millis,
    }
}

/// Traps or hangs on purpose.
#[inline(never)]
fn test(t: WorkerTest) -> CoreReply {
    match t {
        WorkerTest::Trap => panic!("the test request asked the worker to panic"),
        WorkerTest::Hang { seconds, .. } => {
            let start = classify::now_ms();
            let mut spins = 0u64;
            while start
                .zip(classify::now_ms())
                .is_some_and(|(a, b)| b - a < f64::from(seconds) * 1000.0)
            {
                spins = std::hint::black_box(spins + 1);
            }
            CoreReply::Lost(format!("the worker hung for {seconds} s ({spins} spins)"))
        }
    }
}

/// Answers one request in the core's worker ([`protocol::serve`] calls it for each message).
pub async fn handle(request: CoreRequest) -> CoreReply {
    // A request for a model comes after its load: a load from a URL waits for its fetch,
    // and what was asked after it waits for it (`model::after_loads`).
    if let CoreRequest::LoadModel { name, file } = request {
        return CoreReply::ModelLoaded(model::load_file(name, file).await.map(Box::new));
    }
    if request.uses_models() {
        model::after_loads().await;
    }
    match request {
        CoreRequest::Filter(job) => {
            // Boxed, so that its state machine is not part of every request's (see
            // [`answer`]): a filter search's code compiles when one is first asked for.
            let start: std::pin::Pin<Box<dyn Future<Output = _>>> = Box::pin(filter::start(*job));
            CoreReply::Filter(start.await)
        }
        other => answer(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unexpected_reply_is_named_by_its_kind_not_its_values() {
        let reply = CoreReply::OutputSize(Ok(55));
        assert_eq!(
            unexpected(reply, "a model load"),
            "the worker answered with an output size to a model load"
        );
        assert_eq!(
            unexpected(CoreReply::Lost("it died".into()), "x"),
            "it died"
        );
        let e = unexpected(CoreReply::NotHere("no decodes here".into()), "a decode");
        assert_eq!(e, "no decodes here (asked for a decode)");
    }

    #[test]
    fn a_model_url_is_fetched_in_the_worker_loop_only() {
        let load = CoreRequest::LoadModel {
            name: "m".into(),
            file: ModelFile::Url("http://127.0.0.1/models/lenet-mnist.safetensors".into()),
        };
        assert!(
            !load.uses_models(),
            "a load waits for the loads before it by itself"
        );
        match answer(load) {
            CoreReply::ModelLoaded(Err(e)) => assert!(e.contains("lenet-mnist"), "{e}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn worker_answers_alexnet_conv1() {
        let reply = answer(CoreRequest::OutputSize {
            input: 227,
            kernel: 11,
            stride: 4,
            padding: 0,
            dilation: 1,
        });
        assert_eq!(reply, CoreReply::OutputSize(Ok(55)));
    }

    /// Files are the image worker's: the core's worker sends them back.
    #[test]
    fn the_core_worker_does_not_decode_files() {
        let reply = answer(CoreRequest::DecodeImage {
            bytes: vec![],
            size: 8,
        });
        assert!(matches!(reply, CoreReply::NotHere(e) if e.contains("image worker")));
    }

    #[test]
    fn worker_reports_errors_as_text() {
        let reply = answer(CoreRequest::OutputSize {
            input: 5,
            kernel: 3,
            stride: 0,
            padding: 0,
            dilation: 1,
        });
        assert!(matches!(reply, CoreReply::OutputSize(Err(msg)) if msg.contains("stride")));
    }
}
