//! `network connect` and `network disconnect` of running containers, and
//! `network rm [-f]` of a network in use. Each test runs strata in its own
//! network namespace (support/netenv.rs). Needs root and Debian's
//! netavark, aardvark-dns and iptables.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::cli::{ok, run, stderr};
use support::netenv::{Env, http_get, out, page};

fn strata_ok(env: &Env, args: &[&str]) -> String {
    ok(&mut env.strata(args)).trim().to_owned()
}

fn exec(env: &Env, name: &str, script: &str) -> String {
    out(&run(&mut env.strata(&["exec", name, "sh", "-c", script])))
}

fn page_in(response: &str) -> bool {
    response.ends_with("\npage of connect\n")
}

fn networks(env: &Env, name: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(&strata_ok(env, &["inspect", name])).unwrap();
    let nets = v["NetworkSettings"]["Networks"].as_object().unwrap();
    nets.keys().cloned().collect()
}

fn ip(env: &Env, name: &str, net: &str) -> String {
    let v: Value = serde_json::from_str(&strata_ok(env, &["inspect", name])).unwrap();
    v["NetworkSettings"]["Networks"][net]["IPAddress"]
        .as_str()
        .unwrap_or_else(|| panic!("{name} not on {net}: {v}"))
        .to_owned()
}

/// Whether the test namespace gets the page from `host:port` within `limit`.
fn serves(env: &Env, host: &str, port: u16, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        let got = env
            .ns
            .cmd("sh")
            .args(["-c", &http_get(host, port)])
            .output()
            .unwrap();
        if page(&got) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

// Mirrors podman 500-networking.bats "podman network connect/disconnect
// with port forwarding": the container's /etc/hosts follows its
// networks, a reconnect publishes the ports again, and connections last
// across a restart.
#[test]
fn a_running_container_joins_and_leaves_networks() {
    require_network!();
    let env = Env::new("connect");
    strata_ok(&env, &["network", "create", "net1"]);
    strata_ok(&env, &["network", "create", "net2"]);
    strata_ok(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "web",
            "-p",
            "8096:8080",
            "--network",
            "net1",
            "bb:1",
            "httpd",
            "-f",
            "-p",
            "8080",
            "-h",
            "/www",
        ],
    );
    strata_ok(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "other",
            "--network",
            "net2",
            "bb:1",
            "sleep",
            "1000",
        ],
    );
    assert!(serves(&env, "127.0.0.1", 8096, Duration::from_secs(20)));
    // busybox nc, not wget: the static busybox's wget -T crashes
    // (SIGSEGV).
    let by_name = http_get("web", 8080);
    assert!(!page_in(&exec(&env, "other", &by_name)), "net2 reached web");

    strata_ok(
        &env,
        &["network", "connect", "--alias", "www", "net2", "web"],
    );
    assert_eq!(networks(&env, "web"), ["net1", "net2"]);
    let ip2 = ip(&env, "web", "net2");
    let by_ip = exec(&env, "other", &http_get(&ip2, 8080));
    assert!(by_ip.ends_with("page of connect\n"), "by {ip2}: {by_ip}");
    for name in ["web", "www"] {
        let got = exec(&env, "other", &http_get(name, 8080));
        assert!(page_in(&got), "by {name} after connect: {got}");
    }
    let hosts = exec(&env, "web", "cat /etc/hosts");
    assert!(hosts.contains(&format!("{ip2}\tweb")), "{hosts}");
    let again = run(&mut env.strata(&["network", "connect", "net2", "web"]));
    assert!(
        stderr(&again).contains("already connected"),
        "{}",
        stderr(&again)
    );

    let ip1 = ip(&env, "web", "net1");
    strata_ok(&env, &["network", "disconnect", "net1", "web"]);
    assert_eq!(networks(&env, "web"), ["net2"]);
    let hosts = exec(&env, "web", "cat /etc/hosts");
    assert!(!hosts.contains(&ip1), "{ip1} still in {hosts}");
    assert!(
        !env.root.join(format!("networks/ipam/net1/{ip1}")).exists(),
        "net1's address is still taken"
    );
    assert!(
        !serves(&env, "127.0.0.1", 8096, Duration::from_secs(1)),
        "the port outlived the network that published it"
    );
    assert!(page_in(&exec(&env, "other", &by_name)));

    strata_ok(&env, &["network", "connect", "net1", "web"]);
    assert!(
        serves(&env, "127.0.0.1", 8096, Duration::from_secs(10)),
        "a reconnect publishes the port again"
    );

    let busy = run(&mut env.strata(&["network", "rm", "net2"]));
    assert!(stderr(&busy).contains("in use"), "{}", stderr(&busy));
    assert_eq!(strata_ok(&env, &["network", "rm", "-f", "net2"]), "net2");
    assert_eq!(networks(&env, "web"), ["net1"]);
    assert_eq!(networks(&env, "other"), Vec::<String>::new());
    let lo_only = exec(&env, "other", "ip -o link show");
    assert_eq!(lo_only.lines().count(), 1, "{lo_only}");

    // The connections are the container's: a restart keeps them.
    strata_ok(&env, &["restart", "-t", "1", "web"]);
    assert_eq!(networks(&env, "web"), ["net1"]);
    assert!(serves(&env, "127.0.0.1", 8096, Duration::from_secs(20)));
    strata_ok(&env, &["restart", "-t", "1", "other"]);
    // exec may come before the restarted init is ready to be joined.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut lo_only = String::new();
    while lo_only.is_empty() && Instant::now() < deadline {
        lo_only = exec(&env, "other", "ip -o link show");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        lo_only.lines().count(),
        1,
        "other got a network back: {lo_only}"
    );

    strata_ok(&env, &["rm", "-f", "web", "other"]);
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

// docker network connect refuses a container that shares the host's
// network; strata says why, and changes nothing.
#[test]
fn a_container_on_the_hosts_network_cannot_be_connected() {
    require_network!();
    let env = Env::new("connect_host");
    strata_ok(&env, &["network", "create", "net1"]);
    strata_ok(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "h",
            "--network",
            "host",
            "bb:1",
            "sleep",
            "1000",
        ],
    );
    let refused = run(&mut env.strata(&["network", "connect", "net1", "h"]));
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("--network host"),
        "{}",
        stderr(&refused)
    );
    let missing = run(&mut env.strata(&["network", "disconnect", "net1", "h"]));
    assert!(
        stderr(&missing).contains("not connected"),
        "{}",
        stderr(&missing)
    );
    strata_ok(&env, &["rm", "-f", "h"]);
    assert_eq!(env.leftovers(), Vec::<String>::new());
}
