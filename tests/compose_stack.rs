//! The issue's end-to-end case of `strata compose`: a one-shot migration
//! that must complete first, a web service (busybox httpd) on a published
//! port, a worker that waits for it to be healthy, one named volume the
//! three share; `up -d --wait`, the page from the host side, `logs`, `ps`,
//! an edit that recreates only the service edited, `--scale`, and a
//! `down -v` that leaves nothing. Needs root and Debian's netavark,
//! aardvark-dns and iptables.

mod support;

use support::cli::{ok, stderr};
use support::compose_project::Project;

fn stack(flavour: &str) -> String {
    format!(
        r#"
services:
  migrate:
    image: bb:1
    command: ["sh", "-c", "echo schema v1 > /data/schema && echo migrated"]
    volumes: ["data:/data"]
  web:
    image: bb:1
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    ports: ["8080:80"]
    volumes: ["data:/www/data"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://localhost/data/schema"]
      interval: 200ms
      retries: 50
    depends_on:
      migrate:
        condition: service_completed_successfully
  worker:
    image: bb:1
    command: ["sh", "-c", "echo worker saw $$(wget -q -O - http://web/data/schema) as $$FLAVOUR; exec sleep 1000"]
    environment:
      FLAVOUR: {flavour}
    depends_on:
      web:
        condition: service_healthy
volumes:
  data: {{}}
"#
    )
}

#[test]
fn a_migration_a_web_and_its_workers_come_up_scale_and_go_down_whole() {
    require_network!();
    let p = Project::new("composestack", &stack("one"));
    // --wait: the migration is waited for to complete (docker compose
    // waits on a service others need completed for that, not running).
    p.compose_ok(&["up", "-d", "--wait"]);
    assert_eq!(
        p.states(),
        [
            ("composestack-migrate-1".to_owned(), "exited".to_owned()),
            ("composestack-web-1".to_owned(), "running".to_owned()),
            ("composestack-worker-1".to_owned(), "running".to_owned()),
        ]
    );
    let ps = p.ps();
    assert_eq!(ps[1]["Health"], "healthy", "{}", ps[1]);

    // The migration's file, in the volume, served on the published port.
    let body = p.wait_for_page(8080, "/data/schema", "schema v1");
    assert!(body.starts_with("HTTP/1.1 200 OK"), "{body}");
    p.wait_for_log(&["migrate"], "migrate-1 | migrated");
    p.wait_for_log(&["worker"], "worker-1 | worker saw schema v1 as one");

    // The worker's environment changed: only it is made again.
    let migrate = p.id_of("composestack-migrate-1");
    let web = p.id_of("composestack-web-1");
    let worker = p.id_of("composestack-worker-1");
    p.write(&stack("two"));
    p.compose_ok(&["up", "-d", "--wait"]);
    assert_eq!(p.id_of("composestack-migrate-1"), migrate);
    assert_eq!(p.id_of("composestack-web-1"), web);
    assert_ne!(p.id_of("composestack-worker-1"), worker);
    p.wait_for_log(&["worker"], "worker-1 | worker saw schema v1 as two");

    // Three workers, each reaching the web by name.
    p.compose_ok(&["up", "-d", "--wait", "--scale", "worker=3"]);
    let workers: Vec<(String, String)> = p
        .states()
        .into_iter()
        .filter(|(n, _)| n.contains("-worker-"))
        .collect();
    assert_eq!(
        workers,
        (1..=3)
            .map(|n| (format!("composestack-worker-{n}"), "running".to_owned()))
            .collect::<Vec<_>>()
    );
    for n in 1..=3 {
        p.wait_for_log(
            &["worker"],
            &format!("worker-{n} | worker saw schema v1 as two"),
        );
    }

    p.compose_ok(&["down", "-v"]);
    assert!(p.ps().is_empty());
    assert_eq!(ok(&mut p.env.strata(&["ps", "-a", "-q"])).trim(), "");
    let nets = ok(&mut p.env.strata(&["network", "ls"]));
    assert!(!nets.contains("composestack"), "{nets}");
    let vols = ok(&mut p.env.strata(&["volume", "ls", "-q"]));
    assert_eq!(vols.trim(), "", "volumes left: {vols}");
    assert_eq!(p.env.leftovers(), Vec::<String>::new());
}

#[test]
fn up_wait_fails_with_the_last_output_of_a_healthcheck_that_never_passes() {
    require_network!();
    let p = Project::new(
        "composesick",
        r#"
services:
  db:
    image: bb:1
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD-SHELL", "echo db is not accepting connections; exit 1"]
      interval: 200ms
      retries: 2
"#,
    );
    let o = p.compose(&["up", "-d", "--wait"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o)
            .contains("container composesick-db-1 is unhealthy: db is not accepting connections"),
        "{}",
        stderr(&o)
    );
}
