//! `strata compose push` and `compose pull` against a real docker-registry
//! on 127.0.0.1 (support/registry.rs): the built services named for the
//! registry go there, and another store gets them back by `pull`.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::cli::{ok, run, stderr};
use support::env::Env;
use support::registry::TestRegistry;

/// `strata compose` on store `root` in `dir`, blind to the developer's
/// docker logins.
fn compose(root: &Path, dir: &Path, args: &[&str]) -> Output {
    let mut c = strata(root);
    c.arg("compose").args(args).current_dir(dir);
    run(&mut c)
}

fn strata(root: &Path) -> Command {
    let mut c = support::cli::strata(root);
    c.env("DOCKER_CONFIG", root.with_extension("no-docker-config"));
    c.env_remove("REGISTRY_AUTH_FILE");
    c
}

#[test]
fn push_sends_the_built_images_and_pull_brings_them_to_another_store() {
    let reg = TestRegistry::start();
    let host = reg.host();
    let env = Env::new();
    let project = env.path("project");
    std::fs::create_dir_all(project.join("app")).unwrap();
    std::fs::write(
        project.join("app/Dockerfile"),
        "FROM busybox:latest\nRUN echo built for the registry > /built\n",
    )
    .unwrap();
    std::fs::write(
        project.join("compose.yaml"),
        format!(
            r#"
services:
  app:
    build: ./app
    image: {host}/team/app:1
  local:
    build: ./app
  plain:
    image: busybox:latest
"#
        ),
    )
    .unwrap();
    let o = compose(&env.store, &project, &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = compose(&env.store, &project, &["push"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Only `app` is both built and named: `local` has no name to push to,
    // `plain` was not built here.
    let err = stderr(&o);
    assert!(err.contains("Service app  Pushed"), "{err}");
    assert!(!err.contains("local") && !err.contains("plain"), "{err}");

    // A second store, a project that only names the image.
    let other = env.path("other");
    let other_store = env.path("other-store");
    std::fs::create_dir_all(&other).unwrap();
    let file = |extra: &str| {
        let text = format!("services:\n  app:\n    image: {host}/team/app:1\n{extra}");
        std::fs::write(other.join("compose.yaml"), text).unwrap();
    };
    file("");
    let o = compose(&other_store, &other, &["pull"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = ok(strata(&other_store)
        .args(["run", "--rm"])
        .arg(format!("{host}/team/app:1"))
        .args(["cat", "/built"]));
    assert_eq!(got, "built for the registry\n");

    // An image the registry does not have fails the pull, naming the
    // service, unless told to go on.
    file(&format!("  gone:\n    image: {host}/team/gone:1\n"));
    let o = compose(&other_store, &other, &["pull"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("service gone"), "{}", stderr(&o));
    let o = compose(&other_store, &other, &["pull", "--ignore-pull-failures"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: service gone"),
        "{}",
        stderr(&o)
    );
}
