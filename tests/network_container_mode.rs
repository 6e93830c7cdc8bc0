//! `--network container:NAME`: a container in another running container's
//! network namespace, as docker's container network mode: it reaches the
//! other's servers on 127.0.0.1, has its addresses and its /etc/hosts and
//! /etc/resolv.conf; a monitored container joins it at each start. Needs
//! root and Debian's netavark, aardvark-dns and iptables (the test's
//! namespace and store come from support/netenv.rs).

mod support;

use std::time::{Duration, Instant};

use support::cli::{ok, run, stderr};
use support::netenv::{Env, out};

/// Removes every container of the test's store when it ends.
struct World {
    env: Env,
}

impl Drop for World {
    fn drop(&mut self) {
        let ids = run(&mut self.env.strata(&["ps", "-a", "-q", "--no-trunc"]));
        let ids: Vec<String> = out(&ids).lines().map(str::to_owned).collect();
        if !ids.is_empty() {
            let _ = self.env.strata(&["rm", "-f"]).args(&ids).output();
        }
    }
}

const LOCAL_PAGE: &str = "wget -q -O - http://127.0.0.1:8000/";

#[test]
fn a_container_joins_another_containers_network_namespace() {
    require_network!();
    let w = World {
        env: Env::new("netcontainer"),
    };
    let env = &w.env;
    ok(&mut env.strata(&[
        "run", "-d", "--name", "web", "bb:1", "httpd", "-f", "-p", "8000", "-h", "/www",
    ]));
    let web_ip = env.attached_ip("web").expect("web is on the bridge");

    // In the foreground: web's server is on this container's loopback, and
    // its address is this container's.
    let deadline = Instant::now() + Duration::from_secs(20);
    let got = loop {
        let o = env.sh(&["--network", "container:web"], LOCAL_PAGE);
        if out(&o).contains("page of") || Instant::now() > deadline {
            break o;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        out(&got).contains("page of netcontainer"),
        "{}",
        stderr(&got)
    );
    let addrs = env.sh(&["--network", "container:web"], "ip -4 addr");
    assert!(
        out(&addrs).contains(&web_ip),
        "{web_ip} not in {}",
        out(&addrs)
    );
    // web's /etc/hosts names web.
    let hosts = env.sh(&["--network", "container:web"], "cat /etc/hosts");
    assert!(
        out(&hosts).contains(&format!("{web_ip}\tweb")),
        "{}",
        out(&hosts)
    );

    // Monitored: joined at start.
    ok(&mut env.strata(&[
        "run",
        "-d",
        "--name",
        "side",
        "--network",
        "container:web",
        "bb:1",
        "sh",
        "-c",
        &format!("{LOCAL_PAGE}; exec sleep 1000"),
    ]));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let logs = ok(&mut env.strata(&["logs", "side"]));
        if logs.contains("page of netcontainer") {
            break;
        }
        assert!(Instant::now() < deadline, "side never fetched: {logs}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn container_mode_needs_a_running_container_and_takes_no_network_flags() {
    require_network!();
    let w = World {
        env: Env::new("netcontainerbad"),
    };
    let env = &w.env;
    let o = env.sh(&["--network", "container:nosuch"], "true");
    assert!(!o.status.success());
    assert!(stderr(&o).contains("nosuch"), "{}", stderr(&o));

    ok(&mut env.strata(&["create", "--name", "idle", "bb:1", "sleep", "1000"]));
    let o = env.sh(&["--network", "container:idle"], "true");
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("container idle is not running"),
        "{}",
        stderr(&o)
    );

    ok(&mut env.strata(&["start", "idle"]));
    let o = env.sh(&["--network", "container:idle", "-p", "8081:80"], "true");
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--publish needs a container network"),
        "{}",
        stderr(&o)
    );
}
