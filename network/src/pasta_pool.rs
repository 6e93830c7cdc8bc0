//! Prepared pasta namespaces for one build's RUN steps. Making one costs
//! tens of milliseconds (pasta's start, and as much again to end it: the
//! kernel unregisters its tap device), more than a short RUN step itself,
//! so a namespace is made on a background thread and handed to step after
//! step: a step that cannot change the namespace (no CAP_NET_ADMIN over
//! it, see ARCHITECTURE.md) gives it back when it ends, and the next step
//! gets the same one. One step at a time: steps of parallel stages get
//! namespaces of their own, so neither sees the other's listeners. A step
//! that could change it (`--security=insecure`) retires it instead; it is
//! torn down in the background and never handed out again.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use crate::error::{Error, Result};
use crate::pasta::{Publish, UserNet};

/// The number of the next namespace this process makes.
static NAMESPACES: AtomicU64 = AtomicU64::new(1);

/// Where pasta starts: see [`UserNet::create`]'s `start_in`.
pub type StartIn = Box<dyn Fn() -> Option<PathBuf> + Send + Sync>;

pub struct UserNetPool {
    shared: Arc<Shared>,
    filler: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    base: PathBuf,
    start_in: StartIn,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Made and not handed out yet, or given back by a step that could
    /// not change it.
    ready: VecDeque<UserNet>,
    /// Handed out, coming back when their step ends.
    leased: usize,
    /// Takers waiting for a namespace.
    waiting: usize,
    /// Given back by a step that may have changed them: to tear down.
    retired: Vec<UserNet>,
    /// Why the last preparation failed; takers get it, nothing more is made.
    failed: Option<Error>,
    closed: bool,
}

impl State {
    /// Whether the filler should make a namespace now: a taker is waiting
    /// for one, or none is on hand or coming back, so the next step would
    /// wait for pasta's start.
    fn wants_one(&self) -> bool {
        self.waiting > self.ready.len() || self.ready.len() + self.leased == 0
    }
}

/// Whether the step a namespace is handed to can change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepCan {
    /// No CAP_NET_ADMIN over the namespace: what it makes there (sockets)
    /// ends with its processes, so the namespace serves the next step.
    OnlyUse,
    /// Addresses, routes, links, netfilter, sysctls: retired after it.
    Change,
}

/// A namespace handed to one step; given back (or retired) when dropped.
pub struct Lease {
    shared: Arc<Shared>,
    net: Option<UserNet>,
    can: StepCan,
}

impl Lease {
    /// The bound namespace file, for the sandbox to join.
    pub fn netns(&self) -> &Path {
        self.net().netns()
    }

    /// The resolv.conf for inside (see [`UserNet::resolv_conf`]).
    pub fn resolv_conf(&self) -> &Path {
        self.net().resolv_conf()
    }

    fn net(&self) -> &UserNet {
        self.net
            .as_ref()
            .expect("a lease holds its namespace until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(net) = self.net.take() else {
            return;
        };
        let mut state = self.shared.lock();
        state.leased -= 1;
        if self.can == StepCan::OnlyUse && !state.closed {
            state.ready.push_front(net);
        } else {
            state.retired.push(net);
        }
        self.shared.changed.notify_all();
    }
}

impl UserNetPool {
    /// Namespaces go in `base/<pid>-<n>/`, n counting across the
    /// process. Nothing is made until the first [`take`](Self::take) (or
    /// [`prepare`](Self::prepare)): a build whose steps all hit the cache
    /// starts no pasta.
    pub fn new(base: PathBuf, start_in: StartIn) -> Self {
        Self {
            shared: Arc::new(Shared {
                base,
                start_in,
                state: Mutex::new(State::default()),
                changed: Condvar::new(),
            }),
            filler: Mutex::new(None),
        }
    }

    /// A namespace no other step holds, waiting for one if none is ready.
    pub fn take(&self, can: StepCan) -> Result<Lease> {
        self.start_filler();
        let mut state = self.shared.lock();
        state.waiting += 1;
        self.shared.changed.notify_all();
        let taken = loop {
            if let Some(net) = state.ready.pop_front() {
                break Ok(net);
            }
            if let Some(why) = &state.failed {
                break Err(match why {
                    Error::PastaMissing(binary) => Error::PastaMissing(binary.clone()),
                    e => Error::Invalid(e.to_string()),
                });
            }
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
        };
        state.waiting -= 1;
        let net = taken?;
        state.leased += 1;
        self.shared.changed.notify_all();
        Ok(Lease {
            shared: Arc::clone(&self.shared),
            net: Some(net),
            can,
        })
    }

    /// Starts making a namespace, if none is on hand, for a step that
    /// will [`take`](Self::take) it once the rest of its sandbox is set up.
    pub fn prepare(&self) {
        self.start_filler();
    }

    fn start_filler(&self) {
        let mut filler = self.filler.lock().unwrap_or_else(|p| p.into_inner());
        if filler.is_none() {
            let shared = Arc::clone(&self.shared);
            *filler = Some(std::thread::spawn(move || shared.fill()));
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes namespaces when [`State::wants_one`], and tears down retired
    /// ones off the steps' path.
    fn fill(&self) {
        loop {
            {
                let mut state = self.lock();
                loop {
                    if !state.retired.is_empty() {
                        let retired = std::mem::take(&mut state.retired);
                        drop(state);
                        drop(retired);
                        state = self.lock();
                        continue;
                    }
                    if state.closed || state.failed.is_some() {
                        return;
                    }
                    if state.wants_one() {
                        break;
                    }
                    state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
                }
            }
            // Numbered across the process: builds for several platforms
            // run side by side, each with a pool of its own.
            let id = NAMESPACES.fetch_add(1, Ordering::Relaxed);
            let dir = self.base.join(format!("{}-{id}", std::process::id()));
            let start_in = (self.start_in)();
            let made = UserNet::create(
                &dir,
                &Publish::default(),
                start_in.as_deref(),
                &crate::PastaNames::default(),
            );
            let mut state = self.lock();
            match made {
                Ok(net) => state.ready.push_back(net),
                Err(e) => state.failed = Some(e),
            }
            self.changed.notify_all();
        }
    }
}

impl Drop for UserNetPool {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_all();
        // Waits for a namespace being made, so none outlives the pool.
        let filler = self.filler.get_mut().unwrap_or_else(|p| p.into_inner());
        if let Some(handle) = filler.take() {
            let _ = handle.join();
        }
        let mut state = self.shared.lock();
        state.ready.clear();
        state.retired.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filler_makes_one_only_when_a_step_would_wait() {
        let mut s = State::default();
        assert!(s.wants_one(), "nothing on hand");
        s.leased = 1;
        assert!(
            !s.wants_one(),
            "the leased one comes back for the next step"
        );
        s.waiting = 1;
        assert!(s.wants_one(), "a parallel step is waiting");
    }
}
