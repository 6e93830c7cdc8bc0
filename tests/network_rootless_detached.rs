//! Containers under a monitor on pasta: rootless strata's default network
//! (podman 5's), and `--network pasta` as root. The monitor starts a
//! namespace and its pasta at each start and ends both at each exit, so
//! `stop`, `rm -f` and a monitor killed with SIGKILL (then any command)
//! leave no pasta and no namespace file. Each test runs strata inside an
//! `ip netns` of its own (support/rootless_net.rs, support/netns.rs).
//!
//! Mirrors podman's system tests (test/system/): 500-networking.bats
//! "podman networking: port on localhost" (`run -d -p`, a second claim
//! of the port refused, `port` in its three forms) and "podman network
//! after restart" (a killed process restarted by `--restart always`, and
//! `restart`, serve again), 505-networking-pasta.bats "pasta(1) quits
//! when the namespace is gone", and "podman network cleanup --userns +
//! --restart" (pasta with `--restart on-failure:2`, no namespace leaked).

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::cli::{stderr, stdout};
use support::netenv::{FarServer, ask_far};
use support::netns::{OUTWARD, TestNs};
use support::rootless_net::Env;

/// `GET /` through `host:port`, inside `ns`; its reply.
fn get(ns: &TestNs, host: &str, port: u16) -> String {
    let out = ns
        .cmd("sh")
        .arg("-c")
        .arg(format!(
            "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | /bin/busybox nc -w 2 {host} {port}"
        ))
        .output()
        .unwrap();
    stdout(&out)
}

/// Whether `host:port` in `ns` answers with `page` within 20 s (a
/// container's httpd takes a moment to listen).
fn serves(ns: &TestNs, port: u16, page: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if get(ns, "127.0.0.1", port).contains(page) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The live (not zombie) pasta processes serving container `id`: their
/// command line names its namespace file.
fn pastas_of(id: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_pasta = args
            .first()
            .is_some_and(|a| Path::new(a).file_name().is_some_and(|n| n == "pasta"));
        let state = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let zombie = state
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
        if is_pasta && !zombie && args.iter().any(|a| a.contains(id)) {
            found.push(pid);
        }
    }
    found
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out).trim().to_owned()
}

fn inspect(out: Output) -> Value {
    let v: Value = serde_json::from_str(&ok(out, "inspect")).unwrap();
    match v {
        Value::Array(mut a) => a.remove(0),
        v => v,
    }
}

/// Waits until `done` holds, for up to 20 s.
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The host port `port` says container `id`'s port 80 was given.
fn picked_port(env: &Env, id: &str) -> u16 {
    let said = ok(env.run(&["port", id, "80"]), "port");
    let port = said.rsplit(':').next().and_then(|p| p.parse().ok());
    port.filter(|p| *p != 0)
        .unwrap_or_else(|| panic!("port {id} 80 said {said:?}"))
}

const HTTPD: [&str; 6] = ["httpd", "-f", "-p", "80", "-h", "/www"];

