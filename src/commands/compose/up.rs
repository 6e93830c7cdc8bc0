//! `strata compose up -d`: the project's networks and volumes, then its
//! services' containers in dependency order, each waiting for what its
//! `depends_on` conditions ask of its dependencies. A container whose
//! config-hash label and image are the service's current ones is kept;
//! any other is recreated.

use std::collections::BTreeSet;

use miette::{IntoDiagnostic, Result, miette};
use strata_compose::model::{Project, Service};
use strata_containers::{Container, Containers};
use strata_network::{CreateOptions, Networks};
use strata_store::Store;

use super::labels::{self, CONFIG_HASH, NETWORK, VOLUME};
use super::service_args;
use super::wait_for;
use crate::cli::{ComposeArgs, ComposeUpArgs};
use crate::commands::containers::{self as ctr, report};
use crate::commands::network::net_err;

pub fn run(store: &Store, args: &ComposeArgs, up: &ComposeUpArgs) -> Result<i32> {
    let Some((mut project, model)) = super::project(args)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    // The hash is taken from the file's typed model, as `config --hash`
    // prints it: `--no-build` naming a build's image is no change.
    let typed = serde_json::to_value(&project).into_diagnostic()?;
    let pull = up.pull.as_deref().filter(|p| *p != "policy");
    super::image_pull::apply(&mut project, pull, up.build, up.no_build);
    let project = project;
    let order = start_order(&model)?;
    let selected = selection(&project, &model, &up.services)?;
    for (svc, _) in &up.scale {
        if !project.services.contains_key(svc) {
            return Err(miette!("--scale: no such service: {svc}"));
        }
    }
    let attach = super::attach_set::plan(store, &project, up)?;
    let shown = super::image_pull::Shown::of(args, up.quiet_pull);
    super::image_pull::before_up(store, &project, &selected, shown)?;
    // `--build` made the build sections `pull_policy: build`, so the
    // needed builds are all of them then.
    let to_build: Vec<String> = selected.iter().cloned().collect();
    let flags = super::build::Flags {
        progress: super::progress(args),
        ..Default::default()
    };
    super::build_jobs::build_services(
        store,
        &project,
        &to_build,
        super::build::When::Needed,
        &flags,
    )?;
    networks(store, &project)?;
    volumes(store, &project)?;
    let containers = ctr::open(store)?;
    orphans(&containers, &project, up.remove_orphans)?;
    let mut changed = BTreeSet::new();
    for name in order.iter().filter(|n| selected.contains(*n)) {
        let service = &project.services[name];
        if !up.no_start {
            for (dep, cond) in &service.depends_on {
                if selected.contains(dep) {
                    wait_for::dependency(&containers, &project.name, dep, &cond.condition)?;
                }
            }
        }
        let recreate = strategy(up, name);
        let hash = strata_compose::hash::service_hash(&typed["services"][name]);
        let scale = up
            .scale
            .iter()
            .rev()
            .find(|(s, _)| s == name)
            .map(|(_, n)| *n);
        // A service in another's network namespace (`service:NAME`) is
        // made again when that one was: its namespace went with it.
        let joined_remade = service
            .network_mode
            .as_deref()
            .and_then(|m| m.strip_prefix("service:"))
            .is_some_and(|other| changed.contains(other));
        let target = Target {
            hash: &hash,
            scale,
            start: !up.no_start,
            renew_anonymous: up.renew_anon_volumes,
            recreate: if joined_remade && recreate != Recreate::Never {
                Recreate::Always
            } else {
                recreate
            },
        };
        if converge(store, &containers, &project, name, service, &target)? {
            changed.insert(name.clone());
        } else if service
            .depends_on
            .iter()
            .any(|(dep, cond)| cond.restart && changed.contains(dep))
        {
            // `restart: true`: a dependency was made again, so this
            // service starts over against it.
            restart_service(store, &containers, &project.name, name)?;
        }
    }
    if up.no_start {
        return Ok(0);
    }
    let deadline = up.wait_timeout.map(|s| {
        (
            std::time::Instant::now() + std::time::Duration::from_secs(s),
            s,
        )
    });
    if up.wait {
        for name in order.iter().filter(|n| selected.contains(*n)) {
            // A one-shot service others need completed is waited for to
            // exit 0, not to run (docker compose's getDependencyCondition).
            let completes = selected.iter().any(|other| {
                project.services[other]
                    .depends_on
                    .get(name)
                    .is_some_and(|d| d.condition == "service_completed_successfully")
            });
            if completes {
                wait_for::completed_until(&containers, &project.name, name, deadline)?;
            } else {
                wait_for::ready(&containers, &project.name, name, deadline)?;
            }
        }
    }
    if !up.detach && !up.wait {
        return super::attach_set::follow(
            &containers,
            &project.name,
            &order,
            &selected,
            &attach,
            up,
        );
    }
    Ok(0)
}

