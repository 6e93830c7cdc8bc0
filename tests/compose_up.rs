//! `strata compose up -d / ps / logs / down`: a project's networks, volumes
//! and containers made from the compose file, found again by their
//! com.docker.compose.* labels. Every test runs strata in its own network
//! namespace with its own store (support/netenv.rs). Needs root and
//! Debian's netavark, aardvark-dns and iptables.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::cli::{ok, run, stderr};
use support::compose_project::Project;
use support::netenv::out;

/// A web server on a published port, and a worker that waits for it to be
/// healthy, fetches its page by the service's name and leaves it in a
/// named volume the web serves too.
fn web_and_worker(worker_env: &str) -> String {
    format!(
        r#"
services:
  web:
    image: bb:1
    command: ["httpd", "-f", "-v", "-p", "80", "-h", "/www"]
    ports: ["8080:80"]
    volumes:
      - shared:/www/shared
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://localhost/"]
      interval: 200ms
      retries: 50
  worker:
    image: bb:1
    command: ["sh", "-c", "wget -q -O /out/got.html http://web/ && echo fetched as $$FLAVOUR && exec sleep 1000"]
    environment:
      FLAVOUR: {worker_env}
    depends_on:
      web:
        condition: service_healthy
    volumes:
      - type: volume
        source: shared
        target: /out
volumes:
  shared: {{}}
"#
    )
}

#[test]
fn up_runs_a_project_that_down_removes_whole() {
    require_network!();
    let p = Project::new("composeup", &web_and_worker("one"));
    p.compose_ok(&["up", "-d"]);

    // The worker reached the web by name, through the project's default
    // network, and wrote into the volume the web serves from.
    let body = p.wait_for_page(8080, "/shared/got.html", "page of composeup");
    assert!(body.starts_with("HTTP/1.1 200 OK"), "{body}");

    let ps = p.ps();
    let names: Vec<&str> = ps.iter().map(|r| r["Name"].as_str().unwrap()).collect();
    assert_eq!(names, ["composeup-web-1", "composeup-worker-1"]);
    for r in &ps {
        assert_eq!(r["State"], "running", "{r}");
        assert_eq!(r["Project"], "composeup");
        assert_eq!(r["Labels"]["com.docker.compose.project"], "composeup");
        assert_eq!(r["Labels"]["com.docker.compose.container-number"], "1");
        assert_eq!(
            r["Labels"]["com.docker.compose.config-hash"]
                .as_str()
                .unwrap()
                .len(),
            64
        );
    }
    assert_eq!(ps[0]["Service"], "web");
    assert_eq!(ps[0]["Health"], "healthy");
    let nets = ok(&mut p.env.strata(&["network", "ls"]));
    assert!(nets.contains("composeup_default"), "{nets}");
    let vols = ok(&mut p.env.strata(&["volume", "ls"]));
    assert!(vols.contains("composeup_shared"), "{vols}");

    // docker compose's prefix: the container's name without the project,
    // padded to the longest.
    let logs = p.compose_ok(&["logs"]);
    assert!(
        logs.lines().any(|l| l == "worker-1 | fetched as one"),
        "{logs}"
    );
    let worker_only = p.compose_ok(&["logs", "worker"]);
    assert_eq!(worker_only.trim(), "worker-1 | fetched as one");

    // Nothing changed: both containers are kept.
    let web = p.id_of("composeup-web-1");
    let worker = p.id_of("composeup-worker-1");
    p.compose_ok(&["up", "-d"]);
    assert_eq!(p.id_of("composeup-web-1"), web);
    assert_eq!(p.id_of("composeup-worker-1"), worker);

    // The worker's environment changed: only it is made again.
    p.write(&web_and_worker("two"));
    p.compose_ok(&["up", "-d"]);
    assert_eq!(p.id_of("composeup-web-1"), web);
    let new_worker = p.id_of("composeup-worker-1");
    assert_ne!(new_worker, worker);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !p.compose_ok(&["logs", "worker"]).contains("fetched as two") {
        assert!(Instant::now() < deadline, "the new worker never fetched");
        std::thread::sleep(Duration::from_millis(200));
    }

    p.compose_ok(&["down", "-v"]);
    assert!(p.ps().is_empty());
    assert_eq!(ok(&mut p.env.strata(&["ps", "-a", "-q"])).trim(), "");
    let nets = ok(&mut p.env.strata(&["network", "ls"]));
    assert!(!nets.contains("composeup"), "{nets}");
    let vols = ok(&mut p.env.strata(&["volume", "ls", "-q"]));
    assert_eq!(vols.trim(), "", "volumes left: {vols}");
    assert_eq!(p.env.leftovers(), Vec::<String>::new());
}

