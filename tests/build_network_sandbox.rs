//! `strata build`'s default network: RUN steps in a network namespace
//! that is not the host's, whose way out is pasta, as BuildKit's sandbox
//! mode; consecutive steps of a build share one, which none of them can
//! change. Each test runs strata inside its own `ip netns` (support/netns.rs)
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

    /// `build -t out:1` of `dockerfile` with `flags`: the default network
    /// (the sandbox) unless `flags` name one.
    fn build(&self, flags: &[&str], dockerfile: &str) -> Output {
        std::fs::write(self.ctx.join("Dockerfile"), dockerfile).unwrap();
        let mut c = self.strata(&["build", "--progress", "plain", "-t", "out:1"]);
        c.args(flags).arg(&self.ctx);
        run(&mut c)
    }

    /// The test namespace's own `net:[INODE]`.
    fn host_netns(&self) -> String {
        ok(self.ns.cmd("readlink").arg("/proc/self/ns/net"))
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

#[test]
fn consecutive_run_steps_share_one_namespace_that_is_not_the_hosts() {
    require_pasta!();
    let env = Env::new("share");
    let built = env.build(
        &[],
        "FROM bb:1\nRUN readlink /proc/self/ns/net > /a\nRUN readlink /proc/self/ns/net > /b\n",
    );
    assert!(built.status.success(), "{}", stderr(&built));
    let (a, b) = (env.file("/a"), env.file("/b"));
    assert!(a.starts_with("net:["), "{a}");
    assert_eq!(a, b, "the second step is handed the first one's namespace");
    assert_ne!(a, env.host_netns());
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

/// Docker's default capabilities, which RUN has, lack CAP_NET_ADMIN: the
/// step cannot add an address (nor a route, a link, a netfilter rule) to
/// the namespace the next step is handed.
#[test]
fn a_step_cannot_change_the_namespace_the_next_one_gets() {
    require_pasta!();
    let env = Env::new("nochange");
    let built = env.build(
        &[],
        "FROM bb:1\n\
         RUN ip addr add 10.9.9.9/32 dev lo 2>/dev/null; echo $? > /status; \
             ip route add 10.8.0.0/16 dev eth0 2>/dev/null; echo $? >> /status\n\
         RUN ip -o addr > /addrs; ip route > /routes\n",
    );
    assert!(built.status.success(), "{}", stderr(&built));
    assert!(
        env.file("/status").lines().all(|l| l != "0"),
        "{}",
        env.file("/status")
    );
    assert!(!env.file("/addrs").contains("10.9.9.9"));
    assert!(!env.file("/routes").contains("10.8.0.0"));
}

/// A step's processes end with it, listeners and daemons included, so the
/// next step in the same namespace finds nothing answering.
#[test]
fn a_daemon_a_step_leaves_running_does_not_answer_the_next_step() {
    require_pasta!();
    let env = Env::new("daemon");
    let built = env.build(
        &[],
        "FROM bb:1\n\
         RUN mkdir /www && echo up > /www/index.html && httpd -p 8099 -h /www && \
             wget -q -O /during http://127.0.0.1:8099/\n\
         RUN wget -q -O- http://127.0.0.1:8099/ > /after 2>&1 && echo answered > /seen || echo refused > /seen\n",
    );
    assert!(built.status.success(), "{}", stderr(&built));
    assert_eq!(
        env.file("/during"),
        "up\n",
        "the daemon answered its own step"
    );
    assert_eq!(env.file("/seen"), "refused\n", "{}", env.file("/after"));
}

/// `--security=insecure` has CAP_NET_ADMIN: what it changes stays in a
/// namespace no later step is handed.
#[test]
fn a_step_that_may_change_its_namespace_leaves_nothing_to_later_steps() {
    require_pasta!();
    let env = Env::new("insecure");
    let built = env.build(
        &["--allow", "security.insecure"],
        "FROM bb:1\n\
         RUN --security=insecure ip addr add 10.9.9.9/32 dev lo && ip -o addr > /during\n\
         RUN ip -o addr > /after\n",
    );
    assert!(built.status.success(), "{}", stderr(&built));
    assert!(env.file("/during").contains("10.9.9.9"));
    let after = env.file("/after");
    assert!(!after.contains("10.9.9.9"), "{after}");
    assert!(
        after.contains("eth0"),
        "the later step still has a way out: {after}"
    );
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

/// Steps of two stages running at once: each has a namespace of its own,
/// so neither sees (or collides with) the other's listeners. The stages
/// meet in a shared cache mount to be sure they overlap.
#[test]
fn steps_running_at_once_get_namespaces_of_their_own() {
    require_pasta!();
    let env = Env::new("parallel");
    let stage = |me: &str, other: &str| {
        format!(
            "FROM bb:1 AS {me}\n\
             RUN --mount=type=cache,id=meet,sharing=shared,target=/meet \
                 touch /meet/{me}; i=0; \
                 while [ ! -e /meet/{other} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; \
                 readlink /proc/self/ns/net > /ns; ls /meet > /met\n"
        )
    };
    let dockerfile = format!(
        "{}{}FROM bb:1\nCOPY --from=a /ns /a\nCOPY --from=a /met /met\nCOPY --from=b /ns /b\n",
        stage("a", "b"),
        stage("b", "a")
    );
    let built = env.build(&[], &dockerfile);
    assert!(built.status.success(), "{}", stderr(&built));
    assert_eq!(env.file("/met"), "a\nb\n", "the two steps overlapped");
    assert_ne!(env.file("/a"), env.file("/b"));
}

#[test]
fn without_pasta_the_build_names_the_package_and_the_way_around() {
    require_pasta!();
    let env = Env::new("nopasta");
    std::fs::write(env.ctx.join("Dockerfile"), "FROM bb:1\nRUN true\n").unwrap();
    let build = |flags: &[&str]| {
        let mut c = env.strata(&["build", "--progress", "plain", "-t", "out:1"]);
        c.env("STRATA_PASTA", "/nonexistent/pasta")
            .args(flags)
            .arg(&env.ctx);
        run(&mut c)
    };
    let refused = build(&[]);
    assert!(!refused.status.success());
    let err = stderr(&refused);
    // miette wraps lines: compare the words.
    let words = err
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(words.contains("passt"), "{err}");
    assert!(words.contains("--network host"), "{err}");
    assert!(words.contains("line 2"), "names the step: {err}");
    let host = build(&["--network", "host"]);
    assert!(host.status.success(), "{}", stderr(&host));
    assert_eq!(env.leftovers(), Vec::<String>::new());
}
