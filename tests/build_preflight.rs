//! `strata build` refuses what it cannot do before it builds anything:
//! nameless variables (a usage error, exit 2, naming the flag), a secret
//! whose file is missing (BuildKit refuses it too), a tag that is no
//! image name, an --iidfile or --output it could not write. And a COPY
//! --from source that is missing is said to be missing from the stage or
//! image, not from the build context.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::cli::{run, stderr, stdout};
use support::env::Env;
use support::events::json_lines;

/// A context whose one step would take a while: a build that started
/// would show it as a `step_start` event.
fn context(env: &Env) -> PathBuf {
    let ctx = env.path("ctx");
    fs::create_dir_all(&ctx).unwrap();
    fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\nRUN echo built > /built\n",
    )
    .unwrap();
    ctx
}

/// Builds with `flags`; returns (exit code, stderr, whether any step began).
fn attempt(env: &Env, ctx: &Path, flags: &[&str]) -> (i32, String, bool) {
    let mut args = vec!["--progress", "json"];
    args.extend_from_slice(flags);
    let out = env.build(ctx, &args);
    let started = json_lines(&out.stdout)
        .iter()
        .any(|e| e["event"] == "step_start");
    (out.status.code().unwrap_or(-1), stderr(&out), started)
}

#[test]
fn nameless_variables_are_usage_errors_naming_the_flag() {
    let env = Env::new();
    let ctx = context(&env);
    for bad in ["=x", ""] {
        let (code, err, started) = attempt(&env, &ctx, &["--build-arg", bad]);
        assert_eq!(code, 2, "--build-arg {bad:?}: {err}");
        assert!(err.contains("--build-arg"), "{err}");
        assert!(!started);
    }
    let out = run(env.strata().args(["run", "-e", "=x", "busybox", "true"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--env"), "{}", stderr(&out));
}

#[test]
fn a_secret_whose_source_is_missing_is_an_error() {
    let env = Env::new();
    let ctx = context(&env);
    let missing = env.path("no-such-secret");
    let spec = format!("id=token,src={}", missing.display());
    let (code, err, started) = attempt(&env, &ctx, &["--secret", &spec]);
    assert_ne!(code, 0);
    assert!(err.contains("no-such-secret"), "{err}");
    assert!(!started, "refused before building");
}

#[test]
fn a_bad_tag_iidfile_or_output_is_reported_before_the_build() {
    let env = Env::new();
    let ctx = context(&env);
    let file = env.path("a-file");
    fs::write(&file, "").unwrap();
    let under_file = file.join("out");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["-t".into(), "Bad Name:x".into()], "Bad Name"),
        (
            vec![
                "--iidfile".into(),
                env.path("no/dir/iid").display().to_string(),
            ],
            "--iidfile",
        ),
        (
            vec!["--iidfile".into(), env.dir.path().display().to_string()],
            "--iidfile",
        ),
        (
            vec![
                "--output".into(),
                format!("type=oci,dest={}", under_file.display()),
            ],
            "--output",
        ),
        (
            vec![
                "--output".into(),
                format!(
                    "type=docker-archive,dest={}",
                    env.path("missing/img.tar").display()
                ),
            ],
            "--output",
        ),
    ];
    for (flags, said) in cases {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let (code, err, started) = attempt(&env, &ctx, &flags);
        assert_ne!(code, 0, "{flags:?}");
        assert!(err.contains(said), "{flags:?}: {err}");
        assert!(!started, "{flags:?}: refused only after building");
    }
}

/// The message as one line: the error renderer wraps long ones.
fn flat(text: &str) -> String {
    text.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_missing_copy_from_source_names_the_stage_or_image() {
    let env = Env::new();
    let ctx = env.path("ctx");
    fs::create_dir_all(&ctx).unwrap();
    for (from, place) in [("base", "stage base"), ("busybox", "image busybox")] {
        fs::write(
            ctx.join("Dockerfile"),
            format!("FROM busybox AS base\nFROM busybox\nCOPY --from={from} /nowhere /x\n"),
        )
        .unwrap();
        let out = env.build(&ctx, &[]);
        assert!(!out.status.success());
        let err = flat(&stderr(&out));
        assert!(
            err.contains(&format!("/nowhere: no such file or directory in {place}")),
            "{err}"
        );
        assert!(!err.contains("build context"), "{err}");
    }
    fs::write(ctx.join("Dockerfile"), "FROM busybox\nCOPY nowhere /x\n").unwrap();
    let out = env.build(&ctx, &[]);
    let err = flat(&stderr(&out));
    assert!(
        err.contains("nowhere: no such file or directory in the build context"),
        "{}{err}",
        stdout(&out),
    );
}
