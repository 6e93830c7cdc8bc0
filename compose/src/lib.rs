//! The Compose model: compose files found, loaded with positions, interpolated,
//! merged, validated against the Compose Specification's schema and
//! normalized into typed structs (what `strata compose config` prints).

pub mod dotenv;
pub mod node;
pub mod template;
pub mod yaml;
