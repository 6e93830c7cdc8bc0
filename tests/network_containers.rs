//! Monitored containers (`create`, `run -d`, `start`, `stop`, `restart`,
//! `rm -f`) on bridge networks: the monitor attaches a container when it
//! starts and detaches it when it ends, and whatever a killed monitor
//! left is torn down by the next command. Every test makes its own network
//! namespace and store (support/netenv.rs) and runs strata inside it.
//! Needs root and Debian's netavark, aardvark-dns and iptables.

mod support;

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::cli::{ok, run, stderr};
use support::netenv::{Env, http_get, out, page};

const HTTPD: &[&str] = &["httpd", "-f", "-p", "8080", "-h", "/www"];
const SLEEP: &[&str] = &["sleep", "1000"];

/// A test's world whose containers are all removed (`rm -f`) when it
/// ends, so a failing test leaves no monitor behind.
struct World {
    env: Env,
}

impl World {
    fn new(tag: &str) -> Self {
        Self { env: Env::new(tag) }
    }

    fn ok(&self, args: &[&str]) -> String {
        ok(&mut self.env.strata(args)).trim().to_owned()
    }

    fn run(&self, args: &[&str]) -> Output {
        run(&mut self.env.strata(args))
    }

    /// `run -d --name NAME FLAGS bb:1 COMMAND`.
    fn detached(&self, name: &str, flags: &[&str], command: &[&str]) -> String {
        let mut c = self.env.strata(&["run", "-d", "--name", name]);
        c.args(flags).arg("bb:1").args(command);
        ok(&mut c).trim().to_owned()
    }

    fn inspect(&self, name: &str) -> Value {
        serde_json::from_str(&self.ok(&["inspect", name])).unwrap()
    }

    /// The container's address on `network`, while it is attached.
    fn ip(&self, name: &str, network: &str) -> Option<String> {
        self.inspect(name)["NetworkSettings"]["Networks"][network]["IPAddress"]
            .as_str()
            .map(str::to_owned)
    }

    /// `exec NAME sh -c SCRIPT`.
    fn exec(&self, name: &str, script: &str) -> Output {
        self.run(&["exec", name, "sh", "-c", script])
    }

