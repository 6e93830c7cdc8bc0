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

/// The binary with nothing added, for commands that need no store.
pub fn strata_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_strata"))
}

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