#[test]
fn rootless_run_d_publishes_a_port_with_no_network_flag() {
    require_pasta!();
    let env = Env::new("dport");
    let mut args = vec!["run", "-d", "--name", "web", "-p", "8181:80", "bb:1"];
    args.extend(HTTPD);
    let id = ok(env.run(&args), "run -d");
    assert!(
        serves(&env.ns, 8181, "page of the container"),
        "{}",
        ok(env.run(&["logs", "web"]), "logs")
    );
    // The port is the container's while it runs: a second claim fails.
    let again = env.run(&["run", "--rm", "-p", "8181:80", "bb:1", "true"]);
    assert!(!again.status.success(), "a second -p 8181 ran");
    assert!(stderr(&again).contains("8181"), "{}", stderr(&again));
    assert_eq!(
        ok(env.run(&["port", "web"]), "port"),
        "80/tcp -> 0.0.0.0:8181"
    );
    assert_eq!(ok(env.run(&["port", "web", "80"]), "port"), "0.0.0.0:8181");
    assert_eq!(
        ok(env.run(&["port", "web", "80/tcp"]), "port"),
        "0.0.0.0:8181"
    );
    let missing = env.run(&["port", "web", "99/tcp"]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("no public port '99/tcp'"),
        "{}",
        stderr(&missing)
    );
    let c = inspect(env.run(&["inspect", "web"]));
    assert_eq!(c["HostConfig"]["NetworkMode"], "pasta");
    assert_eq!(
        c["NetworkSettings"]["Ports"]["80/tcp"],
        serde_json::json!([{ "HostIp": "0.0.0.0", "HostPort": "8181" }])
    );
    assert_eq!(pastas_of(&id).len(), 1, "one pasta serves it");

    // stop ends the namespace and its pasta; start makes both afresh.
    ok(env.run(&["stop", "-t", "1", "web"]), "stop");
    assert_eq!(pastas_of(&id), Vec::<u32>::new(), "pasta outlived stop");
    assert_eq!(env.leftovers(), Vec::<String>::new());
    assert!(!get(&env.ns, "127.0.0.1", 8181).contains("page"));
    ok(env.run(&["start", "web"]), "start");
    assert!(serves(&env.ns, 8181, "page of the container"));
    assert_eq!(pastas_of(&id).len(), 1);

    ok(env.run(&["rm", "-f", "web"]), "rm -f");
    assert_eq!(pastas_of(&id), Vec::<u32>::new(), "pasta outlived rm -f");
    assert_eq!(env.leftovers(), Vec::<String>::new());
    ok(env.run(&["system", "fsck"]), "fsck");
}

