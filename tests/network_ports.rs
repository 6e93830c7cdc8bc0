//! Published ports of monitored containers: `-P` (the image's EXPOSE
//! ports on free host ports), `port`, `-p` ranges, `/udp` and
//! `IP:HOST:CONTAINER`, and a host port asked for twice. Each test runs
//! strata in its own network namespace (support/netenv.rs). Needs root
//! and Debian's netavark, aardvark-dns and iptables.

mod support;

use std::time::{Duration, Instant};

use support::cli::{ok, run, stderr};
use support::netenv::{Env, http_get, out, page};
use support::netns::OUTWARD;

/// `strata ARGS` must succeed; its stdout, trimmed.
fn strata_ok(env: &Env, args: &[&str]) -> String {
    ok(&mut env.strata(args)).trim().to_owned()
}

/// Whether `host:port` gives the test namespace its page within `limit`.
fn serves(env: &Env, host: &str, port: &str, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        let got = env
            .ns
            .cmd("sh")
            .args(["-c", &http_get(host, port.parse().unwrap())])
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

const SERVE: Duration = Duration::from_secs(20);

/// Prints the first datagram from each of two senders on UDP 5353 (30 s
/// at most).
const UDP_LISTENER: &str = "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',5353))\ns.settimeout(30)\nseen=set()\nwhile len(seen)<2:\n d=s.recv(100).decode()\n if d not in seen:\n  seen.add(d); print(d, flush=True)";

/// An error as one line: miette wraps and frames long messages.
fn flat(err: &str) -> String {
    err.replace(['│', '×'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn rm_all(env: &Env) {
    let ids = out(&run(&mut env.strata(&["ps", "-a", "-q", "--no-trunc"])));
    let ids: Vec<&str> = ids.lines().collect();
    if !ids.is_empty() {
        let _ = env.strata(&["rm", "-f"]).args(&ids).output();
    }
}

// Mirrors podman 500-networking.bats "podman networking: port on
// localhost" for -P (docker run -P: every EXPOSE port on a free host
// port, which `port` reports).
#[test]
fn publish_all_puts_every_exposed_port_on_a_free_host_port_and_port_prints_them() {
    require_network!();
    let env = Env::new("publish_all");
    let ctx = env.root.parent().unwrap().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("Dockerfile"), "FROM bb:1\nEXPOSE 8080 9090/udp\n").unwrap();
    ok(env.strata(&["build", "-q", "-t", "web:1"]).arg(&ctx));
    strata_ok(
        &env,
        &[
            "run", "-d", "--name", "web", "-P", "web:1", "httpd", "-f", "-p", "8080", "-h", "/www",
        ],
    );
    let listed = strata_ok(&env, &["port", "web"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    let tcp = lines
        .iter()
        .find_map(|l| l.strip_prefix("8080/tcp -> 0.0.0.0:"))
        .unwrap_or_else(|| panic!("{listed}"));
    let udp = lines
        .iter()
        .find_map(|l| l.strip_prefix("9090/udp -> 0.0.0.0:"))
        .unwrap_or_else(|| panic!("{listed}"));
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap();
    let bounds: Vec<u16> = range
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    for p in [tcp, udp] {
        let p: u16 = p.parse().unwrap();
        assert!(bounds[0] <= p && p <= bounds[1], "{p} outside {range}");
    }
    assert_eq!(
        strata_ok(&env, &["port", "web", "8080"]),
        format!("0.0.0.0:{tcp}")
    );
    assert_eq!(
        strata_ok(&env, &["port", "web", "9090/udp"]),
        format!("0.0.0.0:{udp}")
    );
    let none = run(&mut env.strata(&["port", "web", "7777"]));
    assert!(!none.status.success());
    assert!(
        stderr(&none).contains("no public port '7777/tcp'"),
        "{}",
        stderr(&none)
    );
    assert!(serves(&env, "127.0.0.1", tcp, SERVE), "127.0.0.1:{tcp}");
    assert!(serves(&env, OUTWARD, tcp, SERVE), "{OUTWARD}:{tcp}");

    // A second -P container gets other host ports.
    strata_ok(
        &env,
        &[
            "run", "-d", "--name", "web2", "-P", "web:1", "httpd", "-f", "-p", "8080", "-h", "/www",
        ],
    );
    let tcp2 = strata_ok(&env, &["port", "web2", "8080"]);
    assert_ne!(tcp2, format!("0.0.0.0:{tcp}"));
    // Stopped, it publishes nothing.
    strata_ok(&env, &["stop", "-t", "1", "web2"]);
    assert_eq!(strata_ok(&env, &["port", "web2"]), "");
    rm_all(&env);
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

// Mirrors podman 500-networking.bats "podman run port forward range"
// (a range of host ports, port by port), plus a UDP port and a port
// published on one address only.
#[test]
fn ranges_udp_and_one_address_publish_what_they_say() {
    require_network!();
    let env = Env::new("port_kinds");
    strata_ok(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "two",
            "-p",
            "8091-8092:8080-8081",
            "bb:1",
            "sh",
            "-c",
            "httpd -p 8081 -h /www; exec httpd -f -p 8080 -h /www",
        ],
    );
    for p in ["8091", "8092"] {
        assert!(serves(&env, "127.0.0.1", p, SERVE), "127.0.0.1:{p}");
    }
    strata_ok(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "lo",
            "-p",
            "127.0.0.1:8093:8080",
            "bb:1",
            "httpd",
            "-f",
            "-p",
            "8080",
            "-h",
            "/www",
        ],
    );
    assert!(serves(&env, "127.0.0.1", "8093", SERVE));
    assert!(
        !serves(&env, OUTWARD, "8093", Duration::from_secs(1)),
        "published on 127.0.0.1 only"
    );
    assert_eq!(
        strata_ok(&env, &["port", "lo"]),
        "8080/tcp -> 127.0.0.1:8093"
    );

    // busybox has no UDP server: a listener the test starts in the
    // container's network namespace stands in for the container's.
    strata_ok(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "udp",
            "-p",
            "5353:5353/udp",
            "bb:1",
            "sleep",
            "1000",
        ],
    );
    let inspect: serde_json::Value =
        serde_json::from_str(&strata_ok(&env, &["inspect", "udp"])).unwrap();
    let netns = inspect["NetworkSettings"]["SandboxKey"].as_str().unwrap();
    let listener = std::process::Command::new("nsenter")
        .arg(format!("--net={netns}"))
        .args(["python3", "-c", UDP_LISTENER])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for dest in ["127.0.0.1", OUTWARD] {
        let sender = format!(
            "import socket,time\nfor _ in range(20):\n socket.socket(socket.AF_INET,socket.SOCK_DGRAM).sendto(b'via {dest}',('{dest}',5353)); time.sleep(0.1)"
        );
        let mut send = env.ns.cmd("python3");
        send.args(["-c", &sender]).spawn().unwrap().wait().unwrap();
    }
    let got = out(&listener.wait_with_output().unwrap());
    assert!(
        got.contains("via 127.0.0.1") && got.contains(&format!("via {OUTWARD}")),
        "{got}"
    );
    rm_all(&env);
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

// Mirrors podman 500-networking.bats "podman networking: port on
// localhost", its second bind of the same port: refused with the holder
// named, before a container record or an address is made.
#[test]
fn a_taken_host_port_is_refused_and_leaves_nothing_behind() {
    require_network!();
    let env = Env::new("port_taken");
    strata_ok(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "first",
            "-p",
            "8094:8080",
            "bb:1",
            "sleep",
            "1000",
        ],
    );
    let before = env.leftovers();
    let containers = || {
        std::fs::read_dir(env.root.join("containers"))
            .unwrap()
            .count()
    };
    let count = containers();
    for args in [
        &[
            "run", "-d", "--name", "second", "-p", "8094:80", "bb:1", "true",
        ][..],
        &[
            "create",
            "--name",
            "second",
            "-p",
            "0.0.0.0:8094:81",
            "bb:1",
            "true",
        ][..],
    ] {
        let refused = run(&mut env.strata(args));
        assert!(!refused.status.success(), "{args:?}");
        let err = flat(&stderr(&refused));
        assert!(
            err.contains("host port 8094/tcp on every address is already in use"),
            "{err}"
        );
        assert!(err.contains("published by container"), "{err}");
        assert_eq!(containers(), count, "a container record was made");
        assert_eq!(env.leftovers(), before);
    }
    // Something else listening on the port counts too.
    let mut listener = env
        .ns
        .cmd("/bin/busybox")
        .args(["nc", "-l", "-p", "8095"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let refused = run(&mut env.strata(&["run", "-d", "-p", "8095:80", "bb:1", "true"]));
    let _ = listener.kill();
    let _ = listener.wait();
    assert!(
        flat(&stderr(&refused)).contains("host port 8095/tcp"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(containers(), count);
    rm_all(&env);
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

/// A foreground `run --network pasta -p HOST:80` of busybox httpd: pasta
/// listens on the host port in the test namespace and connects to port 80
/// inside, so the page answers on 127.0.0.1 and on the outward address.
/// The container serves until the test creates `stop` in its /ctl.
#[test]
fn run_network_pasta_publishes_a_port_on_loopback_and_the_outward_address() {
    require_network!();
    if std::process::Command::new("pasta")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: needs pasta (apt-get install passt)");
        return;
    }
    let env = Env::new("pastaport");
    // pasta copies the outer default route's interface; without one the
    // namespace would have loopback alone.
    ok(env.ns.cmd("ip").args([
        "route",
        "add",
        "default",
        "via",
        "192.0.2.254",
        "dev",
        "out0",
    ]));
    let ctl = env.root.parent().unwrap().join("ctl");
    std::fs::create_dir_all(&ctl).unwrap();
    let web = env
        .strata(&["run", "--rm", "--network", "pasta", "-p", "8090:80", "-v"])
        .arg(format!("{}:/ctl", ctl.display()))
        .args(["bb:1", "sh", "-c"])
        .arg("httpd -p 80 -h /www && while [ ! -e /ctl/stop ]; do sleep 0.1; done")
        .spawn()
        .unwrap();
    let reached = (
        serves(&env, "127.0.0.1", "8090", SERVE),
        serves(&env, OUTWARD, "8090", SERVE),
    );
    std::fs::write(ctl.join("stop"), "").unwrap();
    let done = web.wait_with_output().unwrap();
    assert_eq!(reached, (true, true), "127.0.0.1 and {OUTWARD}");
    assert!(done.status.success());
    let left = std::fs::read_dir(env.root.join("netns"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}
