//! `strata compose kill / pause / unpause / top / images / port / ls` on a
//! running project, and `down / ps / logs / stop` with `-p NAME` where no
//! compose file is (the project from its labels, as docker compose works).
//! Needs root and Debian's netavark, aardvark-dns and iptables.

mod support;

use serde_json::Value;
use support::cli::{run, stderr};
use support::compose_project::Project;
use support::netenv::out;

const WEB_AND_SLEEPER: &str = r#"
services:
  web:
    image: bb:1
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    ports: ["8080:80"]
  sleeper:
    image: bb:1
    command: ["sleep", "1000"]
"#;

fn ls(p: &Project, all: bool) -> Vec<Value> {
    let mut args = vec!["ls", "--format", "json"];
    if all {
        args.push("-a");
    }
    let text = p.compose_ok(&args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn state_of(p: &Project, service: &str) -> String {
    let states = p.service_states();
    let found = states.iter().find(|(s, _)| s == service);
    found.unwrap_or_else(|| panic!("{states:?}")).1.clone()
}

#[test]
fn kill_pause_top_images_port_and_ls_act_on_the_running_project() {
    require_network!();
    let p = Project::new("composeops", WEB_AND_SLEEPER);
    p.compose_ok(&["up", "-d"]);

    assert_eq!(p.compose_ok(&["port", "web", "80"]), "0.0.0.0:8080\n");
    let o = p.compose(&["port", "web", "81"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no port 81/tcp published for service \"web\""),
        "{}",
        stderr(&o)
    );

    // Each container's name, then its own processes only.
    let top = p.compose_ok(&["top"]);
    let web_part = top.split("composeops-web-1\n").nth(1).unwrap_or("");
    let sleeper_part = top.split("composeops-sleeper-1\n").nth(1).unwrap_or("");
    let sleeper_part = sleeper_part.split("\n\n").next().unwrap();
    assert!(sleeper_part.contains("sleep 1000"), "{top}");
    assert!(!sleeper_part.contains("httpd"), "{top}");
    assert!(web_part.contains("httpd -f -p 80"), "{top}");

    let images: Value =
        serde_json::from_str(&p.compose_ok(&["images", "--format", "json"])).unwrap();
    let bb = p.env.json(&["inspect", "bb:1"]);
    let names: Vec<&str> = images
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ContainerName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["composeops-sleeper-1", "composeops-web-1"]);
    for r in images.as_array().unwrap() {
        assert_eq!(r["Repository"], "bb", "{r}");
        assert_eq!(r["Tag"], "1", "{r}");
        assert_eq!(r["ID"], bb["Id"], "{r} vs {bb}");
        assert!(r["Size"].as_u64().unwrap() > 0, "{r}");
    }
    let table = p.compose_ok(&["images"]);
    assert!(table.starts_with("CONTAINER"), "{table}");

    let files = p.dir.join("compose.yaml").display().to_string();
    assert_eq!(
        ls(&p, false),
        [serde_json::json!({"Name": "composeops", "Status": "running(2)", "ConfigFiles": files})]
    );

    p.compose_ok(&["pause", "sleeper"]);
    assert_eq!(state_of(&p, "sleeper"), "paused");
    assert_eq!(ls(&p, true)[0]["Status"], "paused(1), running(1)");
    p.compose_ok(&["unpause"]);
    assert_eq!(state_of(&p, "sleeper"), "running");

    // kill's default is SIGKILL: httpd as pid 1 would ignore a TERM.
    p.compose_ok(&["kill", "web"]);
    p.compose_ok(&["kill", "-s", "TERM", "sleeper"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while p.service_states().iter().any(|(_, s)| s != "exited") {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            p.service_states()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(ls(&p, false), Vec::<Value>::new());
    assert_eq!(ls(&p, true)[0]["Status"], "exited(2)");
    let bad = p.compose(&["kill", "-s", "NOPE"]);
    assert_eq!(bad.status.code(), Some(1));
    for args in [
        &["pause", "nope"][..],
        &["top", "nope"],
        &["port", "nope", "80"],
    ] {
        let o = p.compose(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&o).contains("no such service: nope"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn down_ps_logs_stop_with_a_project_name_and_no_compose_file() {
    require_network!();
    let p = Project::new(
        "composelabels",
        r#"
services:
  db:
    image: bb:1
    command: ["sh", "-c", "echo db up; exec sleep 1000"]
  app:
    image: bb:1
    command: ["sh", "-c", "echo app up; exec sleep 1000"]
    depends_on: [db]
volumes:
  data: {}
"#,
    );
    p.compose_ok(&["up", "-d"]);
    // Somewhere with no compose file in it or above it.
    let elsewhere = tempfile::tempdir().unwrap();
    let compose = |args: &[&str]| {
        let mut c = p.env.strata(&["compose", "-p", "composelabels"]);
        c.args(args).current_dir(elsewhere.path());
        let o = run(&mut c);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        o
    };
    let ps = out(&compose(&["ps", "--format", "json"]));
    let names: Vec<String> = ps
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["Name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(names, ["composelabels-app-1", "composelabels-db-1"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let logs = out(&compose(&["logs"]));
        if logs.contains("app-1 | app up") && logs.contains("db-1  | db up") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{logs}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let o = compose(&["stop"]);
    // Dependents first: the order the containers were made in, reversed.
    let err = stderr(&o);
    let app = err.find("composelabels-app-1  Stopped").expect(&err);
    let db = err.find("composelabels-db-1  Stopped").expect(&err);
    assert!(app < db, "{err}");
    assert!(p.service_states().iter().all(|(_, s)| s == "exited"));
    compose(&["down", "-v"]);
    assert!(p.ps().is_empty());
    let nets = support::cli::ok(&mut p.env.strata(&["network", "ls"]));
    assert!(!nets.contains("composelabels"), "{nets}");
    let vols = support::cli::ok(&mut p.env.strata(&["volume", "ls", "-q"]));
    assert_eq!(vols.trim(), "");

    // Without -p there is no project to act on.
    let mut c = p.env.strata(&["compose", "ps"]);
    c.current_dir(elsewhere.path());
    let o = run(&mut c);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no configuration file provided"),
        "{}",
        stderr(&o)
    );
}
