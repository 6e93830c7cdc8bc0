//! The builder: build context, cache keys, the solver over the stage DAG,
//! step execution and image config assembly. Emits events; prints nothing.

#![forbid(unsafe_code)]

pub mod accounts;
pub mod cache;
pub mod cdi_edits;
pub mod config;
pub mod context;
pub mod copy;
pub mod error;
pub mod event;
mod field_hasher;
pub mod git;
pub mod layer_stack;
pub mod layered;
pub mod platforms;
pub mod pull;
pub mod solve;
pub mod ssh;
pub mod stat_cache;
pub mod tree;

pub use error::BuildError;
pub use event::{Event, EventSink, NoEvents};
