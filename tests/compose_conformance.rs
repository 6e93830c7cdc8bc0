//! compose-go's loader conformance through `strata compose config --format
//! json`: every file of compose-go's loader/testdata (copied into
//! testdata/compose/compose-go/loader/testdata) loads, or fails where
//! compose-go's tests expect it to, and the values compose-go's loader tests
//! assert hold. The table is testdata/compose/compose-go/loader_cases.json;
//! each case names the Go test it mirrors.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn loader_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/compose/compose-go/loader"
    ))
}

fn cases() -> Vec<Value> {
    let path = loader_dir().with_file_name("loader_cases.json");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("cases")).expect("json");
    doc["cases"].as_array().cloned().unwrap_or_default()
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(case: &Value) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.current_dir(loader_dir())
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_PROFILES")
        .env_remove("COMPOSE_FILE")
        .env_remove("SOURCE")
        .arg("compose");
    if let Some(env) = case["env"].as_object() {
        for (k, v) in env {
            cmd.env(k, v.as_str().unwrap_or_default());
        }
    }
    let stdin = case["stdin"].as_str();
    match case["files"].as_array() {
        Some(files) => {
            for f in files {
                cmd.args(["-f", f.as_str().unwrap_or_default()]);
            }
        }
        None => {
            cmd.args(["-f", "-", "--project-directory", "."]);
        }
    }
    for a in case["args"].as_array().into_iter().flatten() {
        cmd.arg(a.as_str().unwrap_or_default());
    }
    cmd.args(["config", "--format", "json"]);
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

fn check(case: &Value, failures: &mut Vec<String>) {
    let name = case["case"].as_str().unwrap_or_default();
    let out = run(case);
    if let Some(want) = case["error"].as_str() {
        if out.code != Some(15) || !out.stderr.contains(want) {
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
    if let Some(w) = case["warning"].as_str()
        && !out.stderr.contains(w)
    {
        failures.push(format!("{name}: no warning {w:?} in {}", out.stderr));
    }
}

#[test]
fn compose_go_loader_cases_hold_through_strata_compose_config() {
    let all = cases();
    assert!(all.len() >= 50, "the table lost cases");
    let mut failures = Vec::new();
    for case in &all {
        check(case, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

fn yaml_files(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("testdata dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            let rel = p.strip_prefix(loader_dir()).expect("under loader/");
            out.push(rel.to_string_lossy().into_owned());
        }
    }
}

#[test]
fn every_file_of_compose_go_loader_testdata_has_a_case() {
    let mut files = Vec::new();
    yaml_files(&loader_dir().join("testdata"), &mut files);
    assert!(
        files.len() >= 30,
        "testdata was not copied whole: {files:?}"
    );
    let named: Vec<String> = cases()
        .iter()
        .flat_map(|c| c["files"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f.as_str().map(String::from))
        .collect();
    let missing: Vec<&String> = files.iter().filter(|f| !named.contains(f)).collect();
    assert!(missing.is_empty(), "loaded by no case: {missing:?}");
}
