//! `--secret id=ID,env=VAR` (a secret from the environment) and the RUN
//! side `--mount=type=secret,id=ID,env=NAME`, through the binary: the step
//! sees the value (it writes only the value's sha256), and the value is in
//! no layer, not in the image config or history, and in no file of the
//! store once the build is done.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;
use support::cli::{run, stderr};
use support::env::Env;

/// What `sha256sum` prints for `value` on stdin.
fn sha256_line(value: &str) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(value.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("sha256sum");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => out.extend(files(&p)),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
    out
}

fn assert_nowhere(dir: &Path, value: &str) {
    for f in files(dir) {
        let bytes = fs::read(&f).unwrap_or_default();
        assert!(
            !bytes.windows(value.len()).any(|w| w == value.as_bytes()),
            "{} holds the secret",
            f.display()
        );
    }
}

#[test]
fn a_secret_from_the_environment_reaches_the_run_and_nothing_else() {
    let env = Env::new();
    let value = format!("s3cret-from-env-{}", std::process::id());
    let ctx = env.path("ctx");
    fs::create_dir_all(&ctx).expect("mkdir");
    fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\n\
         RUN --mount=type=secret,id=tok,env=TOKEN printf %s \"$TOKEN\" | sha256sum > /as-env\n\
         RUN --mount=type=secret,id=API_TOKEN sha256sum < /run/secrets/API_TOKEN > /as-file\n",
    )
    .expect("Dockerfile");
    let iid = env.path("iid");
    let out = run(env
        .strata()
        .env("MY_TOKEN", &value)
        .env("API_TOKEN", &value)
        .args([
            "build",
            "--secret",
            "id=tok,env=MY_TOKEN",
            "--secret",
            "id=API_TOKEN",
        ])
        .arg("--iidfile")
        .arg(&iid)
        .arg(&ctx));
    assert!(out.status.success(), "{}", stderr(&out));
    let id = fs::read_to_string(&iid).expect("iid");
    let (root, config) = env.unpack(id.trim(), "secret-env");
    assert_eq!(
        fs::read_to_string(root.join("as-env")).expect("as-env"),
        sha256_line(&value),
        "env=NAME puts the value in the RUN's environment"
    );
    assert_eq!(
        fs::read_to_string(root.join("as-file")).expect("as-file"),
        sha256_line(&value),
        "--secret id=VAR alone reads $VAR"
    );
    assert!(!root.join("run/secrets/API_TOKEN").exists());
    assert_nowhere(&root, &value);
    let text = config.to_string();
    assert!(!text.contains(&value), "config or history holds the secret");
    let history: Vec<Value> = config["history"].as_array().cloned().unwrap_or_default();
    assert!(!history.is_empty(), "the image has a history: {config}");
    // The store: layers, cache records, keys, and no leftover secret file.
    assert_nowhere(&env.store, &value);
}

#[test]
fn a_secret_from_an_unset_variable_is_refused_before_building() {
    let env = Env::new();
    let ctx = env.path("ctx");
    fs::create_dir_all(&ctx).expect("mkdir");
    fs::write(ctx.join("Dockerfile"), "FROM busybox\nRUN echo built\n").expect("Dockerfile");
    let out = run(env
        .strata()
        .env_remove("NO_SUCH_VAR_STRATA")
        .args([
            "build",
            "--progress",
            "plain",
            "--secret",
            "id=x,env=NO_SUCH_VAR_STRATA",
        ])
        .arg(&ctx));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("NO_SUCH_VAR_STRATA"), "{err}");
    assert!(err.contains("is not set"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("built"));
}
