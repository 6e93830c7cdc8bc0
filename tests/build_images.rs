//! Builds on images built earlier: the base's config is inherited and its
//! ONBUILD triggers run first, then are not passed on.

mod build_support;

use std::fs;

use build_support::{Env, ok};

#[test]
fn onbuild_triggers_of_a_base_image_run_first_and_are_not_inherited() {
    let env = Env::new();
    let base = env.path("base");
    fs::create_dir_all(&base).unwrap();
    fs::write(
        base.join("Dockerfile"),
        "FROM busybox\n\
         ENV FROM_BASE=yes\n\
         WORKDIR /srv\n\
         USER daemon\n\
         ONBUILD COPY app.txt ./\n\
         ONBUILD RUN cat app.txt > /tmp/seen-by-trigger\n\
         HEALTHCHECK --interval=30s CMD true\n",
    )
    .unwrap();
    ok(env
        .strata()
        .args(["build", "-q", "-t", "onbuild-base:1"])
        .arg(&base));
    let (_, config) = env.unpack("onbuild-base:1", "base");
    assert_eq!(
        config["config"]["OnBuild"],
        serde_json::json!(["COPY app.txt ./", "RUN cat app.txt > /tmp/seen-by-trigger"])
    );

    let child = env.path("child");
    fs::create_dir_all(&child).unwrap();
    fs::write(child.join("app.txt"), "child app\n").unwrap();
    fs::write(
        child.join("Dockerfile"),
        "FROM onbuild-base:1\nRUN cat /tmp/seen-by-trigger > /tmp/after\n",
    )
    .unwrap();
    ok(env
        .strata()
        .args(["build", "-q", "-t", "onbuild-child:1"])
        .arg(&child));
    let (rootfs, config) = env.unpack("onbuild-child:1", "child");
    assert_eq!(
        fs::read_to_string(rootfs.join("srv/app.txt")).unwrap(),
        "child app\n"
    );
    assert_eq!(
        fs::read_to_string(rootfs.join("tmp/after")).unwrap(),
        "child app\n"
    );
    let c = &config["config"];
    assert!(c["OnBuild"].is_null(), "triggers are not inherited: {c}");
    assert_eq!(c["WorkingDir"], "/srv");
    assert_eq!(c["User"], "daemon");
    assert!(
        c["Env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "FROM_BASE=yes")
    );
    assert_eq!(
        c["Healthcheck"]["Test"],
        serde_json::json!(["CMD-SHELL", "true"])
    );
    assert_eq!(c["Healthcheck"]["Interval"], 30_000_000_000u64);
}

#[test]
fn a_missing_base_image_is_a_clear_error() {
    let env = Env::new();
    let ctx = env.path("ctx");
    fs::create_dir_all(&ctx).unwrap();
    fs::write(ctx.join("Dockerfile"), "FROM nosuchimage:9\nRUN true\n").unwrap();
    let out = env.build(&ctx, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nosuchimage:9") && err.contains("not in the store"),
        "{err}"
    );
}

#[test]
fn a_dockerfile_syntax_error_names_the_line() {
    let env = Env::new();
    let ctx = env.path("ctx");
    fs::create_dir_all(&ctx).unwrap();
    fs::write(ctx.join("Dockerfile"), "FROM busybox\nCOPY\n").unwrap();
    let out = env.build(&ctx, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains('2'), "names line 2: {err}");
}