/// docker compose's recreateStrategy and dependenciesRecreateStrategy:
/// `--force-recreate` applies to the services named (all, when none
/// are), `--always-recreate-deps` to the services they depend on.
fn strategy(up: &ComposeUpArgs, name: &str) -> Recreate {
    let named = up.services.is_empty() || up.services.iter().any(|s| s == name);
    if up.no_recreate {
        Recreate::Never
    } else if (named && up.force_recreate) || (!named && up.always_recreate_deps) {
        Recreate::Always
    } else {
        Recreate::Diverged
    }
}

fn start_order(model: &serde_json::Value) -> Result<Vec<String>> {
    let empty = serde_json::Map::new();
    let services = model["services"].as_object().unwrap_or(&empty);
    strata_compose::order::start_order(services).map_err(|e| miette!("{e}"))
}

/// The services named (all when none), with everything they depend on.
fn selection(
    project: &Project,
    model: &serde_json::Value,
    named: &[String],
) -> Result<BTreeSet<String>> {
    if named.is_empty() {
        return Ok(project.services.keys().cloned().collect());
    }
    let mut todo: Vec<String> = named.to_vec();
    let mut found = BTreeSet::new();
    while let Some(name) = todo.pop() {
        let svc = model["services"]
            .get(&name)
            .ok_or_else(|| miette!("no such service: {name}"))?;
        if found.insert(name.clone()) {
            todo.extend(strata_compose::order::dependencies(svc));
        }
    }
    Ok(found)
}

/// The project's networks: created with its labels, or reused when they
/// exist; an `external` one must exist.
pub(super) fn networks(store: &Store, project: &Project) -> Result<()> {
    let nets = Networks::new(store.root());
    for (key, net) in &project.networks {
        let exists = nets.get(&net.name).is_ok();
        if net.external {
            if !exists {
                return Err(miette!(
                    "network {} declared as external, but could not be found",
                    net.name
                ));
            }
            continue;
        }
        if exists {
            continue;
        }
        if let Some(driver) = net.driver.as_deref().filter(|d| *d != "bridge") {
            return Err(miette!(
                "network {key}: driver {driver:?} is not supported (bridge only)"
            ));
        }
        let (subnet, gateway) = ipam(key, net.ipam.as_ref())?;
        nets.create(&CreateOptions {
            name: net.name.clone(),
            subnet,
            gateway,
            internal: net.internal,
            labels: labels::resource(&project.name, NETWORK, key, &net.labels),
        })
        .map_err(net_err)?;
        eprintln!(" Network {}  Created", net.name);
    }
    Ok(())
}

