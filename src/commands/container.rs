//! Turning the shared container flags into a `RunSpec`, and running it in
//! the foreground with signals forwarded.

use std::path::{Path, PathBuf};

use miette::{IntoDiagnostic, Result, miette};
use strata_builder::accounts::Accounts;
use strata_executor::{
    Capability, Limits, Mount, Network, RunSpec, Sandbox, SeccompPolicy, Security, Stdio, User,
};

use crate::cli::{ContainerArgs, DeviceFlag};

/// Applies the flags on top of `spec` (which holds the image's defaults).
/// `accounts` are the image's, for `-u NAME`.
pub fn apply(spec: &mut RunSpec, args: &ContainerArgs, accounts: &Accounts) -> Result<()> {
    // docker: the files first, in order, then -e over them.
    for file in &args.run_flags.env_files {
        for entry in &file.0 {
            set_env(&mut spec.env, entry.clone());
        }
    }
    for entry in &args.env {
        let entry = match entry.split_once('=') {
            Some(_) => entry.clone(),
            // `-e K` passes the caller's value through, as docker does.
            None => match std::env::var(entry) {
                Ok(v) => format!("{entry}={v}"),
                Err(_) => continue,
            },
        };
        set_env(&mut spec.env, entry);
    }
    if let Some(dir) = &args.workdir {
        spec.cwd = dir.clone();
    }
    if let Some(user) = &args.user {
        spec.user = accounts.user(user).into_diagnostic()?;
    }
    for v in &args.volumes {
        spec.mounts.extend(parse_volume(v)?);
    }
    spec.mounts.extend(args.run_flags.tmpfs.iter().cloned());
    if args.run_flags.read_only {
        read_only_root(spec);
    }
    // Networks by name are joined by `run` (see run_network.rs).
    if let Some(network) = builtin_network(&network_mode(args)) {
        spec.network = network;
    }
    spec.limits = Limits {
        memory: args.memory.as_deref().map(parse_size).transpose()?,
        pids: args.pids_limit,
    };
    if let Some(h) = &args.hostname {
        spec.hostname = h.clone();
    }
    spec.userns = args.userns;
    spec.security = security(args)?;
    spec.ulimits = args.ulimits.clone();
    devices(spec, args)
}

/// `--device` (each host path looked at now, so a bad one fails `run` and
/// `create` alike) and `--device-cgroup-rule`, which rootless strata has
/// no cgroup for.
fn devices(spec: &mut RunSpec, args: &ContainerArgs) -> Result<()> {
    let mut cdi = Vec::new();
    for device in &args.device_flags.devices {
        match device {
            DeviceFlag::Host(device) => {
                let nodes = device.nodes().map_err(|e| miette!("--device {e}"))?;
                spec.devices.extend(nodes);
            }
            DeviceFlag::Cdi(name) => cdi.push(name.clone()),
        }
    }
    super::cdi_devices::apply(spec, &cdi, &args.device_flags.cdi_spec_dirs)?;
    let rules = &args.device_flags.device_cgroup_rules;
    let rootless = strata_executor::rootless::entered() || !rustix::process::geteuid().is_root();
    if !rules.is_empty() && rootless {
        return Err(miette!(
            "--device-cgroup-rule: {}",
            strata_executor::ExecError::DeviceRulesUnsupported
        ));
    }
    spec.device_rules.extend(rules.iter().copied());
    Ok(())
}

/// `--privileged`, `--cap-add/--cap-drop`, `--security-opt`, as docker
/// reads them.
fn security(args: &ContainerArgs) -> Result<Security> {
    let mut sec = if args.privileged {
        Security::privileged()
    } else {
        Security::default()
    };
    sec.cap_add = caps(&args.cap_add, "--cap-add")?;
    sec.cap_drop = caps(&args.cap_drop, "--cap-drop")?;
    for opt in &args.security_opt {
        // docker accepts both `key=value` and the older `key:value`.
        let (key, value) = opt
            .split_once(['=', ':'])
            .map_or((opt.as_str(), None), |(k, v)| (k, Some(v)));
        match (key, value) {
            ("no-new-privileges", None | Some("true")) => sec.no_new_privs = true,
            ("no-new-privileges", Some("false")) => sec.no_new_privs = false,
            ("seccomp", Some("unconfined")) => sec.seccomp = SeccompPolicy::Unconfined,
            ("seccomp", Some(path)) if !args.privileged => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| miette!("--security-opt seccomp={path}: {e}"))?;
                let profile = serde_json::from_str(&text)
                    .map_err(|e| miette!("--security-opt seccomp={path}: {e}"))?;
                sec.seccomp = SeccompPolicy::Profile(profile);
            }
            // --privileged turns the filter off whatever the profile.
            ("seccomp", Some(_)) => {}
            _ => {
                return Err(miette!(
                    "unsupported --security-opt {opt:?}: expected seccomp=unconfined|PROFILE.json or no-new-privileges"
                ));
            }
        }
    }
    Ok(sec)
}

