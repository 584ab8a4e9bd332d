//! What the Classify page shows: the model's summary, the gallery, the latest result and the
//! latest error, and the pixel whose convolution is open. A plain state with actions; the
//! page wraps it in a reducer.

use std::rc::Rc;

use crate::agent::{Classified, ModelSummary};

use super::choice::dataset_of;
use super::gallery::Gallery;
use super::session::Source;

/// A classification on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// Where the image came from.
    pub source: Source,
    /// The worker's answer.
    pub result: Rc<Classified>,
}

/// The page's view state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassifyView {
    /// The model in use, once loaded.
    pub summary: Option<Rc<ModelSummary>>,
    /// A model is being fetched or parsed.
    pub loading_model: bool,
    /// Why the last model could not be loaded.
    pub model_error: Option<String>,
    /// The current dataset's gallery (shared: a new `Rc` only when it changes, so the
    /// page's canvases keep theirs).
    pub gallery: Option<Rc<Gallery>>,
    /// Why the gallery could not be loaded.
    pub gallery_error: Option<String>,
    /// The latest classification.
    pub shown: Option<Shown>,
    /// Why the latest input was refused.
    pub input_error: Option<String>,
    /// The feature-map pixel whose convolution is open.
    pub inspect: Option<(String, [usize; 3])>,
    /// The value (layer, `[channel, row, column]`) whose receptive field is open.
    pub field: Option<(String, [usize; 3])>,
    /// The drawing on screen was cleared, and nothing classified since.
    pub cleared: bool,
}

/// What happens on the page.
#[derive(Debug, Clone, PartialEq)]
pub enum ClassifyAction {
    /// A model is being loaded.
    ModelLoading,
    /// The worker loaded a model.
    ModelLoaded(Rc<ModelSummary>),
    /// A model was refused.
    ModelFailed(String),
    /// A gallery arrived.
    GalleryLoaded(Gallery),
    /// The gallery could not be fetched.
    GalleryFailed(String),
    /// A classification arrived.
    Classified(Source, Rc<Classified>),
    /// An input was refused (the worker's or the browser's message).
    InputFailed(String),
    /// The drawing pad was cleared: a drawing's result on screen goes (with its open
    /// pixel and field), and the page asks for an input again.
    DrawingCleared,
    /// Open (or close, `None`) a pixel's convolution.
    Inspect(Option<(String, [usize; 3])>),
    /// Open (or close, `None`) a value's receptive field.
    Field(Option<(String, [usize; 3])>),
}

impl ClassifyView {
    /// Applies `action`.
    pub fn apply(&mut self, action: ClassifyAction) {
        match action {
            ClassifyAction::ModelLoading => self.loading_model = true,
            ClassifyAction::ModelLoaded(s) => {
                self.loading_model = false;
                self.model_error = None;
                // The old verdicts are not this model's; a gallery of another dataset goes
                // (its samples cannot be picked for this model; the page fetches the new one).
                let kind = dataset_of(&s);
                if self.gallery.as_ref().is_some_and(|g| g.kind != kind) {
                    self.gallery = None;
                }
                if let Some(g) = &mut self.gallery {
                    Rc::make_mut(g).predictions.clear();
                }
                // Another network's layers: the open field may name none of them.
                self.field = None;
                self.summary = Some(s);
            }
            ClassifyAction::ModelFailed(e) => {
                self.loading_model = false;
                self.model_error = Some(e);
            }
            ClassifyAction::GalleryLoaded(g) => {
                self.gallery_error = None;
                self.gallery = Some(Rc::new(g));
            }
            ClassifyAction::GalleryFailed(e) => self.gallery_error = Some(e),
            ClassifyAction::Classified(source, result) => {
                if let (Source::Sample(sample), Some(g)) = (&source, &mut self.gallery) {
                    Rc::make_mut(g).record(sample, result.top);
                }
                self.input_error = None;
                self.cleared = false;
                self.shown = Some(Shown { source, result });
            }
            ClassifyAction::InputFailed(e) => self.input_error = Some(e),
            ClassifyAction::DrawingCleared => {
                if self
                    .shown
                    .as_ref()
                    .is_some_and(|s| s.source == Source::Drawing)
                {
                    self.shown = None;
                    self.inspect = None;
                    self.field = None;
                    self.input_error = None;
                    self.cleared = true;
                }
            }
            ClassifyAction::Inspect(p) => self.inspect = p,
            ClassifyAction::Field(p) => self.field = p,
        }
    }

    /// The gallery index of the sample on screen, if it is one of the loaded gallery's.
    pub fn selected_sample(&self) -> Option<usize> {
        match (&self.shown.as_ref()?.source, &self.gallery) {
            (Source::Sample(s), Some(g)) if g.holds(s) => Some(s.index),
            _ => None,
        }
    }

