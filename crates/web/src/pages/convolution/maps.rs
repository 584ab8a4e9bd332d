//! The lab's full maps, from the web worker. One request is in flight at a time; edits made
//! meanwhile leave only the newest job waiting (the ones between are never computed), so
//! typing fast never queues work behind the page.

use std::cell::RefCell;
use std::rc::Rc;

use crate::core_worker::use_core;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::agent::{CoreReply, CoreRequest};
use crate::lab::conv::{ConvMaps, MapsJob};

/// The worker's answer to one job.
#[derive(Debug, PartialEq)]
pub struct WorkerMaps {
    /// The job answered (compare with [`Rc::ptr_eq`] to the page's current one).
    pub job: Rc<MapsJob>,
    /// The maps, or the core's reason.
    pub maps: Result<Box<ConvMaps>, String>,
    /// How long the worker computed, in milliseconds.
    pub millis: Option<f64>,
}

impl WorkerMaps {
    /// Whether these are the maps of `job` (the page's current settings).
    pub fn answers(&self, job: &Rc<MapsJob>) -> bool {
        Rc::ptr_eq(&self.job, job)
    }
}

#[derive(Default)]
struct Queue {
    busy: bool,
    pending: Option<Rc<MapsJob>>,
}

/// The newest answer for the lab's jobs (`None` until the first arrives). A new `job` is
/// sent at once when the worker is idle, else kept as the one to send next.
#[hook]
pub fn use_worker_maps(job: Option<Rc<MapsJob>>) -> Option<Rc<WorkerMaps>> {
    let runner = use_core();
    let latest = use_state(|| None::<Rc<WorkerMaps>>);
    let queue: Rc<RefCell<Queue>> = use_mut_ref(Queue::default);
    {
        let set = latest.setter();
        use_effect_with(job, move |job| {
            let Some(job) = job.clone() else { return };
            {
                let mut q = queue.borrow_mut();
                if q.busy {
                    q.pending = Some(job);
                    return;
                }
                q.busy = true;
            }
            spawn_local(async move {
                let mut job = job;
                loop {
                    let reply = runner
                        .run(CoreRequest::ConvMaps(Box::new((*job).clone())))
                        .await;
                    let (maps, millis) = match reply {
                        CoreReply::ConvMaps { maps, millis } => (maps, millis),
                        other => (Err(crate::agent::unexpected(other, "the lab's maps")), None),
                    };
                    set.set(Some(Rc::new(WorkerMaps {
                        job: job.clone(),
                        maps,
                        millis,
                    })));
                    let next = queue.borrow_mut().pending.take();
                    match next {
                        Some(n) => job = n,
                        None => {
                            queue.borrow_mut().busy = false;
                            break;
                        }
                    }
                }
            });
        });
    }
    (*latest).clone()
}
