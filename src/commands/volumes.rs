//! `strata volume create|ls|inspect|rm|prune`, and the volume parts of
//! `rm -v`, `run --rm`, `system fsck` and `system df`.

use std::collections::BTreeMap;

use miette::{IntoDiagnostic, Result, miette};
use strata_containers::{ContainerError, Containers, Volumes};
use strata_executor::RunSpec;
use strata_store::Store;

use super::containers::report;
use crate::cli::{ListFormat, VolumeArgs, VolumeCommand};

/// Exit code of a removal refused because a container uses the volume
/// (podman's).
const IN_USE: i32 = 2;

pub fn run(store: &Store, args: &VolumeArgs) -> Result<i32> {
    let volumes = Volumes::open(store).map_err(report)?;
    let containers = Containers::open(store).map_err(report)?;
    match &args.command {
        VolumeCommand::Create {
            labels,
            driver,
            name,
        } => {
            if driver != "local" {
                return Err(miette!(
                    "volume driver {driver:?} is not supported: only local"
                ));
            }
            let labels = parse_labels(labels)?;
            let _lock = volumes.lock().map_err(report)?;
            let v = volumes.create(name.as_deref(), labels).map_err(report)?;
            println!("{}", v.name);
            Ok(0)
        }
        VolumeCommand::Ls {
            quiet,
            format,
            filters,
        } => {
            let mut all = Vec::new();
            for v in volumes.list().map_err(report)? {
                if matches(&volumes, &containers, &v, filters)? {
                    all.push(v);
                }
            }
            match (quiet, format) {
                (true, _) => all.iter().for_each(|v| println!("{}", v.name)),
                (false, ListFormat::Json) => {
                    println!("{}", serde_json::to_string_pretty(&all).into_diagnostic()?);
                }
                (false, ListFormat::Table) => {
                    println!("{:<8} VOLUME NAME", "DRIVER");
                    for v in &all {
                        println!("{:<8} {}", v.driver, v.name);
                    }
                }
            }
            Ok(0)
        }
        VolumeCommand::Inspect { names } => {
            let found = names
                .iter()
                .map(|n| volumes.find(n))
                .collect::<Result<Vec<_>, _>>()
                .map_err(report)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&found).into_diagnostic()?
            );
            Ok(0)
        }
        VolumeCommand::Rm { force, names } => {
            let mut code = 0;
            for name in names {
                match remove(&volumes, &containers, name, *force) {
                    Ok(()) => println!("{name}"),
                    Err(e) => {
                        eprintln!("error: {e}");
                        let in_use = matches!(e, ContainerError::VolumeInUse { .. });
                        code = code.max(if in_use { IN_USE } else { 1 });
                    }
                }
            }
            Ok(code)
        }
        VolumeCommand::Prune { all, force: _ } => {
            let _lock = volumes.removal_lock().map_err(report)?;
            for name in volumes.prune(&containers, *all).map_err(report)? {
                println!("{name}");
            }
            Ok(0)
        }
    }
}

/// `ls --filter`: every key given must match, by any of its values.
fn matches(
    volumes: &Volumes,
    containers: &Containers,
    v: &strata_containers::Volume,
    filters: &[(String, String)],
) -> Result<bool> {
    let mut keys: Vec<&str> = filters.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        let mut any = false;
        for (_, want) in filters.iter().filter(|(k, _)| k == key) {
            any |= match key {
                "name" => v.name.contains(want.as_str()),
                "label" => match want.split_once('=') {
                    Some((k, val)) => v.labels.get(k).is_some_and(|x| x == val),
                    None => v.labels.contains_key(want),
                },
                _ => {
                    let unused = volumes.users(containers, v).map_err(report)?.is_empty();
                    unused == (want == "true")
                }
            };
        }
        if !any {
            return Ok(false);
        }
    }
    Ok(true)
}

/// With `force`, the containers using the volume go first, as podman's
/// `volume rm -f` removes them; a foreground run using it still stops the
/// removal (it belongs to a terminal, not to the store).
fn remove(
    volumes: &Volumes,
    containers: &Containers,
    name: &str,
    force: bool,
) -> Result<(), ContainerError> {
    let v = volumes.find(name)?;
    if force {
        for id in volumes.users(containers, &v)? {
            if let Some(c) = containers.lookup(&id)? {
                let _lock = c.lock()?;
                strata_containers::remove(containers, &c, true)?;
            }
        }
    }
    let _lock = volumes.removal_lock()?;
    volumes.remove(containers, &v)
}

/// After a container is removed (`rm -v`, `run --rm`): its anonymous
/// volumes go too, unless another container still uses one.
pub fn remove_anonymous(store: &Store, id: &str, spec: &RunSpec) -> Result<()> {
    let volumes = Volumes::open(store).map_err(report)?;
    let containers = Containers::open(store).map_err(report)?;
    volumes
        .remove_anonymous(&containers, id, spec)
        .map_err(report)
}

/// `system prune --volumes`: prints each anonymous volume it removes.
pub fn prune_anonymous(store: &Store) -> Result<()> {
    let volumes = Volumes::open(store).map_err(report)?;
    let containers = Containers::open(store).map_err(report)?;
    let _lock = volumes.removal_lock().map_err(report)?;
    for name in volumes.prune(&containers, false).map_err(report)? {
        println!("deleted volume {name}");
    }
    Ok(())
}

/// `system fsck`'s volume part: prints problems and a count line; true
/// when clean.
pub fn fsck(store: &Store) -> Result<bool> {
    let volumes = Volumes::open(store).map_err(report)?;
    let containers = Containers::open(store).map_err(report)?;
    let (checked, problems) = volumes.fsck(&containers).map_err(report)?;
    for p in &problems {
        println!("{p}");
    }
    println!(
        "checked {checked} volumes: {}",
        if problems.is_empty() {
            "ok".to_owned()
        } else {
            format!("{} problems", problems.len())
        }
    );
    Ok(problems.is_empty())
}

/// `system df`'s volume row: the count and the bytes their data holds.
pub fn usage(store: &Store) -> Result<(usize, u64)> {
    let volumes = Volumes::open(store).map_err(report)?;
    let all = volumes.list().map_err(report)?;
    let bytes = all
        .iter()
        .map(|v| strata_containers::disk_usage(&v.mountpoint))
        .sum();
    Ok((all.len(), bytes))
}

fn parse_labels(given: &[String]) -> Result<BTreeMap<String, String>> {
    given
        .iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            if k.is_empty() {
                return Err(miette!("bad --label {l:?}: expected KEY=VALUE"));
            }
            Ok((k.to_owned(), v.to_owned()))
        })
        .collect()
}
