//! The sandboxed process: working directory, identity, capabilities, then
//! exec. Errors before exec go to the parent as reports.

use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Access, access};
use rustix::process::{Gid, Uid};

use super::in_root::{Kind, Root};
use super::{Context, InitConfig, caps, fail, send};
use crate::status::Report;
use crate::{DEFAULT_PATH, sys};

/// Exit code when the command cannot be found or run (the shell's).
const NOT_FOUND: i32 = 127;
const NOT_EXECUTABLE: i32 = 126;

pub(super) fn exec(config: &InitConfig, report: &mut std::fs::File, tty: Option<OwnedFd>) -> i32 {
    let spec = &config.spec;
    if let Err(msg) = prepare(config, tty) {
        return fail(report, msg);
    }
    let Some(program) = spec.args.first() else {
        return fail(report, "the command is empty".into());
    };
    let Some(path) = find_program(program, &search_path(&spec.env)) else {
        send(report, &Report::NotFound(program.clone()));
        return NOT_FOUND;
    };
    let mut cmd = std::process::Command::new(&path);
    cmd.arg0(program).args(&spec.args[1..]).env_clear();
    for entry in &spec.env {
        let (key, value) = entry.split_once('=').unwrap_or((entry, ""));
        cmd.env(key, value);
    }
    // exec only returns on failure.
    let err = cmd.exec();
    send(
        report,
        &Report::CannotExecute {
            command: path.display().to_string(),
            reason: err.to_string(),
        },
    );
    NOT_EXECUTABLE
}

fn prepare(config: &InitConfig, tty: Option<OwnedFd>) -> Result<(), String> {
    let spec = &config.spec;
    let caps = spec.security.capabilities();
    sys::reset_signals().ctx(|| "reset signals".into())?;
    if let Some(slave) = tty {
        super::tty::attach(&slave)?;
    }
    let root = Root::open(Path::new("/"))?;
    let cwd = root.ensure(Path::new(&spec.cwd), Kind::Dir)?;
    rustix::process::chdir(cwd.proc_path()).ctx(|| format!("chdir {}", spec.cwd))?;
    caps::limit_bounding(&caps)?;
    for limit in &spec.ulimits {
        limit
            .apply()
            .ctx(|| format!("set the {:?} limit", limit.resource))?;
    }
    sys::cloexec_from(3).ctx(|| "mark internal fds close-on-exec".into())?;
    // Loaded while we still hold CAP_SYS_ADMIN, which seccomp needs when
    // no_new_privs is off (as runc does); what follows (setgroups, setuid,
    // capset, prctl, execve) is in every profile's allow list.
    super::seccomp::load(&config.seccomp)?;
    let user = &spec.user;
    let groups: Vec<Gid> = user
        .additional_gids
        .iter()
        .map(|g| Gid::from_raw(*g))
        .collect();
    // A single-id user namespace has setgroups denied and no other ids: an
    // empty list, or one of just the primary group (as `strata run` asks
    // for root), is all it can mean.
    if rustix::thread::set_thread_groups(&groups).is_err()
        && groups.iter().any(|g| g.as_raw() != user.gid)
    {
        return Err("cannot set supplementary groups".into());
    }
    let gid = Gid::from_raw(user.gid);
    rustix::thread::set_thread_res_gid(gid, gid, gid).ctx(|| format!("setgid {}", user.gid))?;
    let uid = Uid::from_raw(user.uid);
    rustix::thread::set_thread_res_uid(uid, uid, uid).ctx(|| format!("setuid {}", user.uid))?;
    caps::set_process(user.uid, &caps)?;
    if spec.security.no_new_privs {
        rustix::thread::set_no_new_privs(true).ctx(|| "set no_new_privs".into())?;
    }
    Ok(())
}

fn search_path(env: &[String]) -> String {
    env.iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH)
        .to_owned()
}

/// `execvp`'s lookup, done by hand so "not found" is told apart from
/// "found but not executable".
fn find_program(program: &str, path: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Path::new(program).exists().then(|| PathBuf::from(program));
    }
    path.split(':')
        .filter(|dir| !dir.is_empty())
        .map(|dir| Path::new(dir).join(program))
        .find(|candidate| candidate.is_file() && access(candidate, Access::EXEC_OK).is_ok())
}
