//! `strata build`'s default network: every RUN step in a network
//! namespace of its own whose way out is pasta, as BuildKit's sandbox
//! mode. Each test runs strata inside its own `ip netns` (support/netns.rs)
//! with a default route on out0, so pasta has an interface to copy and
//! nothing reaches the host's network. Needs root and Debian's passt.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::Duration;

use support::busybox::{SANDBOX, busybox_rootfs};
use support::cli::{ok, run, stderr, stdout};
use support::netns::TestNs;
use support::sandbox::is_root;

/// The gateway of the test namespace's default route: pasta maps
/// connections to it onto the test namespace's own loopback.
const GATEWAY: &str = "192.0.2.254";

macro_rules! require_pasta {
    () => {
        if !is_root() || Command::new("pasta").arg("--version").output().is_err() {
            eprintln!("skipped: needs root and pasta (apt-get install passt)");
            return;
        }
    };
}

struct Env {
    ns: TestNs,
    root: PathBuf,
    ctx: PathBuf,
}

impl Env {
    fn new(tag: &str) -> Self {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("build_network_sandbox")
            .join(tag);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("ctx")).unwrap();
        let rootfs = busybox_rootfs(&dir, &SANDBOX);
        let ns = TestNs::new(&format!("bs{tag}"));
        ok(ns
            .cmd("ip")
            .args(["route", "add", "default", "via", GATEWAY, "dev", "out0"]));
        let env = Self {
            ns,
            root: dir.join("store"),
            ctx: dir.join("ctx"),
        };
        ok(env.strata(&["import"]).arg(&rootfs).arg("bb:1"));
        env
    }

    fn strata(&self, args: &[&str]) -> Command {
        let mut c = self.ns.strata(&self.root);
        c.args(args);
        c
    }

    /// `build -t out:1` of `dockerfile` with `flags`, on `--network
    /// sandbox` unless `flags` name a network.
    fn build(&self, flags: &[&str], dockerfile: &str) -> Output {
        std::fs::write(self.ctx.join("Dockerfile"), dockerfile).unwrap();
        let mut c = self.strata(&["build", "--progress", "plain", "-t", "out:1"]);
        if !flags.contains(&"--network") {
            c.args(["--network", "sandbox"]);
        }
        c.args(flags).arg(&self.ctx);
        run(&mut c)
    }

    /// A file of the built image.
    fn file(&self, path: &str) -> String {
        ok(&mut self.strata(&["run", "--rm", "--network", "none", "out:1", "cat", path]))
    }

    /// Left behind under the store's namespace dir (bound files, pasta dirs).
    fn leftovers(&self) -> Vec<String> {
        let dir = self.root.join("netns/build");
        std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A process started in the test namespace, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_run_step_sees_none_of_the_hosts_interfaces() {
    require_pasta!();
    let env = Env::new("links");
    let built = env.build(
        &[],
        "FROM bb:1\nRUN ip -o link > /links; cat /proc/net/dev > /netdev; ip -4 -o addr > /addrs\n",
    );
    assert!(built.status.success(), "{}", stderr(&built));
    for file in ["/links", "/netdev"] {
        let seen = env.file(file);
        // pasta's tap, under a name of its own, and loopback: nothing else.
        assert!(seen.contains("eth0"), "{file}: {seen}");
        assert!(seen.contains("lo"), "{file}: {seen}");
        for host_link in ["out0", "out1"] {
            assert!(
                !seen.contains(host_link),
                "{file} shows {host_link}: {seen}"
            );
        }
    }
    // pasta copies the outer address, so outbound traffic looks the same.
    assert!(env.file("/addrs").contains("inet 192.0.2.1/24"));
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

#[test]
fn a_run_step_reaches_the_hosts_loopback_through_the_gateway() {
    require_pasta!();
    let env = Env::new("gw");
    let www = env.ctx.parent().unwrap().join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), "served on loopback\n").unwrap();
    let _server = Server(
        env.ns
            .cmd("/bin/busybox")
            .args(["httpd", "-f", "-p", "127.0.0.1:8070", "-h"])
            .arg(&www)
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_millis(300));
    let built = env.build(
        &[],
        &format!("FROM bb:1\nRUN wget -q -O /got http://{GATEWAY}:8070/\n"),
    );
    assert!(built.status.success(), "{}", stderr(&built));
    assert_eq!(env.file("/got"), "served on loopback\n");
}