/// `ipam.config[0]`'s subnet and gateway (bridge networks take one IPv4
/// subnet; more pools are refused rather than dropped).
fn ipam(
    key: &str,
    ipam: Option<&serde_json::Value>,
) -> Result<(Option<strata_network::Ipv4Net>, Option<std::net::Ipv4Addr>)> {
    let pools = ipam
        .and_then(|i| i.get("config"))
        .and_then(|c| c.as_array())
        .map_or(&[][..], Vec::as_slice);
    let pool = match pools {
        [] => return Ok((None, None)),
        [pool] => pool,
        _ => {
            return Err(miette!(
                "network {key}: one ipam pool only (strata's networks have one IPv4 subnet)"
            ));
        }
    };
    let field = |name: &str| pool.get(name).and_then(|v| v.as_str());
    let subnet = field("subnet")
        .map(|s| {
            s.parse()
                .map_err(|e: String| miette!("network {key}: ipam subnet {s:?}: {e}"))
        })
        .transpose()?;
    let gateway = field("gateway")
        .map(|g| {
            g.parse()
                .map_err(|e| miette!("network {key}: ipam gateway {g:?}: {e}"))
        })
        .transpose()?;
    Ok((subnet, gateway))
}

/// The project's named volumes, created with its labels unless they exist.
pub(super) fn volumes(store: &Store, project: &Project) -> Result<()> {
    let vols = strata_containers::Volumes::open(store).map_err(report)?;
    for (key, vol) in &project.volumes {
        let _lock = vols.lock().map_err(report)?;
        let exists = vols.get(&vol.name).map_err(report)?.is_some();
        if vol.external {
            if !exists {
                return Err(miette!("external volume {} not found", vol.name));
            }
            continue;
        }
        if exists {
            continue;
        }
        if let Some(driver) = vol.driver.as_deref().filter(|d| *d != "local") {
            return Err(miette!(
                "volume {key}: driver {driver:?} is not supported (local only)"
            ));
        }
        let labels = labels::resource(&project.name, VOLUME, key, &vol.labels);
        vols.create(Some(&vol.name), labels).map_err(report)?;
        eprintln!(" Volume {}  Created", vol.name);
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Recreate {
    /// When the config hash or the image changed (the default).
    Diverged,
    Always,
    Never,
}

/// What a service's containers should be.
struct Target<'a> {
    hash: &'a str,
    /// `--scale`'s, else the model's.
    scale: Option<u32>,
    recreate: Recreate,
    /// False with `--no-start`: containers are made, none is started.
    start: bool,
    /// `-V`: a recreated container gets new anonymous volumes instead of
    /// its predecessor's.
    renew_anonymous: bool,
}

/// The service's containers 1..=scale: kept (started if stopped) when
/// current, recreated when stale, made when missing; those numbered above
/// the scale are removed. True when any was made or recreated.
fn converge(
    store: &Store,
    containers: &Containers,
    project: &Project,
    name: &str,
    service: &Service,
    target: &Target,
) -> Result<bool> {
    let hash = target.hash;
    let scale = match target.scale {
        Some(n) => n,
        None => {
            let n = service
                .scale
                .or_else(|| service.deploy.as_ref().and_then(|d| d.replicas))
                .unwrap_or(1);
            u32::try_from(n).map_err(|_| miette!("service {name}: bad scale {n}"))?
        }
    };
    if scale > 1 && service.container_name.is_some() {
        return Err(miette!(
            "service {name}: container_name is set, so it cannot scale to {scale}"
        ));
    }
    let existing: Vec<Container> = labels::containers_of(containers, &project.name)?
        .into_iter()
        .filter(|c| labels::service_of(c) == name)
        .collect();
    let image_digest = current_image(store, super::build::image_name(project, name, service))?;
    let mut made = false;
    for number in 1..=scale {
        let old = existing.iter().find(|c| labels::number_of(c) == number);
        let anonymous = match old {
            Some(c) if !target.renew_anonymous => anonymous_volumes(store, c)?,
            _ => Default::default(),
        };
        let spec = service_args::Container {
            project,
            service_name: name,
            service,
            number,
            hash,
            anonymous,
        };
        match old {
            Some(c)
                if target.recreate == Recreate::Never
                    || (target.recreate == Recreate::Diverged
                        && is_current(c, hash, image_digest.as_ref())) =>
            {
                if c.refresh().map_err(report)?.status.is_active() {
                    eprintln!(" Container {}  Running", c.config.name);
                } else if target.start {
                    ctr::start_detached(store, containers, c)?;
                    eprintln!(" Container {}  Started", c.config.name);
                } else {
                    eprintln!(" Container {}  Created", c.config.name);
                }
            }
            Some(c) => {
                remove(containers, c)?;
                make(store, containers, &spec, target.start)?;
                eprintln!(" Container {}  Recreated", spec.name());
                made = true;
            }
            None => {
                make(store, containers, &spec, target.start)?;
                let done = if target.start { "Started" } else { "Created" };
                eprintln!(" Container {}  {done}", spec.name());
                made = true;
            }
        }
    }
    for c in existing.iter().filter(|c| labels::number_of(c) > scale) {
        remove(containers, c)?;
        eprintln!(" Container {}  Removed", c.config.name);
    }
    Ok(made)
}

/// The anonymous volumes `c` mounts, by target path.
fn anonymous_volumes(
    store: &Store,
    c: &Container,
) -> Result<std::collections::BTreeMap<String, String>> {
    let vols = strata_containers::Volumes::open(store).map_err(report)?;
    Ok(vols
        .anonymous_targets(&c.config.spec)
        .map_err(report)?
        .into_iter()
        .map(|(target, name)| (target.display().to_string(), name))
        .collect())
}

/// The container `spec` describes, created and (unless `--no-start`) started.
fn make(
    store: &Store,
    containers: &Containers,
    spec: &service_args::Container,
    start: bool,
) -> Result<()> {
    let args = spec.run_args()?;
    if start {
        ctr::run_detached(store, containers, &args)?;
    } else {
        ctr::create_only(store, containers, &args)?;
    }
    Ok(())
}

/// Stops and starts the service's running containers.
fn restart_service(
    store: &Store,
    containers: &Containers,
    project: &str,
    name: &str,
) -> Result<()> {
    for c in labels::containers_of(containers, project)?
        .iter()
        .filter(|c| labels::service_of(c) == name)
    {
        if !c.refresh().map_err(report)?.status.is_active() {
            continue;
        }
        ctr::stop_container(c).map_err(report)?;
        ctr::start_detached(store, containers, c)?;
        eprintln!(" Container {}  Restarted", c.config.name);
    }
    Ok(())
}

/// Containers of the project whose service the file no longer has:
/// reported, or removed when asked (docker compose's orphans).
fn orphans(containers: &Containers, project: &Project, remove_them: bool) -> Result<()> {
    let found: Vec<Container> = labels::containers_of(containers, &project.name)?
        .into_iter()
        .filter(|c| !project.services.contains_key(labels::service_of(c)))
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    if !remove_them {
        let names: Vec<&str> = found.iter().map(|c| c.config.name.as_str()).collect();
        eprintln!(
            "warning: Found orphan containers ({}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
            names.join(", ")
        );
        return Ok(());
    }
    for c in &found {
        remove(containers, c)?;
        eprintln!(" Container {}  Removed", c.config.name);
    }
    Ok(())
}

/// The digest the service's image name resolves to now (None when it does
/// not resolve: the create that follows reports that).
fn current_image(store: &Store, image: Option<String>) -> Result<Option<strata_store::Digest>> {
    let Some(image) = image else {
        return Ok(None);
    };
    Ok(store
        .resolve_str(&image)
        .map_err(crate::commands::store_open::report)?
        .map(|i| i.manifest_digest))
}

fn is_current(c: &Container, hash: &str, image_digest: Option<&strata_store::Digest>) -> bool {
    c.config.labels.get(CONFIG_HASH).is_some_and(|h| h == hash)
        && image_digest.is_none_or(|d| *d == c.config.image_digest)
}

/// Stopped with its own signal and grace period, then removed.
pub fn remove(containers: &Containers, c: &Container) -> Result<()> {
    ctr::stop_container(c).map_err(report)?;
    let _lock = c.lock().map_err(report)?;
    strata_containers::remove(containers, c, true).map_err(report)
}
