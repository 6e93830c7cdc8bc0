//! `strata run IMAGE [CMD...]` and the hidden `strata sandbox`, which runs
//! on plain directories without the store.

use std::io::IsTerminal;

use miette::{IntoDiagnostic, Result, miette};
use strata_executor::{Rootfs, RunSpec};
use strata_store::Store;

use super::container;
use super::container_dir::ContainerDir;
use super::run_image;
use super::run_network;
use super::store_open::report;
use crate::cli::{RunArgs, SandboxArgs};

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
    if container::builtin_network(&args.container.network).is_none() {
        return Err(miette!("the sandbox runs with --network host or none only"));
    }
    let mut spec = RunSpec::new(rootfs, args.command.clone());
    spec.tty = std::io::stdin().is_terminal();
    container::apply(&mut spec, &args.container, &layers)?;
    let user = spec.user.clone();
    container::default_home(&mut spec, &layers, &user);
    container::run_foreground(&spec)
}

/// `strata run`: the image's layers as overlay lower dirs, a fresh upper
/// dir for the container's writes.
pub fn run(store: &Store, args: &RunArgs) -> Result<i32> {
    let image = run_image::locate(store, &args.image)?;
    // Held while the container runs so gc leaves its snapshots alone.
    let _busy = store.lock_shared().map_err(report)?;
    let mut layers = store.layer_snapshots(&image).map_err(report)?;
    let argv = run_image::command(&image.config, &args.command)?;
    let container = ContainerDir::create(store, args.rm)?;
    if layers.is_empty() {
        // overlayfs needs a lower dir; an image without layers has an empty root.
        layers.push(container.empty_lower()?);
    }
    let rootfs = Rootfs::Overlay {
        lower: layers.clone(),
        upper: container.upper(),
        work: container.work(),
    };
    let mut spec = RunSpec::new(rootfs, argv);
    let image_user = run_image::apply_defaults(&mut spec, &image.config);
    spec.hostname = container.id().to_owned();
    container::set_env(&mut spec.env, format!("HOSTNAME={}", spec.hostname));
    spec.tty = std::io::stdin().is_terminal();
    if spec.tty && !spec.env.iter().any(|e| e.starts_with("TERM=")) {
        spec.env.push("TERM=xterm".to_owned());
    }
    if let Some(user) = image_user.filter(|_| args.container.user.is_none()) {
        spec.user = strata_executor::resolve_user(&layers, &user).into_diagnostic()?;
    }
    container::apply(&mut spec, &args.container, &layers)?;
    let user = spec.user.clone();
    container::default_home(&mut spec, &layers, &user);
    let attachment = match run_network::attach(store, args, container.id(), &mut spec) {
        Ok(attachment) => attachment,
        Err(e) => {
            container.finish(false);
            return Err(e);
        }
    };
    let code = container::run_foreground(&spec);
    if let Some(attachment) = attachment
        && let Err(e) = attachment.teardown()
    {
        eprintln!("strata: network teardown: {e}");
    }
    container.finish(code.is_ok());
    code
}
