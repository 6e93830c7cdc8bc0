//! The Dockerfile a context supplies (and its .dockerignore) is read
//! without following a symlink out of the context, as BuildKit's context
//! transfer never sends what lies outside: a Dockerfile linking to a
//! secret is refused by name, and the secret is never printed. A link that
//! stays inside the context works, and `-f` naming a file outside the
//! context is the user's own choice and keeps working.

mod support;

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Output;

use support::cli::*;
use support::hostile::flat;

const SECRET: &str = "TOPSECRET-d41d8cd9";

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
        std::fs::write(dir.path().join("secret"), format!("{SECRET}\n")).expect("write");
        Case { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn context(&self, name: &str) -> PathBuf {
        let ctx = self.path(name);
        std::fs::create_dir_all(&ctx).expect("mkdir");
        ctx
    }

    fn build(&self, ctx: &Path, extra: &[&str]) -> Output {
        run(strata(&self.path("store"))
            .args(["build", "--progress", "plain"])
            .args(extra)
            .arg(ctx)
            .env("STRATA_TEST_SECRET", SECRET))
    }
}

fn assert_refused_quietly(out: &Output, names: &str, what: &str) {
    let all = format!("{} {}", flat(&out.stdout), flat(&out.stderr));
    assert!(!out.status.success(), "{what}: succeeded: {all}");
    assert!(all.contains("leads outside"), "{what}: {all}");
    assert!(all.contains(names), "{what}: expected {names:?} in {all}");
    assert!(!all.contains(SECRET), "{what}: printed the secret: {all}");
    assert!(!all.contains("root:"), "{what}: printed /etc/shadow: {all}");
}

#[test]
fn a_context_dockerfile_linking_out_of_the_context_is_refused_without_printing_it() {
    let case = Case::new();
    let targets = [
        ("relative", PathBuf::from("../secret")),
        ("absolute", case.path("secret")),
        ("shadow", PathBuf::from("/etc/shadow")),
        ("environ", PathBuf::from("/proc/self/environ")),
    ];
    for (name, target) in targets {
        let ctx = case.context(name);
        symlink(&target, ctx.join("Dockerfile")).expect("symlink");
        let out = case.build(&ctx, &[]);
        assert_refused_quietly(&out, "Dockerfile", &format!("build {name}"));

        // `check` and `parse` read ./Dockerfile of the working directory
        // the same way.
        for cmd in ["check", "parse"] {
            let out = run(strata_bin()
                .arg(cmd)
                .current_dir(&ctx)
                .env("STRATA_TEST_SECRET", SECRET));
            assert_refused_quietly(&out, "Dockerfile", &format!("{cmd} {name}"));
        }
    }
}

#[test]
fn a_dockerignore_linking_out_of_the_context_is_refused_without_printing_it() {
    let case = Case::new();
    for (name, target) in [
        ("ignore-abs", case.path("secret")),
        ("ignore-environ", PathBuf::from("/proc/self/environ")),
    ] {
        let ctx = case.context(name);
        std::fs::write(ctx.join("Dockerfile"), "FROM scratch\n").expect("write");
        symlink(&target, ctx.join(".dockerignore")).expect("symlink");
        let out = case.build(&ctx, &[]);
        assert_refused_quietly(&out, ".dockerignore", name);
    }
}

#[test]
fn links_inside_the_context_and_an_explicit_file_outside_it_still_build() {
    let case = Case::new();
    let ctx = case.context("inside");
    std::fs::create_dir_all(ctx.join("docker")).expect("mkdir");
    std::fs::write(
        ctx.join("docker/app.Dockerfile"),
        "FROM scratch\nCOPY keep /\n",
    )
    .expect("write");
    std::fs::write(ctx.join("keep"), "k").expect("write");
    std::fs::write(ctx.join("drop"), "d").expect("write");
    std::fs::write(ctx.join("docker/ignore"), "drop\n").expect("write");
    symlink("docker/app.Dockerfile", ctx.join("Dockerfile")).expect("symlink");
    symlink("docker/ignore", ctx.join(".dockerignore")).expect("symlink");
    let out = case.build(&ctx, &[]);
    assert!(out.status.success(), "{}", flat(&out.stderr));

    // The .dockerignore read through its link excludes `drop`.
    let df = ctx.join("docker/app.Dockerfile");
    std::fs::write(&df, "FROM scratch\nCOPY drop /\n").expect("write");
    let out = case.build(&ctx, &[]);
    assert!(!out.status.success(), "drop was not ignored");

    // -f outside the context: read as given.
    let outside = case.path("elsewhere.Dockerfile");
    std::fs::write(&outside, "FROM scratch\nCOPY keep /\n").expect("write");
    let file = outside.display().to_string();
    let out = case.build(&ctx, &["-f", &file]);
    assert!(out.status.success(), "{}", flat(&out.stderr));
}
