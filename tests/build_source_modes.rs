//! `build --source-modes=normalize` (moby/buildkit#4374): one repository
//! checked out under umask 0002 and under 0022 has files 0664/0644 and dirs
//! 0775/0755; with normalize a COPY of either has the same key (and the
//! second build is a hit), without it the keys differ.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::cli::run;
use support::env::Env;

const DOCKERFILE: &str = "FROM busybox\nCOPY app /app\n\
RUN cd /app && find . | sort | xargs stat -c 'mode %a %n'\n";

fn git(dir: &Path, args: &[&str]) {
    let out = run(Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .arg("-C")
        .arg(dir)
        .args(args));
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository with a script (0755 in git), data files and a subdir.
fn repository(env: &Env) -> PathBuf {
    let repo = env.path("repo");
    std::fs::create_dir_all(repo.join("app/sub")).expect("mkdir");
    std::fs::write(repo.join("Dockerfile"), DOCKERFILE).expect("Dockerfile");
    std::fs::write(repo.join("app/run.sh"), "#!/bin/sh\necho hi\n").expect("run.sh");
    std::fs::write(repo.join("app/conf.txt"), "answer=42\n").expect("conf");
    std::fs::write(repo.join("app/sub/data"), "data\n").expect("data");
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    git(&repo, &["update-index", "--chmod=+x", "app/run.sh"]);
    git(&repo, &["commit", "-q", "-m", "app"]);
    repo
}

/// `git clone` of `repo` under `umask`.
fn checkout(env: &Env, repo: &Path, umask: &str) -> PathBuf {
    let dest = env.path(&format!("checkout-{umask}"));
    let out = run(Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask} && git clone -q \"$0\" \"$1\""))
        .arg(repo)
        .arg(&dest));
    assert!(
        out.status.success(),
        "clone: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dest
}

/// The COPY step's key and whether it was a hit, and the modes the RUN
/// printed (if it ran).
fn build(env: &Env, ctx: &Path, extra: &[&str]) -> (String, bool, Vec<String>) {
    let (_, events) = env.build_json(ctx, extra);
    let copy = events
        .iter()
        .find(|e| e["event"] == "step_done" && e["stage"] == 0 && e["step"] == 1)
        .unwrap_or_else(|| panic!("no COPY step_done: {events:?}"));
    let modes = events
        .iter()
        .filter(|e| e["event"] == "step_output")
        .filter_map(|e| e["line"].as_str())
        .filter(|l| l.starts_with("mode "))
        .map(str::to_owned)
        .collect();
    (
        copy["key"].as_str().unwrap_or_default().to_owned(),
        copy["cached"] == Value::Bool(true),
        modes,
    )
}

#[test]
fn checkouts_under_umask_0002_and_0022_share_the_copy_key_only_with_normalize() {
    let env = Env::new();
    let repo = repository(&env);
    let loose = checkout(&env, &repo, "0002");
    let strict = checkout(&env, &repo, "0022");
    let mode = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).expect("stat").permissions().mode() & 0o777
    };
    assert_eq!(
        (
            mode(&loose.join("app/conf.txt")),
            mode(&strict.join("app/conf.txt"))
        ),
        (0o664, 0o644),
        "the umask decides the checkout's modes"
    );

    let (loose_plain, _, loose_modes) = build(&env, &loose, &[]);
    let (strict_plain, _, _) = build(&env, &strict, &[]);
    assert_ne!(
        loose_plain, strict_plain,
        "without normalize the modes are part of the key"
    );
    assert!(
        loose_modes.contains(&"mode 664 ./conf.txt".to_string()),
        "without normalize the image keeps the checkout's modes: {loose_modes:?}"
    );

    let normalize = ["--source-modes", "normalize"];
    let (loose_norm, hit, _) = build(&env, &loose, &normalize);
    assert_eq!(
        loose_norm, strict_plain,
        "normalized, the 0002 checkout's COPY is the 0022 checkout's"
    );
    assert!(hit, "so it reuses the layer the 0022 checkout's build made");
    let (strict_norm, hit, _) = build(&env, &strict, &normalize);
    assert_eq!(strict_norm, loose_norm, "normalize: one key for both");
    assert!(hit);

    // What the image holds after a normalized COPY of the 0002 checkout:
    // the exec bit survives, the group write bits do not.
    let fresh = Env::new();
    let (_, events) = fresh.build_json(&loose, &normalize);
    let printed: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "step_output")
        .filter_map(|e| e["line"].as_str())
        .collect();
    for want in [
        "mode 755 .",
        "mode 644 ./conf.txt",
        "mode 755 ./run.sh",
        "mode 755 ./sub",
        "mode 644 ./sub/data",
    ] {
        assert!(printed.contains(&want), "{want:?} not in {printed:?}");
    }

    let bad = env.build(&strict, &["--source-modes", "strip"]);
    assert_eq!(
        bad.status.code(),
        Some(2),
        "an unknown mode is a usage error"
    );
}
