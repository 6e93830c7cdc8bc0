//! A container on pasta gets the resolv.conf and hosts that `--dns`,
//! `--dns-search`, `--dns-option` and `--add-host` ask for, as on a
//! bridge: in a foreground `run` and under a monitor, rootless and as
//! root; `NAME:host-gateway` names the host (pasta's gateway address,
//! which reaches the outer namespace's loopback), as podman's
//! `--add-host` documents for pasta. `inspect` shows the flags as for a
//! bridge container. Without pasta on PATH, rootless strata's default
//! network says what to install and the way around it, and a foreground
//! run leaves nothing.
//! Each test runs strata in an `ip netns` of its own
//! (support/rootless_net.rs, support/netenv.rs).
//!
//! Mirrors podman's system tests 500-networking.bats "podman run
//! --add-host" / "--dns" cases and 505-networking-pasta.bats "Local
//! forwarder, IPv4" (`host.containers.internal` reaching the host).

mod support;

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use support::cli::{stderr, stdout};
use support::rootless_net::{Env, GATEWAY};

/// The flags every test gives, and what the container must see.
const FLAGS: [&str; 10] = [
    "--dns",
    "192.0.2.53",
    "--dns-search",
    "corp.test",
    "--dns-option",
    "ndots:3",
    "--add-host",
    "db.test:10.1.2.3",
    "--add-host",
    "outside:host-gateway",
];

/// Prints resolv.conf and hosts, split by a line of `---`.
const SHOW: &str = "cat /etc/resolv.conf; echo ---; cat /etc/hosts";

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

/// `seen` (SHOW's output) holds what FLAGS ask, and only that DNS.
fn assert_names(seen: &str, what: &str) {
    let (resolv, hosts) = seen
        .split_once("---\n")
        .unwrap_or_else(|| panic!("{what}: {seen}"));
    let lines: Vec<&str> = resolv.lines().collect();
    assert!(lines.contains(&"search corp.test"), "{what}: {resolv}");
    assert!(lines.contains(&"options ndots:3"), "{what}: {resolv}");
    let servers: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("nameserver"))
        .collect();
    assert_eq!(servers, [&"nameserver 192.0.2.53"], "{what}: {resolv}");
    assert!(hosts.contains("10.1.2.3\tdb.test\n"), "{what}: {hosts}");
    assert!(
        hosts.contains(&format!("{GATEWAY}\toutside\n")),
        "{what}: {hosts}"
    );
}

/// What `inspect` says of the flags: the same on pasta as on a bridge.
fn host_config_names(c: &Value) -> Value {
    let hc = &c["HostConfig"];
    serde_json::json!([
        hc["Dns"],
        hc["DnsSearch"],
        hc["DnsOptions"],
        hc["ExtraHosts"]
    ])
}

fn expected_names() -> Value {
    serde_json::json!([
        ["192.0.2.53"],
        ["corp.test"],
        ["ndots:3"],
        ["db.test:10.1.2.3", "outside:host-gateway"]
    ])
}

fn inspect(out: &Output) -> Value {
    let v: Value = serde_json::from_str(&ok(out, "inspect")).unwrap();
    match v {
        Value::Array(mut a) => a.remove(0),
        v => v,
    }
}

/// stderr's words, without miette's frame, which wraps lines anywhere.
fn words(out: &Output) -> String {
    let err = stderr(out);
    let words: Vec<&str> = err
        .split_whitespace()
        .filter(|w| !["│", "×"].contains(w))
        .collect();
    words.join(" ")
}

fn args<'a>(head: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    let mut a = head.to_vec();
    a.extend(FLAGS);
    a.extend(tail);
    a
}