    /// Waits until `host:port` gives the test namespace its page.
    fn wait_serving(&self, host: &str, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self
                .env
                .ns
                .cmd("sh")
                .args(["-c", &http_get(host, port)])
                .output()
                .unwrap();
            if page(&got) {
                return;
            }
            assert!(Instant::now() < deadline, "{host}:{port} never answered");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Polls until `name`'s init pid is set and differs from `old`.
    fn wait_new_pid(&self, name: &str, old: u64) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let pid = self.inspect(name)["State"]["Pid"].as_u64().unwrap_or(0);
            if pid != 0 && pid != old {
                return pid;
            }
            assert!(Instant::now() < deadline, "{name} was not restarted");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
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

fn kill9(pid: u64) {
    let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
    let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
}

// Mirrors netavark 250-bridge-nftables.bats "$fw_driver - isolate
// networks" and podman 500-networking.bats "podman network - basic
// tests", with both containers under monitors.
#[test]
fn monitored_containers_find_each_other_by_name_and_alias_and_no_one_else_does() {
    require_network!();
    let w = World::new("mon_names");
    w.ok(&["network", "create", "app"]);
    w.ok(&["network", "create", "other"]);
    w.detached(
        "web",
        &["--network", "app", "--network-alias", "www"],
        HTTPD,
    );
    w.detached("client", &["--network", "app"], SLEEP);
    w.detached("stranger", &["--network", "other"], SLEEP);
    w.detached("plain", &["--network", "bridge"], SLEEP);
    let web_ip = w.ip("web", "app").expect("web has an address on app");
    w.wait_serving(&web_ip, 8080);

    for name in ["web", "www"] {
        let ping = w.exec("client", &format!("ping -c1 -W2 {name}"));
        assert!(ping.status.success(), "ping {name}: {}", stderr(&ping));
        let got = w.exec("client", &format!("wget -q -O- http://{name}:8080/"));
        assert_eq!(
            out(&got),
            "page of mon_names\n",
            "wget {name}: {}",
            stderr(&got)
        );
    }
    // Another network reaches web by neither name nor address.
    for host in ["web", web_ip.as_str()] {
        let got = w.exec("stranger", &http_get(host, 8080));
        assert!(!page(&got), "{host} reached from another network");
    }
    // The default network resolves no names (docker's rule).
    let got = w.exec("plain", &http_get("web", 8080));
    assert!(!page(&got), "web resolved on the default network");

    // Mirrors netavark 250-bridge-nftables.bats "$fw_driver - internal
    // network": no route out, where app has one.
    w.ok(&["network", "create", "--internal", "closed"]);
    w.detached("shut", &["--network", "closed"], SLEEP);
    let outward = format!("ping -c1 -W2 {}", support::netns::OUTWARD);
    assert!(
        w.exec("client", &outward).status.success(),
        "app has a way out"
    );
    assert!(
        !w.exec("shut", &outward).status.success(),
        "closed reached out"
    );
    let routes = out(&w.exec("shut", "ip route"));
    assert!(!routes.contains("default"), "{routes}");

    // Stopped: its address, name and namespace are gone at once.
    w.ok(&["stop", "-t", "1", "web"]);
    assert_eq!(w.ip("web", "app"), None);
    let ping = w.exec("client", "ping -c1 -W1 web");
    assert!(!ping.status.success(), "web still resolves after its stop");
    let files = w.env.leftovers().join("\n");
    assert!(
        !files.contains(&format!("networks/ipam/app/{web_ip}")),
        "{files}"
    );
    w.ok(&["rm", "-f", "web", "client", "stranger", "plain", "shut"]);
    assert_eq!(w.env.leftovers(), Vec::<String>::new());
}

// Mirrors podman 500-networking.bats "podman network after restart":
// kill -9 of the process brings the container back under its restart
// policy on the same address with its port published again, and so does
// `restart`.
#[test]
fn a_restarted_container_gets_its_address_and_port_back() {
    require_network!();
    let w = World::new("mon_restart");
    w.ok(&["network", "create", "app"]);
    w.detached(
        "web",
        &["--restart", "always", "--network", "app", "-p", "8081:8080"],
        HTTPD,
    );
    let ip = w.ip("web", "app").unwrap();
    w.wait_serving("127.0.0.1", 8081);
    let pid = w.inspect("web")["State"]["Pid"].as_u64().unwrap();

    kill9(pid);
    let pid = w.wait_new_pid("web", pid);
    assert_eq!(w.ip("web", "app").as_deref(), Some(ip.as_str()));
    w.wait_serving("127.0.0.1", 8081);

    w.ok(&["restart", "-t", "1", "web"]);
    w.wait_new_pid("web", pid);
    assert_eq!(w.ip("web", "app").as_deref(), Some(ip.as_str()));
    w.wait_serving("127.0.0.1", 8081);
    w.wait_serving(support::netns::OUTWARD, 8081);

    w.ok(&["rm", "-f", "web"]);
    assert_eq!(w.env.leftovers(), Vec::<String>::new());
}

// Mirrors podman 500-networking.bats "podman network cleanup --userns +
// --restart": a created container holds nothing until it starts, a
// stopped one nothing after, and a failing one under on-failure does not
// use up the addresses (a /29 has 5).
#[test]
fn a_container_is_on_its_network_only_while_it_runs() {
    require_network!();
    let w = World::new("mon_created");
    w.ok(&["network", "create", "--subnet", "10.77.0.0/29", "small"]);
    let mut c = w.env.strata(&[
        "create",
        "--name",
        "web",
        "--network",
        "small",
        "-p",
        "8082:8080",
        "bb:1",
    ]);
    c.args(HTTPD);
    ok(&mut c);
    assert_eq!(w.env.leftovers(), Vec::<String>::new(), "created only");
    w.ok(&["start", "web"]);
    w.wait_serving("127.0.0.1", 8082);
    w.ok(&["stop", "-t", "1", "web"]);
    assert_eq!(w.env.leftovers(), Vec::<String>::new(), "stopped");
    w.ok(&["start", "web"]);
    w.wait_serving("127.0.0.1", 8082);
    w.ok(&["kill", "web"]);
    w.ok(&["wait", "web"]);
    assert_eq!(w.env.leftovers(), Vec::<String>::new(), "killed");

    let mut c = w.env.strata(&[
        "run",
        "-d",
        "--name",
        "failing",
        "--network",
        "small",
        "--restart",
        "on-failure:6",
        "bb:1",
        "false",
    ]);
    ok(&mut c);
    let deadline = Instant::now() + Duration::from_secs(60);
    while w.inspect("failing")["State"]["Status"] != "exited" {
        assert!(Instant::now() < deadline, "on-failure:6 never gave up");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(w.inspect("failing")["RestartCount"], 6);
    let fresh = w.run(&["run", "--rm", "--network", "small", "bb:1", "true"]);
    assert!(fresh.status.success(), "{}", stderr(&fresh));
    w.ok(&["rm", "web", "failing"]);
    assert_eq!(w.env.leftovers(), Vec::<String>::new());
}

// The monitor owns the attachment; killed with SIGKILL it tears nothing
// down, and the next command that finds it dead does (netavark's
// teardown, the address and port files, the namespace, the DNS entry).
#[test]
fn what_a_killed_monitor_left_is_torn_down_by_the_next_ps() {
    require_network!();
    let w = World::new("mon_killed");
    w.ok(&["network", "create", "app"]);
    w.detached("web", &["--network", "app", "-p", "8083:8080"], HTTPD);
    w.detached("db", &["--network", "app"], SLEEP);
    w.wait_serving("127.0.0.1", 8083);
    for name in ["web", "db"] {
        kill9(w.inspect(name)["State"]["MonitorPid"].as_u64().unwrap());
    }
    std::thread::sleep(Duration::from_millis(200));
    let left = w.env.leftovers();
    for kind in [
        "networks/ipam/app/",
        "netns/",
        "dns app: ",
        "link veth",
        "rule ",
    ] {
        assert!(
            left.iter().any(|l| l.starts_with(kind)),
            "no {kind}: {left:?}"
        );
    }
    let ps = w.ok(&["ps", "-a"]);
    assert_eq!(w.env.leftovers(), Vec::<String>::new(), "{ps}");
    // The port is free for a new container.
    w.detached("web2", &["--network", "app", "-p", "8083:8080"], HTTPD);
    w.wait_serving("127.0.0.1", 8083);
    w.ok(&["rm", "-f", "web", "db", "web2"]);
    assert_eq!(w.env.leftovers(), Vec::<String>::new());
}

// A monitored container's /etc/hosts and /etc/resolv.conf are bound
// over the image's: neither shows in its diff or in a commit of it.
#[test]
fn hosts_and_resolv_conf_never_reach_a_commit() {
    require_network!();
    let w = World::new("mon_commit");
    w.ok(&["network", "create", "app"]);
    w.detached(
        "box",
        &["--network", "app"],
        &[
            "sh",
            "-c",
            "cat /etc/hosts > /seen; touch /ready; exec sleep 1000",
        ],
    );
    let ip = w.ip("box", "app").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !out(&w.exec("box", "ls /")).contains("ready") {
        assert!(Instant::now() < deadline, "box never got ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let seen = out(&w.exec("box", "cat /seen"));
    // Its name and its hostname (the short id), as docker writes them.
    let id = w.inspect("box")["Id"].as_str().unwrap().to_owned();
    let short = &id[..12];
    assert!(seen.contains(&format!("{ip}\tbox {short}\n")), "{seen}");
    let diff = w.ok(&["diff", "box"]);
    assert!(diff.contains("/seen"), "{diff}");
    assert!(
        !diff.contains("hosts") && !diff.contains("resolv.conf"),
        "{diff}"
    );
    w.ok(&["commit", "box", "boxed:1"]);
    let mut c = w
        .env
        .strata(&["run", "--rm", "--network", "none", "boxed:1"]);
    c.args([
        "sh",
        "-c",
        "cat /etc/hosts /etc/resolv.conf 2>/dev/null; cat /seen",
    ]);
    let got = ok(&mut c);
    assert_eq!(got.matches(&ip).count(), 1, "only /seen names {ip}: {got}");
}
