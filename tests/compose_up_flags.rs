//! `compose up`'s flags with docker compose's meaning: `--no-build`,
//! `--no-start`, `--force-recreate` against `--always-recreate-deps` when
//! services are named, `-V`/`--renew-anon-volumes` (a recreated container
//! keeps its predecessor's anonymous volumes otherwise), `--wait-timeout`.
//! Needs root and Debian's netavark (support/netenv.rs).

mod support;

use support::cli::stderr;
use support::compose_project::Project;
use support::netenv::out;

/// What `cat PATH` prints in the running container of `service`.
fn cat(p: &Project, service: &str, path: &str) -> String {
    let o = p.compose(&["exec", "-T", service, "cat", path]);
    assert!(o.status.success(), "exec {service}: {}", stderr(&o));
    out(&o)
}

#[test]
fn no_build_runs_the_image_an_earlier_build_made() {
    require_network!();
    let p = Project::new(
        "composenobuild",
        r#"
services:
  app:
    build: ./app
    pull_policy: build
    network_mode: none
    command: ["sleep", "600"]
"#,
    );
    let dockerfile = |word: &str| {
        p.file(
            "app/Dockerfile",
            &format!("FROM bb:1\nRUN echo {word} > /built\n"),
        )
    };
    dockerfile("first");
    // Nothing was built yet: --no-build has no image to run.
    let o = p.compose(&["up", "-d", "--no-build"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("composenobuild-app"), "{}", stderr(&o));

    p.compose_ok(&["up", "-d"]);
    assert_eq!(cat(&p, "app", "/built"), "first\n");
    // pull_policy: build would build the edit; --no-build builds nothing.
    dockerfile("second");
    let err = stderr(&p.compose(&["up", "-d", "--no-build"]));
    assert!(!err.contains("Building"), "{err}");
    assert_eq!(cat(&p, "app", "/built"), "first\n");

    let o = p.compose(&["up", "-d", "--build", "--no-build"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    p.compose_ok(&["down"]);
}

#[test]
fn no_start_creates_the_containers_and_starts_none() {
    require_network!();
    let p = Project::new(
        "composenostart",
        r#"
services:
  db:
    image: bb:1
    network_mode: none
    command: ["sleep", "600"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      retries: 1
  web:
    image: bb:1
    network_mode: none
    command: ["sleep", "600"]
    depends_on:
      db:
        condition: service_healthy
"#,
    );
    // db would never be healthy: created without waiting on it.
    let err = stderr(&p.compose(&["up", "--no-start"]));
    assert!(
        err.contains("Container composenostart-web-1  Created"),
        "{err}"
    );
    let mut states = p.service_states();
    states.sort();
    assert_eq!(
        states,
        [
            ("db".to_owned(), "created".to_owned()),
            ("web".to_owned(), "created".to_owned())
        ]
    );
    let o = p.compose(&["up", "--no-start", "--wait"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    p.compose_ok(&["down"]);
}

#[test]
fn force_recreate_takes_the_named_services_and_always_recreate_deps_their_dependencies() {
    require_network!();
    let p = Project::new(
        "composedeps",
        r#"
services:
  db:
    image: bb:1
    network_mode: none
    command: ["sleep", "600"]
  web:
    image: bb:1
    network_mode: none
    command: ["sleep", "600"]
    depends_on: [db]
"#,
    );
    p.compose_ok(&["up", "-d"]);
    let (db, web) = (p.id_of("composedeps-db-1"), p.id_of("composedeps-web-1"));
    // docker compose: --force-recreate is the strategy of the services
    // named; the dependencies they bring up are recreated only if changed.
    p.compose_ok(&["up", "-d", "--force-recreate", "web"]);
    assert_eq!(p.id_of("composedeps-db-1"), db);
    let web2 = p.id_of("composedeps-web-1");
    assert_ne!(web2, web);
    p.compose_ok(&["up", "-d", "--always-recreate-deps", "web"]);
    assert_ne!(p.id_of("composedeps-db-1"), db);
    let o = p.compose(&["up", "-d", "--always-recreate-deps", "--no-recreate"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    p.compose_ok(&["down"]);
}

#[test]
fn a_recreated_container_keeps_its_anonymous_volumes_unless_renewed() {
    require_network!();
    let p = Project::new(
        "composeanon",
        r#"
services:
  keeper:
    image: bb:1
    network_mode: none
    command: ["sleep", "600"]
    volumes: ["/data"]
"#,
    );
    p.compose_ok(&["up", "-d"]);
    let o = p.compose(&["exec", "-T", "keeper", "sh", "-c", "echo kept > /data/f"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let first = p.id_of("composeanon-keeper-1");
    p.compose_ok(&["up", "-d", "--force-recreate"]);
    assert_ne!(p.id_of("composeanon-keeper-1"), first);
    assert_eq!(cat(&p, "keeper", "/data/f"), "kept\n");
    // -V: a new, empty one.
    p.compose_ok(&["up", "-d", "--force-recreate", "-V"]);
    let o = p.compose(&["exec", "-T", "keeper", "ls", "-A", "/data"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(out(&o), "");
    p.compose_ok(&["down", "-v"]);
}

#[test]
fn wait_timeout_fails_once_it_expires_and_leaves_the_service_running() {
    // docker/compose's TestUpWaitTimeout (fixture copied into testdata).
    require_network!();
    let p = Project::from_fixture("composewaitto", "testdata/TestUpWaitTimeout/compose.yaml");
    let started = std::time::Instant::now();
    let o = p.compose(&["up", "--wait", "--wait-timeout", "3", "-d"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("application not healthy after 3s"),
        "{}",
        stderr(&o)
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(3));
    assert_eq!(
        p.service_states(),
        [("app".to_owned(), "running".to_owned())]
    );
    p.compose_ok(&["down"]);
}