/// aardvark-dns on the test namespace's 127.0.0.1:53, answering
/// `web.test`; strata runs in a mount namespace whose /etc/resolv.conf
/// names it, as a host with a local resolver (systemd-resolved, dnsmasq).
#[test]
fn a_run_step_resolves_names_through_a_resolver_on_the_hosts_loopback() {
    require_pasta!();
    let aardvark = Path::new("/usr/lib/podman/aardvark-dns");
    if !aardvark.exists() {
        eprintln!("skipped: needs aardvark-dns as the test's resolver");
        return;
    }
    let env = Env::new("dns");
    let base = env.ctx.parent().unwrap().to_path_buf();
    let conf = base.join("aardvark");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(conf.join("testnet"), "127.0.0.1\nabc 10.1.2.3  web.test\n").unwrap();
    // It daemonizes and writes its pid beside its config.
    ok(env
        .ns
        .cmd(aardvark)
        .arg("--config")
        .arg(&conf)
        .args(["-p", "53", "run"]));
    struct Resolver(PathBuf);
    impl Drop for Resolver {
        fn drop(&mut self) {
            if let Ok(pid) = std::fs::read_to_string(self.0.join("aardvark.pid")) {
                let _ = Command::new("kill").arg(pid.trim()).status();
            }
        }
    }
    let _resolver = Resolver(conf.clone());
    std::fs::write(base.join("resolv.conf"), "nameserver 127.0.0.1\n").unwrap();
    // As a distribution's base image has; the step's view binds over it.
    std::fs::write(env.ctx.join("placeholder"), "").unwrap();
    std::fs::write(
        env.ctx.join("Dockerfile"),
        "FROM bb:1\nCOPY placeholder /etc/resolv.conf\nRUN nslookup web.test > /got\n",
    )
    .unwrap();
    let script = format!(
        "mount --bind {} /etc/resolv.conf && exec \"$@\"",
        base.join("resolv.conf").display()
    );
    let mut c = env.ns.cmd("unshare");
    c.args(["-m", "--propagation", "private", "sh", "-c", &script, "sh"])
        .arg(env!("CARGO_BIN_EXE_strata"))
        .arg("--root")
        .arg(&env.root)
        .args(["build", "--progress", "plain", "-t", "out:1"])
        .arg(&env.ctx);
    let built = run(&mut c);
    assert!(built.status.success(), "{}", stderr(&built));
    assert!(
        env.file("/got").contains("10.1.2.3"),
        "{}",
        env.file("/got")
    );
}

#[test]
fn run_network_host_needs_the_network_host_entitlement() {
    require_pasta!();
    let env = Env::new("host");
    let dockerfile = "FROM bb:1\nRUN true\nRUN --network=host ip -o link > /links\n";
    let refused = env.build(&[], dockerfile);
    assert!(!refused.status.success());
    let err = stderr(&refused);
    assert!(err.contains("network.host"), "{err}");
    assert!(err.contains("--allow network.host"), "{err}");
    assert!(err.contains("line 3"), "names the line: {err}");
    // Asked for by the step and allowed by the build: the host's network.
    let built = env.build(&["--allow", "network.host"], dockerfile);
    assert!(built.status.success(), "{}", stderr(&built));
    assert!(env.file("/links").contains("out0"));
    // `--network host` asks for it for every step, this one included.
    let built = env.build(&["--network", "host", "--no-cache"], dockerfile);
    assert!(built.status.success(), "{}", stderr(&built));
    assert!(env.file("/links").contains("out0"));
}

#[test]
fn the_host_network_asked_for_keys_apart_from_the_default() {
    require_pasta!();
    let env = Env::new("key");
    let dockerfile = "FROM bb:1\nRUN ip -o link > /links\n";
    let first = env.build(&[], dockerfile);
    assert!(first.status.success(), "{}", stderr(&first));
    let again = env.build(&[], dockerfile);
    assert!(stdout(&again).contains("CACHED") || stderr(&again).contains("CACHED"));
    // The sandbox's result is not reused for a build on the host's network.
    let host = env.build(&["--network", "host"], dockerfile);
    assert!(host.status.success(), "{}", stderr(&host));
    assert!(
        env.file("/links").contains("out0"),
        "{}",
        env.file("/links")
    );
}
