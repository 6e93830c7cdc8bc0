//! Helpers for the cache end-to-end tests: contexts written from strings,
//! `cache ls`/`du` read back as JSON, builds with a time limit.

use std::path::{Path, PathBuf};
use std::process::{Child, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::cli::ok;
use super::env::Env;

/// Writes a context dir `name` with these files (path, content).
pub fn context(env: &Env, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = env.path(name);
    for (path, content) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&p, content).expect("write context file");
    }
    dir
}

pub fn cache_json(env: &Env, args: &[&str]) -> Value {
    let out = ok(env
        .strata()
        .arg("cache")
        .args(args)
        .args(["--format", "json"]));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("cache {args:?}: {e}: {out}"))
}

/// `cache ls --format json`.
pub fn entries(env: &Env) -> Vec<Value> {
    cache_json(env, &["ls"])
        .as_array()
        .cloned()
        .expect("cache ls prints an array")
}

pub fn steps(env: &Env) -> Vec<Value> {
    entries(env)
        .into_iter()
        .filter(|e| e["kind"] == "step")
        .collect()
}

pub fn mounts(env: &Env) -> Vec<Value> {
    entries(env)
        .into_iter()
        .filter(|e| e["kind"] == "mount")
        .collect()
}

/// The step entry whose instruction text contains `text`.
pub fn step_with<'a>(steps: &'a [Value], text: &str) -> Vec<&'a Value> {
    steps
        .iter()
        .filter(|e| e["description"].as_str().is_some_and(|d| d.contains(text)))
        .collect()
}

pub fn fsck_ok(env: &Env) {
    let out = ok(env.strata().args(["system", "fsck"]));
    assert!(out.contains("ok"), "fsck: {out}");
}

/// Waits for a child at most `limit`; kills it and fails the test after.
pub fn wait_for(mut child: Child, limit: Duration, what: &str) -> Output {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return child.wait_with_output().expect("collect output"),
            Ok(None) if start.elapsed() < limit => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("collect output");
                panic!(
                    "{what} did not finish in {limit:?}:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}

/// `strata build` started in the background with JSON progress.
pub fn spawn_build(env: &Env, context: &Path, extra: &[&str]) -> Child {
    env.strata()
        .arg("build")
        .args(["--progress", "json"])
        .args(extra)
        .arg(context)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn strata build")
}

/// Processes whose command line contains `needle` (as /proc shows it, with
/// NULs between arguments turned into spaces).
pub fn processes_with(needle: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| {
                    String::from_utf8_lossy(&c)
                        .replace('\0', " ")
                        .contains(needle)
                })
                .unwrap_or(false)
        })
        .collect()
}
