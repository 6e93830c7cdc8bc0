//! What `strata run` takes from the image: its layers, and the process
//! defaults of its config, combined with the command line as Docker does.

use miette::{Result, miette};
use strata_executor::{DEFAULT_PATH, RunSpec};
use strata_store::{Image, ImageConfiguration, Store, TransportRef};

use super::store_open::{find, report};

/// The image named by `arg`: a transport reference is imported into the
/// store first; a name or digest is looked up in it.
pub fn locate(store: &Store, arg: &str) -> Result<Image> {
    match TransportRef::parse(arg).map_err(report)? {
        Some(source) => {
            let _busy = store.lock_shared().map_err(report)?;
            let digest = store.import_from(&source, None).map_err(report)?;
            store.image(&digest).map_err(report)
        }
        None => find(store, arg),
    }
}

/// argv: ENTRYPOINT followed by the given command, or by the image's CMD
/// when none is given. `--entrypoint X` replaces the ENTRYPOINT and drops
/// the image's CMD; `--entrypoint ""` clears the ENTRYPOINT and keeps the
/// CMD (docker's merge of the run config into the image's).
pub fn command(
    config: &ImageConfiguration,
    given: &[String],
    entrypoint_flag: Option<&str>,
) -> Result<Vec<String>> {
    let cfg = config.config().as_ref();
    let entrypoint = match entrypoint_flag {
        Some("") => Vec::new(),
        Some(e) => vec![e.to_owned()],
        None => cfg.and_then(|c| c.entrypoint().clone()).unwrap_or_default(),
    };
    let image_cmd = || match entrypoint_flag {
        Some(e) if !e.is_empty() => Vec::new(),
        _ => cfg.and_then(|c| c.cmd().clone()).unwrap_or_default(),
    };
    let cmd = if given.is_empty() {
        image_cmd()
    } else {
        given.to_vec()
    };
    let argv: Vec<String> = entrypoint.into_iter().chain(cmd).collect();
    if argv.is_empty() {
        return Err(miette!(
            "no command given and the image has no ENTRYPOINT or CMD"
        ));
    }
    Ok(argv)
}

/// Env, working dir and user from the image config into `spec`; the
/// user stays a string here, resolved after the command-line override.
pub fn apply_defaults(spec: &mut RunSpec, config: &ImageConfiguration) -> Option<String> {
    let cfg = config.config().as_ref();
    spec.env = cfg.and_then(|c| c.env().clone()).unwrap_or_default();
    if !spec.env.iter().any(|e| e.starts_with("PATH=")) {
        spec.env.insert(0, format!("PATH={DEFAULT_PATH}"));
    }
    if let Some(dir) = cfg
        .and_then(|c| c.working_dir().clone())
        .filter(|d| !d.is_empty())
    {
        spec.cwd = dir;
    }
    cfg.and_then(|c| c.user().clone()).filter(|u| !u.is_empty())
}
