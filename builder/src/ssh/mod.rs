//! `build --ssh` and `RUN --mount=type=ssh`: what each id forwards (an
//! agent socket, or key files loaded into an agent of the build's own),
//! and the per-step socket a RUN connects to, which relays to that agent.
//! The key files never enter a sandbox: only an agent's socket does.

mod agent;
pub mod forward;
mod spec;

pub use agent::SshAgents;
pub use spec::SshSpec;

#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("--ssh {0:?}: want default, ID, ID=SOCKET or ID=KEYFILE[,KEYFILE]")]
    Malformed(String),
    #[error("--ssh {spec:?}: {message}")]
    Source { spec: String, message: String },
    #[error("--ssh {spec:?}: starting ssh-agent: {message}")]
    Agent { spec: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}
