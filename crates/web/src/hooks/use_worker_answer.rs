//! One worker request per change of what it depends on, and the newest one's answer.

use std::rc::Rc;

use crate::core_worker::use_core;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::agent::{CoreReply, CoreRequest};
use crate::by_ptr::ByPtr;

/// The state of a worker's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerAnswer<T> {
    /// Nothing asked yet, or the newest request not answered yet.
    Waiting,
    /// The answer and the number of its request (for `data-request`: a test tells a new
    /// answer from the last one by it).
    Done(ByPtr<T>, u64),
    /// The worker's message.
    Failed(String),
}

/// Sends `request` to the core's worker whenever it changes (nothing while it is `None`)
/// and reads the reply with `read`; answers to older requests are dropped.
#[hook]
pub fn use_worker_answer<T: 'static>(
    request: Option<CoreRequest>,
    read: fn(CoreReply) -> Result<Box<T>, String>,
) -> UseStateHandle<WorkerAnswer<T>> {
    let runner = use_core();
    let answer = use_state(|| WorkerAnswer::Waiting);
    let generation = use_mut_ref(|| 0u64);
    {
        let answer = answer.clone();
        use_effect_with(request, move |request| {
            let Some(request) = request.clone() else {
                return;
            };
            let n = {
                let mut g = generation.borrow_mut();
                *g += 1;
                *g
            };
            answer.set(WorkerAnswer::Waiting);
            spawn_local(async move {
                let reply = runner.run(request).await;
                if *generation.borrow() != n {
                    return;
                }
                answer.set(match read(reply) {
                    Ok(t) => WorkerAnswer::Done(ByPtr(Rc::from(t)), n),
                    Err(e) => WorkerAnswer::Failed(e),
                });
            });
        });
    }
    answer
}
