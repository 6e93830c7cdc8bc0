//! `--build-context NAME=DIR|docker-image://REF|oci-layout://DIR[:TAG][@DIGEST]`
//! (buildx's named contexts): `FROM NAME`, `COPY --from=NAME` and `RUN
//! --mount from=NAME` read the named context, and a named context
//! overrides a stage or an image of its name (BuildKit's rule).

mod support;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::cli::{ok, run, stderr};
use support::env::Env;
use support::events::fs_steps_run;

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(p, text).unwrap();
}

fn context(env: &Env, name: &str, dockerfile: &str) -> PathBuf {
    let dir = env.path(name);
    write(&dir, "Dockerfile", dockerfile);
    dir
}

/// Builds `ctx` as `tag` with `flags`; returns its events and root fs.
fn build(env: &Env, ctx: &Path, tag: &str, flags: &[&str]) -> (Vec<Value>, PathBuf) {
    let mut all = vec!["-t", tag];
    all.extend_from_slice(flags);
    let (_, events) = env.build_json(ctx, &all);
    let (rootfs, _) = env.unpack(tag, &tag.replace([':', '/'], "-"));
    (events, rootfs)
}

fn read(rootfs: &Path, path: &str) -> String {
    fs::read_to_string(rootfs.join(path)).unwrap_or_else(|e| panic!("/{path}: {e}"))
}

/// An image `override:1` in the store holding /who = "override".
fn override_image(env: &Env) {
    let ctx = context(
        env,
        "override-src",
        "FROM busybox\nRUN echo override > /who && echo override > /deps.txt\n",
    );
    build(env, &ctx, "override:1", &[]);
}

#[test]
fn a_directory_context_feeds_copy_from_and_a_run_mount_with_root_owned_files() {
    let env = Env::new();
    let extra = env.path("extra");
    write(&extra, "hello.txt", "hello from extra\n");
    write(&extra, "skipped.log", "ignored\n");
    write(&extra, ".dockerignore", "*.log\n");
    std::os::unix::fs::chown(extra.join("hello.txt"), Some(1234), Some(1234)).unwrap();
    let ctx = context(
        &env,
        "app",
        "FROM busybox\n\
         COPY --from=extra hello.txt /hello.txt\n\
         RUN --mount=from=extra,target=/mnt cat /mnt/hello.txt > /via-mount && \
             ls /mnt > /listed\n",
    );
    let flag = format!("extra={}", extra.display());
    let (_, rootfs) = build(&env, &ctx, "dir:1", &["--build-context", &flag]);
    assert_eq!(read(&rootfs, "hello.txt"), "hello from extra\n");
    assert_eq!(
        fs::metadata(rootfs.join("hello.txt")).unwrap().uid(),
        0,
        "a context's files are root's, as the build context's"
    );
    assert_eq!(read(&rootfs, "via-mount"), "hello from extra\n");
    assert!(
        !read(&rootfs, "listed").contains("skipped.log"),
        "the directory's own .dockerignore applies"
    );

    // A change in the named directory misses the steps that read it.
    write(&extra, "hello.txt", "changed\n");
    let (events, rootfs) = build(&env, &ctx, "dir:2", &["--build-context", &flag]);
    assert_eq!(fs_steps_run(&events).len(), 2, "{events:?}");
    assert_eq!(read(&rootfs, "via-mount"), "changed\n");
}

#[test]
fn from_a_directory_context_starts_from_its_files() {
    let env = Env::new();
    let tree = env.path("tree");
    write(&tree, "etc/motd", "from the tree\n");
    write(&tree, "bin/tool", "#!/bin/sh\n");
    let ctx = context(
        &env,
        "from-dir",
        "FROM tree AS t\n\
         FROM busybox\n\
         COPY --from=t /etc/motd /motd\n",
    );
    let flag = format!("tree={}", tree.display());
    let (_, rootfs) = build(&env, &ctx, "fromdir:1", &["--build-context", &flag]);
    assert_eq!(read(&rootfs, "motd"), "from the tree\n");

    let only = context(&env, "only-dir", "FROM tree\n");
    let (_, rootfs) = build(&env, &only, "fromdir:2", &["--build-context", &flag]);
    let mut names: Vec<String> = fs::read_dir(&rootfs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["bin", "etc"], "the image is the directory's files");
    assert_eq!(read(&rootfs, "bin/tool"), "#!/bin/sh\n");
}

