//! `strata build`: flags to [`BuildOptions`], events to the chosen
//! progress renderer, the image id to `--iidfile` (and stdout with -q).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use miette::{IntoDiagnostic, Result, miette};
use strata_builder::cache::CacheLimit;
use strata_builder::solve::{BuildOptions, Network, Output, build};
use strata_store::Store;

use super::build_cache_flags;
use crate::cli::{BuildArgs, NetworkMode, ProgressMode};
use crate::progress::Renderer;

pub fn run(store: &Store, args: &BuildArgs, quiet: bool) -> Result<i32> {
    // One cgroup move for the whole build, made while the Dockerfile and
    // the context are read, instead of one per RUN step. Should it fail,
    // each step's sandbox is moved on its own.
    strata_executor::join_device_policy_in_background();
    let dockerfile_path = args
        .file
        .clone()
        .unwrap_or_else(|| args.context.join("Dockerfile"));
    let dockerfile = if dockerfile_path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).into_diagnostic()?
    } else if args.file.is_none() {
        // The context's own Dockerfile: it may not lead out of the context.
        super::dockerfile_input::read_in(&args.context, Path::new("Dockerfile"))?
    } else {
        std::fs::read_to_string(&dockerfile_path)
            .map_err(|e| miette!("reading {}: {e}", dockerfile_path.display()))?
    };
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
    // Torn down when the build ends (dropped with this frame).
    let build_net = match args.network {
        NetworkMode::Bridge => Some(super::run_network::for_build(store)?),
        _ => None,
    };
    let opts = BuildOptions {
        dockerfile,
        dockerfile_path,
        context: args.context.clone(),
        tags: args.tags.clone(),
        build_args: build_args(&args.build_args),
        target: args.target.clone(),
        no_cache: args.no_cache,
        network: match args.network {
            NetworkMode::Host => Network::Host,
            NetworkMode::None => Network::None,
            NetworkMode::Bridge => match &build_net {
                Some(att) => Network::Namespace(att.netns().to_path_buf()),
                None => Network::Host,
            },
        },
        allow_insecure: args
            .allow
            .contains(&crate::cli::Entitlement::SecurityInsecure),
        compression: args
            .compression
            .parse()
            .map_err(|e| miette!("--compression {}: {e}", args.compression))?,
        source_date_epoch: args.source_date_epoch,
        secrets: secrets(&args.secrets)?,
        explain_cache: args.explain_cache,
        outputs: args
            .outputs
            .iter()
            .map(|o| o.parse::<Output>().map_err(|e| miette!("{e}")))
            .collect::<Result<_>>()?,
        cache_limit: cache_limit.bytes(),
        pull: build_cache_flags::pull_settings(args),
        cache_imports: build_cache_flags::import(store, args, quiet),
    };
    let mode = match (quiet, args.progress) {
        (true, _) => ProgressMode::Quiet,
        (false, ProgressMode::Auto) if std::io::stderr().is_terminal() => ProgressMode::Tty,
        (false, ProgressMode::Auto) => ProgressMode::Plain,
        (false, m) => m,
    };
    let renderer = Renderer::new(mode);
    let steps = build_cache_flags::StepKeys::default();
    let result = build(store, &opts, &|e| {
        steps.note(&e);
        renderer.event(e)
    });
    renderer.finish();
    let result = result.map_err(|e| miette!("{e}"))?;
    let layer = strata_store::LayerOptions {
        compression: opts.compression,
        source_date_epoch: opts.source_date_epoch,
    };
    build_cache_flags::export(store, args, &result, &steps, &layer, quiet)?;
    if let Some(file) = &args.iidfile {
        std::fs::write(file, &result.manifest_digest)
            .map_err(|e| miette!("writing {}: {e}", file.display()))?;
    }
    if mode == ProgressMode::Quiet {
        println!("{}", result.manifest_digest);
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

fn secrets(raw: &[String]) -> Result<BTreeMap<String, PathBuf>> {
    let mut out = BTreeMap::new();
    for s in raw {
        let mut id = None;
        let mut src = None;
        for field in s.split(',') {
            match field.split_once('=') {
                Some(("id", v)) => id = Some(v.to_string()),
                Some(("src" | "source", v)) => src = Some(PathBuf::from(v)),
                _ => return Err(miette!("--secret {s:?}: want id=ID,src=PATH")),
            }
        }
        match (id, src) {
            // BuildKit refuses a secret it cannot read before building;
            // a RUN would otherwise fail (or, with required=false, quietly
            // go without it) long after the typo.
            (Some(_), Some(src)) if !src.is_file() => {
                return Err(miette!(
                    "--secret {s:?}: source {} is not a readable file",
                    src.display()
                ));
            }
            (Some(id), Some(src)) => {
                out.insert(id, src);
            }
            _ => return Err(miette!("--secret {s:?}: want id=ID,src=PATH")),
        }
    }
    Ok(out)
}
