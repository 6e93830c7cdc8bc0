//! `strata network ...` and `strata run --network NAME`: containers on
//! bridge networks wired by netavark. Every test makes its own network
//! namespace (support/netns.rs) and store, and runs strata inside it, so
//! no bridge, veth, rule or DNS server reaches the host. Needs root and
//! Debian's netavark, aardvark-dns and iptables.

mod support;

use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::cli::{ok, run, stderr};
use support::netenv::{Env, fetch, http_get, out, page};
use support::netns::OUTWARD;

impl Env {
    /// A foreground `run` of busybox httpd on port 80 with `flags`, in the
    /// background; returns once the test namespace gets its page.
    fn web(&self, hostname: &str, flags: &[&str]) -> Web {
        self.web_running(hostname, flags, &["httpd", "-f", "-p", "80", "-h", "/www"])
    }

    /// As [`Env::web`], with `command` serving port 80 (and maybe more).
    fn web_running(&self, hostname: &str, flags: &[&str], command: &[&str]) -> Web {
        let mut c = self.strata(&["run", "--rm", "--hostname", hostname]);
        c.args(flags)
            .arg("bb:1")
            .args(command)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut web = Web {
            child: Some(c.spawn().unwrap()),
            ip: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(ip) = self.attached_ip(hostname) {
                let got = self
                    .ns
                    .cmd("sh")
                    .args(["-c", &http_get(&ip, 80)])
                    .output()
                    .unwrap();
                if out(&got).contains("page of") {
                    web.ip = ip;
                    return web;
                }
            }
            if let Some(status) = web.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                let out = web.child.take().unwrap().wait_with_output().unwrap();
                panic!("web {hostname} ended ({status}): {}", stderr(&out));
            }
            assert!(Instant::now() < deadline, "web {hostname} never answered");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A background `strata run`; dropping it sends SIGTERM (which `run`
/// forwards to the container before tearing its network down) and waits.
struct Web {
    child: Option<Child>,
    ip: String,
}

impl Web {
    fn stop(&mut self) -> Output {
        let child = self.child.take().expect("running");
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        child.wait_with_output().unwrap()
    }
}

impl Web {
    /// SIGKILL: `run` gets no chance to tear anything down.
    fn kill(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

impl Drop for Web {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.stop();
        }
    }
}

// Mirrors podman 500-networking.bats "podman network create" (subnet,
// gateway, labels, internal, duplicates) and "podman network - basic tests".
#[test]
fn networks_are_created_listed_inspected_removed_and_pruned() {
    require_network!();
    let env = Env::new("cmds");
    // A route in the namespace on podman's default subnet: the default
    // network must pick another.
    ok(env
        .ns
        .cmd("ip")
        .args(["addr", "add", "10.88.0.1/16", "dev", "out0"]));
    let list = env.json(&["network", "ls", "--format", "json"]);
    let default = &list.as_array().unwrap()[0];
    assert_eq!(default["name"], "strata");
    let subnet: &str = default["subnet"].as_str().unwrap();
    assert!(
        !subnet.starts_with("10.88."),
        "default network on a routed subnet: {subnet}"
    );

    ok(&mut env.strata(&[
        "network",
        "create",
        "--subnet",
        "10.77.0.0/24",
        "--gateway",
        "10.77.0.254",
        "--label",
        "team=a",
        "--internal",
        "front",
    ]));
    let front = &env.json(&["network", "inspect", "front"])[0];
    assert_eq!(front["subnet"], "10.77.0.0/24");
    assert_eq!(front["gateway"], "10.77.0.254");
    assert_eq!(front["labels"]["team"], "a");
    assert_eq!(front["internal"], true);
    assert_eq!(front["containers"], serde_json::json!([]));

    let again = run(&mut env.strata(&["network", "create", "front"]));
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    let overlap = run(&mut env.strata(&["network", "create", "--subnet", "10.77.0.0/25", "other"]));
    assert!(
        stderr(&overlap).contains("overlaps network \"front\""),
        "{}",
        stderr(&overlap)
    );
    let bad = run(&mut env.strata(&[
        "network",
        "create",
        "--subnet",
        "10.77.1.0/24",
        "--gateway",
        "10.78.0.1",
        "x",
    ]));
    assert!(
        stderr(&bad).contains("not a host address"),
        "{}",
        stderr(&bad)
    );
    let reserved = run(&mut env.strata(&["network", "create", "host"]));
    assert!(!reserved.status.success());
    let predefined = run(&mut env.strata(&["network", "rm", "strata"]));
    assert!(
        stderr(&predefined).contains("predefined"),
        "{}",
        stderr(&predefined)
    );

    ok(&mut env.strata(&["network", "create", "back"]));
    let table = ok(&mut env.strata(&["network", "ls"]));
    assert!(
        table.contains("back") && table.contains("10.77.0.0/24"),
        "{table}"
    );
    assert_eq!(ok(&mut env.strata(&["network", "rm", "front"])), "front\n");
    assert_eq!(ok(&mut env.strata(&["network", "prune", "-f"])), "back\n");
    let names: Vec<Value> = env
        .json(&["network", "ls", "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].clone())
        .collect();
    assert_eq!(names, ["strata"]);
    let gone = run(&mut env.strata(&["network", "inspect", "front"]));
    assert!(
        stderr(&gone).contains("no network named \"front\""),
        "{}",
        stderr(&gone)
    );
}

// Mirrors netavark 250-bridge-nftables.bats "$fw_driver - isolate
// networks" and podman's name and alias resolution on user networks.
#[test]
fn containers_on_a_network_reach_each_other_by_name_and_alias_and_no_one_else_does() {
    require_network!();
    let env = Env::new("names");
    ok(&mut env.strata(&["network", "create", "app"]));
    ok(&mut env.strata(&["network", "create", "other"]));
    let mut web = env.web("web", &["--network", "app", "--network-alias", "www"]);

    for name in ["web", "www", "web.dns.podman"] {
        let got = fetch(&env, &["--network", "app"], name, 80);
        assert!(
            out(&got).ends_with("\npage of names\n"),
            "by {name}: {}{}",
            out(&got),
            stderr(&got)
        );
    }
    let ping = env.sh(&["--network", "app"], "ping -c1 -W2 web");
    assert!(
        ping.status.success(),
        "ping web: {}{}",
        out(&ping),
        stderr(&ping)
    );

    let busy = run(&mut env.strata(&["network", "rm", "app"]));
    assert!(stderr(&busy).contains("in use"), "{}", stderr(&busy));

    // Another network: neither the name nor the address reaches web.
    let by_name = fetch(&env, &["--network", "other"], "web", 80);
    assert!(!page(&by_name), "web resolved from another network");
    let by_ip = fetch(&env, &["--network", "other"], &web.ip, 80);
    assert!(
        !page(&by_ip),
        "web reached from another network: {}",
        out(&by_ip)
    );
    let same_net_by_ip = fetch(&env, &["--network", "app"], &web.ip, 80);
    assert!(page(&same_net_by_ip), "{}", stderr(&same_net_by_ip));
    // The default network resolves no names (docker's rule).
    let default = fetch(&env, &["--network", "bridge"], "web", 80);
    assert!(!page(&default));
    // Nor does its address reach across: the default network is strata's
    // own wiring, `app` netavark's, and each side's rules keep them apart.
    let default_by_ip = fetch(&env, &["--network", "bridge"], &web.ip, 80);
    assert!(
        !page(&default_by_ip),
        "web reached from the default network: {}",
        String::from_utf8_lossy(&default_by_ip.stdout)
    );

    let stopped = web.stop();
    assert!(
        !stderr(&stopped).contains("teardown"),
        "{}",
        stderr(&stopped)
    );
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

// Mirrors netavark 250-bridge-nftables.bats "$fw_driver - internal
// network": no default route, the gateway still answers.
#[test]
fn an_internal_network_has_no_way_out() {
    require_network!();
    let env = Env::new("internal");
    // A server on the test namespace's outward address stands for the
    // outside world.
    let _outside = Outside::start(&env, 8000);
    ok(&mut env.strata(&["network", "create", "open"]));
    ok(&mut env.strata(&["network", "create", "--internal", "closed"]));
    let open = fetch(&env, &["--network", "open"], OUTWARD, 8000);
    assert!(
        out(&open).ends_with("\npage of internal\n"),
        "{}{}",
        out(&open),
        stderr(&open)
    );
    let closed = fetch(&env, &["--network", "closed"], OUTWARD, 8000);
    assert!(
        !page(&closed),
        "an internal network reached out: {}",
        out(&closed)
    );
    let routes = env.sh(&["--network", "closed"], "ip route");
    assert!(!out(&routes).contains("default"), "{}", out(&routes));

    assert_eq!(env.leftovers(), Vec::<String>::new());
}

// Mirrors podman 500-networking.bats "podman networking: port on
// localhost" (including its second bind of the same port, which must fail).
#[test]
fn a_published_port_answers_on_the_outward_address_and_localhost_and_is_taken_once() {
    require_network!();
    let env = Env::new("ports");
    let mut web = env.web("web", &["--network", "bridge", "-p", "8080:80"]);
    for addr in [OUTWARD, "127.0.0.1"] {
        let got = env
            .ns
            .cmd("sh")
            .args(["-c", &http_get(addr, 8080)])
            .output()
            .unwrap();
        assert!(
            out(&got).ends_with("\npage of ports\n"),
            "via {addr}: {}{}",
            out(&got),
            stderr(&got)
        );
    }
    let before = env.leftovers();

    let second = env.sh(&["--network", "bridge", "-p", "8080:80"], "echo started");
    assert!(!second.status.success());
    assert!(!out(&second).contains("started"));
    assert!(
        stderr(&second).contains("host port 8080/tcp on every address is already in use"),
        "{}",
        stderr(&second)
    );
    assert_eq!(
        env.leftovers(),
        before,
        "the refused container left something"
    );

    web.stop();
    assert_eq!(env.leftovers(), Vec::<String>::new());
    // A range maps port by port.
    let mut two = env.web_running(
        "two",
        &["--network", "bridge", "-p", "8081-8082:80-81"],
        &[
            "sh",
            "-c",
            "httpd -p 81 -h /www; exec httpd -f -p 80 -h /www",
        ],
    );
    for port in [8081, 8082] {
        let got = env
            .ns
            .cmd("sh")
            .args(["-c", &http_get(OUTWARD, port)])
            .output()
            .unwrap();
        assert!(
            out(&got).ends_with("\npage of ports\n"),
            "via {port}: {}{}",
            out(&got),
            stderr(&got)
        );
    }
    two.stop();
    assert_eq!(env.leftovers(), Vec::<String>::new());

    // Once freed, the port can be published again.
    let again = env.sh(&["--network", "bridge", "-p", "8080:80"], "true");
    assert!(again.status.success(), "{}", stderr(&again));
}

#[test]
fn the_container_gets_its_own_hosts_and_resolv_conf() {
    require_network!();
    let env = Env::new("etc");
    ok(&mut env.strata(&["network", "create", "--subnet", "10.66.0.0/24", "lan"]));
    let got = env.sh(
        &[
            "--network",
            "lan",
            "--ip",
            "10.66.0.9",
            "--hostname",
            "box",
            "--add-host",
            "db:10.1.2.3",
            "--dns",
            "10.66.0.53",
            "--dns-option",
            "ndots:4",
        ],
        "cat /etc/hosts /etc/resolv.conf; hostname; ip -4 -o addr show eth0",
    );
    let text = out(&got);
    assert!(got.status.success(), "{}", stderr(&got));
    assert!(text.contains("10.66.0.9\tbox\n"), "{text}");
    assert!(text.contains("10.1.2.3\tdb\n"), "{text}");
    assert!(text.contains("nameserver 10.66.0.53\n"), "{text}");
    assert!(text.contains("options ndots:4\n"), "{text}");
    assert!(text.contains("box\n"), "{text}");
    assert!(text.contains("inet 10.66.0.9/24"), "{text}");

    let taken = env.sh(&["--network", "lan", "--ip", "10.66.0.1"], "true");
    assert!(
        stderr(&taken).contains("10.66.0.1 on network \"lan\" is already in use by"),
        "{}",
        stderr(&taken)
    );
    let outside = env.sh(&["--network", "lan", "--ip", "10.67.0.2"], "true");
    assert!(
        stderr(&outside).contains("not in network \"lan\"'s subnet"),
        "{}",
        stderr(&outside)
    );
    // The files are bound over placeholders in a layer of their own: a
    // kept container's diff holds none of them.
    let kept = run(&mut env.strata(&[
        "run",
        "--network",
        "lan",
        "bb:1",
        "sh",
        "-c",
        "cat /etc/hosts > /seen",
    ]));
    let err = stderr(&kept);
    let upper = err.split("changes kept in ").nth(1).expect(&err).trim();
    assert!(Path::new(upper).join("seen").exists(), "{err}");
    for f in ["etc/hosts", "etc/resolv.conf"] {
        assert!(
            !Path::new(upper).join(f).exists(),
            "{f} in the container's diff"
        );
    }
    // (The default network is a bridge now: say host.)
    let host = env.sh(&["--network", "host", "-p", "80:80"], "true");
    assert!(
        stderr(&host).contains("--publish needs a container network"),
        "{}",
        stderr(&host)
    );
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

#[test]
fn what_a_killed_run_left_is_torn_down_by_the_next_command() {
    require_network!();
    let env = Env::new("killed");
    ok(&mut env.strata(&["network", "create", "app"]));
    let mut web = env.web("web", &["--network", "app", "-p", "8080:80"]);
    web.kill();
    // The container died with its run (parent death signal); its network
    // is still set up.
    assert!(!env.leftovers().is_empty());
    let busy = run(&mut env.strata(&["network", "ls"]));
    assert!(busy.status.success(), "{}", stderr(&busy));
    assert_eq!(env.leftovers(), Vec::<String>::new());
    assert_eq!(ok(&mut env.strata(&["network", "rm", "app"])), "app\n");

    // And a new run reclaims the port of one killed before it.
    let mut web = env.web("web2", &["--network", "bridge", "-p", "8080:80"]);
    web.kill();
    let again = env.sh(&["--network", "bridge", "-p", "8080:80"], "true");
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

/// A busybox httpd on the test namespace's outward address, standing for
/// the outside world; killed when dropped.
struct Outside(Child);

impl Outside {
    fn start(env: &Env, port: u16) -> Self {
        let www = env.root.parent().unwrap().join("rootfs/www");
        let child = env
            .ns
            .cmd("/bin/busybox")
            .args(["httpd", "-f", "-p", &format!("{OUTWARD}:{port}"), "-h"])
            .arg(&www)
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        Self(child)
    }
}

impl Drop for Outside {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn build_network_bridge_gives_run_steps_their_own_namespace_with_nat_out() {
    require_network!();
    let env = Env::new("build");
    let _outside = Outside::start(&env, 8000);
    let ctx = env.root.parent().unwrap().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        format!(
            "FROM bb:1\nRUN {} > /got; ip -o link > /links; ip -4 -o addr > /addrs\n",
            http_get(OUTWARD, 8000)
        ),
    )
    .unwrap();
    let built = run(env
        .strata(&[
            "build",
            "--progress",
            "plain",
            "--network",
            "bridge",
            "-t",
            "net:1",
        ])
        .arg(&ctx));
    assert!(built.status.success(), "{}", stderr(&built));
    let seen = ok(&mut env.strata(&["run", "--rm", "net:1", "cat", "/got", "/links", "/addrs"]));
    assert!(seen.contains("\npage of build\n"), "{seen}");
    // Its own namespace: an eth0 on the default network, not the test
    // namespace's out0.
    assert!(seen.contains("eth0"), "{seen}");
    assert!(!seen.contains("out0"), "{seen}");
    let default = &env.json(&["network", "inspect", "strata"])[0];
    let prefix = default["subnet"]
        .as_str()
        .unwrap()
        .rsplit_once('.')
        .unwrap()
        .0
        .to_owned();
    assert!(
        seen.contains(&format!("inet {}", prefix.rsplit_once('.').unwrap().0)),
        "{seen}"
    );
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

// The "outbound NAT" case: a server in a second namespace, one
// veth away, sees the test namespace's address, not the container's.
#[test]
fn outbound_traffic_leaves_with_the_namespaces_address() {
    require_network!();
    let env = Env::new("nat");
    let server = env.far_server();
    std::thread::sleep(Duration::from_millis(300));
    let script = format!("{}; ip -4 -o addr show eth0", support::netenv::ask_far());
    let got = env.sh(&["--network", "bridge"], &script);
    drop(server);
    let text = out(&got);
    assert!(
        text.contains(&format!("from {OUTWARD}\n")),
        "{text}{}",
        stderr(&got)
    );
    assert!(
        !text.contains("inet 192.0.2."),
        "the container itself sits on the bridge: {text}"
    );
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

/// docker's `--dns-search` replaces the network's search domains in the
/// container's resolv.conf; `--mac-address` is its first interface's
/// address (netavark's `static_mac`), written as given in any case.
#[test]
fn dns_search_and_mac_address_are_the_containers_own() {
    require_network!();
    let env = Env::new("searchmac");
    ok(&mut env.strata(&["network", "create", "--subnet", "10.67.0.0/24", "lan"]));
    let got = env.sh(
        &[
            "--network",
            "lan",
            "--dns-search",
            "corp.example",
            "--dns-search",
            "example.org",
            "--mac-address",
            "02:42:AC:11:00:99",
        ],
        "cat /etc/resolv.conf /sys/class/net/eth0/address",
    );
    let text = out(&got);
    assert!(got.status.success(), "{}", stderr(&got));
    assert!(text.contains("search corp.example example.org\n"), "{text}");
    assert!(
        !text.contains("dns.podman"),
        "the network's domain is replaced: {text}"
    );
    assert!(text.ends_with("02:42:ac:11:00:99\n"), "{text}");
    // Without the flags: the network's search domain, a kernel-made MAC.
    let plain = out(&env.sh(
        &["--network", "lan"],
        "cat /etc/resolv.conf /sys/class/net/eth0/address",
    ));
    assert!(plain.contains("search dns.podman\n"), "{plain}");
    assert!(!plain.contains("02:42:ac:11:00:99"), "{plain}");
    // The default network, which strata wires itself, takes both too.
    let default = env.sh(
        &[
            "--network",
            "bridge",
            "--dns-search",
            "corp.example",
            "--mac-address",
            "02:42:ac:11:00:98",
        ],
        "cat /etc/resolv.conf /sys/class/net/eth0/address",
    );
    let text = out(&default);
    assert!(default.status.success(), "{}", stderr(&default));
    assert!(text.contains("search corp.example\n"), "{text}");
    assert!(text.ends_with("02:42:ac:11:00:98\n"), "{text}");

    for (mac, says) in [
        ("03:42:ac:11:00:99", "multicast"),
        ("02:42:ac:11:00", "not a MAC address"),
    ] {
        let refused = env.sh(&["--network", "lan", "--mac-address", mac], "true");
        assert!(!refused.status.success());
        assert!(
            stderr(&refused).contains(says),
            "{mac}: {}",
            stderr(&refused)
        );
    }
    let host = env.sh(
        &["--network", "host", "--dns-search", "corp.example"],
        "true",
    );
    assert!(
        stderr(&host).contains("--dns-search needs a container network"),
        "{}",
        stderr(&host)
    );
    assert_eq!(env.leftovers(), Vec::<String>::new());
}
