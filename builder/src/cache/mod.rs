//! The build cache: step keys and their records on disk, per-key build
//! locks, cache mounts, sizes, pruning and the automatic limit, and the
//! explanation of misses.

pub mod explain;
pub mod git_checkouts;
pub mod key;
pub mod key_text;
pub mod limit;
pub mod link;
pub mod lock;
mod meta_file;
pub mod mounts;
pub mod prune;
pub mod prune_plan;
pub mod record;
pub mod remote;
pub mod secret_mac;
pub mod sources;
pub mod usage;
pub mod variant;

pub use key::{KeyInputs, Parent};
pub use limit::CacheLimit;
pub use lock::KeyLock;
pub use prune::{PruneError, PruneOptions, PruneReport, prune};
pub use record::{CacheDir, CacheRecord, LayerRecord, RecordError};
pub use strata_parser::size::{BadSize, ByteSize};
pub use usage::{CacheEntry, EntryKind, Totals};
pub use variant::{layer_variant, parse_variant};
