//! Table-driven `strata compose config --format json` cases (compose-go's
//! loader tests, docker/compose's e2e fixtures): how one case runs and what
//! it checks. A case is a JSON object:
//! `cwd` (relative to the table's base dir), `files` (each `-f`; none: `-f -
//! --project-directory .` when `stdin` is given, discovery otherwise),
//! `stdin`, `args` (before `config`), `config_args` (after it), `env`; and
//! what must hold: `error`
//! (exit 1, stderr contains it), `expect` (JSON pointer → value), `suffix`
//! (pointer → an absolute path ending so), `length` (pointer → array
//! length), `absent`, `nonempty` (pointers), `warning` (stderr contains it).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

pub fn table(path: &Path) -> Vec<Value> {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("case table")).expect("json");
    doc["cases"].as_array().cloned().unwrap_or_default()
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(base: &Path, case: &Value) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.current_dir(base.join(case["cwd"].as_str().unwrap_or(".")));
    for var in [
        "COMPOSE_PROJECT_NAME",
        "COMPOSE_PROFILES",
        "COMPOSE_FILE",
        "SOURCE",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in case["env"].as_object().into_iter().flatten() {
        cmd.env(k, v.as_str().unwrap_or_default());
    }
    cmd.arg("compose");
    let stdin = case["stdin"].as_str();
    match case["files"].as_array() {
        Some(files) => {
            for f in files {
                cmd.args(["-f", f.as_str().unwrap_or_default()]);
            }
        }
        None if stdin.is_some() => {
            cmd.args(["-f", "-", "--project-directory", "."]);
        }
        None => {}
    }
    for a in case["args"].as_array().into_iter().flatten() {
        cmd.arg(a.as_str().unwrap_or_default());
    }
    cmd.args(["config", "--format", "json"]);
    for a in case["config_args"].as_array().into_iter().flatten() {
        cmd.arg(a.as_str().unwrap_or_default());
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("running strata");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .expect("stdin written");
    drop(input);
    let out = child.wait_with_output().expect("strata ran");
    Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs one case; what did not hold is added to `failures`.
pub fn check(base: &Path, case: &Value, failures: &mut Vec<String>) {
    let name = case["case"].as_str().unwrap_or_default();
    let out = run(base, case);
    if let Some(want) = case["error"].as_str() {
        if out.code != Some(1) || !out.stderr.contains(want) {
            failures.push(format!(
                "{name}: want failure {want:?}, got exit {:?}: {}",
                out.code, out.stderr
            ));
        }
        return;
    }
    if out.code != Some(0) {
        failures.push(format!("{name}: exit {:?}: {}", out.code, out.stderr));
        return;
    }
    let model: Value = match serde_json::from_str(&out.stdout) {
        Ok(m) => m,
        Err(e) => {
            failures.push(format!("{name}: output is no JSON ({e})"));
            return;
        }
    };
    for (ptr, want) in case["expect"].as_object().into_iter().flatten() {
        let got = model.pointer(ptr).cloned().unwrap_or(Value::Null);
        if &got != want {
            failures.push(format!("{name}: {ptr} = {got}, want {want}"));
        }
    }
    for (ptr, want) in case["suffix"].as_object().into_iter().flatten() {
        let got = model
            .pointer(ptr)
            .and_then(Value::as_str)
            .unwrap_or_default();
        let want = want.as_str().unwrap_or_default();
        if !got.ends_with(want) || !got.starts_with('/') {
            failures.push(format!(
                "{name}: {ptr} = {got:?}, want an absolute path ending in {want:?}"
            ));
        }
    }
    for (ptr, want) in case["length"].as_object().into_iter().flatten() {
        let got = model.pointer(ptr).and_then(Value::as_array).map(Vec::len);
        if got != want.as_u64().map(|n| n as usize) {
            failures.push(format!("{name}: {ptr} has {got:?} items, want {want}"));
        }
    }
    for ptr in case["absent"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if model.pointer(ptr).is_some() {
            failures.push(format!("{name}: {ptr} should be absent"));
        }
    }
    for ptr in case["nonempty"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let empty = match model.pointer(ptr) {
            Some(Value::Object(m)) => m.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::String(s)) => s.is_empty(),
            Some(_) => false,
            None => true,
        };
        if empty {
            failures.push(format!("{name}: {ptr} should not be empty"));
        }
    }
    if let Some(w) = case["warning"].as_str()
        && !out.stderr.contains(w)
    {
        failures.push(format!("{name}: no warning {w:?} in {}", out.stderr));
    }
}

/// Checks every case of a table against `base`, failing once with every
/// case that did not hold (so one run shows them all).
pub fn check_all(base: &Path, all: &[Value]) {
    let mut failures = Vec::new();
    for case in all {
        check(base, case, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}
