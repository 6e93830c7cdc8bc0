//! `strata run IMAGE [CMD...]` and the hidden `strata sandbox`, which runs
//! on plain directories without the store.

use std::io::IsTerminal;
use std::path::PathBuf;

use miette::{IntoDiagnostic, Result, miette};
use strata_builder::accounts::Accounts;
use strata_executor::{Rootfs, RunSpec};
use strata_store::{Image, Store};

use super::container;
use super::container_dir::ContainerDir;
use super::run_image;
use super::run_network;
use super::store_open::report;
use crate::cli::{ContainerArgs, RunArgs, SandboxArgs};

pub fn sandbox(args: Box<SandboxArgs>) -> Result<i32> {
    let (rootfs, layers) = match (&args.rootfs, &args.upper, &args.work) {
        (Some(dir), _, _) => (Rootfs::Dir(dir.clone()), vec![dir.clone()]),
        (None, Some(upper), Some(work)) => {
            let mut layers = args.lower.clone();
            layers.push(upper.clone());
            let rootfs = Rootfs::Overlay {
                lower: args.lower.clone(),
                upper: upper.clone(),
                work: work.clone(),
            };
            (rootfs, layers)
        }
        _ => {
            return Err(miette!(
                "give --rootfs DIR, or --lower DIR... --upper DIR --work DIR"
            ));
        }
    };
    // The sandbox has no default network: host unless told.
    let Some(network) =
        container::builtin_network(args.container.network.as_deref().unwrap_or("host"))
    else {
        return Err(miette!("the sandbox runs with --network host or none only"));
    };
    if super::volume_mounts::any_volume(&args.container.volumes) {
        return Err(miette!(
            "the sandbox has no store: -v takes host paths only there"
        ));
    }
    let argv = match args.container.run_flags.entrypoint.as_deref() {
        None | Some("") => args.command.clone(),
        Some(e) => std::iter::once(e.to_owned())
            .chain(args.command.clone())
            .collect(),
    };
    let mut spec = RunSpec::new(rootfs, argv);
    spec.tty = std::io::stdin().is_terminal();
    let accounts = Accounts::of_layers(&layers);
    container::apply(&mut spec, &args.container, &accounts)?;
    spec.network = network;
    let user = spec.user.clone();
    container::default_home(&mut spec, &accounts, &user);
    container::run_foreground(&spec, true)
}

/// `strata run`: the image's layers as overlay lower dirs, a fresh upper
/// dir for the container's writes. With -d or --name the run is a recorded
/// container (see commands/containers).
pub fn run(store: &Store, args: &RunArgs) -> Result<i32> {
    // A healthcheck needs a monitor to run it and a record to show it in:
    // a foreground run with --health-cmd is a recorded container, as with
    // --name (docker's foreground runs all are).
    let health_asked = args.lifecycle.record.health.health_cmd.is_some();
    if args.lifecycle.detach || args.lifecycle.record.name.is_some() || health_asked {
        return super::containers::run(store, args);
    }
    if !args.container.privileged && !args.container.volumes.is_empty() {
        // A run with volumes is confined by the device cgroup (see
        // strata_executor::sandbox::device_cgroup): the container is born
        // inside it, and the move (a grace period long) overlaps finding
        // the image. Should it fail, the sandbox's init is moved on its own.
        strata_executor::join_device_policy_in_background();
    }
    let cidfile = args
        .lifecycle
        .record
        .cidfile
        .as_deref()
        .map(super::cidfile::CidFile::claim)
        .transpose()?;
    let image = run_image::locate_for(store, &args.image, args.platform.as_ref())?;
    // Held while the container runs so gc leaves its snapshots alone.
    let _busy = store.lock_shared().map_err(report)?;
    let volumes = strata_containers::Volumes::open(store).map_err(super::containers::report)?;
    // Until the run has marked its volumes as used, nothing may remove them.
    let volume_users = volumes.users_lock().map_err(super::containers::report)?;
    let container = ContainerDir::create(store, args.rm)?;
    let dirs = ContainerFs {
        hostname: container.id().to_owned(),
        upper: container.upper(),
        work: container.work(),
    };
    let mut spec = image_spec(store, &image, &args.command, &args.container, &dirs, || {
        container.empty_lower()
    })?;
    // -t forces a terminal; without it, one whenever ours is one.
    spec.tty = args.terminal.tty || std::io::stdin().is_terminal();
    if spec.tty && !spec.env.iter().any(|e| e.starts_with("TERM=")) {
        spec.env.push("TERM=xterm".to_owned());
    }
    if let Some(f) = cidfile {
        f.write(container.id())?;
    }
    let volume_hold = volumes
        .hold_for_run(&spec, container.id())
        .map_err(super::containers::report)?;
    drop(volume_users);
    let attachment = match run_network::attach(store, args, &image, container.id(), &mut spec) {
        Ok(attachment) => attachment,
        Err(e) => {
            container.finish(false);
            return Err(e);
        }
    };
    let code = container::run_foreground(&spec, args.lifecycle.sig_proxy);
    let id = container.id().to_owned();
    drop(volume_hold);
    if let Some(attachment) = attachment
        && let Err(e) = attachment.teardown()
    {
        eprintln!("strata: network teardown: {e}");
    }
    container.finish(code.is_ok());
    if args.rm {
        super::volumes::remove_anonymous(store, &id, &spec)?;
    }
    code
}

/// Where a container's writes go, and the hostname it gets.
pub struct ContainerFs {
    pub hostname: String,
    pub upper: PathBuf,
    pub work: PathBuf,
}

/// The spec of a container of `image`: its layers under the container's
/// upper dir, the image's defaults, then the flags. `empty_lower` makes
/// the lower dir of an image without layers.
pub fn image_spec(
    store: &Store,
    image: &Image,
    command: &[String],
    flags: &ContainerArgs,
    dirs: &ContainerFs,
    empty_lower: impl FnOnce() -> Result<PathBuf>,
) -> Result<RunSpec> {
    let mut layers = store.layer_snapshots(image).map_err(report)?;
    let argv = run_image::command(
        &image.config,
        command,
        flags.run_flags.entrypoint.as_deref(),
    )?;
    if layers.is_empty() {
        // overlayfs needs a lower dir; an image without layers has an empty root.
        layers.push(empty_lower()?);
    }
    let rootfs = Rootfs::Overlay {
        lower: layers.clone(),
        upper: dirs.upper.clone(),
        work: dirs.work.clone(),
    };
    let mut spec = RunSpec::new(rootfs, argv);
    let image_user = run_image::apply_defaults(&mut spec, &image.config);
    spec.hostname = dirs.hostname.clone();
    container::set_env(&mut spec.env, format!("HOSTNAME={}", spec.hostname));
    let accounts = Accounts::of_layers(&layers);
    if let Some(user) = image_user.filter(|_| flags.user.is_none()) {
        spec.user = accounts.user(&user).into_diagnostic()?;
    }
    container::apply(&mut spec, flags, &accounts)?;
    super::volume_mounts::attach(store, image, &layers, &flags.volumes, &mut spec)?;
    let user = spec.user.clone();
    container::default_home(&mut spec, &accounts, &user);
    Ok(spec)
}
