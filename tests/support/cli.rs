//! Running the `strata` binary and other tools.

use std::path::Path;
use std::process::{Command, Output};

/// `strata --root ROOT`, with no SOURCE_DATE_EPOCH leaking in from the
/// caller's environment.
pub fn strata(root: &Path) -> Command {
    let mut c = strata_bin();
    c.arg("--root").arg(root);
    c.env_remove("SOURCE_DATE_EPOCH");
    c
}

/// The binary with nothing added but [`HOST_NETWORK`], for commands
/// that need no store.
pub fn strata_bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_strata"));
    c.env(HOST_NETWORK.0, HOST_NETWORK.1);
    c
}

/// Containers of tests that do not test networks share the host's
/// network: run in the host's own namespace, strata's default (a bridge
/// with firewall rules) must not be made there. The network tests run
/// strata in a namespace of their own with the default untouched
/// (netns.rs).
pub const HOST_NETWORK: (&str, &str) = ("STRATA_NETWORK_DEFAULT", "host");

pub fn tool(name: &str) -> Command {
    Command::new(name)
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"))
}

/// Runs and requires success; returns stdout.
pub fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

/// Runs and requires success; returns stdout without surrounding space.
pub fn ok_trimmed(cmd: &mut Command) -> String {
    ok(cmd).trim().to_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
