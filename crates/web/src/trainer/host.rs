//! The page's side of the training worker: one worker for the whole app (a run goes on
//! while the visitor looks at other pages), started from the checked script
//! ([`crate::worker_script`]) when a page first connects, and [`use_trainer`], the hook a
//! page talks to it with.
//!
//! yew-agent's `ReactorProvider` cannot start a worker from a `blob:` URL made after an
//! asynchronous check, so [`TrainerProvider`] holds the bridge itself (as that provider
//! does: each connected page gets a fork, the worker's one session serves them all).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures::StreamExt;
use futures::sink::SinkExt;
use futures::stream::SplitSink;
use yew::platform::pinned::RwLock;
use yew::platform::spawn_local;
use yew::prelude::*;
use yew_agent::reactor::{ReactorBridge, ReactorSpawner};

use crate::by_ptr::ByPtr;

use super::{TRAINER_PATH, TrainAgent, TrainInput, TrainOutput};

/// What a connected page hears.
#[derive(Debug)]
pub enum TrainerEvent {
    /// An output of the worker's session.
    Output(TrainOutput),
    /// The worker could not be started (why: its files failed their check, say).
    Failed(String),
}

type Bridge = ReactorBridge<TrainAgent>;
type Waiter = Box<dyn FnOnce(Result<Bridge, String>)>;

enum Held {
    Idle,
    Starting(Vec<Waiter>),
    Ready(Bridge),
}

/// The app's one training worker (in [`TrainerProvider`]'s context).
#[derive(Clone, Debug, PartialEq)]
pub struct Trainer(ByPtr<RefCell<Held>>);

impl Trainer {
    /// Calls `f` with a new bridge to the worker, starting it first if need be (or with why
    /// it could not start; the next call tries again).
    fn connect(&self, f: Waiter) {
        let ready = match &mut *self.0.borrow_mut() {
            Held::Ready(bridge) => Some((bridge.fork(), f)),
            Held::Starting(waiting) => {
                waiting.push(f);
                return;
            }
            held @ Held::Idle => {
                *held = Held::Starting(vec![f]);
                None
            }
        };
        if let Some((bridge, f)) = ready {
            f(Ok(bridge));
            return;
        }
        let me = self.clone();
        spawn_local(async move {
            let started = crate::worker_script::checked_url(TRAINER_PATH)
                .await
                .map(|url| {
                    ReactorSpawner::<TrainAgent>::new()
                        .encoding::<crate::wire::Bincode1>()
                        .with_loader(true)
                        .spawn(&url)
                });
            let next = match &started {
                Ok(bridge) => Held::Ready(bridge.fork()),
                Err(_) => Held::Idle,
            };
            let waiting = match std::mem::replace(&mut *me.0.borrow_mut(), next) {
                Held::Starting(waiting) => waiting,
                _ => Vec::new(),
            };
            for f in waiting {
                f(match &started {
                    Ok(bridge) => Ok(bridge.fork()),
                    Err(e) => Err(format!("the training worker could not be started: {e}")),
                });
            }
        });
    }
}

/// Props of [`TrainerProvider`].
#[derive(Debug, Properties, PartialEq)]
pub struct TrainerProviderProps {
    /// The app.
    pub children: Html,
}

/// Holds the training worker for the app below it (started by the first [`use_trainer`]).
#[component]
pub fn TrainerProvider(p: &TrainerProviderProps) -> Html {
    let trainer = use_memo((), |()| Trainer(ByPtr(Rc::new(RefCell::new(Held::Idle)))));
    html! {
        <ContextProvider<Trainer> context={(*trainer).clone()}>
            { p.children.clone() }
        </ContextProvider<Trainer>>
    }
}

type Sink = SplitSink<Bridge, TrainInput>;

enum Link {
    /// Inputs sent before the bridge was there, in order.
    Pending(Vec<TrainInput>),
    Ready(Rc<RwLock<Sink>>),
    Failed,
}

/// A page's connection to the training worker: [`TrainerLink::send`] an input.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainerLink(ByPtr<RefCell<Link>>);

impl TrainerLink {
    /// Sends `input` to the worker's session (kept in order until the worker is there;
    /// dropped if it could not start, which the page was told).
    pub fn send(&self, input: TrainInput) {
        match &mut *self.0.borrow_mut() {
            Link::Pending(inputs) => inputs.push(input),
            Link::Ready(sink) => {
                let sink = sink.clone();
                spawn_local(async move {
                    let _ = sink.write().await.send(input).await;
                });
            }
            Link::Failed => {}
        }
    }
}

/// Connects the component to the app's training worker: `on_event` hears every output (the
/// latest closure given is called) or why the worker could not start.
///
/// # Panics
/// Outside a [`TrainerProvider`]: a programming error, not a visitor's.
#[hook]
pub fn use_trainer<F>(on_event: F) -> TrainerLink
where
    F: Fn(TrainerEvent) + 'static,
{
    #[allow(clippy::expect_used)]
    let trainer = use_context::<Trainer>().expect("use_trainer needs a TrainerProvider above it");
    let on_event: Rc<dyn Fn(TrainerEvent)> = Rc::new(on_event);
    let latest = use_mut_ref(|| on_event.clone());
    *latest.borrow_mut() = on_event;
    let link = use_memo((), |()| {
        TrainerLink(ByPtr(Rc::new(RefCell::new(Link::Pending(Vec::new())))))
    });
    {
        let link = (*link).clone();
        use_effect_with(trainer, move |trainer| {
            // Closed when the component goes: its bridge is dropped at the next output.
            let open = Rc::new(Cell::new(true));
            let still_open = open.clone();
            trainer.connect(Box::new(move |bridge| {
                let bridge = match bridge {
                    Ok(bridge) => bridge,
                    Err(e) => {
                        *link.0.borrow_mut() = Link::Failed;
                        let f = latest.borrow().clone();
                        f(TrainerEvent::Failed(e));
                        return;
                    }
                };
                let (sink, mut outputs) = bridge.split();
                let sink = Rc::new(RwLock::new(sink));
                let pending =
                    match std::mem::replace(&mut *link.0.borrow_mut(), Link::Ready(sink.clone())) {
                        Link::Pending(inputs) => inputs,
                        _ => Vec::new(),
                    };
                spawn_local(async move {
                    let mut sink = sink.write().await;
                    for input in pending {
                        let _ = sink.send(input).await;
                    }
                });
                spawn_local(async move {
                    while let Some(out) = outputs.next().await {
                        if !still_open.get() {
                            break;
                        }
                        let f = latest.borrow().clone();
                        f(TrainerEvent::Output(out));
                    }
                });
            }));
            move || open.set(false)
        });
    }
    (*link).clone()
}
