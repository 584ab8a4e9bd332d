//! The trainer's helper threads, alive as long as the trainer: each runs its share of a
//! training batch (forward, loss, backward) or of an inference batch (forward).
//!
//! A thread spawned for each batch (as `std::thread::scope` does) starts with empty
//! thread-local state, and faer's matrix products keep their packing buffers there: every
//! step re-allocated them and took about 50 page faults per helper thread (`perf stat` on
//! LeNet-5 at batch 64: 132,912 page faults in 6 s on two threads against 2,524 on one).
//! A helper here runs batch after batch on the same thread. It cannot borrow the caller's
//! network across calls, so each helper keeps its own copy, brought up to date before every
//! batch ([`Network::copy_state_from`]: parameters and buffers copied in place, no
//! allocation), and its [`Share`] travels to it and back by value.
//!
//! Each side waits for the other by polling its channel for a while before it sleeps
//! ([`wait_for`]): waking a sleeping thread is slow on the virtual machines measured. In a
//! LeNet-5 step at batch 64 split over two (2.3 ms), handing the job over and waiting for
//! its result took about 100 µs with sleeping threads, about 55 µs with polling.
//! `convscope bench`'s training on an Intel Xeon (Emerald Rapids, 2 vCPUs), eight
//! alternated runs each: 26,000 → 27,190 images/s on two threads (medians), two threads
//! over one 1.84× → 1.91×.
//!
//! A helper that panicked is dropped and its share replaced by an empty one (its buffers
//! grow again on the next batch); the batch answers [`NnError::Thread`].

use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Network;
use super::train::{BatchStats, Pass, Share};
use crate::nn::error::NnError;

impl Pass {
    /// The operation a failed thread's error names.
    fn op(self) -> &'static str {
        match self {
            Pass::Train => "Trainer::forward_backward",
            Pass::Infer => "Trainer::infer",
        }
    }
}

/// What travels to a helper and back (boxed): its share, its copy of the network, the pass
/// to run, and (on the way back) the share's result.
struct Job {
    share: Share,
    net: Network,
    pass: Pass,
    result: Option<Result<BatchStats, NnError>>,
}

/// How long a thread polls its channel before it sleeps: longer than the caller's work
/// between two batches (averaging the gradients, the optimiser's step, loading the next
/// batch), short enough that an idle trainer's threads soon sleep.
const POLL: Duration = Duration::from_millis(1);

/// The next message on `rx`, polled for [`POLL`] (yielding the core in between, should
/// another thread need it) and then waited for asleep; `None` once the sender is gone.
fn wait_for<T>(rx: &Receiver<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        match rx.try_recv() {
            Ok(v) => return Some(v),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) if start.elapsed() < POLL => std::thread::yield_now(),
            Err(TryRecvError::Empty) => return rx.recv().ok(),
        }
    }
}

