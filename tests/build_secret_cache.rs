//! `build --secret id=X,src=F,cache=content` (docker/buildx#551): a keyed
//! hash of the secret's content is in the key of the RUNs that mount it, so
//! a rotated secret reruns them; without `cache=content` (BuildKit's rule)
//! a secret never enters a key. The records hold neither the secret nor its
//! plain sha256, and the store's hashing key is private to root.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::cli::ok;
use support::env::Env;
use support::events::fs_steps_run;

const FIRST: &str = "tok-3f9a1c-first-value";
const SECOND: &str = "tok-7d2e44-second-value";

fn context(env: &Env) -> PathBuf {
    let ctx = env.path("ctx");
    std::fs::create_dir_all(&ctx).expect("mkdir");
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\nRUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > /len\n",
    )
    .expect("Dockerfile");
    ctx
}

/// Builds with secret `tok` holding `value` (and `extra` fields after the
/// src); how many filesystem steps ran.
fn build(env: &Env, value: &str, fields: &str) -> usize {
    let src = env.path("tok.secret");
    std::fs::write(&src, value).expect("secret");
    let spec = format!("id=tok,src={}{fields}", src.display());
    let (_, events) = env.build_json(&context(env), &["--secret", &spec]);
    fs_steps_run(&events).len()
}

/// Every file under `dir`, as (path, lossy text).
fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((p, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    out
}

fn sha256_hex(text: &str) -> String {
    let out = ok(Command::new("sh")
        .arg("-c")
        .arg("printf %s \"$0\" | sha256sum")
        .arg(text));
    out.split_whitespace().next().unwrap_or_default().to_owned()
}

#[test]
fn by_default_a_rotated_secret_is_a_hit() {
    let env = Env::new();
    assert_eq!(build(&env, FIRST, ""), 1);
    assert_eq!(
        build(&env, SECOND, ""),
        0,
        "BuildKit's rule: no secret in a key"
    );
}

#[test]
fn cache_content_reruns_the_step_when_the_secret_changes_and_hides_it() {
    let env = Env::new();
    assert_eq!(build(&env, FIRST, ",cache=content"), 1);
    assert_eq!(
        build(&env, FIRST, ",cache=content"),
        0,
        "same secret: a hit"
    );
    assert_eq!(build(&env, SECOND, ",cache=content"), 1, "rotated: a miss");
    assert_eq!(
        build(&env, FIRST, ",cache=content"),
        0,
        "the first one's record is kept"
    );

    let records = files(&env.store.join("cache/steps"));
    let keyed: Vec<&(PathBuf, String)> = records
        .iter()
        .filter(|(_, text)| text.contains("hmac-sha256:"))
        .collect();
    assert_eq!(keyed.len(), 2, "one record per secret value: {records:?}");
    for secret in [FIRST, SECOND] {
        let plain = sha256_hex(secret);
        assert_eq!(plain.len(), 64);
        for (path, text) in &records {
            assert!(
                !text.contains(secret) && !text.contains(&plain),
                "{} shows the secret or its plain hash",
                path.display()
            );
        }
        let inspect = ok(env.strata().args(["cache", "ls", "--format", "json"]));
        assert!(!inspect.contains(secret) && !inspect.contains(&plain));
    }

    let key = env.store.join("cache/secret-key");
    let mode = std::fs::metadata(&key)
        .expect("the store's secret key")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let bad = env.build(
        &context(&env),
        &["--secret", "id=tok,src=/dev/null,cache=always"],
    );
    assert_eq!(
        bad.status.code(),
        Some(2),
        "an unknown cache= is a usage error"
    );
}
