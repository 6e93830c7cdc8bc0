//! `strata parse` against BuildKit's parser test files and the real-world
//! corpus, driven through the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The copied BuildKit cases and corpus (their sources: each directory's
/// SOURCES.md).
fn testdata() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata"))
}

fn strata(args: &[&str], file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .arg(file)
        .output()
        .expect("running strata")
}

fn cases(dir: &str) -> Vec<PathBuf> {
    let dir = testdata().join(dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    out.sort();
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn every_buildkit_testfile_dumps_exactly_its_result() {
    let mut failures = Vec::new();
    let all = cases("conformance/buildkit/parser/testfiles");
    for case in &all {
        let expected = std::fs::read_to_string(case.join("result")).expect("result file");
        let out = strata(&["parse", "--format", "buildkit"], &case.join("Dockerfile"));
        if !out.status.success() || text(&out.stdout) != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- got (exit {:?})\n{}{}",
                case.display(),
                out.status.code(),
                text(&out.stdout),
                text(&out.stderr)
            ));
        }
    }
    assert!(all.len() >= 30, "only {} cases", all.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The error's first line is `FILE:LINE:COL: message` with LINE >= 1.
fn assert_located_error(file: &Path, out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}: {}",
        file.display(),
        text(&out.stderr)
    );
    let stderr = text(&out.stderr);
    let first = stderr.lines().next().unwrap_or_default();
    let rest = first
        .strip_prefix(&format!("{}:", file.display()))
        .unwrap_or_else(|| panic!("{}: error does not name the file: {first}", file.display()));
    let mut parts = rest.splitn(3, ':');
    let line: usize = parts
        .next()
        .and_then(|l| l.parse().ok())
        .expect("line number");
    let col: usize = parts.next().and_then(|c| c.parse().ok()).expect("column");
    assert!(line >= 1 && col >= 1, "{first}");
    assert!(parts.next().is_some_and(|m| m.trim().len() > 3), "{first}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn every_negative_testfile_is_rejected_with_its_line() {
    let all = cases("conformance/buildkit/parser/testfiles-negative");
    assert!(!all.is_empty());
    for case in all {
        let file = case.join("Dockerfile");
        for format in ["buildkit", "json"] {
            assert_located_error(&file, &strata(&["parse", "--format", format], &file));
        }
    }
}

#[test]
fn nested_json_is_rejected_on_its_line() {
    let file = testdata()
        .join("conformance/buildkit/parser/testfiles-negative/shykes-nested-json/Dockerfile");
    let out = strata(&["parse", "--format", "buildkit"], &file);
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "{}:1:1: when using JSON array syntax",
            file.display()
        )),
        "{stderr}"
    );
}

#[test]
fn every_realworld_dockerfile_parses_plans_and_checks_without_errors() {
    let all: Vec<PathBuf> = cases("corpus/realworld")
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| !n.to_string_lossy().starts_with("SOURCES."))
        })
        .collect();
    assert!(all.len() > 200, "only {} files", all.len());
    let mut failures = Vec::new();
    for file in &all {
        let parsed = strata(&["parse", "--format", "json"], file);
        if !parsed.status.success() {
            failures.push(format!(
                "parse {}: {}",
                file.display(),
                text(&parsed.stderr)
            ));
        }
        // check = parse + plan (stage DAG) + lint; none of these files asks
        // for check=error, so any non-zero exit is a parse or plan error.
        let checked = strata(&["check"], file);
        if !checked.status.success() || text(&checked.stderr).contains("panicked") {
            failures.push(format!(
                "check {}: {}",
                file.display(),
                text(&checked.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn json_output_has_typed_stages() {
    let file = testdata().join("corpus/realworld/buildkit__Dockerfile");
    let out = strata(&["parse", "--format", "json"], &file);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let stages = v["stages_raw"].as_array().expect("stages_raw array");
    assert!(stages.len() > 5);
    assert!(stages.iter().any(|s| s["name"] == "buildkit-version"));
}
