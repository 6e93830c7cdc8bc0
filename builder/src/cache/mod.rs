//! Step cache keys and their records on disk.

pub mod key;
pub mod record;

pub use key::{KeyInputs, Parent};
pub use record::{CacheDir, CacheRecord, LayerRecord, RecordError};
