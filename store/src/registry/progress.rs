//! What a pull or push reports while it runs, for a progress display.

use crate::digest::Digest;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransferEvent {
    /// A blob transfer begins; `size` from its descriptor.
    Started { digest: Digest, size: u64 },
    /// `done` bytes of the blob have moved so far.
    Bytes { digest: Digest, done: u64 },
    Finished {
        digest: Digest,
        outcome: BlobOutcome,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobOutcome {
    /// The other side had it already: nothing moved.
    Skipped,
    /// Mounted from another repository of the registry: nothing moved.
    Mounted,
    Transferred,
}

/// Receives events from several worker threads at once.
pub type Progress<'a> = &'a (dyn Fn(TransferEvent) + Sync);

/// For callers that do not show progress.
pub fn silent(_: TransferEvent) {}
