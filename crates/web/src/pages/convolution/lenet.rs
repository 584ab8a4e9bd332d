//! The LeNet presets: both shipped model files fetched once and parsed by the worker, their
//! conv1 filters offered as kernels.

use std::rc::Rc;

use crate::core_worker::{CoreWorker, use_core};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::agent::{CoreReply, CoreRequest, ModelFile};
use crate::fetch::page_url;
use crate::lab::lenet::{Conv1Filters, LenetLoad, LenetModel, LenetPresets};

/// The presets' load states.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LenetState(pub LenetPresets);

impl Reducible for LenetState {
    type Action = (LenetModel, LenetLoad);
    fn reduce(self: Rc<Self>, (model, load): (LenetModel, LenetLoad)) -> Rc<Self> {
        let mut s = self.0.clone();
        s.set(model, load);
        Rc::new(LenetState(s))
    }
}

/// Has the worker fetch and parse one model file; its conv1 filters, or why not.
async fn load(runner: &CoreWorker, model: LenetModel) -> LenetLoad {
    let file = match page_url(model.url()) {
        Ok(url) => ModelFile::Url(url),
        Err(e) => return LenetLoad::Failed(e),
    };
    let name = format!("lab-lenet-{}", model.key());
    match runner.run(CoreRequest::LoadModel { name, file }).await {
        CoreReply::ModelLoaded(Ok(summary)) => {
            let filters = summary
                .conv("conv1")
                .ok_or_else(|| format!("{} has no conv1", model.url()))
                .and_then(|c| Conv1Filters::new(c.shape, c.weight.clone(), c.bias.clone()));
            match filters {
                Ok(f) => LenetLoad::Ready(Rc::new(f)),
                Err(e) => LenetLoad::Failed(e),
            }
        }
        CoreReply::ModelLoaded(Err(e)) => LenetLoad::Failed(format!("{}: {e}", model.url())),
        other => LenetLoad::Failed(crate::agent::unexpected(other, "a model load")),
    }
}

/// The presets, loading once the page has painted its first frame.
#[hook]
pub fn use_lenet_presets() -> UseReducerHandle<LenetState> {
    let lenet = use_reducer(LenetState::default);
    let runner = use_core();
    let dispatch = lenet.dispatcher();
    use_effect_with((), move |_| {
        for model in LenetModel::ALL {
            let runner = runner.clone();
            let dispatch = dispatch.clone();
            spawn_local(async move {
                // The presets are not needed for the lab's first frame.
                crate::hooks::after_paint().await;
                dispatch.dispatch((model, load(&runner, model).await));
            });
        }
    });
    lenet
}
