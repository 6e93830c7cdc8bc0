//! The Compose model: compose files found, loaded with positions, interpolated,
//! merged, validated against the Compose Specification's schema and
//! normalized into typed structs (what `strata compose config` prints).

pub mod discover;
pub mod dotenv;
pub mod duration;
pub mod error;
pub mod extends;
pub mod hash;
pub mod include;
pub mod interpolate;
pub mod load;
pub mod merge;
pub mod merge_tags;
pub mod model;
pub mod node;
pub mod normalize;
pub mod order;
pub mod path;
pub mod ports;
pub mod profiles;
pub mod pull_policy;
pub mod render;
pub mod schema;
pub mod shapes;
pub mod shellwords;
pub mod template;
pub mod variables;
pub mod volume_spec;
pub mod yaml;