/// One helper thread and its two channels.
struct Helper {
    jobs: Option<Sender<Box<Job>>>,
    done: Receiver<Box<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Helper {
    fn spawn(index: usize, pass: Pass) -> Result<Self, NnError> {
        let (jobs, inbox) = channel::<Box<Job>>();
        let (outbox, done) = channel::<Box<Job>>();
        let thread = std::thread::Builder::new()
            .name(format!("convscope-train-{}", index + 1))
            .spawn(move || {
                while let Some(mut job) = wait_for(&inbox) {
                    job.result = Some(job.share.run(&job.net, job.pass));
                    if outbox.send(job).is_err() {
                        break;
                    }
                }
            })
            .map_err(|_| NnError::Thread { op: pass.op() })?;
        Ok(Self {
            jobs: Some(jobs),
            done,
            thread: Some(thread),
        })
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        // Closing the job channel ends the thread's loop.
        drop(self.jobs.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The helper threads of one trainer and their copies of the network. Cloning gives none
/// (threads start again on the next batch).
#[derive(Default)]
pub(super) struct Threads {
    helpers: Vec<Option<Helper>>,
    nets: Vec<Option<Network>>,
    /// Threads started so far (once per helper unless one failed).
    pub(super) started: usize,
}

impl Clone for Threads {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for Threads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Threads")
            .field("threads", &self.helpers.iter().flatten().count())
            .field("started", &self.started)
            .finish()
    }
}

impl Threads {
    /// Runs `pass` on `main` on this thread and on `shares[i]` on helper `i`, all against
    /// `net`; returns the main result first, then the shares' in order. Every share is back
    /// in `shares` when this returns (an empty one where its helper failed).
    pub(super) fn run(
        &mut self,
        net: &Network,
        pass: Pass,
        main: &mut Share,
        shares: &mut [Share],
    ) -> Vec<Result<BatchStats, NnError>> {
        let n = shares.len();
        if self.helpers.len() < n {
            self.helpers.resize_with(n, || None);
            self.nets.resize_with(n, || None);
        }
        // Send every share first, then compute the main one here.
        let mut sent = Vec::with_capacity(n);
        for (i, share) in shares.iter_mut().enumerate() {
            sent.push(self.send(i, net, pass, std::mem::take(share)));
        }
        let mut results = vec![main.run(net, pass)];
        for (i, (share, sent)) in shares.iter_mut().zip(sent).enumerate() {
            let result = match sent {
                Ok(()) => self.receive(i, pass, share),
                Err(e) => Err(e),
            };
            results.push(result);
        }
        results
    }

    /// Hands `share` to helper `i` (started if it is not running) with its network copy
    /// brought up to date, to run `pass`.
    fn send(&mut self, i: usize, net: &Network, pass: Pass, share: Share) -> Result<(), NnError> {
        let copy = match self.nets[i].take() {
            Some(mut copy) => {
                copy.copy_state_from(net);
                copy
            }
            None => net.clone(),
        };
        if self.helpers[i].is_none() {
            match Helper::spawn(i, pass) {
                Ok(h) => {
                    self.helpers[i] = Some(h);
                    self.started += 1;
                }
                Err(e) => {
                    self.nets[i] = Some(copy);
                    return Err(e);
                }
            }
        }
        let job = Box::new(Job {
            share,
            net: copy,
            pass,
            result: None,
        });
        let sent = self.helpers[i]
            .as_ref()
            .and_then(|h| h.jobs.as_ref())
            .map(|jobs| jobs.send(job));
        match sent {
            Some(Ok(())) => Ok(()),
            _ => {
                self.helpers[i] = None;
                Err(NnError::Thread { op: pass.op() })
            }
        }
    }

    /// Waits for helper `i`'s job of `pass` and puts its share back into `share`.
    fn receive(&mut self, i: usize, pass: Pass, share: &mut Share) -> Result<BatchStats, NnError> {
        let back = self.helpers[i].as_ref().and_then(|h| wait_for(&h.done));
        match back {
            Some(job) => {
                let job = *job;
                *share = job.share;
                self.nets[i] = Some(job.net);
                job.result.unwrap_or(Err(NnError::Thread { op: pass.op() }))
            }
            // The thread panicked: its share and copy are gone with it.
            _ => {
                self.helpers[i] = None;
                Err(NnError::Thread { op: pass.op() })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A message that comes while the receiver polls, one that comes after it has gone to
    /// sleep, and a sender dropped while it sleeps.
    #[test]
    fn wait_for_polls_then_sleeps_and_ends_when_the_sender_is_gone() {
        let (tx, rx) = channel();
        let sender = std::thread::spawn(move || {
            tx.send(1).unwrap();
            std::thread::sleep(POLL * 5);
            tx.send(2).unwrap();
            std::thread::sleep(POLL * 5);
        });
        assert_eq!(wait_for(&rx), Some(1));
        let asleep = Instant::now();
        assert_eq!(wait_for(&rx), Some(2));
        assert!(asleep.elapsed() > POLL, "{:?}", asleep.elapsed());
        assert_eq!(wait_for(&rx), None);
        sender.join().unwrap();
    }
}
