//! Build errors: each names the step and Dockerfile line where there is one
//! ([`BuildError::place`] gives line and column, so the CLI can show the
//! line with a caret under it, as `strata check` does).

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
    /// A `--cache-to` that could not be written (the image was).
    #[error("--cache-to: {0}")]
    CacheTo(Box<crate::cache::remote::RemoteError>),
    /// An image the Dockerfile names is not in the store and may not be
    /// pulled (`--pull=never`); the message says all there is to say.
    #[error(transparent)]
    NotInStore(Box<strata_store::registry::RegistryError>),
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
        column: usize,
        text: String,
        message: String,
    },
    #[error("{}", run_failed(.step, .line, .command, .status, .tail))]
    RunFailed {
        step: String,
        line: usize,
        column: usize,
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
    /// An error from inside a step, or from a stage's FROM, that does not
    /// name its place itself (a store or cache error, a failed pull).
    #[error("{what}: {source}")]
    At {
        what: String,
        line: usize,
        column: usize,
        #[source]
        source: Box<BuildError>,
    },
    /// An ONBUILD trigger of the base image that does not parse: it is
    /// placed at the FROM that brought it, its own text being no line of
    /// this Dockerfile.
    #[error("ONBUILD trigger {trigger:?} of the base image: {source}")]
    Trigger {
        line: usize,
        trigger: String,
        #[source]
        source: strata_parser::ParseError,
    },
    /// A flag's value that is malformed (`-t "Bad Name"`): the command
    /// line is wrong, not the build.
    #[error("{0}")]
    Flag(String),
    /// Where the build would write (`--output`, `--iidfile`) cannot be
    /// written.
    #[error("{0}")]
    Destination(String),
    #[error("base image {name}: unreadable config: {source}")]
    BaseConfig {
        name: String,
        #[source]
        source: serde_json::Error,
    },
    /// One platform's build of a multi-platform build failed: its error,
    /// place included, under the platform's name.
    #[error("building for {platform}: {source}")]
    ForPlatform {
        platform: String,
        #[source]
        source: Box<BuildError>,
    },
    /// A `--build-context` that cannot be opened or imported.
    #[error("--build-context {name}: {message}")]
    NamedContext { name: String, message: String },
    /// The builder broke one of its own rules (a stage used before it
    /// was built): a bug, never the input's fault.
    #[error("internal error: {0}")]
    Invariant(String),
}

fn run_failed(step: &str, line: &usize, command: &str, status: &str, tail: &[String]) -> String {
    let mut msg =
        format!("step {step} (line {line}) failed: RUN {command}: process ended with {status}");
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
    /// The Dockerfile line and column the error is about, if any.
    pub fn place(&self) -> Option<(usize, usize)> {
        let (line, column) = match self {
            Self::Parse(e) => (e.line, e.column),
            Self::Plan(e) => (e.line, e.column),
            Self::Step { line, column, .. }
            | Self::RunFailed { line, column, .. }
            | Self::At { line, column, .. } => (*line, *column),
            Self::Trigger { line, .. } => (*line, 1),
            Self::ForPlatform { source, .. } => return source.place(),
            _ => return None,
        };
        // Line 0: about the whole file (a --target no stage has).
        (line > 0).then_some((line, column.max(1)))
    }

    /// The message without the line and column [`place`](Self::place)
    /// gives, for a renderer that shows them itself.
    pub fn message(&self) -> String {
        match self {
            Self::Parse(e) => e.message.clone(),
            Self::Plan(e) => e.message.clone(),
            Self::ForPlatform { platform, source } => {
                format!("building for {platform}: {}", source.message())
            }
            other => other.to_string(),
        }
    }

    /// Whether the command line is at fault rather than the build.
    pub fn is_usage(&self) -> bool {
        match self {
            Self::ForPlatform { source, .. } => source.is_usage(),
            other => matches!(other, Self::Flag(_)),
        }
    }

    /// `self` placed at a step or FROM line, unless it names its place.
    pub(crate) fn at(self, what: impl FnOnce() -> String, line: usize, column: usize) -> Self {
        if self.place().is_some() {
            return self;
        }
        Self::At {
            what: what(),
            line,
            column,
            source: Box::new(self),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
