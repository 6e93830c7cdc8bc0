//! Prepared pasta namespaces. Making one costs tens of milliseconds
//! (mostly pasta's start), more than a short RUN step itself, so a
//! background thread keeps a few ready while the previous step runs.
//! Each namespace serves one taker and is torn down when dropped: a step
//! never sees what an earlier one left (listeners, routes, conntrack).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use crate::error::{Error, Result};
use crate::pasta::{Publish, UserNet};

/// Namespaces kept ready once the first one is taken.
const READY: usize = 2;

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
    ready: VecDeque<UserNet>,
    /// Why the last preparation failed; takers get it, nothing more is made.
    failed: Option<String>,
    closed: bool,
    made: u64,
}

impl UserNetPool {
    /// Namespaces go in `base/<pid>-<n>/`. Nothing is made until the
    /// first [`take`](Self::take): a build whose steps all hit the cache
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

    /// A ready namespace, waiting for one if none is.
    pub fn take(&self) -> Result<UserNet> {
        self.start_filler();
        let mut state = self.shared.lock();
        loop {
            if let Some(net) = state.ready.pop_front() {
                self.shared.changed.notify_all();
                return Ok(net);
            }
            if let Some(why) = &state.failed {
                return Err(Error::Tool {
                    tool: "pasta".into(),
                    msg: why.clone(),
                });
            }
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
        }
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

    fn fill(&self) {
        loop {
            let n = {
                let mut state = self.lock();
                while !state.closed && state.failed.is_none() && state.ready.len() >= READY {
                    state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
                }
                if state.closed || state.failed.is_some() {
                    return;
                }
                state.made += 1;
                state.made
            };
            let dir = self.base.join(format!("{}-{n}", std::process::id()));
            let start_in = (self.start_in)();
            let made = UserNet::create(&dir, &Publish::default(), start_in.as_deref());
            let mut state = self.lock();
            match made {
                Ok(net) => state.ready.push_back(net),
                Err(e) => state.failed = Some(e.to_string()),
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
        self.shared.lock().ready.clear();
    }
}
