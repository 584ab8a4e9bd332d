//! The page's side of the web workers that answer [`CoreRequest`]s (the core's worker and
//! the image worker): requests numbered and answered by number ([`crate::agent::protocol`]),
//! and a fresh worker when one dies or hangs.
//!
//! Every request has a deadline ([`CoreRequest::deadline_ms`]). When it passes, or the
//! worker traps (a panic or running out of memory aborts in wasm, and the worker's `error`
//! event fires), the worker is terminated, every request waiting on it is answered with
//! [`CoreReply::Lost`] and the reason, and a new worker is started at once; the models
//! the old one had loaded are loaded into it again (only loads that succeeded: a file that
//! crashed a worker is not sent to the next). [`CoreWorkerProvider`] shows what happened
//! in a notice; [`use_core`] and [`use_images`] give components the handles.

use std::cell::RefCell;
use std::collections::HashMap;
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::oneshot;
use futures::future::{Either, select};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use yew::platform::spawn_local;
use yew::platform::time::sleep;
use yew::prelude::*;

use crate::agent::protocol::{FromWorker, ToWorker, decode, encode};
use crate::agent::{CoreReply, CoreRequest, ModelFile};
use crate::by_ptr::ByPtr;
use crate::worker_script::Early;

/// The loader's name for the core's worker: the app's own JavaScript and wasm, which serve
/// the core's requests in a worker (`crates/web/src/bin/app.rs`, `www/boot.js`).
pub const CORE_WORKER: &str = "core";
/// Where Trunk emits the image worker's JavaScript (see `index.html`).
pub const IMAGES_PATH: &str = "/images.js";

/// What happened to the workers, for the page's notice.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkerStatus {
    /// Workers replaced so far.
    pub restarts: u32,
    /// Why the last one was replaced.
    pub reason: Option<String>,
}

impl Reducible for WorkerStatus {
    /// Why a worker was replaced.
    type Action = String;

    fn reduce(self: Rc<Self>, reason: String) -> Rc<Self> {
        Rc::new(Self {
            restarts: self.restarts + 1,
            reason: Some(reason),
        })
    }
}

type Answer = oneshot::Sender<CoreReply>;

/// One running worker with its event handlers.
struct Running {
    worker: web_sys::Worker,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

impl Running {
    /// Posts an encoded request, its buffer transferred, not copied (each message is sent
    /// once: a replacement worker gets its requests encoded again).
    fn post(&self, bytes: &js_sys::Uint8Array) {
        let _ = self
            .worker
            .post_message_with_transfer(bytes, &js_sys::Array::of1(&bytes.buffer()));
    }
}

struct State {
    path: String,
    running: Option<Running>,
    /// Which worker: answers and errors of a replaced one are ignored.
    epoch: u64,
    /// The worker said it serves (an error before that means it could not start).
    ready: bool,
    /// Encoded requests waiting for a worker to be made (a worker holds what it is sent
    /// while it starts).
    queue: Vec<js_sys::Uint8Array>,
    /// Requests sent and not answered, by number (`None`: a reload nobody waits for).
    waiting: HashMap<u64, Option<Answer>>,
    next_id: u64,
    /// Model loads that succeeded, by name, to load into a fresh worker.
    models: Vec<(String, ModelFile)>,
    /// Told why, whenever the worker is replaced.
    on_lost: Option<Callback<String>>,
    /// The last start failed: the next request starts again.
    failed: bool,
}

/// The handle components use: cheap to clone, all clones share one worker (equal when
/// they are the same handle).
#[derive(Clone, PartialEq, Debug)]
pub struct CoreWorker(ByPtr<RefCell<State>>);

impl CoreWorker {
    /// A handle whose worker (from `path`) starts with the first request (a page that
    /// never asks for one does not load it).
    pub fn new(path: &str) -> Self {
        Self(ByPtr(Rc::new(RefCell::new(State {
            path: path.to_owned(),
            running: None,
            epoch: 0,
            ready: false,
            queue: Vec::new(),
            waiting: HashMap::new(),
            next_id: 0,
            models: Vec::new(),
            on_lost: None,
            failed: false,
        }))))
    }

