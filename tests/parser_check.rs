//! `strata check`: lint findings as `FILE:LINE:COL: Rule: message`, the
//! `# check=skip=...;error=...` directive, and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lint_file(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/lint")).join(name)
}

/// Runs in testdata/lint with the bare file name, so output names the file
/// as the user typed it.
fn check(file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(file.parent().expect("lint dir"))
        .arg("check")
        .arg(file.file_name().expect("file name"))
        .output()
        .expect("running strata")
}

#[test]
fn findings_of_every_rule_are_reported_in_line_order() {
    let file = lint_file("many_rules.Dockerfile");
    let expected = std::fs::read_to_string(lint_file("many_rules.out")).expect("expected output");
    let out = check(&file);
    assert_eq!(out.status.code(), Some(0), "warnings alone do not fail");
    let got = String::from_utf8_lossy(&out.stdout);
    pretty_assertions::assert_eq!(got, expected);
    for rule in [
        "StageNameCasing",
        "FromAsCasing",
        "ConsistentInstructionCasing",
        "DuplicateStageName",
        "ReservedStageName",
        "JSONArgsRecommended",
        "MaintainerDeprecated",
        "UndefinedArgInFrom",
        "InvalidDefaultArgInFrom",
        "WorkdirRelativePath",
        "UndefinedVar",
        "MultipleInstructionsDisallowed",
        "LegacyKeyValueFormat",
        "RedundantTargetPlatform",
        "SecretsUsedInArgOrEnv",
        "FromPlatformFlagConstDisallowed",
        "ExposeProtoCasing",
        "ExposeInvalidFormat",
        "NoEmptyContinuation",
    ] {
        assert!(
            got.contains(&format!(": {rule}: ")),
            "no {rule} finding in:\n{got}"
        );
    }
    for line in got.lines() {
        assert!(line.starts_with("many_rules.Dockerfile:"), "{line}");
    }
}

#[test]
fn a_clean_dockerfile_has_no_findings() {
    let out = check(&lint_file("clean.Dockerfile"));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
}

#[test]
fn check_error_true_makes_findings_fail() {
    let out = check(&lint_file("error_directive.Dockerfile"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains(":3:1: MaintainerDeprecated: "));
}

#[test]
fn skipped_rules_are_not_reported_nor_fail() {
    let out = check(&lint_file("skip_directive.Dockerfile"));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
}

#[test]
fn a_dockerfile_from_stdin_is_checked() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["check", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn strata");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"FROM alpine\nMAINTAINER x\n")
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "<stdin>:2:1: MaintainerDeprecated: MAINTAINER instruction is deprecated in favor of using label\n"
    );
}

#[test]
fn experimental_definition_descriptions_are_checked_only_on_request() {
    let out = check(&lint_file("definitions.Dockerfile"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "definitions.Dockerfile:5:1: InvalidDefinitionDescription: Comment for arguments should follow the format: `# GO_VERSION <description>`\n"
    );
    let text = std::fs::read_to_string(lint_file("definitions.Dockerfile")).expect("read");
    let without = text.replacen("# check=experimental=InvalidDefinitionDescription\n", "", 1);
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["check", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn strata");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), without.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
}

/// CopyIgnoredFile needs the build context: with one (`strata check FILE
/// CONTEXT`), a COPY/ADD source the context's .dockerignore excludes is
/// reported in BuildKit's words (an experimental rule there, so the case
/// turns it on); without one, the rule cannot run.
#[test]
fn copy_ignored_file_fires_only_with_a_context() {
    let dir = lint_file("copy_ignored");
    let expected = std::fs::read_to_string(lint_file("copy_ignored.out")).expect("expected");
    let with = Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(&dir)
        .args(["check", "Dockerfile", "."])
        .output()
        .expect("running strata");
    assert_eq!(with.status.code(), Some(0), "warnings alone do not fail");
    pretty_assertions::assert_eq!(String::from_utf8_lossy(&with.stdout), expected);
    let without = check(&dir.join("Dockerfile"));
    assert_eq!(String::from_utf8_lossy(&without.stdout), "");
}
