//! The classification requests of the page: at most one in flight, the newest one waiting
//! (a stroke in progress asks every animation frame; only the latest drawing matters), and
//! the last input re-run when the model changes (unless it is a test image of another
//! dataset: then the page asks for the new gallery's first sample). The page's first model,
//! when its dataset is known before its file, takes inputs while it loads.

use convscope_core::data::DatasetKind;
use convscope_core::preprocess::Style;

use std::rc::Rc;

use crate::agent::{ClassifyInput, CoreRequest, ModelSummary};

/// A gallery sample, named by its dataset so that it keeps its meaning when another
/// gallery is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleRef {
    /// The dataset it belongs to.
    pub kind: DatasetKind,
    /// Its index in that dataset's gallery.
    pub index: usize,
    /// Its true label.
    pub label: usize,
    /// Its index in the dataset's test split.
    pub test_index: u32,
}

/// Where the image came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The drawing pad.
    Drawing,
    /// A gallery sample.
    Sample(SampleRef),
    /// A test image the Train page handed over (one its network gets wrong).
    Handed {
        /// The dataset it belongs to.
        kind: DatasetKind,
        /// Its true label.
        label: usize,
    },
    /// An uploaded, dropped or pasted file.
    File {
        /// Its name.
        name: String,
        /// An object URL of the file, to show the original beside its own result.
        url: Option<String>,
    },
}

impl Source {
    /// A file without an object URL.
    pub fn file(name: impl Into<String>) -> Self {
        Self::File {
            name: name.into(),
            url: None,
        }
    }

    /// What was classified, for the prediction's source line: "your drawing", "test image
    /// #1234, true label 7", or the file's name. A sample is described with its own
    /// dataset's class names, whichever gallery is loaded.
    pub fn describe(&self) -> String {
        match self {
            Self::Drawing => "your drawing".into(),
            Self::Sample(s) => {
                let name = s.kind.class_names().get(s.label).copied().unwrap_or("?");
                format!("test image #{}, true label {name}", s.test_index)
            }
            Self::Handed { kind, label } => {
                let name = kind.class_names().get(*label).copied().unwrap_or("?");
                format!("a test image from the Train page, true label {name}")
            }
            Self::File { name, .. } => name.clone(),
        }
    }

    /// The dataset a test image belongs to (`None` for a drawing or a file).
    pub fn dataset(&self) -> Option<DatasetKind> {
        match self {
            Self::Sample(s) => Some(s.kind),
            Self::Handed { kind, .. } => Some(*kind),
            Self::Drawing | Self::File { .. } => None,
        }
    }

    /// The name used in an error message.
    pub fn what(&self) -> String {
        match self {
            Self::Drawing => "the drawing".into(),
            Self::Sample(s) => format!("test image #{}", s.test_index),
            Self::Handed { .. } => "the test image from the Train page".into(),
            Self::File { name, .. } => name.clone(),
        }
    }
}

/// One classification: the model it is for, where the image came from, and the image.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The worker's name of the model.
    pub model: String,
    /// How the model frames an image (a file is prepared so by the image worker).
    pub style: Style,
    /// Where the image came from.
    pub source: Source,
    /// The image.
    pub input: ClassifyInput,
    /// The number of the input ([`Session::generation`] when it was asked for).
    pub asked: u64,
}

impl Job {
    /// The core worker's request for `input` (the job's own, or its file prepared).
    pub fn request(&self, input: ClassifyInput) -> CoreRequest {
        CoreRequest::Classify {
            model: self.model.clone(),
            input,
        }
    }
}

/// The page's classification requests.
#[derive(Debug, Default)]
pub struct Session {
    model: Option<(String, Style)>,
    /// The page's first model while it loads, already taking inputs ([`Session::loading`]).
    early: Option<String>,
    last: Option<(Source, ClassifyInput)>,
    asked: u64,
    /// The model of the request in flight.
    in_flight: Option<String>,
    /// A loaded model's summary, waiting for the answer in flight for it ([`Session::show`]).
    held: Option<Rc<ModelSummary>>,
    waiting: Option<Job>,
    /// The [`Session::generation`] when the drawing pad was last cleared: an answer for a
    /// drawing asked for before it is not shown.
    cleared: u64,
}

impl Session {
    /// The model loaded in the worker, if any.
    pub fn model(&self) -> Option<&str> {
        self.model.as_ref().map(|(name, _)| name.as_str())
    }

    /// The source of the latest input asked for.
    pub fn last_source(&self) -> Option<&Source> {
        self.last.as_ref().map(|(s, _)| s)
    }