    /// Starts the worker now unless one was started already: a page that will need it soon
    /// calls this when it mounts, so that the worker's files download and compile while the
    /// page fetches its data (the Classify page: its model and gallery).
    pub fn warm(&self) {
        if self.0.borrow().epoch == 0 {
            self.start();
        }
    }

    /// Calls `f` with the reason whenever the worker is replaced.
    pub fn on_lost(&self, f: Callback<String>) {
        self.0.borrow_mut().on_lost = Some(f);
    }

    /// Starts a worker (the first, or a replacement) and queues the models to reload. The
    /// worker runs the checked script ([`crate::worker_script`], fetched once per page);
    /// until it is made, requests wait in the queue.
    fn start(&self) {
        let (path, epoch) = {
            let mut s = self.0.borrow_mut();
            s.epoch += 1;
            s.ready = false;
            s.queue.clear();
            (s.path.clone(), s.epoch)
        };
        let models = self.0.borrow().models.clone();
        for (name, file) in models {
            self.send(CoreRequest::LoadModel { name, file }, None);
        }
        // The page's first worker may have been started by the loader already, before the
        // app's wasm loaded (www/boot.js): it is taken over with what it sent so far — at
        // once when it has its wasm, so that the requests of the page's first render go
        // out as they are made.
        let early = match (epoch == 1).then(|| crate::worker_script::take_early(&path)) {
            Some(Early::Now(Some((worker, events)))) => {
                self.take_over(epoch, worker, events);
                return;
            }
            Some(early) => early,
            None => Early::Now(None),
        };
        let me = self.clone();
        spawn_local(async move {
            if let Some((worker, events)) = early.get().await {
                me.take_over(epoch, worker, events);
                return;
            }
            // Checking and starting the worker's files takes the page's thread for a while:
            // a page's first frame comes first.
            crate::hooks::after_paint().await;
            match crate::worker_script::spawn(&path).await {
                Ok(worker) => me.attach(epoch, worker),
                Err(e) => me.not_started(epoch, &e),
            }
        });
    }

    /// `worker`, started by the loader, is the one for `epoch`: listen to it, and handle
    /// the `events` it sent before.
    fn take_over(&self, epoch: u64, worker: web_sys::Worker, events: Vec<web_sys::Event>) {
        self.attach(epoch, worker);
        for e in events {
            self.event(epoch, &e);
        }
    }

    /// `worker` is the one started for `epoch`: listen to it (a worker started for a
    /// replaced epoch is terminated).
    fn attach(&self, epoch: u64, worker: web_sys::Worker) {
        if self.0.borrow().epoch != epoch {
            worker.terminate();
            return;
        }
        let on_message = {
            let me = self.clone();
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                me.received(epoch, &e.data());
            })
        };
        let on_error = {
            let me = self.clone();
            Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
                e.prevent_default();
                me.errored(epoch, &e.message());
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let running = Running {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        };
        // The worker holds what comes while it starts (www/boot.js): the requests go now.
        let mut s = self.0.borrow_mut();
        for bytes in std::mem::take(&mut s.queue) {
            running.post(&bytes);
        }
        s.running = Some(running);
    }

    /// An event of the worker of `epoch` that arrived before its handlers were set (a
    /// worker the loader started): handled as they would have been.
    fn event(&self, epoch: u64, e: &web_sys::Event) {
        if let Some(m) = e.dyn_ref::<web_sys::MessageEvent>() {
            self.received(epoch, &m.data());
        } else if let Some(err) = e.dyn_ref::<web_sys::ErrorEvent>() {
            self.errored(epoch, &err.message());
        }
    }

    /// The worker of `epoch` raised an error: before it was ready it could not start (a
    /// fresh worker would fail the same way); after, it crashed and is replaced.
    fn errored(&self, epoch: u64, what: &str) {
        if !self.0.borrow().ready {
            self.not_started(epoch, what);
            if let Some(r) = self.0.borrow_mut().running.take() {
                r.worker.terminate();
            }
            return;
        }
        self.lost(
            epoch,
            format!(
                "the web worker crashed ({})",
                if what.is_empty() { "no message" } else { what }
            ),
        );
    }

