//! The dataset samples: a dataset's gallery file (the Classify page's, `www/samples/`) is
//! fetched when a sample of it is first chosen, once per visit, and read on the page's
//! thread (about 80 KB, as the Classify page reads it); the lecture's image stands in
//! meanwhile ([`crate::lab::ConvSettings::sample_missing`]).

use std::rc::Rc;

use yew::platform::spawn_local;
use yew::prelude::*;

use super::Dispatch;
use crate::fetch::fetch_bytes;
use crate::lab::ConvAction;
use crate::lab::samples::{ClassSamples, Dataset, SampleLoad};

/// Fetches and reads `dataset`'s samples.
async fn load(dataset: Dataset) -> SampleLoad {
    let samples = fetch_bytes(dataset.url())
        .await
        .and_then(|bytes| ClassSamples::from_safetensors(dataset, &bytes));
    match samples {
        Ok(s) => SampleLoad::Ready(Rc::new(s)),
        Err(e) => SampleLoad::Failed(e),
    }
}

/// Fetches `wanted` (the settings' [`crate::lab::ConvSettings::samples_to_fetch`]) and
/// reports how it goes to the lab.
#[hook]
pub fn use_samples(wanted: Option<Dataset>, dispatch: Dispatch) {
    use_effect_with(wanted, move |wanted| {
        if let Some(dataset) = *wanted {
            dispatch.dispatch(ConvAction::Samples(dataset, SampleLoad::Loading));
            spawn_local(async move {
                dispatch.dispatch(ConvAction::Samples(dataset, load(dataset).await));
            });
        }
    });
}
