//! `strata build`: flags to [`BuildOptions`], events to the chosen
//! progress renderer, the image id to `--iidfile` (and stdout with -q);
//! a failure as [`build_failure`] shows it.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use miette::{IntoDiagnostic, Result, miette};
use strata_builder::cache::CacheLimit;
use strata_builder::solve::{BuildNetwork, BuildOptions, Network, Output, build};
use strata_store::{Platform, Store};

use super::build_cache_flags;
use super::build_failure::Failure;
use super::dockerfile_input::DockerfileInput;
use crate::cli::{BuildArgs, NetworkMode, ProgressMode};
use crate::progress::Renderer;

pub fn run(store: &Store, args: &BuildArgs, quiet: bool) -> Result<i32> {
    run_dockerfile(store, args, None, quiet)
}

/// As `run`, with the Dockerfile's text given (compose's
/// `dockerfile_inline`) instead of read from `--file` or the context.
pub fn run_dockerfile(
    store: &Store,
    args: &BuildArgs,
    inline: Option<&str>,
    quiet: bool,
) -> Result<i32> {
    match build_image(store, args, inline, quiet, None) {
        Ok(code) => Ok(code),
        Err(failure) => failure.report(),
    }
}

/// A compose service's build: its progress lines (or JSON objects) carry
/// the service's name, and nothing goes to stdout (no image id).
pub fn run_for_service(
    store: &Store,
    args: &BuildArgs,
    inline: Option<&str>,
    service: &str,
) -> Result<i32> {
    match build_image(store, args, inline, false, Some(service)) {
        Ok(code) => Ok(code),
        Err(failure) => failure.report(),
    }
}

