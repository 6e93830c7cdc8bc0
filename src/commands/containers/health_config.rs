//! A container's healthcheck: the image's HEALTHCHECK (config.Healthcheck,
//! a docker extension oci-spec drops, read from the raw config blob), with
//! each `--health-*` flag overriding its field, `--health-cmd` the test,
//! and `--no-healthcheck` turning it off, as docker merges them.

use std::time::Duration;

use miette::{Result, miette};
use strata_builder::config::Healthcheck;
use strata_containers::HealthConfig;
use strata_store::{Image, Store};

use crate::cli::{HealthArgs, HealthOnFailure};
use crate::commands::store_open;

/// docker's defaults for a field neither the image nor a flag sets.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_RETRIES: u32 = 3;

pub fn health_config(
    store: &Store,
    image: &Image,
    args: &HealthArgs,
) -> Result<Option<HealthConfig>> {
    if args.no_healthcheck {
        return Ok(None);
    }
    let (from_image, shell) = image_healthcheck(store, image)?;
    let test = match (&args.health_cmd, &from_image) {
        (Some(cmd), _) => vec!["/bin/sh".to_owned(), "-c".to_owned(), cmd.clone()],
        (None, Some(h)) => match test_argv(&h.test, &shell)? {
            Some(argv) => argv,
            None => return Ok(None),
        },
        (None, None) => return Ok(None),
    };
    let image_ns = |f: fn(&Healthcheck) -> u64| {
        from_image
            .as_ref()
            .map(f)
            .filter(|n| *n > 0)
            .map(Duration::from_nanos)
    };
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let retries = match args.health_retries {
        Some(n) => n,
        None => from_image
            .as_ref()
            .map(|h| h.retries)
            .filter(|n| *n > 0)
            .map_or(DEFAULT_RETRIES, |n| u32::try_from(n).unwrap_or(u32::MAX)),
    };
    Ok(Some(HealthConfig {
        test,
        interval_ms: ms(args
            .health_interval
            .or_else(|| image_ns(|h| h.interval))
            .unwrap_or(DEFAULT_INTERVAL)),
        timeout_ms: ms(args
            .health_timeout
            .or_else(|| image_ns(|h| h.timeout))
            .unwrap_or(DEFAULT_TIMEOUT)),
        retries,
        start_period_ms: ms(args
            .health_start_period
            .or_else(|| image_ns(|h| h.start_period))
            .unwrap_or_default()),
        kill_on_unhealthy: args.health_on_failure == HealthOnFailure::Kill,
    }))
}

/// The image config's Healthcheck and Shell.
fn image_healthcheck(store: &Store, image: &Image) -> Result<(Option<Healthcheck>, Vec<String>)> {
    let raw = store
        .read_blob(&image.config_digest)
        .map_err(store_open::report)?;
    let value: serde_json::Value = serde_json::from_slice(&raw)
        .map_err(|e| miette!("the image config {}: {e}", image.config_digest))?;
    let config = &value["config"];
    let check = match config.get("Healthcheck") {
        None | Some(serde_json::Value::Null) => None,
        Some(h) => Some(
            serde_json::from_value::<Healthcheck>(h.clone())
                .map_err(|e| miette!("the image's Healthcheck: {e}"))?,
        ),
    };
    let shell = config
        .get("Shell")
        .and_then(|s| serde_json::from_value::<Vec<String>>(s.clone()).ok())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| vec!["/bin/sh".to_owned(), "-c".to_owned()]);
    Ok((check, shell))
}

/// docker's Test forms: `["NONE"]` (no check: `None`), `["CMD", argv...]`,
/// `["CMD-SHELL", command]` (run by the image's shell); an empty test
/// inherits, which for a finished image means none.
fn test_argv(test: &[String], shell: &[String]) -> Result<Option<Vec<String>>> {
    match test.split_first() {
        None => Ok(None),
        Some((kind, _)) if kind == "NONE" => Ok(None),
        Some((kind, argv)) if kind == "CMD" && !argv.is_empty() => Ok(Some(argv.to_vec())),
        Some((kind, [cmd])) if kind == "CMD-SHELL" => {
            Ok(Some(shell.iter().cloned().chain([cmd.clone()]).collect()))
        }
        _ => Err(miette!(
            "the image's HEALTHCHECK test {test:?} is not NONE, CMD ARGS... or CMD-SHELL COMMAND"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockers_test_forms() {
        let sh = ["/bin/sh".to_owned(), "-c".to_owned()];
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(test_argv(&v(&["NONE"]), &sh).unwrap(), None);
        assert_eq!(
            test_argv(&v(&["CMD", "true", "x"]), &sh).unwrap(),
            Some(v(&["true", "x"]))
        );
        assert_eq!(
            test_argv(&v(&["CMD-SHELL", "a && b"]), &sh).unwrap(),
            Some(v(&["/bin/sh", "-c", "a && b"]))
        );
        assert!(test_argv(&v(&["WHAT"]), &sh).is_err());
    }
}
