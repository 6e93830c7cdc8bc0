//! Container networks: named bridge networks recorded under
//! `$ROOT/networks/`, addresses and published ports allocated as files
//! under one lock, and per-container network namespaces wired by
//! netavark. The executor is only handed the namespace's path.

mod atomic;
mod attach;
mod connect;
mod dns_ready;
mod error;
mod etc;
mod ipam;
mod ipv4;
mod lock;
mod netavark;
mod netns;
mod owner;
mod ports;
mod record;
mod routes;

pub use attach::{
    Attached, Attachment, AttachmentRecord, NetRequest, Request, check_ports, reap_stale,
};
pub use connect::{connect, connected, disconnect};
pub use error::{Error, Result};
pub use ipv4::Ipv4Net;
pub use ports::PortMapping;
pub use record::{CreateOptions, DEFAULT_NETWORK, NetworkRecord, Networks};