    /// How many inputs were asked for so far: an input read asynchronously (a file) is
    /// dropped when this moved on while it was read.
    pub fn generation(&self) -> u64 {
        self.asked
    }

    /// Whether the page should ask for the first sample of `kind`'s gallery: nothing was
    /// asked yet, or the last input is a test image of another dataset.
    pub fn wants_sample_of(&self, kind: DatasetKind) -> bool {
        match self.last_source() {
            None => true,
            Some(s) => s.dataset().is_some_and(|d| d != kind),
        }
    }

    fn submit(&mut self, job: Job) -> Option<Job> {
        if self.in_flight.is_some() {
            self.waiting = Some(job);
            None
        } else {
            self.in_flight = Some(job.model.clone());
            Some(job)
        }
    }

    fn job_for_last(&mut self) -> Option<Job> {
        let (model, style) = self.model.clone()?;
        let (source, input) = self.last.clone()?;
        self.submit(Job {
            model,
            style,
            source,
            input,
            asked: self.asked,
        })
    }

    /// The drawing pad was cleared: a drawing asked for is forgotten (a new model does not
    /// run it again, a waiting one is not sent, an answer in flight is not shown), and
    /// whether the input on screen should go with it is the page's (`ClassifyAction::
    /// DrawingCleared`).
    pub fn clear_drawing(&mut self) {
        self.cleared = self.asked;
        if self.last_source() == Some(&Source::Drawing) {
            self.last = None;
        }
        if self
            .waiting
            .as_ref()
            .is_some_and(|j| j.source == Source::Drawing)
        {
            self.waiting = None;
        }
    }

    /// Asks for `input` to be classified: returns the job to send now, or `None` when a
    /// request is in flight (this one then waits, replacing any older waiting one) or no
    /// model is loaded yet (it runs when one is).
    pub fn ask(&mut self, source: Source, input: ClassifyInput) -> Option<Job> {
        self.asked += 1;
        self.last = Some((source, input));
        self.job_for_last()
    }

    /// The worker starts loading `name`, of `dataset` when known before its file (a shipped
    /// model). The page's first model of a known dataset takes inputs at once: the worker
    /// runs a classification only after the loads asked for before it, so the first answer
    /// does not wait for the load's reply to reach the page and a request to come back (on a
    /// first visit the page's thread is busy with its first render then). A later load
    /// leaves the model in use in place until it is loaded ([`Session::loaded`]). Returns
    /// the job to send now, after the load's request (an input asked for before).
    pub fn loading(&mut self, name: &str, dataset: Option<DatasetKind>) -> Option<Job> {
        if self.model.is_some() && self.early.is_none() {
            return None;
        }
        // The first model or, overtaken while it loads, the one that replaces it.
        self.early = None;
        self.model = None;
        let dataset = dataset?;
        self.model = Some((name.to_owned(), Style::for_dataset(Some(dataset))));
        self.early = Some(name.to_owned());
        if self.of_another_dataset(dataset) {
            return None;
        }
        self.job_for_last()
    }

    /// The load of `name` failed: if it was the first model, taking inputs as it loaded,
    /// nothing is sent until another is loaded (the replies for it are no longer current).
    pub fn failed(&mut self, name: &str) {
        if self.early.as_deref() == Some(name) {
            self.early = None;
            self.unload();
        }
    }

    fn of_another_dataset(&self, dataset: DatasetKind) -> bool {
        self.last_source()
            .and_then(Source::dataset)
            .is_some_and(|d| d != dataset)
    }

    /// No model takes inputs until one is loaded ([`Session::failed`]).
    fn unload(&mut self) {
        self.model = None;
        self.waiting = None;
    }

    /// The worker loaded `name`, trained on `dataset`: the last input is classified again
    /// with it — unless it is a test image of another dataset, whose pixels mean nothing
    /// to this model (the page then asks for the new gallery's first sample, see
    /// [`Session::wants_sample_of`]). The first model, loaded after taking inputs
    /// ([`Session::loading`]), has been sent every input asked for since its load started:
    /// nothing runs again.
    pub fn loaded(&mut self, name: String, dataset: DatasetKind) -> Option<Job> {
        if self.early.take().is_some_and(|early| early == name) {
            return None;
        }
        self.model = Some((name, Style::for_dataset(Some(dataset))));
        if self.of_another_dataset(dataset) {
            return None;
        }
        self.job_for_last()
    }

    /// A reply arrived: the waiting job, if any, to send next.
    pub fn settled(&mut self) -> Option<Job> {
        let next = self.waiting.take();
        self.in_flight = next.as_ref().map(|job| job.model.clone());
        next
    }