#[test]
fn a_named_context_overrides_a_stage_of_its_name_whose_lines_never_run() {
    let env = Env::new();
    override_image(&env);
    let ctx = context(
        &env,
        "stage",
        "FROM busybox AS deps\n\
         RUN echo built > /deps.txt\n\
         FROM busybox\n\
         COPY --from=deps /deps.txt /d.txt\n",
    );
    let (plain, rootfs) = build(&env, &ctx, "stage:plain", &[]);
    assert_eq!(read(&rootfs, "d.txt"), "built\n");
    assert_eq!(fs_steps_run(&plain).len(), 2);

    let (events, rootfs) = build(
        &env,
        &ctx,
        "stage:over",
        &["--build-context", "deps=docker-image://override:1"],
    );
    assert_eq!(read(&rootfs, "d.txt"), "override\n");
    assert!(
        !events
            .iter()
            .any(|e| e["event"] == "step_start" && e["text"] == "RUN echo built > /deps.txt"),
        "the overridden stage's RUN never runs: {events:?}"
    );
}

#[test]
fn a_docker_image_context_replaces_the_image_a_from_names() {
    let env = Env::new();
    override_image(&env);
    let ctx = context(
        &env,
        "image",
        "FROM nosuch.example/base:9\nRUN cat /who > /seen\n",
    );
    let (_, rootfs) = build(
        &env,
        &ctx,
        "image:1",
        &[
            "--pull",
            "never",
            "--build-context",
            "nosuch.example/base:9=docker-image://override:1",
        ],
    );
    assert_eq!(read(&rootfs, "seen"), "override\n");
}

/// The manifest digest of the entry named `tag` in an OCI layout.
fn layout_digest(layout: &Path, tag: &str) -> String {
    let index: Value =
        serde_json::from_slice(&fs::read(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .and_then(|m| m["digest"].as_str())
        .unwrap_or_else(|| panic!("no {tag} in {index}"))
        .to_string()
}

#[test]
fn an_oci_layout_context_by_tag_or_digest_is_imported_and_used() {
    let env = Env::new();
    override_image(&env);
    let layout = env.path("layout");
    ok(env
        .strata()
        .args(["push", "override:1"])
        .arg(format!("oci:{}:v1", layout.display())));
    let digest = layout_digest(&layout, "v1");
    let ctx = context(
        &env,
        "oci",
        "FROM base AS first\nRUN cat /who > /seen\nFROM busybox\nCOPY --from=base /who /copied\n",
    );
    for spec in [
        format!("base=oci-layout://{}@{digest}", layout.display()),
        format!("base=oci-layout://{}:v1", layout.display()),
    ] {
        let tag = format!("oci:{}", if spec.contains('@') { "digest" } else { "tag" });
        let (_, rootfs) = build(
            &env,
            &ctx,
            &tag,
            &["--pull", "never", "--build-context", &spec],
        );
        assert_eq!(read(&rootfs, "copied"), "override\n", "{spec}");
    }
    let (_, rootfs) = build(
        &env,
        &ctx,
        "oci:first",
        &[
            "--pull",
            "never",
            "--target",
            "first",
            "--build-context",
            &format!("base=oci-layout://{}@{digest}", layout.display()),
        ],
    );
    assert_eq!(read(&rootfs, "seen"), "override\n");
}

#[test]
fn an_oci_layout_written_by_skopeo_is_read_too() {
    let env = Env::new();
    override_image(&env);
    let pushed = env.path("pushed");
    ok(env
        .strata()
        .args(["push", "override:1"])
        .arg(format!("oci:{}:img", pushed.display())));
    let copied = env.path("skopeo-layout");
    ok(std::process::Command::new("skopeo")
        .args(["copy", "--quiet"])
        .arg(format!("oci:{}:img", pushed.display()))
        .arg(format!("oci:{}:latest", copied.display())));
    let ctx = context(&env, "skopeo", "FROM busybox\nCOPY --from=lib /who /who\n");
    let spec = format!("lib=oci-layout://{}:latest", copied.display());
    let (_, rootfs) = build(&env, &ctx, "skopeo:1", &["--build-context", &spec]);
    assert_eq!(read(&rootfs, "who"), "override\n");
}

#[test]
fn a_layout_without_the_digest_asked_for_fails_naming_the_context() {
    let env = Env::new();
    let layout = env.path("layout");
    ok(env
        .strata()
        .args(["push", "busybox"])
        .arg(format!("oci:{}:v1", layout.display())));
    let ctx = context(&env, "missing", "FROM base\n");
    let spec = format!(
        "base=oci-layout://{}@sha256:{}",
        layout.display(),
        "0".repeat(64)
    );
    let mut cmd = env.strata();
    cmd.args(["build", "--build-context", &spec]).arg(&ctx);
    let out = run(&mut cmd);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--build-context base:"),
        "{}",
        stderr(&out)
    );
}
