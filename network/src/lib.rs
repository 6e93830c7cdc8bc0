//! Container networks: named bridge networks recorded under
//! `$ROOT/networks/`, addresses and published ports allocated as files
//! under one lock, and per-container network namespaces wired by strata
//! itself (networks without DNS: `native`) or by netavark; or a namespace of its own whose way out is pasta, for build
//! steps and containers (a monitored one's is an attachment too). The executor is only handed the
//! namespace's path.

mod atomic;
mod attach;
mod connect;
mod dns_ready;
mod error;
mod etc;
mod fsck;
mod ipam;
mod ipv4;
mod lock;
mod native;
mod netavark;
mod netns;
mod owner;
mod pasta;
mod pasta_attach;
mod pasta_names;
mod pasta_pool;
mod ports;
mod record;
mod resolv;
mod routes;

pub use attach::{
    Attached, Attachment, AttachmentRecord, NetRequest, Request, Wiring, check_ports, reap_stale,
};
pub use connect::{connect, connected, disconnect};
pub use error::{Error, Result};
pub use fsck::fsck;
pub use ipv4::Ipv4Net;
pub use pasta::{DNS_FORWARD, Publish, UserNet};
pub use pasta_names::PastaNames;
pub use pasta_pool::{Lease, StepCan, UserNetPool};
pub use ports::PortMapping;
pub use record::{CreateOptions, DEFAULT_NETWORK, NetworkRecord, Networks};
