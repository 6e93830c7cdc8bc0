//! What the builder tells its caller while it works. The CLI renders these
//! (indicatif bars, plain lines, JSON); the builder never prints.

use serde::{Serialize, Serializer};
use strata_store::Digest;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    StageStart {
        stage: usize,
        name: String,
        steps: usize,
    },
    StepStart {
        stage: usize,
        step: usize,
        total: usize,
        line: usize,
        text: String,
    },
    /// A line the step's process wrote (stdout and stderr, interleaved).
    StepOutput {
        stage: usize,
        step: usize,
        line: String,
    },
    StepDone {
        stage: usize,
        step: usize,
        cached: bool,
        duration_ms: u64,
        /// The step's cache key, for steps that have one.
        key: Option<String>,
    },
    /// Why a step missed the cache (`--explain-cache`).
    StepExplain {
        stage: usize,
        step: usize,
        reason: String,
    },
    /// A COPY/ADD from the build context has the digests of its files:
    /// how many there are, how many the stat cache did not know (read and
    /// hashed), and how long that took.
    ContextHashed {
        stage: usize,
        step: usize,
        files: u64,
        bytes: u64,
        hashed_files: u64,
        hashed_bytes: u64,
        duration_ms: u64,
    },
    StageDone {
        stage: usize,
        duration_ms: u64,
    },
    LayerWritten {
        digest: Digest,
        diff_id: Digest,
        size: u64,
        duration_ms: u64,
    },
    ImageWritten {
        manifest: Digest,
        /// `None` for a multi-platform build's index, which has no config.
        #[serde(serialize_with = "empty_if_none")]
        config: Option<Digest>,
        tags: Vec<String>,
    },
    Warning {
        message: String,
    },
    /// A `--cache-from` source was read: how many records it brought.
    CacheImported {
        source: String,
        records: usize,
        /// Cache mount contents it brought (`cache-mounts=true` exports).
        mounts: usize,
    },
    /// A `--cache-from` source could not be read; the build goes on
    /// without it.
    CacheImportFailed {
        message: String,
    },
    /// An image the Dockerfile names was fetched from its registry.
    ImagePulled {
        name: String,
        manifest: String,
        duration_ms: u64,
    },
}

/// Receives events; called from several threads at once.
pub trait EventSink: Sync {
    fn emit(&self, event: Event);
}

impl<F: Fn(Event) + Sync> EventSink for F {
    fn emit(&self, event: Event) {
        self(event)
    }
}

/// Discards every event.
pub struct NoEvents;

impl EventSink for NoEvents {
    fn emit(&self, _event: Event) {}
}

/// An index's missing config is written as `""`, the form the JSON events
/// have always had.
fn empty_if_none<S: Serializer>(d: &Option<Digest>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => d.serialize(s),
        None => s.serialize_str(""),
    }
}
