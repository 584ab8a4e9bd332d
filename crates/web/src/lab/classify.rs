//! Pure state of the Classify page: which model, the drawing, the queue of classification
//! requests, the gallery, the layer views and the convolution behind a clicked pixel. No UI
//! code: the page drives these types, the worker computes, and the numbers come from
//! `convscope-core`.

pub mod choice;
pub mod drawing;
pub mod explain;
pub mod gallery;
pub mod inspect;
pub mod layers;
pub mod session;
pub mod view;

pub use choice::{ModelChoice, facts};
pub use drawing::{Drawing, Stroke};
pub use explain::{ExplainSettings, Method};
pub use gallery::{Gallery, GallerySample};
pub use inspect::{Inspection, inspect};
pub use layers::{MapLayer, NamedMaps, NetworkViews};
pub use session::{Job, SampleRef, Session, Source};
pub use view::{ClassifyAction, ClassifyView, Shown};