fn caps(names: &[String], flag: &str) -> Result<Vec<Capability>> {
    let mut out = Vec::new();
    for name in names {
        if name.eq_ignore_ascii_case("all") {
            out.extend(strata_executor::all_caps());
            continue;
        }
        out.push(
            strata_executor::parse_capability(name)
                .ok_or_else(|| miette!("{flag} {name}: unknown capability"))?,
        );
    }
    Ok(out)
}

/// `--read-only`: the root read-only, and a fresh tmpfs on each of the
/// places programs expect to write (podman's --read-only-tmpfs), unless a
/// mount of the user's is there.
fn read_only_root(spec: &mut RunSpec) {
    spec.readonly_rootfs = true;
    for dir in ["/tmp", "/var/tmp", "/run"] {
        let taken = spec.mounts.iter().any(|m| match m {
            Mount::Bind { target, .. } | Mount::Tmpfs { target, .. } => target == Path::new(dir),
        });
        if !taken {
            spec.mounts.push(Mount::Tmpfs {
                target: PathBuf::from(dir),
                size: None,
                options: strata_executor::TmpfsOptions::default(),
            });
        }
    }
}

/// `host` and `none`: the modes that need no network record.
/// `--network`, else the default (see network_default.rs).
pub fn network_mode(args: &ContainerArgs) -> String {
    args.network
        .clone()
        .unwrap_or_else(super::network_default::mode)
}

pub fn builtin_network(mode: &str) -> Option<Network> {
    match mode {
        "host" => Some(Network::Host),
        "none" => Some(Network::None),
        _ => None,
    }
}

/// Adds HOME from the image's passwd when the environment has none.
pub fn default_home(spec: &mut RunSpec, accounts: &Accounts, user: &User) {
    if spec.env.iter().any(|e| e.starts_with("HOME=")) {
        return;
    }
    let home = accounts.home(user.uid).unwrap_or_else(|| "/".to_owned());
    spec.env.push(format!("HOME={home}"));
}

pub fn set_env(env: &mut Vec<String>, entry: String) {
    let key = entry
        .split_once('=')
        .map_or(entry.as_str(), |(k, _)| k)
        .to_owned();
    env.retain(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k) != key);
    env.push(entry);
}

/// A `-v` of a host path as a bind mount; `None` for a named or
/// anonymous volume, which needs the store (see volume_mounts.rs).
fn parse_volume(spec: &str) -> Result<Option<Mount>> {
    let crate::cli::VolumeArg::Host {
        source,
        target,
        readonly,
        options,
    } = crate::cli::parse_volume_arg(spec).map_err(|e| miette!("-v/--volume {e}"))?
    else {
        return Ok(None);
    };
    let source =
        std::fs::canonicalize(&source).map_err(|e| miette!("volume source {source}: {e}"))?;
    Ok(Some(Mount::Bind {
        source,
        target: PathBuf::from(target),
        readonly,
        options,
    }))
}

/// `--memory`: "512", "64k", "64m", "1g" (also "1gb", "1GiB") as bytes,
/// every unit binary as docker reads it (see `strata_parser::size`).
pub fn parse_size(text: &str) -> Result<u64> {
    strata_parser::size::ByteSize::parse_binary(text)
        .map(|b| b.0)
        .map_err(|_| miette!("bad size {text:?}: a number with an optional unit k, m, g, t or p"))
}

/// Runs `spec` with our stdio, forwarding SIGINT/SIGTERM/... (unless
/// `sig_proxy` is false: the sandbox lives only as long as we do, so the
/// signals are then ignored), and returns the exit code strata should end with.
pub fn run_foreground(spec: &RunSpec, sig_proxy: bool) -> Result<i32> {
    strata_executor::block_forwarded_signals().into_diagnostic()?;
    let mut running = Sandbox::spawn(spec, Stdio::inherit()).into_diagnostic()?;
    loop {
        if let Some(status) = running.try_wait().into_diagnostic()? {
            if running.out_of_memory() {
                eprintln!("strata: the memory limit was reached; the kernel killed a process");
            }
            return Ok(status.code());
        }
        if let Some(sig) = strata_executor::next_signal(100).into_diagnostic()?
            && sig != strata_executor::Signal::CHILD
            && sig_proxy
        {
            running.signal(sig);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("512").unwrap(), 512);
        assert_eq!(parse_size("64m").unwrap(), 64 << 20);
        assert_eq!(parse_size("1G").unwrap(), 1 << 30);
        assert_eq!(parse_size("2kb").unwrap(), 2048);
        assert!(parse_size("12x").is_err());
        assert!(parse_size("m").is_err());
    }

    #[test]
    fn later_env_entries_replace_earlier_ones() {
        let mut env = vec!["PATH=/bin".to_owned(), "A=1".to_owned()];
        set_env(&mut env, "A=2".to_owned());
        assert_eq!(env, ["PATH=/bin", "A=2"]);
    }
}
