//! `strata build --check` (buildx's): lint the Dockerfile, the rules that
//! need the context included, print the findings as `strata check` does,
//! build nothing; exit 1 if any rule fires. And `# syntax=`: accepted, with
//! a note that strata's built-in frontend builds it.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::cli::{run, stderr, stdout};
use support::env::Env;

fn context(env: &Env, name: &str, dockerfile: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = env.path(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("Dockerfile"), dockerfile).unwrap();
    for (f, text) in files {
        let p = dir.join(f);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    dir
}

fn images(env: &Env) -> String {
    stdout(&run(env.strata().args(["images", "-q"])))
}

fn check(env: &Env, ctx: &Path) -> (i32, String, String) {
    let out = run(env
        .strata()
        .args(["build", "--check", "-t", "never:1"])
        .arg(ctx));
    (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
}

#[test]
fn a_clean_dockerfile_passes_the_check_and_nothing_is_built() {
    let env = Env::new();
    let before = images(&env);
    let ctx = context(
        &env,
        "clean",
        "FROM busybox\nCOPY a.txt /a.txt\n",
        &[("a.txt", "a")],
    );
    let (code, out, err) = check(&env, &ctx);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert_eq!(images(&env), before, "--check builds no image");
}

#[test]
fn a_finding_fails_the_check_with_its_place_and_rule() {
    let env = Env::new();
    let ctx = context(&env, "warn", "FROM busybox\nMAINTAINER someone\n", &[]);
    let (code, out, _) = check(&env, &ctx);
    assert_eq!(code, 1);
    let file = ctx.join("Dockerfile").display().to_string();
    assert_eq!(
        out,
        format!(
            "{file}:2:1: MaintainerDeprecated: MAINTAINER instruction is deprecated in favor of using label\n"
        )
    );
}

#[test]
fn the_check_runs_copy_ignored_file_against_the_contexts_ignore_rules() {
    let env = Env::new();
    let ctx = context(
        &env,
        "ignored",
        "# check=experimental=CopyIgnoredFile\nFROM busybox\nCOPY secret.env /etc/app.env\nCOPY app.txt /app.txt\n",
        &[
            ("secret.env", "K=V"),
            ("app.txt", "app"),
            (".dockerignore", "*.env\n"),
        ],
    );
    let (code, out, _) = check(&env, &ctx);
    assert_eq!(code, 1);
    let file = ctx.join("Dockerfile").display().to_string();
    assert_eq!(
        out,
        format!(
            "{file}:3:1: CopyIgnoredFile: Attempting to Copy file \"secret.env\" that is excluded by .dockerignore\n"
        )
    );
    // A Dockerfile-specific ignore file replaces .dockerignore here too.
    fs::write(ctx.join("Dockerfile.dockerignore"), "app.txt\n").unwrap();
    let (code, out, _) = check(&env, &ctx);
    assert_eq!(code, 1);
    assert!(out.contains("\"app.txt\""), "{out}");
    assert!(!out.contains("secret.env"), "{out}");
}

#[test]
fn a_dockerfile_that_does_not_parse_fails_the_check_at_its_place() {
    let env = Env::new();
    let ctx = context(&env, "broken", "FROM busybox\nCOPY --bogus=1 a b\n", &[]);
    let (code, _, err) = check(&env, &ctx);
    assert_eq!(code, 1);
    let file = ctx.join("Dockerfile").display().to_string();
    assert!(
        err.contains(&format!("{file}:2:1: unknown flag: --bogus")),
        "{err}"
    );
}

#[test]
fn a_syntax_directive_is_accepted_with_a_note_that_the_built_in_frontend_builds() {
    let env = Env::new();
    let ctx = context(
        &env,
        "syntax",
        "# syntax=docker/dockerfile:1.7\nFROM busybox\nRUN echo hi > /hi\n",
        &[],
    );
    let (_, events) = env.build_json(&ctx, &[]);
    let notes: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "warning")
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert_eq!(
        notes,
        [
            "# syntax=docker/dockerfile:1.7: not pulled; strata builds with its built-in Dockerfile frontend"
        ]
    );
    let plain = run(env
        .strata()
        .args(["build", "--progress", "plain"])
        .arg(&ctx));
    assert!(plain.status.success(), "{}", stderr(&plain));
    let all = format!("{}{}", stdout(&plain), stderr(&plain));
    assert!(all.contains("built-in Dockerfile frontend"), "{all}");
}
