//! Builds whose inputs come from stdin or sit beside the Dockerfile, as
//! `docker build` takes them: `-f -` (the Dockerfile from stdin, the
//! context still the directory), `strata build - < ctx.tar` (the context
//! as a tar, plain or gzip, its Dockerfile inside), and the
//! Dockerfile-specific `NAME.dockerignore` beside the Dockerfile, which
//! takes precedence over the context's `.dockerignore` (BuildKit's rule).

mod support;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use support::cli::{ok, stderr};
use support::env::Env;

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(p, text).unwrap();
}

/// Runs `cmd` with `input` on stdin.
fn with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn strata");
    let mut stdin = child.stdin.take().expect("stdin");
    // A build that refuses its input early may close stdin first.
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().expect("wait")
}

fn succeeded(out: &Output) {
    assert!(
        out.status.success(),
        "build failed ({}):\n{}",
        out.status,
        stderr(out)
    );
}

fn rootfs(env: &Env, tag: &str) -> PathBuf {
    env.unpack(tag, &tag.replace(':', "-")).0
}

fn read(root: &Path, path: &str) -> String {
    fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("/{path}: {e}"))
}

/// A context: files a.txt, b.txt, sub/c.txt, a .dockerignore leaving out
/// c.txt, and a Dockerfile copying everything to /ctx.
fn sample_context(env: &Env, name: &str) -> PathBuf {
    let dir = env.path(name);
    write(&dir, "a.txt", "a\n");
    write(&dir, "b.txt", "b\n");
    write(&dir, "sub/c.txt", "c\n");
    write(&dir, ".dockerignore", "sub/c.txt\n");
    write(&dir, "Dockerfile", "FROM busybox\nCOPY . /ctx/\n");
    dir
}

#[test]
fn a_dockerfile_from_stdin_builds_with_the_directory_as_context() {
    let env = Env::new();
    let ctx = sample_context(&env, "ctx");
    // The context's own Dockerfile is not the one built.
    write(&ctx, "Dockerfile", "FROM nosuch-image-at-all\n");
    let out = with_stdin(
        env.strata()
            .args(["build", "-t", "stdin-df:1", "-f", "-"])
            .arg(&ctx),
        b"FROM busybox\nCOPY a.txt /from-stdin.txt\n",
    );
    succeeded(&out);
    assert_eq!(read(&rootfs(&env, "stdin-df:1"), "from-stdin.txt"), "a\n");
}

/// `tar` of `dir`'s contents with `flags` (`-cf` or `-czf`).
fn tar_of(env: &Env, dir: &Path, flags: &str) -> Vec<u8> {
    let file = env.path(&format!("ctx{flags}.tar"));
    ok(Command::new("tar")
        .arg(flags)
        .arg(&file)
        .arg("-C")
        .arg(dir)
        .arg("."));
    fs::read(&file).unwrap()
}

#[test]
fn a_context_tar_on_stdin_plain_or_gzip_builds_with_its_dockerfile_and_dockerignore() {
    let env = Env::new();
    let ctx = sample_context(&env, "tarred");
    for (flags, tag) in [("-cf", "tar:plain"), ("-czf", "tar:gzip")] {
        let bytes = tar_of(&env, &ctx, flags);
        if flags == "-czf" {
            assert_eq!(&bytes[..2], &[0x1f, 0x8b], "gzip on stdin");
        }
        let out = with_stdin(env.strata().args(["build", "-t", tag, "-"]), &bytes);
        succeeded(&out);
        let root = rootfs(&env, tag);
        assert_eq!(read(&root, "ctx/a.txt"), "a\n", "{tag}");
        assert_eq!(read(&root, "ctx/b.txt"), "b\n", "{tag}");
        assert!(
            !root.join("ctx/sub/c.txt").exists(),
            "{tag}: the tar's .dockerignore applies"
        );
    }
}

#[test]
fn dash_f_names_a_dockerfile_inside_the_tar_context() {
    let env = Env::new();
    let ctx = sample_context(&env, "tarred-f");
    write(
        &ctx,
        "build/app.Dockerfile",
        "FROM busybox\nCOPY b.txt /only-b.txt\n",
    );
    let bytes = tar_of(&env, &ctx, "-cf");
    let out = with_stdin(
        env.strata()
            .args(["build", "-t", "tar-f:1", "-f", "build/app.Dockerfile", "-"]),
        &bytes,
    );
    succeeded(&out);
    assert_eq!(read(&rootfs(&env, "tar-f:1"), "only-b.txt"), "b\n");
}

#[test]
fn stdin_cannot_hold_both_the_dockerfile_and_the_context() {
    let env = Env::new();
    let out = with_stdin(env.strata().args(["build", "-f", "-", "-"]), b"");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not both"), "{}", stderr(&out));
}

#[test]
fn a_stdin_context_that_is_no_tar_fails_saying_so() {
    let env = Env::new();
    let out = with_stdin(
        env.strata().args(["build", "-"]),
        &b"this is not a tar archive at all\n".repeat(40),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the context from stdin"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_dockerfile_specific_dockerignore_takes_precedence_over_the_contexts() {
    let env = Env::new();
    let ctx = sample_context(&env, "specific");
    // Beside the default Dockerfile: replaces .dockerignore entirely (so
    // sub/c.txt comes back).
    write(&ctx, "Dockerfile.dockerignore", "b.txt\n");
    // Beside another Dockerfile, named after it.
    write(&ctx, "build/app.Dockerfile", "FROM busybox\nCOPY . /ctx/\n");
    write(&ctx, "build/app.Dockerfile.dockerignore", "a.txt\nbuild\n");

    let out = env.build(&ctx, &["-t", "specific:default"]);
    succeeded(&out);
    let root = rootfs(&env, "specific:default");
    assert!(
        !root.join("ctx/b.txt").exists(),
        "Dockerfile.dockerignore applies"
    );
    assert_eq!(read(&root, "ctx/a.txt"), "a\n");
    assert_eq!(
        read(&root, "ctx/sub/c.txt"),
        "c\n",
        ".dockerignore is not read when a Dockerfile-specific one exists"
    );

    let file = ctx.join("build/app.Dockerfile");
    let out = env.build(
        &ctx,
        &["-t", "specific:named", "-f", file.to_str().unwrap()],
    );
    succeeded(&out);
    let root = rootfs(&env, "specific:named");
    assert!(
        !root.join("ctx/a.txt").exists(),
        "app.Dockerfile.dockerignore applies"
    );
    assert!(!root.join("ctx/build").exists());
    assert_eq!(read(&root, "ctx/b.txt"), "b\n");
    assert_eq!(read(&root, "ctx/sub/c.txt"), "c\n");
}
