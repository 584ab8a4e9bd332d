//! The classification requests of the page: at most one in flight, the newest one waiting
//! (a stroke in progress asks every animation frame; only the latest drawing matters), and
//! the last input re-run when the model changes.

use crate::agent::{ClassifyInput, CoreRequest};

/// Where the image came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The drawing pad.
    Drawing,
    /// Gallery sample `i` (index into the gallery).
    Sample(usize),
    /// An uploaded, dropped or pasted file (its name).
    File(String),
}

/// One classification: the model it is for, where the image came from, and the image.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The worker's name of the model.
    pub model: String,
    /// Where the image came from.
    pub source: Source,
    /// The image.
    pub input: ClassifyInput,
}

impl Job {
    /// The worker request.
    pub fn request(&self) -> CoreRequest {
        CoreRequest::Classify {
            model: self.model.clone(),
            input: self.input.clone(),
        }
    }
}

/// The page's classification requests.
#[derive(Debug, Default)]
pub struct Session {
    model: Option<String>,
    last: Option<(Source, ClassifyInput)>,
    in_flight: bool,
    waiting: Option<Job>,
}

impl Session {
    /// The model loaded in the worker, if any.
    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// The source of the latest input asked for.
    pub fn last_source(&self) -> Option<&Source> {
        self.last.as_ref().map(|(s, _)| s)
    }

    fn submit(&mut self, job: Job) -> Option<Job> {
        if self.in_flight {
            self.waiting = Some(job);
            None
        } else {
            self.in_flight = true;
            Some(job)
        }
    }

    fn job_for_last(&mut self) -> Option<Job> {
        let model = self.model.clone()?;
        let (source, input) = self.last.clone()?;
        self.submit(Job {
            model,
            source,
            input,
        })
    }

    /// Asks for `input` to be classified: returns the job to send now, or `None` when a
    /// request is in flight (this one then waits, replacing any older waiting one) or no
    /// model is loaded yet (it runs when one is).
    pub fn ask(&mut self, source: Source, input: ClassifyInput) -> Option<Job> {
        self.last = Some((source, input));
        self.job_for_last()
    }

    /// The worker is loading another model: nothing is sent until it is loaded.
    pub fn unload(&mut self) {
        self.model = None;
        self.waiting = None;
    }

    /// The worker loaded `name`: the last input is classified again with it.
    pub fn loaded(&mut self, name: String) -> Option<Job> {
        self.model = Some(name);
        self.job_for_last()
    }

    /// A reply arrived: the waiting job, if any, to send next.
    pub fn settled(&mut self) -> Option<Job> {
        match self.waiting.take() {
            Some(job) => Some(job),
            None => {
                self.in_flight = false;
                None
            }
        }
    }

    /// Whether a reply to `job` is still wanted (it is for the current model).
    pub fn is_current(&self, job: &Job) -> bool {
        self.model.as_deref() == Some(job.model.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(v: f32) -> ClassifyInput {
        ClassifyInput::Ready(vec![v; 784])
    }

    #[test]
    fn nothing_is_sent_before_a_model_is_loaded() {
        let mut s = Session::default();
        assert_eq!(s.ask(Source::Sample(3), ready(0.0)), None);
        let job = s.loaded("mnist".into());
        assert_eq!(job.as_ref().map(|j| &j.source), Some(&Source::Sample(3)));
        assert_eq!(job.map(|j| j.model), Some("mnist".into()));
    }

    #[test]
    fn one_request_in_flight_and_only_the_newest_waits() {
        let mut s = Session::default();
        let _ = s.loaded("m".into());
        assert!(s.ask(Source::Drawing, ready(0.1)).is_some());
        assert_eq!(s.ask(Source::Drawing, ready(0.2)), None);
        assert_eq!(s.ask(Source::Drawing, ready(0.3)), None);
        let next = s.settled();
        assert_eq!(next.map(|j| j.input), Some(ready(0.3)));
        assert_eq!(s.settled(), None);
        // Idle again: the next ask goes straight out.
        assert!(s.ask(Source::File("a.png".into()), ready(0.4)).is_some());
    }

    #[test]
    fn a_new_model_reruns_the_last_input_and_old_replies_are_stale() {
        let mut s = Session::default();
        let first = s.loaded("mnist".into());
        assert_eq!(first, None, "nothing asked yet");
        let old = s.ask(Source::Sample(0), ready(0.5));
        s.unload();
        assert_eq!(s.settled(), None);
        let rerun = s.loaded("fashion".into());
        assert_eq!(rerun.as_ref().map(|j| j.model.as_str()), Some("fashion"));
        assert!(old.is_some_and(|j| !s.is_current(&j)));
        assert!(rerun.is_some_and(|j| s.is_current(&j)));
        assert_eq!(s.last_source(), Some(&Source::Sample(0)));
    }
}