    /// The worker for `epoch` could not start (its files failed their check, or the browser
    /// refused): everything waiting is answered with why, and the next request tries again.
    fn not_started(&self, epoch: u64, e: &str) {
        let mut s = self.0.borrow_mut();
        if s.epoch != epoch {
            return;
        }
        let reason = format!("the web worker could not be started: {e}");
        for (_, answer) in s.waiting.drain() {
            if let Some(a) = answer {
                let _ = a.send(CoreReply::Lost(reason.clone()));
            }
        }
        s.queue.clear();
        s.epoch += 1;
        s.failed = true;
    }

    /// Numbers and sends (or queues) `request`; its answer goes to `answer`.
    fn send(&self, request: CoreRequest, answer: Option<Answer>) -> u64 {
        let mut s = self.0.borrow_mut();
        s.next_id += 1;
        let id = s.next_id;
        match encode(&ToWorker { id, request }) {
            Ok(bytes) => {
                s.waiting.insert(id, answer);
                match &s.running {
                    Some(r) => r.post(&bytes),
                    None => s.queue.push(bytes),
                }
            }
            Err(e) => {
                if let Some(a) = answer {
                    let _ = a.send(CoreReply::Lost(format!(
                        "the request could not be sent: {e}"
                    )));
                }
            }
        }
        id
    }

    fn received(&self, epoch: u64, data: &JsValue) {
        let mut s = self.0.borrow_mut();
        if s.epoch != epoch {
            return;
        }
        match decode::<FromWorker>(data) {
            Ok(FromWorker::Ready) => s.ready = true,
            Ok(FromWorker::Reply { id, reply }) => {
                if let Some(Some(a)) = s.waiting.remove(&id) {
                    let _ = a.send(reply);
                }
            }
            Ok(FromWorker::Unreadable(e)) => {
                web_sys::console::warn_1(
                    &format!("the worker could not read a request: {e}").into(),
                );
            }
            Err(e) => {
                web_sys::console::warn_1(
                    &format!("unreadable message from the worker: {e}").into(),
                );
            }
        }
    }

    /// The worker of `epoch` is gone: terminate it, answer everything it owed with
    /// `reason`, start another.
    fn lost(&self, epoch: u64, reason: String) {
        let on_lost = {
            let mut s = self.0.borrow_mut();
            if s.epoch != epoch {
                return;
            }
            if let Some(r) = s.running.take() {
                r.worker.terminate();
            }
            let message = format!(
                "{reason}; a fresh worker was started, so try again (anything it had loaded is loaded again)"
            );
            for (_, answer) in s.waiting.drain() {
                if let Some(a) = answer {
                    let _ = a.send(CoreReply::Lost(message.clone()));
                }
            }
            s.on_lost.clone()
        };
        self.start();
        if let Some(f) = on_lost {
            f.emit(reason);
        }
    }

    /// Sends `request` now (requests reach the worker in the order `run` was called) and
    /// returns the wait for its answer, at most its deadline: a worker that does not answer
    /// by then is replaced and the answer is [`CoreReply::Lost`].
    pub fn run(&self, request: CoreRequest) -> impl Future<Output = CoreReply> + use<> {
        let deadline = request.deadline_ms();
        let load = match &request {
            CoreRequest::LoadModel { name, file } => Some((name.clone(), file.clone())),
            _ => None,
        };
        let first = {
            let s = self.0.borrow();
            s.epoch == 0 || s.failed
        };
        if first {
            self.0.borrow_mut().failed = false;
            self.start();
        }
        let epoch = self.0.borrow().epoch;
        let (tx, rx) = oneshot::channel();
        self.send(request, Some(tx));
        let this = self.clone();
        async move {
            let timeout = pin!(sleep(Duration::from_millis(u64::from(deadline))));
            let reply = match select(rx, timeout).await {
                Either::Left((Ok(reply), _)) => reply,
                Either::Left((Err(_), _)) => {
                    CoreReply::Lost("the web worker was replaced".to_owned())
                }
                Either::Right(((), rx)) => {
                    this.lost(
                        epoch,
                        format!(
                            "the web worker did not answer within {:.0} s",
                            f64::from(deadline) / 1000.0
                        ),
                    );
                    rx.await.unwrap_or_else(|_| {
                        CoreReply::Lost("the web worker was replaced".to_owned())
                    })
                }
            };
            if let (Some((name, file)), CoreReply::ModelLoaded(Ok(_))) = (load, &reply) {
                let mut s = this.0.borrow_mut();
                s.models.retain(|(n, _)| *n != name);
                s.models.push((name, file));
            }
            reply
        }
    }
}

