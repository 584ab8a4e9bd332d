//! The lab's maps, from the web worker. One request is in flight at a time; edits made
//! meanwhile leave only the newest job waiting (the ones between are never computed), so
//! typing fast never queues work behind the page. The worker sends the planes the page draws
//! with the stepper on one output map ([`ConvMaps::pick`]); when the stepper moves on to a map
//! the answer lacks, the same job is asked again for it (answered from the worker's kept maps).

use std::cell::RefCell;
use std::rc::Rc;

use crate::core_worker::use_core;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::agent::{CoreReply, CoreRequest};
use crate::by_ptr::ByPtr;
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

/// One request: the job and the output map the stepper is on.
type Ask = (Rc<MapsJob>, usize);

#[derive(Default)]
struct Queue {
    busy: bool,
    pending: Option<Ask>,
}

/// The newest answer for the lab's jobs (`None` until the first arrives), holding the planes
/// drawn with the stepper on output map `map`. A request is sent when the newest answer is
/// not `job`'s or lacks a plane of `map`: at once when the worker is idle, else kept as the
/// one to send next.
#[hook]
pub fn use_worker_maps(job: Option<Rc<MapsJob>>, map: usize) -> Option<Rc<WorkerMaps>> {
    let runner = use_core();
    let latest = use_state(|| None::<Rc<WorkerMaps>>);
    let queue: Rc<RefCell<Queue>> = use_mut_ref(Queue::default);
    // The newest answer holds what the page draws (or the reason there is none).
    let covered = match (&*latest, &job) {
        (Some(r), Some(j)) => r.answers(j) && r.maps.as_ref().map_or(true, |m| m.covers(map)),
        _ => false,
    };
    {
        let set = latest.setter();
        use_effect_with(
            (job.map(ByPtr), map, covered),
            move |(job, map, covered)| {
                let Some(job) = job.as_ref().filter(|_| !covered) else {
                    return;
                };
                let ask = (job.0.clone(), *map);
                {
                    let mut q = queue.borrow_mut();
                    if q.busy {
                        q.pending = Some(ask);
                        return;
                    }
                    q.busy = true;
                }
                spawn_local(async move {
                    let mut ask = ask;
                    loop {
                        let (job, map) = ask;
                        let reply = runner
                            .run(CoreRequest::ConvMaps {
                                job: Box::new((*job).clone()),
                                map,
                            })
                            .await;
                        let (maps, millis) = match reply {
                            CoreReply::ConvMaps { maps, millis } => (maps, millis),
                            other => (Err(crate::agent::unexpected(other, "the lab's maps")), None),
                        };
                        set.set(Some(Rc::new(WorkerMaps { job, maps, millis })));
                        let next = queue.borrow_mut().pending.take();
                        match next {
                            Some(n) => ask = n,
                            None => {
                                queue.borrow_mut().busy = false;
                                break;
                            }
                        }
                    }
                });
            },
        );
    }
    (*latest).clone()
}