#[test]
fn rootless_monitor_killed_then_any_command_leaves_no_pasta() {
    require_pasta!();
    let env = Env::new("dkill");
    // create + start, and a host port picked at start (-p CONTAINER).
    let mut args = vec!["create", "-p", "80", "bb:1"];
    args.extend(HTTPD);
    let id = ok(env.run(&args), "create");
    ok(env.run(&["start", &id]), "start");
    let port = picked_port(&env, &id);
    assert!(serves(&env.ns, port, "page of the container"));
    let c = inspect(env.run(&["inspect", &id]));
    let monitor = c["State"]["MonitorPid"].as_i64().unwrap();
    assert!(monitor > 0, "{c}");
    let killed = Command::new("kill")
        .args(["-KILL", &monitor.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // The container's processes and pasta have no monitor now (pasta
    // lives on, its namespace bound); the next command ends them.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(pastas_of(&id).len(), 1, "pasta went with its monitor");
    ok(env.run(&["ps", "-a"]), "ps");
    assert_eq!(
        pastas_of(&id),
        Vec::<u32>::new(),
        "pasta outlived its monitor"
    );
    assert_eq!(env.leftovers(), Vec::<String>::new());
    assert!(
        !env.home
            .store()
            .join("networks/attached")
            .join(&id)
            .exists(),
        "its attachment record stayed"
    );
    let fsck = env.run(&["system", "fsck"]);
    ok(fsck, "fsck");
    // And it starts again, serving.
    ok(env.run(&["start", &id]), "start");
    assert!(serves(
        &env.ns,
        picked_port(&env, &id),
        "page of the container"
    ));
    ok(env.run(&["rm", "-f", &id]), "rm -f");
    assert_eq!(pastas_of(&id), Vec::<u32>::new());
}

#[test]
fn rootless_detached_container_reaches_a_server_outside() {
    require_pasta!();
    let env = Env::new("dout");
    let _far = FarServer::start(&env.ns, &env.dir.join("far-www"));
    let script = format!("{} > /got; sleep 30", ask_far());
    let id = ok(
        env.run(&["run", "-d", "bb:1", "sh", "-c", &script]),
        "run -d",
    );
    let got = || {
        let out = env.run(&["exec", &id, "cat", "/got"]);
        stdout(&out)
    };
    assert!(
        eventually(|| got().contains("from ")),
        "{} / {}",
        got(),
        ok(env.run(&["logs", &id]), "logs")
    );
    // pasta speaks for the container with the namespace's own address.
    assert!(got().contains(&format!("from {OUTWARD}")), "{}", got());
    ok(env.run(&["rm", "-f", &id]), "rm -f");
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

#[test]
fn rootless_restart_on_failure_on_pasta_leaks_no_namespace() {
    require_pasta!();
    let env = Env::new("dretry");
    let id = ok(
        env.run(&[
            "run",
            "-d",
            "--network",
            "pasta",
            "--restart",
            "on-failure:2",
            "bb:1",
            "false",
        ]),
        "run -d",
    );
    let restarts = || {
        let c = inspect(env.run(&["inspect", &id]));
        (
            c["RestartCount"].as_u64().unwrap_or(0),
            c["State"]["Status"].as_str().unwrap_or("").to_owned(),
        )
    };
    assert!(
        eventually(|| restarts() == (2, "exited".to_owned())),
        "{:?}",
        restarts()
    );
    assert_eq!(pastas_of(&id), Vec::<u32>::new());
    assert_eq!(env.leftovers(), Vec::<String>::new());
    ok(env.run(&["rm", &id]), "rm");
}

/// Root's default stays the bridge; `--network pasta` is root's too.
#[test]
fn rootful_run_d_network_pasta_publishes_and_serves_after_restarts() {
    require_pasta!();
    let env = support::netenv::Env::new("rootpasta");
    let route = env
        .ns
        .cmd("ip")
        .args([
            "route",
            "add",
            "default",
            "via",
            "192.0.2.254",
            "dev",
            "out0",
        ])
        .output()
        .unwrap();
    assert!(route.status.success(), "{}", stderr(&route));
    let mut args = vec![
        "run",
        "-d",
        "--name",
        "web",
        "--network",
        "pasta",
        "--restart",
        "always",
        "-p",
        "8183:80",
        "bb:1",
    ];
    args.extend(HTTPD);
    let id = ok(env.strata(&args).output().unwrap(), "run -d");
    assert!(serves(&env.ns, 8183, "page of rootpasta"));
    let c = inspect(env.strata(&["inspect", "web"]).output().unwrap());
    assert_eq!(c["HostConfig"]["NetworkMode"], "pasta");
    let pid = c["State"]["Pid"].as_i64().unwrap();
    // The policy's restart gets a namespace and pasta afresh.
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(eventually(|| {
        let c = inspect(env.strata(&["inspect", "web"]).output().unwrap());
        c["State"]["Pid"]
            .as_i64()
            .is_some_and(|p| p != 0 && p != pid)
    }));
    assert!(serves(&env.ns, 8183, "page of rootpasta"));
    assert_eq!(pastas_of(&id).len(), 1, "one pasta after the restart");
    ok(
        env.strata(&["restart", "-t", "1", "web"]).output().unwrap(),
        "restart",
    );
    assert!(serves(&env.ns, 8183, "page of rootpasta"));
    assert_eq!(pastas_of(&id).len(), 1, "one pasta after restart");
    // Another container may share its namespace (docker's container:
    // mode), and reach its server on their common loopback.
    let joined = env
        .strata(&[
            "run",
            "--rm",
            "--network",
            "container:web",
            "bb:1",
            "wget",
            "-q",
            "-O-",
            "http://127.0.0.1:80/",
        ])
        .output()
        .unwrap();
    assert_eq!(
        ok(joined, "run --network container:web"),
        "page of rootpasta"
    );
    // But it cannot be put on a bridge beside pasta.
    let connect = env
        .strata(&["network", "connect", "bridge", "web"])
        .output()
        .unwrap();
    assert!(!connect.status.success());
    assert!(
        stderr(&connect).contains("uses --network pasta"),
        "{}",
        stderr(&connect)
    );
    ok(env.strata(&["rm", "-f", "web"]).output().unwrap(), "rm -f");
    assert_eq!(pastas_of(&id), Vec::<u32>::new());
    assert!(
        std::fs::read_dir(env.root.join("netns"))
            .map(|d| d.count())
            .unwrap_or(0)
            == 0,
        "a namespace file stayed"
    );
    ok(env.strata(&["system", "fsck"]).output().unwrap(), "fsck");
    // What fsck would have said had one stayed.
    std::fs::write(env.root.join("netns/stray"), b"").unwrap();
    let fsck = env.strata(&["system", "fsck"]).output().unwrap();
    assert_eq!(fsck.status.code(), Some(1));
    assert!(
        stdout(&fsck).contains("netns/stray: a namespace file no attachment names"),
        "{}",
        stdout(&fsck)
    );
}