    /// The name of class `i` under the current model.
    pub fn class_name(&self, i: usize) -> String {
        self.summary
            .as_ref()
            .and_then(|s| s.class_names.get(i).cloned())
            .unwrap_or_else(|| i.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{ClassifyInput, classify, model};
    use crate::lab::classify::Session;
    use convscope_core::data::DatasetKind;

    #[test]
    fn a_result_clears_the_error_and_marks_the_gallery() -> Result<(), String> {
        let summary = model::load(
            "view-mnist".into(),
            include_bytes!("../../../../../www/models/lenet-mnist.safetensors"),
        )?;
        let g = Gallery::from_safetensors(include_bytes!(
            "../../../../../www/samples/mnist-test.safetensors"
        ))?;
        let input = g.samples[12].pixels.to_vec();
        let mut v = ClassifyView::default();
        v.apply(ClassifyAction::ModelLoading);
        assert!(v.loading_model);
        v.apply(ClassifyAction::ModelLoaded(Rc::new(summary)));
        v.apply(ClassifyAction::GalleryLoaded(g));
        v.apply(ClassifyAction::InputFailed(
            "broken.png: not an image".into(),
        ));
        assert!(v.input_error.is_some());
        let c = classify::classify("view-mnist", ClassifyInput::Ready(input))?;
        let source = v.gallery.as_ref().and_then(|g| g.source(12)).ok_or("12")?;
        v.apply(ClassifyAction::Classified(source, Rc::new(c)));
        assert_eq!(v.selected_sample(), Some(12));
        assert_eq!(v.input_error, None);
        assert_eq!(v.gallery.as_ref().and_then(|g| g.verdict(12)), Some(true));
        assert_eq!(v.class_name(3), "3");
        // A new model forgets the old verdicts; a failed one keeps the model in use.
        v.apply(ClassifyAction::ModelFailed("bad file".into()));
        assert!(v.summary.is_some());
        let again = v.summary.clone().ok_or("summary")?;
        v.apply(ClassifyAction::ModelLoaded(again));
        assert_eq!(v.gallery.as_ref().and_then(|g| g.verdict(12)), None);
        assert_eq!(v.model_error, None);
        Ok(())
    }

    /// The review's reproduction: MNIST sample 0 (a 0) classified, then the Fashion model
    /// loaded. The old sample is not re-run, and were its result to arrive it would neither
    /// be described with the Fashion gallery's sample 0 nor mark a verdict on it.
    #[test]
    fn switching_models_does_not_relabel_the_old_sample() -> Result<(), String> {
        let mnist = model::load(
            "switch-mnist".into(),
            include_bytes!("../../../../../www/models/lenet-mnist.safetensors"),
        )?;
        let fashion = model::load(
            "switch-fashion".into(),
            include_bytes!("../../../../../www/models/lenet-fashion.safetensors"),
        )?;
        let digits = Gallery::from_safetensors(include_bytes!(
            "../../../../../www/samples/mnist-test.safetensors"
        ))?;
        let clothes = Gallery::from_safetensors(include_bytes!(
            "../../../../../www/samples/fashion-test.safetensors"
        ))?;
        let seven = digits.source(0).ok_or("sample 0")?;
        let pixels = digits.samples[0].pixels.to_vec();

        let mut session = Session::default();
        let mut v = ClassifyView::default();
        v.apply(ClassifyAction::ModelLoaded(Rc::new(mnist)));
        v.apply(ClassifyAction::GalleryLoaded(digits));
        let _ = session.loaded("switch-mnist".into(), DatasetKind::Mnist);
        let job = session
            .ask(seven.clone(), ClassifyInput::Ready(pixels.clone()))
            .ok_or("sent")?;
        let c = classify::classify(&job.model, job.input)?;
        v.apply(ClassifyAction::Classified(job.source, Rc::new(c)));
        assert_eq!(session.settled(), None);
        assert_eq!(v.selected_sample(), Some(0));

        // The Fashion model: the MNIST gallery goes, the old pixels are not re-run.
        v.apply(ClassifyAction::ModelLoaded(Rc::new(fashion)));
        assert_eq!(v.gallery, None);
        assert_eq!(
            session.loaded("switch-fashion".into(), DatasetKind::Fashion),
            None
        );
        assert!(session.wants_sample_of(DatasetKind::Fashion));
        v.apply(ClassifyAction::GalleryLoaded(clothes));
        assert_eq!(v.selected_sample(), None);

        // Even a Fashion result for the MNIST source keeps its MNIST description.
        let late = classify::classify("switch-fashion", ClassifyInput::Ready(pixels))?;
        v.apply(ClassifyAction::Classified(seven.clone(), Rc::new(late)));
        let said = seven.describe();
        assert!(!said.contains("T-shirt/top"), "{said}");
        assert!(said.contains("true label 0"), "{said}");
        assert_eq!(v.gallery.as_ref().and_then(|g| g.verdict(0)), None);
        assert_eq!(v.selected_sample(), None);
        Ok(())
    }
}
