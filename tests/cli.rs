//! The binary starts, prints its version and rejects bad usage with exit 2.

use std::process::Command;

fn strata() -> Command {
    Command::new(env!("CARGO_BIN_EXE_strata"))
}

#[test]
fn version_is_printed() {
    let out = strata().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("strata "));
}

#[test]
fn unknown_command_is_usage_error() {
    let out = strata().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