    /// The model `summary` describes is loaded: its summary to show now, or `None` when an
    /// answer from it is in flight (the first model's first input, sent as it loaded, or
    /// the last input run again on it, [`Session::loaded`]): it is then held until that answer comes ([`Session::take_held`]), and the page shows both
    /// with one render instead of making the answer wait for the model's own (tens of ms on a
    /// first visit). A summary held before and not yet taken is dropped: this one is newer.
    pub fn show(&mut self, summary: Rc<ModelSummary>) -> Option<Rc<ModelSummary>> {
        self.held = None;
        if self.in_flight.as_deref() == Some(summary.name.as_str()) {
            self.held = Some(summary);
            None
        } else {
            Some(summary)
        }
    }

    /// An answer came: the summary held for it, to show first ([`Session::show`]).
    pub fn take_held(&mut self) -> Option<Rc<ModelSummary>> {
        self.held.take()
    }

    /// Whether a reply to `job` is still wanted: it is for the current model, and not a
    /// drawing since cleared.
    pub fn is_current(&self, job: &Job) -> bool {
        self.model() == Some(job.model.as_str())
            && !(job.source == Source::Drawing && job.asked <= self.cleared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(v: f32) -> ClassifyInput {
        ClassifyInput::Ready(vec![v; 784])
    }

    fn sample(kind: DatasetKind, index: usize) -> Source {
        Source::Sample(SampleRef {
            kind,
            index,
            label: 7,
            test_index: 0,
        })
    }

    const MNIST: DatasetKind = DatasetKind::Mnist;

    #[test]
    fn nothing_is_sent_before_a_model_is_loaded() {
        let mut s = Session::default();
        assert_eq!(s.ask(sample(MNIST, 3), ready(0.0)), None);
        let job = s.loaded("mnist".into(), MNIST);
        assert_eq!(job.as_ref().map(|j| &j.source), Some(&sample(MNIST, 3)));
        assert_eq!(job.map(|j| j.model), Some("mnist".into()));
    }

    #[test]
    fn one_request_in_flight_and_only_the_newest_waits() {
        let mut s = Session::default();
        let _ = s.loaded("m".into(), MNIST);
        assert!(s.ask(Source::Drawing, ready(0.1)).is_some());
        assert_eq!(s.ask(Source::Drawing, ready(0.2)), None);
        assert_eq!(s.ask(Source::Drawing, ready(0.3)), None);
        let next = s.settled();
        assert_eq!(next.map(|j| j.input), Some(ready(0.3)));
        assert_eq!(s.settled(), None);
        // Idle again: the next ask goes straight out.
        assert!(s.ask(Source::file("a.png"), ready(0.4)).is_some());
        assert_eq!(s.generation(), 4);
    }

    /// A first visit: the shipped model's requests go out while it loads, nothing runs
    /// twice, and a later load leaves the model in use in place until it is loaded.
    #[test]
    fn a_cleared_drawing_is_neither_shown_nor_run_again() -> Result<(), &'static str> {
        let mut s = Session::default();
        let _ = s.loaded("m".into(), MNIST);
        let drawing = s
            .ask(Source::Drawing, ready(0.5))
            .ok_or("not sent at once")?;
        // A second stroke waits behind the first; then the pad is cleared.
        assert_eq!(s.ask(Source::Drawing, ready(0.6)), None);
        s.clear_drawing();
        assert!(!s.is_current(&drawing), "the answer in flight is not shown");
        assert_eq!(s.settled(), None, "the waiting drawing is not sent");
        assert_eq!(s.last_source(), None);
        assert_eq!(
            s.loaded("m2".into(), MNIST),
            None,
            "a new model runs nothing"
        );
        // What comes after the clear is shown, a drawing too.
        let next = s.ask(Source::Drawing, ready(0.7)).ok_or("not sent")?;
        assert!(s.is_current(&next));
        let pick = sample(MNIST, 2);
        assert_eq!(s.settled(), None);
        let job = s.ask(pick.clone(), ready(0.1)).ok_or("not sent")?;
        s.clear_drawing();
        assert!(
            s.is_current(&job),
            "a test image stays when the pad is cleared"
        );
        assert_eq!(s.last_source(), Some(&pick));
        Ok(())
    }

    #[test]
    fn the_first_model_takes_inputs_while_it_loads() {
        let mut s = Session::default();
        assert_eq!(s.loading("mnist", Some(MNIST)), None, "nothing asked yet");
        let job = s.ask(sample(MNIST, 0), ready(0.1));
        assert_eq!(job.as_ref().map(|j| j.model.as_str()), Some("mnist"));
        assert!(job.is_some_and(|j| s.is_current(&j)));
        assert_eq!(s.loaded("mnist".into(), MNIST), None, "already sent to it");
        assert_eq!(s.settled(), None);
        // A later load: the inputs go to the model in use until the new one is loaded.
        assert_eq!(s.loading("mnist-resnet", Some(MNIST)), None);
        let during = s.ask(sample(MNIST, 1), ready(0.2));
        assert_eq!(during.map(|j| j.model), Some("mnist".into()));
        assert_eq!(s.settled(), None);
        let rerun = s.loaded("mnist-resnet".into(), MNIST);
        assert_eq!(
            rerun.map(|j| (j.model, j.source)),
            Some(("mnist-resnet".into(), sample(MNIST, 1)))
        );
    }

    /// An input asked for before the first load starts goes right behind it; a model whose
    /// dataset comes only with its file (the trained network) is waited for.
    #[test]
    fn only_a_first_model_of_a_known_dataset_is_sent_inputs_early() {
        let mut s = Session::default();
        let handed = Source::Handed {
            kind: MNIST,
            label: 3,
        };
        assert_eq!(s.ask(handed.clone(), ready(0.2)), None);
        assert_eq!(s.loading("trained", None), None);
        assert_eq!(s.model(), None);
        let first = s.loaded("trained".into(), MNIST);
        assert_eq!(first.map(|j| j.source), Some(handed.clone()));

        let mut s = Session::default();
        assert_eq!(s.ask(handed.clone(), ready(0.2)), None);
        let behind = s.loading("mnist", Some(MNIST));
        assert_eq!(behind.map(|j| j.source), Some(handed));
        // A test image of another dataset is not sent to it.
        let mut s = Session::default();
        assert_eq!(s.ask(sample(MNIST, 0), ready(0.2)), None);
        assert_eq!(s.loading("fashion", Some(DatasetKind::Fashion)), None);
        assert!(s.wants_sample_of(DatasetKind::Fashion));
    }

    /// The first model fails to load, or another replaces it while it loads: what was sent
    /// to it is no longer current, and the inputs wait for, or go to, the one that follows.
    #[test]
    fn a_first_model_that_fails_or_is_replaced_while_it_loads_is_dropped() {
        let mut s = Session::default();
        let _ = s.loading("mnist", Some(MNIST));
        let sent = s.ask(Source::Drawing, ready(0.1)).ok_or("sent");
        s.failed("mnist");
        assert_eq!(s.model(), None);
        assert!(sent.is_ok_and(|j| !s.is_current(&j)));
        assert_eq!(s.settled(), None);
        assert_eq!(
            s.ask(Source::Drawing, ready(0.2)),
            None,
            "no model to run it"
        );
        let next = s.loaded("file:mine".into(), MNIST);
        assert_eq!(next.map(|j| j.input), Some(ready(0.2)));
        assert_eq!(s.settled(), None);

        let mut s = Session::default();
        let _ = s.loading("mnist", Some(MNIST));
        let old = s.ask(Source::Drawing, ready(0.1)).ok_or("sent");
        let _ = s.loading("fashion", Some(DatasetKind::Fashion));
        assert!(old.is_ok_and(|j| !s.is_current(&j)));
        s.failed("mnist");
        assert_eq!(
            s.model(),
            Some("fashion"),
            "an overtaken load's failure changes nothing"
        );
        // The drawing waited behind the old request: it runs on the new model.
        let rerun = s.settled();
        assert_eq!(rerun.map(|j| j.model), Some("fashion".into()));
        assert_eq!(s.settled(), None);
        let during = s.ask(Source::Drawing, ready(0.3));
        assert_eq!(during.map(|j| j.model), Some("fashion".into()));
    }

    fn summary(name: &str) -> Rc<ModelSummary> {
        Rc::new(ModelSummary {
            name: name.into(),
            class_names: (0..10).map(|c| c.to_string()).collect(),
            dataset: Some("MNIST".into()),
            accuracy: None,
            accuracy_on: None,
            parameters: 0,
            network: String::new(),
            text: String::new(),
            convs: Vec::new(),
        })
    }

    /// The first model's summary waits for the answer sent to it as it loaded; a newer
    /// summary replaces a held one; with nothing in flight for it, it is shown at once.
    #[test]
    fn a_summary_waits_for_the_answer_in_flight_from_its_model() {
        let mut s = Session::default();
        let _ = s.loading("mnist", Some(MNIST));
        assert!(s.ask(sample(MNIST, 0), ready(0.1)).is_some());
        assert_eq!(s.loaded("mnist".into(), MNIST), None);
        assert_eq!(s.show(summary("mnist")), None, "held for the answer");
        assert_eq!(s.take_held().map(|m| m.name.clone()), Some("mnist".into()));
        assert_eq!(s.take_held(), None, "taken once");
        assert_eq!(s.settled(), None);
        // Nothing in flight: shown at once.
        assert!(s.show(summary("mnist")).is_some());
        // An answer in flight from the old model: the new one is shown at once, and a
        // summary held before is dropped.
        assert!(s.ask(Source::Drawing, ready(0.2)).is_some());
        assert_eq!(s.show(summary("mnist")), None);
        assert_eq!(
            s.loaded("file:mine".into(), MNIST),
            None,
            "waits behind the answer"
        );
        assert!(s.show(summary("file:mine")).is_some());
        assert_eq!(s.take_held(), None);
        // The rerun goes next; its model's summary was shown already.
        let rerun = s.settled();
        assert_eq!(rerun.map(|j| j.model), Some("file:mine".into()));
    }

    #[test]
    fn a_new_model_reruns_the_last_input_and_old_replies_are_stale() {
        let mut s = Session::default();
        let first = s.loaded("mnist".into(), MNIST);
        assert_eq!(first, None, "nothing asked yet");
        assert!(s.wants_sample_of(MNIST));
        let old = s.ask(Source::Drawing, ready(0.5));
        s.unload();
        assert_eq!(s.settled(), None);
        let rerun = s.loaded("fashion".into(), DatasetKind::Fashion);
        assert_eq!(rerun.as_ref().map(|j| j.model.as_str()), Some("fashion"));
        assert_eq!(old.as_ref().map(|j| j.style), Some(Style::Digit));
        assert_eq!(
            rerun.as_ref().map(|j| j.style),
            Some(Style::Object),
            "a file is framed as an object"
        );
        assert!(old.is_some_and(|j| !s.is_current(&j)));
        assert!(rerun.is_some_and(|j| s.is_current(&j)));
        assert_eq!(s.last_source(), Some(&Source::Drawing));
        assert!(!s.wants_sample_of(DatasetKind::Fashion));
    }

    #[test]
    fn a_test_image_of_another_dataset_is_not_rerun() {
        let mut s = Session::default();
        let _ = s.loaded("mnist".into(), MNIST);
        assert!(s.ask(sample(MNIST, 0), ready(0.5)).is_some());
        assert_eq!(s.settled(), None);
        // Another MNIST model: the same test image, run again.
        let again = s.loaded("file:mine".into(), MNIST);
        assert_eq!(again.map(|j| j.source), Some(sample(MNIST, 0)));
        assert_eq!(s.settled(), None);
        // A Fashion model: the MNIST pixels are not sent; the page asks for a Fashion sample.
        assert_eq!(s.loaded("fashion".into(), DatasetKind::Fashion), None);
        assert!(s.wants_sample_of(DatasetKind::Fashion));
        assert!(!s.wants_sample_of(MNIST));
    }

    /// The Train page's test image waits for the trained network (asked before it loads),
    /// runs again on another model of its dataset, and gives way on another dataset.
    #[test]
    fn a_handed_image_waits_for_the_model_and_keeps_to_its_dataset() {
        let mut s = Session::default();
        let handed = Source::Handed {
            kind: MNIST,
            label: 3,
        };
        assert_eq!(s.ask(handed.clone(), ready(0.2)), None);
        assert!(!s.wants_sample_of(MNIST));
        let first = s.loaded("trained".into(), MNIST);
        assert_eq!(
            first.map(|j| (j.model, j.source)),
            Some(("trained".into(), handed.clone()))
        );
        assert_eq!(s.settled(), None);
        assert_eq!(
            s.loaded("file:t".into(), MNIST).map(|j| j.source),
            Some(handed.clone())
        );
        assert_eq!(s.settled(), None);
        assert_eq!(s.loaded("fashion".into(), DatasetKind::Fashion), None);
        assert!(s.wants_sample_of(DatasetKind::Fashion));
        assert_eq!(
            handed.describe(),
            "a test image from the Train page, true label 3"
        );
    }

    #[test]
    fn a_sample_is_described_by_its_own_dataset() {
        let seven = sample(MNIST, 0);
        assert_eq!(seven.describe(), "test image #0, true label 7");
        let sneaker = sample(DatasetKind::Fashion, 0);
        assert_eq!(sneaker.describe(), "test image #0, true label Sneaker");
        assert_eq!(Source::file("a.png").describe(), "a.png");
    }
}
