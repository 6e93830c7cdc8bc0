//! The network of a container that names none: docker's default bridge
//! (the network named `strata`), unless `STRATA_NETWORK_DEFAULT` says
//! otherwise, as podman's containers.conf `netns` does. Each test runs
//! strata in its own network namespace (support/netenv.rs) with the
//! variable unset unless the test sets it. Needs root and Debian's
//! netavark, aardvark-dns and iptables.

mod support;

use std::process::Command;

use serde_json::Value;
use support::cli::{ok, run, stderr};
use support::netenv::{Env, http_get, out, page};

/// `strata run --rm bb:1 sh -c SCRIPT` with `default` as the variable.
fn sh_with(env: &Env, default: Option<&str>, flags: &[&str], script: &str) -> String {
    let mut c: Command = env.strata(&["run", "--rm"]);
    if let Some(d) = default {
        c.env("STRATA_NETWORK_DEFAULT", d);
    }
    c.args(flags).args(["bb:1", "sh", "-c", script]);
    ok(&mut c)
}

fn default_subnet(env: &Env) -> String {
    let list = env.json(&["network", "ls", "--format", "json"]);
    let nets = list.as_array().unwrap();
    let strata = nets.iter().find(|n| n["name"] == "strata").unwrap();
    strata["subnet"].as_str().unwrap().to_owned()
}

/// The first three octets of a /24, "10.89.0.".
fn prefix(subnet: &str) -> String {
    let net = subnet.split('/').next().unwrap();
    format!("{}.", net.rsplit_once('.').unwrap().0)
}

// docker run's default network is its bridge; podman's is containers.conf
// `netns` ("bridge" as root). A route on podman's default subnet must not
// be clashed with (podman 500-networking.bats "podman network create"
// checks the same of an explicit create).
#[test]
fn a_container_without_network_flags_is_on_the_default_bridge() {
    require_network!();
    let env = Env::new("default_bridge");
    ok(env
        .ns
        .cmd("ip")
        .args(["addr", "add", "10.88.0.1/16", "dev", "out0"]));
    let addrs = sh_with(&env, None, &[], "ip -4 -o addr show");
    let subnet = default_subnet(&env);
    assert!(
        !subnet.starts_with("10.88."),
        "clashes with a route: {subnet}"
    );
    assert!(
        addrs.contains(&format!("inet {}", prefix(&subnet))),
        "no address on {subnet}: {addrs}"
    );
    assert!(!addrs.contains("192.0.2.1"), "the namespace's own: {addrs}");

    // -p needs no --network then, for run -d as for run.
    let id = ok(env
        .strata(&["run", "-d", "--name", "web", "-p", "8084:8080"])
        .args(["bb:1", "httpd", "-f", "-p", "8080", "-h", "/www"]));
    let inspect: Value =
        serde_json::from_str(&ok(&mut env.strata(&["inspect", id.trim()]))).unwrap();
    assert_eq!(inspect["HostConfig"]["NetworkMode"], "bridge");
    assert!(inspect["NetworkSettings"]["Networks"]["strata"]["IPAddress"].is_string());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let got = env
            .ns
            .cmd("sh")
            .args(["-c", &http_get("127.0.0.1", 8084)])
            .output()
            .unwrap();
        if page(&got) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "8084 never answered");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    ok(&mut env.strata(&["rm", "-f", "web"]));
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

// podman's containers.conf `netns = "host"` / `"none"`: the default
// changes, an explicit --network still wins.
#[test]
fn strata_network_default_chooses_the_default_and_network_overrides_it() {
    require_network!();
    let env = Env::new("default_var");
    let host = sh_with(&env, Some("host"), &[], "ip -4 -o addr show");
    assert!(host.contains("192.0.2.1"), "host: {host}");
    let none = sh_with(&env, Some("none"), &[], "ip -o link show");
    assert_eq!(none.lines().count(), 1, "none has loopback only: {none}");
    assert!(none.contains(": lo:"), "{none}");
    assert_eq!(
        env.leftovers(),
        Vec::<String>::new(),
        "host and none make nothing"
    );

    ok(&mut env.strata(&["network", "create", "app"]));
    let named = sh_with(&env, Some("app"), &[], "cat /etc/hosts");
    let apps = env.json(&["network", "inspect", "app"]);
    let app_subnet = apps[0]["subnet"]
        .as_str()
        .unwrap_or_else(|| panic!("{apps}"));
    assert!(named.contains(&prefix(app_subnet)), "on app: {named}");

    let overridden = sh_with(
        &env,
        Some("none"),
        &["--network", "host"],
        "ip -4 -o addr show",
    );
    assert!(overridden.contains("192.0.2.1"), "{overridden}");

    // A flag that needs a network says so when the default is none.
    let mut c = env.strata(&["run", "--rm", "-p", "8085:80", "bb:1", "true"]);
    c.env("STRATA_NETWORK_DEFAULT", "none");
    let refused = run(&mut c);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("--publish needs a container network"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(out(&refused), "");
    assert_eq!(env.leftovers(), Vec::<String>::new());
}
