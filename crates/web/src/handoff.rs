//! What the Train page hands to the Classify page: the trained network's weights file, and
//! optionally one test image to classify first (a mistake the visitor wants to look into).
//!
//! An app-level context, so it survives the navigation between the pages but not a reload:
//! after a reload the Classify page reads the run the training worker saved instead
//! ([`crate::trainer::saved_weights`]).

use std::cell::RefCell;
use std::rc::Rc;

use convscope_core::data::DatasetKind;

/// A test image handed over with its true label.
#[derive(Debug, Clone, PartialEq)]
pub struct HandedImage {
    /// Its 28×28 pixels in `[0, 1]`, as the network takes them.
    pub pixels: Vec<f32>,
    /// Its true class.
    pub label: usize,
    /// The data set it comes from.
    pub dataset: DatasetKind,
}

#[derive(Debug, Default)]
struct Parcel {
    weights: Option<Vec<u8>>,
    image: Option<HandedImage>,
}

/// The shared slot (cheap to clone; every clone is the same slot).
#[derive(Debug, Clone, Default)]
pub struct Handoff(Rc<RefCell<Parcel>>);

impl PartialEq for Handoff {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Handoff {
    /// Leaves a weights file (and an image) for the Classify page, replacing what was there.
    pub fn give(&self, weights: Vec<u8>, image: Option<HandedImage>) {
        *self.0.borrow_mut() = Parcel {
            weights: Some(weights),
            image,
        };
    }

    /// Takes the weights file, if one was left.
    pub fn take_weights(&self) -> Option<Vec<u8>> {
        self.0.borrow_mut().weights.take()
    }

    /// Takes the image, if one was left.
    pub fn take_image(&self) -> Option<HandedImage> {
        self.0.borrow_mut().image.take()
    }
}