/// The exit code of a build that did what it was asked (`--check` exits 1
/// when a rule fires).
fn build_image(
    store: &Store,
    args: &BuildArgs,
    inline: Option<&str>,
    quiet: bool,
    service: Option<&str>,
) -> Result<i32, Failure> {
    // One cgroup move for the whole build, made while the Dockerfile and
    // the context are read, instead of one per RUN step. Should it fail,
    // each step's sandbox is moved on its own.
    strata_executor::join_device_policy_in_background();
    // `build -`: kept until the build ends.
    let stdin_context = match super::stdin_context::is_stdin(&args.context) {
        true if args.file.as_deref() == Some(Path::new("-")) => {
            return Err(Failure::Usage(
                "-f - and the context -: stdin holds one of them, not both".into(),
            ));
        }
        true => Some(super::stdin_context::unpack(store)?),
        false => None,
    };
    // Agents of the build's own stop when this frame ends; a git context
    // over ssh already needs `--ssh default`.
    let ssh_agents = super::build_ssh::agents(store, &args.ssh)?;
    let remote = match stdin_context {
        Some(_) => None,
        None => super::remote_context::fetch(store, &args.context, &ssh_agents)?,
    };
    let context = match (&stdin_context, &remote) {
        (Some(dir), _) => dir.as_ref().join("context"),
        (None, Some(r)) => r.path().to_path_buf(),
        (None, None) => args.context.clone(),
    };
    // A tar context holds its Dockerfile: -f names a file inside it.
    let inside = match (&stdin_context, &args.file) {
        (Some(_), Some(f)) => Some(f.clone()),
        (Some(_), None) | (None, None) => Some(PathBuf::from("Dockerfile")),
        (None, Some(_)) => None,
    };
    let dockerfile_path = match &inside {
        Some(f) => context.join(f),
        None => args
            .file
            .clone()
            .unwrap_or_else(|| context.join("Dockerfile")),
    };
    let dockerfile = if let Some(text) = inline {
        text.to_owned()
    } else if let Some(text) = super::remote_context::dockerfile(remote.as_ref(), args)? {
        text
    } else if dockerfile_path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).into_diagnostic()?
    } else if let Some(f) = &inside {
        // The context's own Dockerfile: it may not lead out of the context.
        super::dockerfile_input::read_in(&context, f)?
    } else {
        std::fs::read_to_string(&dockerfile_path)
            .map_err(|e| miette!("reading {}: {e}", dockerfile_path.display()))?
    };
    if args.check {
        return super::build_check::run(&dockerfile_path, dockerfile, &context);
    }
    let cache_limit = CacheLimit::resolve(
        store,
        args.cache_limit,
        std::env::var(strata_builder::cache::limit::ENV)
            .ok()
            .as_deref(),
    )
    .map_err(|e| miette!("cache limit: {e}"))?;
    if let Some(file) = &args.iidfile {
        strata_builder::solve::check_file_dest(file, "--iidfile").map_err(|e| miette!("{e}"))?;
    }
    if let Some(file) = &args.metadata_file {
        strata_builder::solve::check_file_dest(file, "--metadata-file")
            .map_err(|e| miette!("{e}"))?;
    }
    if args.platform.len() <= 1
        && let Some(a) = strata_builder::solve::annotation::needing_index(&args.annotations)
    {
        return Err(Failure::Usage(format!(
            "--annotation {}:{}={}: a build for one platform makes no image index to annotate \
             (as buildx: index annotations need several --platform)",
            a.kind, a.key, a.value
        )));
    }
    let built = match args.platform.is_empty() {
        true => vec![Platform::host()],
        false => args.platform.clone(),
    };
    if let Some(a) =
        strata_builder::solve::annotation::for_unbuilt_platform(&args.annotations, &built)
        && let Some(p) = &a.platform
    {
        return Err(Failure::Usage(format!(
            "--annotation {}[{p}]:{}={}: the build makes no {p} image (it builds {}; \
             as buildx, an annotation for a platform not built fails the build)",
            a.kind,
            a.key,
            a.value,
            built
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let compression = args
        .compression
        .parse()
        .map_err(|e| Failure::Usage(format!("--compression {}: {e}", args.compression)))?;
    let outputs = args
        .outputs
        .iter()
        .map(|o| {
            o.parse::<Output>()
                .map_err(|e| Failure::Usage(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let (secret_specs, keyed_secrets) = super::secret_cache::split(&args.secrets)?;
    // Secrets from the environment sit in files of the store's tmp until
    // the build ends (dropped with this frame).
    let (secrets, _env_secrets) = secrets(store, &secret_specs)?;
    // Torn down when the build ends (dropped with this frame).
    let build_net = match args.network {
        NetworkMode::Bridge => Some(super::run_network::for_build(store)?),
        _ => None,
    };
    let opts = BuildOptions {
        dockerfile,
        dockerfile_path,
        context,
        dockerignore: remote.is_none(),
        tags: args.tags.clone(),
        build_args: build_args(&args.build_args),
        target: args.target.clone(),
        no_cache: args.no_cache,
        network: match (args.network, &build_net) {
            (NetworkMode::Sandbox, _) => BuildNetwork::Sandbox,
            (NetworkMode::Host, _) => BuildNetwork::Fixed(Network::Host),
            (NetworkMode::None, _) => BuildNetwork::Fixed(Network::None),
            (NetworkMode::Bridge, Some(att)) => {
                BuildNetwork::Fixed(Network::Namespace(att.netns().to_path_buf()))
            }
            (NetworkMode::Bridge, None) => BuildNetwork::Sandbox,
        },
        // `--network host` asks for the host's network for every step, so
        // a step asking for it too needs no more (as buildx grants it).
        allow_network_host: args.network == NetworkMode::Host
            || args.allow.contains(&crate::cli::Entitlement::NetworkHost),
        allow_insecure: args
            .allow
            .contains(&crate::cli::Entitlement::SecurityInsecure),
        device_grants: crate::cli::device_grants(&args.allow),
        cdi_spec_dirs: if args.cdi_spec_dirs.is_empty() {
            strata_cdi::default_spec_dirs()
        } else {
            args.cdi_spec_dirs.clone()
        },
        compression,
        source_date_epoch: args.source_date_epoch,
        secrets,
        keyed_secrets,
        ssh: ssh_agents.sockets(),
        add_hosts: super::build_run_settings::add_hosts(&args.add_hosts)?,
        ulimits: args.ulimits.clone(),
        shm_size: super::build_run_settings::shm_size(args.shm_size.as_deref())?,
        explain_cache: args.explain_cache,
        outputs,
        cache_limit: cache_limit.bytes(),
        platform: args
            .platform
            .first()
            .cloned()
            .unwrap_or_else(Platform::host),
        pull: build_cache_flags::pull_settings(args),
        cache_from: args.cache_from.clone(),
        cache_to: args.cache_to.clone(),
        source_modes: args.source_modes,
        cache_args: args.cache_args,
        labels: args.labels.iter().cloned().collect(),
        annotations: args.annotations.clone(),
        named_contexts: args
            .build_contexts
            .iter()
            .map(|a| (a.name.clone(), a.context.clone()))
            .collect(),
    };
    let mode = match (quiet, args.progress) {
        (true, _) => ProgressMode::Quiet,
        (false, ProgressMode::Auto) if std::io::stderr().is_terminal() => ProgressMode::Tty,
        (false, ProgressMode::Auto) => ProgressMode::Plain,
        (false, m) => m,
    };
    let renderer = match service {
        Some(svc) => Renderer::for_service(mode, svc),
        None => Renderer::new(mode),
    };
    if args.platform.len() > 1 {
        if !args.cache_to.is_empty() {
            return Err(Failure::Usage(
                "--cache-to takes one platform's build; not yet with several --platform".into(),
            ));
        }
        let result = strata_builder::platforms::build_platforms(
            store,
            &opts,
            &args.platform,
            args.jobs,
            &|e| renderer.event(e),
        );
        renderer.finish();
        let result = result.map_err(|error| failure(&opts, error))?;
        if let Some(file) = &args.iidfile {
            std::fs::write(file, result.index_digest.to_string())
                .map_err(|e| miette!("writing {}: {e}", file.display()))?;
        }
        if mode == ProgressMode::Quiet && service.is_none() {
            println!("{}", result.index_digest);
        }
        if let Some(file) = &args.metadata_file {
            let (run, cached) = result.builds.iter().fold((0, 0), |(r, c), (_, b)| {
                (r + b.steps_run, c + b.steps_cached)
            });
            let descriptor = super::metadata_file::descriptor(
                store,
                &result.index_digest,
                &strata_builder::solve::annotation::for_index_descriptor(&args.annotations),
                None,
            )?;
            super::metadata_file::write(
                file,
                &super::metadata_file::Made {
                    digest: &result.index_digest,
                    config_digest: None,
                    tags: &args.tags,
                    descriptor,
                    steps_run: run,
                    steps_cached: cached,
                },
            )?;
        }
        return Ok(0);
    }
    let result = build(store, &opts, &|e| renderer.event(e));
    renderer.finish();
    let result = result.map_err(|error| failure(&opts, error))?;
    if !quiet {
        for done in &result.cache_exports {
            let mounts = match done.mounts {
                0 => String::new(),
                n => format!(" and {n} cache mounts"),
            };
            eprintln!(
                "cache: {} records{mounts} to {} ({})",
                done.records, done.place, done.manifest_digest
            );
        }
    }
    if let Some(file) = &args.iidfile {
        std::fs::write(file, result.manifest_digest.to_string())
            .map_err(|e| miette!("writing {}: {e}", file.display()))?;
    }
    if mode == ProgressMode::Quiet && service.is_none() {
        println!("{}", result.manifest_digest);
    }
    if let Some(file) = &args.metadata_file {
        let descriptor = super::metadata_file::descriptor(
            store,
            &result.manifest_digest,
            &strata_builder::solve::annotation::for_manifest_descriptor(
                &args.annotations,
                &opts.platform,
            ),
            Some(&opts.platform),
        )?;
        super::metadata_file::write(
            file,
            &super::metadata_file::Made {
                digest: &result.manifest_digest,
                config_digest: Some(&result.config_digest),
                tags: &args.tags,
                descriptor,
                steps_run: result.steps_run,
                steps_cached: result.steps_cached,
            },
        )?;
    }
    Ok(0)
}

/// `K=V`, or `K` alone to take the value from this process's environment
/// (skipped when unset, as docker does).
fn build_args(raw: &[String]) -> BTreeMap<String, String> {
    raw.iter()
        .filter_map(|a| match a.split_once('=') {
            Some((k, v)) => Some((k.to_string(), v.to_string())),
            None => std::env::var(a).ok().map(|v| (a.clone(), v)),
        })
        .collect()
}

/// `--secret id=ID,src=PATH`s: a malformed one is a usage error, a source
/// that cannot be read a failure.
type Secrets = (
    BTreeMap<String, PathBuf>,
    super::build_secret_env::EnvSecrets,
);

fn secrets(store: &Store, raw: &[String]) -> Result<Secrets, Failure> {
    let mut out = BTreeMap::new();
    let mut from_env = super::build_secret_env::EnvSecrets::default();
    for s in raw {
        let mut id = None;
        let mut src = None;
        let mut env = None;
        for field in s.split(',') {
            match field.split_once('=') {
                Some(("id", v)) => id = Some(v.to_string()),
                Some(("src" | "source", v)) => src = Some(PathBuf::from(v)),
                Some(("env", v)) => env = Some(v.to_string()),
                Some(("type", "file" | "env")) => {}
                _ => {
                    return Err(Failure::Usage(format!(
                        "--secret {s:?}: want id=ID,src=PATH"
                    )));
                }
            }
        }
        let (id, src) = match (id, src, env) {
            (Some(id), None, env) => {
                let file = from_env.take(store, s, &id, env.as_deref())?;
                (Some(id), Some(file))
            }
            (id, src, None) => (id, src),
            _ => {
                return Err(Failure::Usage(format!(
                    "--secret {s:?}: give src= or env=, not both"
                )));
            }
        };
        match (id, src) {
            // BuildKit refuses a secret it cannot read before building;
            // a RUN would otherwise fail (or, with required=false, quietly
            // go without it) long after the typo.
            (Some(_), Some(src)) if !src.is_file() => {
                return Err(miette!(
                    "--secret {s:?}: source {} is not a readable file",
                    src.display()
                )
                .into());
            }
            (Some(id), Some(src)) => {
                out.insert(id, src);
            }
            _ => {
                return Err(Failure::Usage(format!(
                    "--secret {s:?}: want id=ID,src=PATH"
                )));
            }
        }
    }
    Ok((out, from_env))
}

/// A build error with the Dockerfile it is about, for the renderer that
/// shows its place as `check` does.
fn failure(opts: &BuildOptions, error: strata_builder::BuildError) -> Failure {
    Failure::Build {
        input: DockerfileInput {
            name: match opts.dockerfile_path.as_os_str() == "-" {
                true => "<stdin>".to_string(),
                false => opts.dockerfile_path.display().to_string(),
            },
            text: opts.dockerfile.clone(),
        },
        error: Box::new(error),
    }
}
