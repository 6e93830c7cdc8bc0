//! The container lifecycle commands (create, start, stop, ps, logs, ...)
//! over the `strata_containers` crate, and `run -d` / `run --name`.

mod attach;
mod commit;
mod commit_change;
mod copy;
mod copy_helper;
mod create;
mod diff;
mod exec;
mod health_config;
mod inspect;
mod logs;
mod monitor;
mod pause;
mod processes;
mod ps;
mod ps_template;
mod rm;
mod start;
mod stats;
mod stop;
mod wait;

use miette::{Result, miette};
use strata_containers::{Container, ContainerError, Containers, MonitorCommand};
use strata_store::Store;

use crate::cli::RunArgs;

pub use attach::attach;
pub use commit::commit;
pub use copy::cp;
pub use copy_helper::cp_helper;
pub use create::create;
pub use diff::{diff, rename};
pub use exec::exec;
pub use inspect::inspect;
pub use logs::logs;
pub use monitor::monitor;
pub use pause::{pause, unpause};
pub use processes::{container, top};
pub use ps::{ps, status_text};
pub use rm::rm;
pub use start::{print_with_prefix, start};
pub use stats::stats;
pub use stop::{kill, restart, stop, stop_container};
pub use wait::wait;

/// `system fsck`'s container part: prints problems and a count line;
/// true when clean.
pub fn fsck(store: &Store) -> Result<bool> {
    let r = strata_containers::fsck(&open(store)?).map_err(report)?;
    for p in &r.problems {
        println!("{p}");
    }
    println!(
        "checked {} containers: {}",
        r.checked,
        if r.problems.is_empty() {
            "ok".to_owned()
        } else {
            format!("{} problems", r.problems.len())
        }
    );
    Ok(r.problems.is_empty())
}

/// For `rmi ARG`: the containers using the image ARG names, when the
/// removal would leave it without a name (docker's rule: another name of
/// it may go freely). `None` when nothing stands in the way.
pub fn users_of_last_name(store: &Store, arg: &str, one_name: bool) -> Result<Option<String>> {
    let Some(img) = store.resolve_str(arg).map_err(super::store_open::report)? else {
        return Ok(None);
    };
    let names = store
        .names()
        .map_err(super::store_open::report)?
        .into_iter()
        .filter(|n| n.manifest_digest == img.manifest_digest)
        .count();
    if one_name && names > 1 {
        return Ok(None);
    }
    let users: Vec<String> = open(store)?
        .list()
        .map_err(report)?
        .into_iter()
        .filter(|c| c.config.image_digest == img.manifest_digest)
        .map(|c| c.config.name.clone())
        .collect();
    Ok((!users.is_empty()).then(|| users.join(", ")))
}

pub fn report(e: ContainerError) -> miette::Report {
    miette!("{e}")
}

/// Every container command starts here, so the first one after a monitor
/// was killed (SIGKILL, a crash) also tears down what it left on the
/// networks: address, veth, rules, DNS name, namespace.
pub fn open(store: &Store) -> Result<Containers> {
    if let Err(e) = strata_network::reap_stale(store.root()) {
        eprintln!("strata: network cleanup: {e}");
    }
    Containers::open(store).map_err(report)
}

/// strata re-executed as `strata --root ROOT container-monitor ID`.
fn monitor_command(store: &Store) -> Result<MonitorCommand> {
    let exe = std::env::current_exe().map_err(|e| miette!("locate the strata binary: {e}"))?;
    Ok(MonitorCommand {
        exe,
        args: vec![
            "--root".into(),
            store.root().as_os_str().to_owned(),
            "container-monitor".into(),
        ],
    })
}

/// Runs `act` on each named container; a failure is reported and the
/// others still run. Exit 1 if any failed.
fn for_each(
    containers: &Containers,
    names: &[String],
    mut act: impl FnMut(&Container) -> std::result::Result<(), ContainerError>,
) -> Result<i32> {
    let mut code = 0;
    for name in names {
        match containers.find(name).and_then(|c| act(&c)) {
            Ok(()) => println!("{name}"),
            Err(e) => {
                eprintln!("error: {e}");
                code = 1;
            }
        }
    }
    Ok(code)
}

/// `run -d` (create + start, print the id) and `run --name` without -d
/// (create + start attached, exit with the container's code).
pub fn run(store: &Store, args: &RunArgs) -> Result<i32> {
    let containers = open(store)?;
    let c = create::make(store, &containers, &request(args))?;
    if !args.lifecycle.detach {
        return start::attached(
            store,
            &containers,
            &c,
            args.terminal.interactive,
            args.lifecycle.sig_proxy,
        );
    }
    start_detached(store, &containers, &c)?;
    println!("{}", c.id());
    Ok(0)
}

/// `run -d`'s container for `compose up`: made from the same flags, started
/// under its monitor.
pub fn run_detached(store: &Store, containers: &Containers, args: &RunArgs) -> Result<Container> {
    let c = create::make(store, containers, &request(args))?;
    start_detached(store, containers, &c)?;
    Ok(c)
}

/// `run -d`'s container, created but not started (`compose up --no-start`).
pub fn create_only(store: &Store, containers: &Containers, args: &RunArgs) -> Result<Container> {
    create::make(store, containers, &request(args))
}

/// What `run`'s flags ask `create` for.
fn request(args: &RunArgs) -> create::Request<'_> {
    create::Request {
        image: &args.image,
        platform: args.platform.as_ref(),
        command: &args.command,
        flags: &args.container,
        net: &args.net,
        record: &args.lifecycle.record,
        auto_remove: args.rm,
        terminal: &args.terminal,
        stdin_once: args.terminal.interactive && !args.lifecycle.detach,
    }
}

/// Starts a created container under its monitor; an `--rm` one that could
/// not start is removed.
pub fn start_detached(store: &Store, containers: &Containers, c: &Container) -> Result<()> {
    let monitor = monitor_command(store)?;
    let started = c
        .lock()
        .and_then(|_lock| strata_containers::monitor::start(c, &monitor));
    match started {
        Ok(_) => Ok(()),
        Err(e) => {
            if c.config.auto_remove {
                let _ = containers.remove(c);
            }
            Err(report(e))
        }
    }
}
