//! A service's `build` section as a `strata build`: the section becomes
//! build's flags, parsed by its own grammar (as service_args.rs does for
//! run's), and the image is named as docker compose names it: the
//! service's `image`, else PROJECT-SERVICE. The services' builds run
//! concurrently (build_jobs.rs); steps they share meet in the store's
//! per-step build locks, so such a step runs once.

use std::path::Path;

use clap::Parser;
use miette::{Result, miette};
use serde_json::Value;
use strata_compose::model::{Build, Project, Service};
use strata_store::Store;

use crate::cli::{BuildArgs, ProgressMode, PullPolicy};

#[derive(Parser)]
#[command(name = "build", no_binary_name = true)]
struct BuildLine {
    #[command(flatten)]
    build: BuildArgs,
}

/// One service's build, ready to run.
pub struct Job {
    pub service: String,
    pub args: BuildArgs,
    /// `dockerfile_inline`'s text, built instead of a file.
    pub inline: Option<String>,
}

/// How the builds run and show: `compose --progress`, `build -q`,
/// `build --pull`, `build --no-cache`.
#[derive(Clone, Copy)]
pub struct Flags {
    /// Plain lines unless asked (several builds interleave; a terminal's
    /// bars would fight over it); each line names its service.
    pub progress: ProgressMode,
    pub pull: bool,
    pub no_cache: bool,
}

impl Default for Flags {
    fn default() -> Self {
        Flags {
            progress: ProgressMode::Plain,
            pull: false,
            no_cache: false,
        }
    }
}

/// When `up` builds a service's image.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// `compose build`, `up --build`: every time.
    Always,
    /// `up`: when the image is missing, or `pull_policy: build` asks for
    /// a build on every `up`.
    Needed,
}

/// The image a service's containers run: its `image`, else (with a
/// `build`) the name its build gets.
pub fn image_name(project: &Project, name: &str, service: &Service) -> Option<String> {
    service.image.clone().or_else(|| {
        service
            .build
            .as_ref()
            .map(|_| format!("{}-{name}", project.name))
    })
}

/// The build the service needs now, if any.
pub fn job(
    store: &Store,
    project: &Project,
    name: &str,
    service: &Service,
    when: When,
    flags: &Flags,
) -> Result<Option<Job>> {
    let (Some(build), Some(image)) = (&service.build, image_name(project, name, service)) else {
        return Ok(None);
    };
    let policy = service.pull_policy.as_deref().unwrap_or("missing");
    if when == When::Needed && policy != "build" {
        let present = store
            .resolve_str(&image)
            .map_err(crate::commands::store_open::report)?
            .is_some();
        if present {
            return Ok(None);
        }
    }
    let argv = argv(project, name, build, &image, policy)?;
    let mut args = BuildLine::try_parse_from(&argv)
        .map_err(|e| miette!("service {name}: build: {}", e.render()))?
        .build;
    args.progress = flags.progress;
    args.no_cache |= flags.no_cache;
    if flags.pull {
        args.pull = PullPolicy::Always;
    }
    Ok(Some(Job {
        service: name.to_owned(),
        args,
        inline: build.dockerfile_inline.clone(),
    }))
}

/// `strata build`'s arguments for the section.
fn argv(
    project: &Project,
    name: &str,
    build: &Build,
    image: &str,
    policy: &str,
) -> Result<Vec<String>> {
    let context = Path::new(&build.context);
    let mut argv: Vec<String> = Vec::new();
    let mut flag = |f: &str, v: String| {
        argv.push(f.to_owned());
        argv.push(v);
    };
    flag("--tag", image.to_owned());
    for t in build.tags.iter().flatten() {
        flag("--tag", t.clone());
    }
    if build.dockerfile_inline.is_none()
        && let Some(file) = &build.dockerfile
    {
        flag("--file", context.join(file).display().to_string());
    }
    for (k, v) in &build.args {
        match v {
            Some(v) => flag("--build-arg", format!("{k}={v}")),
            None => flag("--build-arg", k.clone()),
        }
    }
    if let Some(t) = &build.target {
        flag("--target", t.clone());
    }
    for (k, v) in &build.labels {
        flag("--label", format!("{k}={}", v.as_deref().unwrap_or("")));
    }
    for c in build.cache_from.iter().flatten() {
        flag("--cache-from", cache_ref(c));
    }
    for c in build.cache_to.iter().flatten() {
        flag("--cache-to", cache_ref(c));
    }
    // `build.pull: true` (and `pull_policy: always`) refresh the images
    // the Dockerfile names, as `docker compose build --pull` does.
    if build.other.get("pull").and_then(Value::as_bool) == Some(true) || policy == "always" {
        flag("--pull", "always".to_owned());
    }
    for (id, src) in secrets(project, name, build)? {
        flag("--secret", format!("id={id},src={src}"));
    }
    match build.network.as_deref() {
        None => {}
        Some(n @ ("host" | "none" | "bridge")) => flag("--network", n.to_owned()),
        Some("default") => flag("--network", "bridge".to_owned()),
        Some(other) => {
            return Err(miette!(
                "service {name}: build.network {other:?} is not supported (host, none, default)"
            ));
        }
    }
    argv.push("--".into());
    argv.push(build.context.clone());
    Ok(argv)
}

/// A cache source or destination as compose writes it: `type=...`, or a
/// bare image reference (a registry cache, as buildx reads it).
fn cache_ref(c: &str) -> String {
    if c.contains("type=") {
        c.to_owned()
    } else {
        format!("type=registry,ref={c}")
    }
}

/// The section's `secrets` (names of top-level file secrets, short or
/// long syntax) as (id, file): the id is the `target`, else the name.
fn secrets(project: &Project, name: &str, build: &Build) -> Result<Vec<(String, String)>> {
    let Some(list) = build.other.get("secrets").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in list {
        let (source, target) = match entry {
            Value::String(s) => (s.as_str(), None),
            Value::Object(o) => (
                o.get("source").and_then(Value::as_str).unwrap_or_default(),
                o.get("target").and_then(Value::as_str),
            ),
            _ => return Err(miette!("service {name}: build.secrets: bad entry {entry}")),
        };
        let secret = project
            .secrets
            .get(source)
            .ok_or_else(|| miette!("service {name}: build.secrets: undefined secret {source}"))?;
        let file = secret.file.as_ref().ok_or_else(|| {
            miette!("service {name}: build secret {source}: only file-based secrets are supported")
        })?;
        out.push((target.unwrap_or(source).to_owned(), file.clone()));
    }
    Ok(out)
}

/// Runs one job; its image is named when it returns Ok.
pub fn run(store: &Store, job: &Job) -> Result<()> {
    let name = &job.service;
    let say = job.args.progress != ProgressMode::Quiet;
    if say {
        eprintln!(" Service {name}  Building");
    }
    let inline = job.inline.as_deref();
    match crate::commands::build::run_for_service(store, &job.args, inline, name)? {
        0 => {
            if say {
                eprintln!(" Service {name}  Built");
            }
            Ok(())
        }
        code => Err(miette!("service {name}: build failed ({code})")),
    }
}