#[test]
fn rootless_pasta_containers_get_the_dns_and_hosts_asked_for() {
    require_pasta!();
    let env = Env::new("names");
    let _server = env.loopback_server(8076);
    // The foreground run; `outside` reaches the host's loopback server.
    let script = format!("{SHOW}; wget -q -O- http://outside:8076/ || echo no reply");
    let out = env.run(&args(
        &["run", "--rm", "--network", "pasta"],
        &["bb:1", "sh", "-c", &script],
    ));
    let seen = ok(&out, "run --network pasta");
    assert_names(&seen, "foreground");
    assert!(seen.ends_with("page of the host\n"), "{seen}");
    // A monitored container, on rootless strata's default network.
    let out = env.run(&args(
        &["run", "-d", "--name", "named"],
        &["bb:1", "sh", "-c", SHOW],
    ));
    ok(&out, "run -d");
    assert_eq!(
        ok(&env.run(&["wait", "named"]), "wait").trim(),
        "0",
        "the container's exit code"
    );
    assert_names(&ok(&env.run(&["logs", "named"]), "logs"), "monitored");
    let c = inspect(&env.run(&["inspect", "named"]));
    assert_eq!(c["HostConfig"]["NetworkMode"], "pasta");
    assert_eq!(host_config_names(&c), expected_names());
    ok(&env.run(&["rm", "named"]), "rm");
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

#[test]
fn rootful_pasta_containers_get_the_dns_and_hosts_asked_for_and_inspect_as_a_bridge() {
    require_pasta!();
    let env = support::netenv::Env::new("rootnames");
    let route = env
        .ns
        .cmd("ip")
        .args(["route", "add", "default", "via", GATEWAY, "dev", "out0"])
        .output()
        .unwrap();
    assert!(route.status.success(), "{}", stderr(&route));
    let run = |a: &[&str]| env.strata(a).output().unwrap();
    let seen = ok(
        &run(&args(
            &["run", "--rm", "--network", "pasta"],
            &["bb:1", "sh", "-c", SHOW],
        )),
        "run --network pasta",
    );
    assert_names(&seen, "foreground");
    // The files are bound over placeholders in a layer of their own, as a
    // bridge container's: a kept container's diff holds none of them.
    let kept = run(&args(
        &["run", "--network", "pasta"],
        &["bb:1", "sh", "-c", "cat /etc/hosts > /seen"],
    ));
    let err = stderr(&kept);
    assert!(kept.status.success(), "{err}");
    let upper = err.split("changes kept in ").nth(1).expect(&err).trim();
    assert!(Path::new(upper).join("seen").exists(), "{err}");
    for f in ["etc/hosts", "etc/resolv.conf"] {
        assert!(!Path::new(upper).join(f).exists(), "{f} in the diff");
    }
    // create, then start: the monitor's attachment writes them.
    ok(
        &run(&args(
            &["create", "--name", "made", "--network", "pasta"],
            &["bb:1", "sh", "-c", SHOW],
        )),
        "create",
    );
    ok(&run(&["start", "made"]), "start");
    assert_eq!(ok(&run(&["wait", "made"]), "wait").trim(), "0");
    assert_names(&ok(&run(&["logs", "made"]), "logs"), "monitored");
    // A bridge container's inspect, with the same flags bar host-gateway,
    // which a bridge has no address for.
    let bridge_flags = [
        "--dns",
        "192.0.2.53",
        "--dns-search",
        "corp.test",
        "--dns-option",
        "ndots:3",
        "--add-host",
        "db.test:10.1.2.3",
    ];
    let mut a = vec!["create", "--name", "onbridge", "--network", "bridge"];
    a.extend(bridge_flags);
    a.extend(["bb:1", "true"]);
    ok(&run(&a), "create --network bridge");
    let on_pasta = host_config_names(&inspect(&run(&["inspect", "made"])));
    let on_bridge = host_config_names(&inspect(&run(&["inspect", "onbridge"])));
    assert_eq!(on_pasta, expected_names());
    for i in 0..3 {
        assert_eq!(on_pasta[i], on_bridge[i], "{i}");
    }
    assert_eq!(on_bridge[3], serde_json::json!(["db.test:10.1.2.3"]));
    let refused = run(&[
        "create",
        "--network",
        "bridge",
        "--add-host",
        "outside:host-gateway",
        "bb:1",
        "true",
    ]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("host-gateway is for --network pasta"),
        "{}",
        stderr(&refused)
    );
    ok(&run(&["rm", "made", "onbridge"]), "rm");
    ok(&run(&["system", "fsck"]), "fsck");
}

#[test]
fn pasta_still_refuses_an_address_of_the_containers_own_and_says_why() {
    require_pasta!();
    let env = Env::new("ownaddr");
    for (flag, value) in [
        ("--ip", "10.9.0.9"),
        ("--mac-address", "02:42:ac:11:00:09"),
        ("--network-alias", "web"),
    ] {
        let out = env.run(&["run", "--rm", flag, value, "bb:1", "true"]);
        assert!(!out.status.success(), "{flag}");
        let said = words(&out);
        assert!(
            said.contains(&format!("{flag} is not supported with --network pasta"))
                && said.contains("a copy of the host's address"),
            "{flag}: {said}"
        );
    }
}

#[test]
fn without_pasta_on_path_rootless_run_names_the_package_and_the_host_network() {
    require_pasta!();
    let env = Env::new("nopasta");
    // Everything strata may run (newuidmap, ip, ...) but pasta.
    let bin = env.dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for dir in ["/usr/bin", "/usr/sbin"] {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let name = e.file_name();
            let n = name.to_string_lossy();
            if n.starts_with("pasta") || n.starts_with("passt") || bin.join(&name).exists() {
                continue;
            }
            std::os::unix::fs::symlink(e.path(), bin.join(&name)).unwrap();
        }
    }
    let path = bin.to_str().unwrap();
    // What the symlinks give works: the host's network needs no pasta.
    let host = env
        .strata_with_path(&["run", "--rm", "--network", "host", "bb:1", "true"], path)
        .output()
        .unwrap();
    ok(&host, "run --network host without pasta");
    for run in [
        &["run", "--rm", "bb:1", "true"][..],
        &["run", "--name", "kept", "bb:1", "true"],
        &["run", "--network", "pasta", "bb:1", "true"],
    ] {
        let out = env.strata_with_path(run, path).output().unwrap();
        assert!(!out.status.success(), "{run:?}: {}", stdout(&out));
        let said = words(&out);
        assert!(
            said.contains("install Debian's passt package") && said.contains("--network host"),
            "{run:?}: {said}"
        );
    }
    // The recorded run stays, its start's failure in its state (as
    // docker's `run` whose start fails); the foreground runs leave nothing.
    let kept = inspect(&env.run(&["inspect", "kept"]));
    let error = kept["State"]["Error"].as_str().unwrap_or_default();
    assert!(error.contains("passt package"), "{kept}");
    assert_eq!(kept["State"]["Running"], false, "{kept}");
    let ps = ok(&env.run(&["ps", "-a", "-q", "--no-trunc"]), "ps -a");
    assert_eq!(ps.trim(), kept["Id"].as_str().unwrap(), "only kept stays");
    ok(&env.run(&["rm", "kept"]), "rm kept");
    ok(&env.run(&["system", "fsck"]), "fsck");
    assert_eq!(env.leftovers(), Vec::<String>::new());
}
