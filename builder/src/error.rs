//! Build errors: each names the step and Dockerfile line where there is one.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Parse(#[from] strata_parser::ParseError),
    #[error(transparent)]
    Plan(#[from] strata_parser::PlanError),
    #[error(transparent)]
    Context(#[from] crate::context::ContextError),
    #[error(transparent)]
    Store(#[from] strata_store::StoreError),
    #[error(transparent)]
    Resolve(#[from] crate::tree::ResolveError),
    #[error(transparent)]
    Cache(#[from] crate::cache::RecordError),
    #[error(transparent)]
    RemoteCache(#[from] crate::cache::remote::RemoteError),
    #[error("base image {0} is not in the store (import or pull it first)")]
    BaseNotFound(String),
    #[error("image {name} is not in the store and could not be pulled: {source}")]
    Pull {
        name: String,
        #[source]
        source: Box<strata_store::registry::RegistryError>,
    },
    /// A step failed for a reason other than its command's exit status.
    #[error("step {step} (line {line}: {text}): {message}")]
    Step {
        step: String,
        line: usize,
        text: String,
        message: String,
    },
    #[error("{}", run_failed(.step, .line, .command, .status, .tail))]
    RunFailed {
        step: String,
        line: usize,
        command: String,
        status: String,
        tail: Vec<String>,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
}

fn run_failed(step: &str, line: &usize, command: &str, status: &str, tail: &[String]) -> String {
    let mut msg = format!(
        "step {step} (Dockerfile line {line}) failed: RUN {command}: process ended with {status}"
    );
    if !tail.is_empty() {
        msg.push_str("\nlast output:");
        for l in tail {
            msg.push_str("\n  ");
            msg.push_str(l);
        }
    }
    msg
}

impl BuildError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