#[test]
fn down_without_v_keeps_the_named_volumes() {
    require_network!();
    let p = Project::new(
        "composekeep",
        r#"
services:
  writer:
    image: bb:1
    command: ["sh", "-c", "echo kept > /data/file"]
    volumes: ["data:/data"]
  reader:
    image: bb:1
    command: ["cat", "/data/file"]
    volumes: ["data:/data"]
    depends_on:
      writer:
        condition: service_completed_successfully
volumes:
  data: {}
"#,
    );
    p.compose_ok(&["up", "-d"]);
    // The reader started only after the writer exited 0.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !p
        .compose_ok(&["logs", "reader"])
        .contains("reader-1 | kept")
    {
        assert!(Instant::now() < deadline, "the reader never read the file");
        std::thread::sleep(Duration::from_millis(200));
    }
    p.compose_ok(&["down"]);
    assert!(p.ps().is_empty());
    let vols = ok(&mut p.env.strata(&["volume", "ls", "-q"]));
    assert_eq!(vols.trim(), "composekeep_data");
}

#[test]
fn a_dependency_that_fails_stops_up_before_its_dependents() {
    require_network!();
    let p = Project::new(
        "composefail",
        r#"
services:
  migrate:
    image: bb:1
    command: ["sh", "-c", "exit 3"]
  app:
    image: bb:1
    command: ["sleep", "1000"]
    depends_on:
      migrate:
        condition: service_completed_successfully
"#,
    );
    let o = p.compose(&["up", "-d"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("service \"migrate\" didn't complete successfully: exit 3"),
        "{}",
        stderr(&o)
    );
    let names: Vec<String> = p.ps().iter().map(|r| r["Name"].to_string()).collect();
    assert_eq!(names, ["\"composefail-migrate-1\""]);
}

const WEB_AND_PROBE: &str = r#"
services:
  web:
    image: bb:1
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O /dev/null http://localhost/"]
      interval: 200ms
      retries: 50
  probe:
    image: bb:1
    command: ["sleep", "1000"]
"#;

fn state_of(p: &Project) -> Vec<(String, String)> {
    p.ps()
        .iter()
        .map(|r| {
            let name = r["Name"].as_str().unwrap().to_owned();
            (name, r["State"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn up_wait_and_scale_then_stop_start_rm() {
    require_network!();
    let p = Project::new("composescale", WEB_AND_PROBE);
    p.compose_ok(&["up", "--wait", "--scale", "web=2"]);
    // --wait returned: every container with a healthcheck passed it.
    let ps = p.ps();
    let web: Vec<&Value> = ps.iter().filter(|r| r["Service"] == "web").collect();
    assert_eq!(web.len(), 2, "{ps:?}");
    for r in &web {
        assert_eq!(r["Health"], "healthy", "{r}");
    }
    assert_eq!(web[1]["Name"], "composescale-web-2");
    // Both replicas answer to the service's name.
    let got = run(&mut p.env.strata(&[
        "exec",
        "composescale-probe-1",
        "wget",
        "-q",
        "-O",
        "-",
        "http://web/",
    ]));
    assert!(
        out(&got).contains("page of composescale"),
        "{}",
        stderr(&got)
    );

    // Back to the file's scale: the second replica goes, the first stays.
    let first = p.id_of("composescale-web-1");
    p.compose_ok(&["up", "-d"]);
    let names: Vec<String> = state_of(&p).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["composescale-probe-1", "composescale-web-1"]);
    assert_eq!(p.id_of("composescale-web-1"), first);

    p.compose_ok(&["stop", "web"]);
    assert_eq!(
        state_of(&p),
        [
            ("composescale-probe-1".to_owned(), "running".to_owned()),
            ("composescale-web-1".to_owned(), "exited".to_owned())
        ]
    );
    // rm leaves running containers alone.
    p.compose_ok(&["rm", "-f"]);
    assert_eq!(
        state_of(&p),
        [("composescale-probe-1".to_owned(), "running".to_owned())]
    );
    p.compose_ok(&["stop"]);
    assert_eq!(
        state_of(&p),
        [("composescale-probe-1".to_owned(), "exited".to_owned())]
    );
    p.compose_ok(&["start"]);
    assert_eq!(
        state_of(&p),
        [("composescale-probe-1".to_owned(), "running".to_owned())]
    );
    p.compose_ok(&["rm", "-s", "-f"]);
    assert!(p.ps().is_empty());
}

#[test]
fn up_wait_fails_when_a_container_exits_before_it_is_healthy() {
    require_network!();
    let p = Project::new(
        "composewait",
        r#"
services:
  broken:
    image: bb:1
    command: ["sh", "-c", "sleep 1; exit 2"]
    # Never healthy, and never unhealthy before the exit.
    healthcheck:
      test: ["CMD", "false"]
      interval: 200ms
      retries: 1000
"#,
    );
    let o = p.compose(&["up", "--wait"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("container composewait-broken-1 exited (2)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_build_section_is_built_once_and_a_rebuilt_image_recreates() {
    require_network!();
    let p = Project::new(
        "composebuild",
        r#"
services:
  app:
    build:
      context: ./app
      args:
        WORD: v1
    command: ["sh", "-c", "cat /built; exec sleep 1000"]
"#,
    );
    let app = p.dir.join("app");
    std::fs::create_dir_all(&app).unwrap();
    let dockerfile = |extra: &str| {
        let text = format!("FROM bb:1\nARG WORD\nRUN echo built $WORD{extra} > /built\n");
        std::fs::write(app.join("Dockerfile"), text).unwrap();
    };
    dockerfile("");
    p.compose_ok(&["up", "-d"]);
    let images = ok(&mut p.env.strata(&["images"]));
    assert!(images.contains("composebuild-app"), "{images}");
    let wait_log = |want: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let logs = p.compose_ok(&["logs", "app"]);
            if logs.contains(want) {
                return logs;
            }
            assert!(Instant::now() < deadline, "never logged {want:?}: {logs}");
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    wait_log("app-1 | built v1");
    let first = p.id_of("composebuild-app-1");

    // The image exists: a changed Dockerfile is not built by `up` alone.
    dockerfile(" again");
    p.compose_ok(&["up", "-d"]);
    assert_eq!(p.id_of("composebuild-app-1"), first);

    // `build` makes a new image, which makes the container stale.
    p.compose_ok(&["build"]);
    p.compose_ok(&["up", "-d"]);
    assert_ne!(p.id_of("composebuild-app-1"), first);
    wait_log("app-1 | built v1 again");
    p.compose_ok(&["down"]);
}

fn three_services(db_env: &str, with_other: bool) -> String {
    let other = if with_other {
        "  other:\n    image: bb:1\n    command: [\"sleep\", \"1000\"]\n"
    } else {
        ""
    };
    format!(
        r#"
services:
  db:
    image: bb:1
    command: ["sleep", "1000"]
    environment:
      V: "{db_env}"
  app:
    image: bb:1
    command: ["sleep", "1000"]
    depends_on:
      db:
        condition: service_started
        restart: true
{other}"#
    )
}

#[test]
fn recreate_flags_restart_true_dependents_and_orphans() {
    require_network!();
    let p = Project::new("composerec", &three_services("1", true));
    p.compose_ok(&["up", "-d"]);
    let pid = |name: &str| {
        let v: Value = serde_json::from_str(&ok(&mut p.env.strata(&["inspect", name]))).unwrap();
        v["State"]["Pid"].as_u64().unwrap()
    };
    let ids = |p: &Project| -> Vec<String> {
        ["db", "app", "other"]
            .iter()
            .map(|s| p.id_of(&format!("composerec-{s}-1")))
            .collect()
    };
    let before = ids(&p);
    let (app_pid, other_pid) = (pid("composerec-app-1"), pid("composerec-other-1"));

    // db changed: it is recreated, app (restart: true) restarted in place,
    // other left alone.
    p.write(&three_services("2", true));
    p.compose_ok(&["up", "-d"]);
    let after = ids(&p);
    assert_ne!(after[0], before[0]);
    assert_eq!(after[1..], before[1..]);
    assert_ne!(pid("composerec-app-1"), app_pid);
    assert_eq!(pid("composerec-other-1"), other_pid);

    // --no-recreate keeps a changed service's container.
    p.write(&three_services("3", true));
    p.compose_ok(&["up", "-d", "--no-recreate"]);
    assert_eq!(ids(&p), after);
    // --force-recreate makes every one again.
    p.compose_ok(&["up", "-d", "--force-recreate"]);
    let forced = ids(&p);
    for (new, old) in forced.iter().zip(&after) {
        assert_ne!(new, old);
    }

    // A service gone from the file leaves an orphan until asked.
    p.write(&three_services("3", false));
    let o = p.compose(&["up", "-d"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Found orphan containers (composerec-other-1)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(p.ps().len(), 3);
    p.compose_ok(&["up", "-d", "--remove-orphans"]);
    let names: Vec<String> = p
        .ps()
        .iter()
        .map(|r| r["Name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["composerec-app-1", "composerec-db-1"]);
}

#[test]
fn a_networks_ipam_subnet_is_where_its_containers_get_addresses() {
    require_network!();
    let p = Project::new(
        "composeipam",
        r#"
services:
  app:
    image: bb:1
    command: ["sleep", "1000"]
    networks: [back]
networks:
  back:
    ipam:
      config:
        - subnet: 10.123.5.0/24
          gateway: 10.123.5.1
"#,
    );
    p.compose_ok(&["up", "-d"]);
    let net = p.env.json(&["network", "inspect", "composeipam_back"]);
    assert_eq!(net[0]["subnet"], "10.123.5.0/24", "{net}");
    let ip = p.env.attached_ip("composeipam-app-1").unwrap();
    assert!(ip.starts_with("10.123.5."), "{ip}");
    p.compose_ok(&["down"]);
    assert_eq!(p.env.leftovers(), Vec::<String>::new());
}

#[test]
fn logs_follow_prints_lines_as_they_come_until_the_containers_stop() {
    require_network!();
    let p = Project::new(
        "composefollow",
        r#"
services:
  talker:
    image: bb:1
    command: ["sh", "-c", "echo one; echo two; sleep 1; echo three"]
  quiet:
    image: bb:1
    command: ["true"]
"#,
    );
    p.compose_ok(&["up", "-d"]);
    let started = Instant::now();
    let logs = p.compose_ok(&["logs", "-f"]);
    // "three" comes a second after up: only a follow sees it this soon.
    assert!(logs.lines().any(|l| l == "talker-1 | three"), "{logs}");
    assert!(started.elapsed() < Duration::from_secs(15));
    let last = p.compose_ok(&["logs", "--tail", "1", "talker"]);
    assert_eq!(last, "talker-1 | three\n");
    p.compose_ok(&["down"]);
}

/// compose-spec `dns`, `dns_search` and `dns_opt` (each also as a lone
/// string) reach the container's resolv.conf, as `run --dns`,
/// `--dns-search` and `--dns-option` do.
#[test]
fn the_dns_keys_shape_the_containers_resolv_conf() {
    require_network!();
    let p = Project::new(
        "composedns",
        r#"
services:
  probe:
    image: bb:1
    dns: 10.0.0.53
    dns_search: lab.example
    dns_opt: ["ndots:2", "timeout:1"]
    command: ["sh", "-c", "cat /etc/resolv.conf; echo END; sleep 1000"]
"#,
    );
    p.compose_ok(&["up", "-d"]);
    let logs = p.wait_for_log(&["probe"], "probe-1 | END");
    for want in ["search lab.example", "options ndots:2 timeout:1"] {
        assert!(
            logs.lines().any(|l| l == format!("probe-1 | {want}")),
            "{want:?} missing: {logs}"
        );
    }
    p.compose_ok(&["down"]);
}