/// The handles of the two workers, the context [`CoreWorkerProvider`] gives.
#[derive(Clone, PartialEq, Debug)]
pub struct Workers {
    /// The core's worker: models, classifications, explanations, the lab's maps.
    pub core: CoreWorker,
    /// The image worker: uploaded files (started by the first).
    pub images: CoreWorker,
}

/// Props of [`CoreWorkerProvider`].
#[derive(Debug, Properties, PartialEq)]
pub struct CoreWorkerProviderProps {
    /// The app.
    pub children: Html,
}

/// Gives the app below it the core's worker and the image worker (each started by its
/// first request, or [`CoreWorker::warm`]) and shows a notice when one had to be replaced.
#[component]
pub fn CoreWorkerProvider(p: &CoreWorkerProviderProps) -> Html {
    let status = use_reducer(WorkerStatus::default);
    let dismissed = use_state(|| 0u32);
    let workers = {
        let lost = status.dispatcher();
        use_memo((), move |()| {
            let make = |path| {
                let w = CoreWorker::new(path);
                let lost = lost.clone();
                w.on_lost(Callback::from(move |reason| lost.dispatch(reason)));
                w
            };
            Workers {
                core: make(CORE_WORKER),
                images: make(IMAGES_PATH),
            }
        })
    };
    // The end-to-end tests make the core's worker trap or hang with a DOM event.
    {
        let worker = workers.core.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                gloo_events::EventListener::new(&w, "convscope-worker-test", move |e| {
                    let detail = e
                        .dyn_ref::<web_sys::CustomEvent>()
                        .and_then(|c| c.detail().as_string())
                        .unwrap_or_default();
                    let test = match detail.as_str() {
                        "trap" => crate::agent::WorkerTest::Trap,
                        "hang" => crate::agent::WorkerTest::Hang {
                            seconds: 60,
                            deadline_ms: 1000,
                        },
                        _ => return,
                    };
                    let worker = worker.clone();
                    spawn_local(async move {
                        let _ = worker.run(CoreRequest::Test(test)).await;
                    });
                })
            });
            move || drop(listener)
        });
    }
    let notice = (status.restarts > *dismissed).then(|| {
        let (dismissed, restarts) = (dismissed.clone(), status.restarts);
        html! {
            <div class="worker-notice" role="alert" data-testid="worker-notice" data-restarts={restarts.to_string()}>
                <p>{ format!(
                    "{}. A fresh web worker was started; what you were doing can be tried again.",
                    status.reason.clone().unwrap_or_default()
                ) }</p>
                <button type="button" class="secondary" data-testid="worker-notice-close"
                    onclick={move |_| dismissed.set(restarts)}>{"dismiss"}</button>
            </div>
        }
    });
    html! {
        <ContextProvider<Workers> context={(*workers).clone()}>
            { for notice }
            { p.children.clone() }
        </ContextProvider<Workers>>
    }
}

/// The handles of the workers (inside [`CoreWorkerProvider`]).
///
/// # Panics
/// Outside a [`CoreWorkerProvider`]: a programming error, not a visitor's.
#[hook]
pub fn use_workers() -> Workers {
    #[allow(clippy::expect_used)]
    use_context::<Workers>().expect("the workers' hooks need a CoreWorkerProvider above them")
}

/// The core's worker (inside [`CoreWorkerProvider`]).
///
/// # Panics
/// Outside a [`CoreWorkerProvider`]: a programming error, not a visitor's.
#[hook]
pub fn use_core() -> CoreWorker {
    use_workers().core
}

/// The image worker, which decodes uploaded files (inside [`CoreWorkerProvider`]).
///
/// # Panics
/// Outside a [`CoreWorkerProvider`]: a programming error, not a visitor's.
#[hook]
pub fn use_images() -> CoreWorker {
    use_workers().images
}
