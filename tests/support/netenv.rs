//! A network test's world: its own network namespace (see netns.rs) and
//! a store holding busybox as `bb:1`, with probes for what containers on
//! networks leave behind (address and port files, attachment records,
//! netns files, veths and bridges, iptables rules).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use super::busybox::{SANDBOX, busybox_rootfs};
use super::cli::{ok, run};
use super::netns::TestNs;

/// Root and netavark: what every network test needs.
pub fn available() -> bool {
    super::sandbox::is_root() && Path::new("/usr/lib/podman/netavark").exists()
}

/// A test's namespace and a store holding busybox as `bb:1`, whose
/// /www/index.html says `page`.
pub struct Env {
    pub ns: TestNs,
    pub root: PathBuf,
}

impl Env {
    pub fn new(tag: &str) -> Self {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("network_bridge")
            .join(tag);
        // Namespace files a failed earlier run left are mount points.
        if let Ok(files) = std::fs::read_dir(dir.join("store/netns")) {
            for f in files.flatten() {
                let _ = rustix::mount::unmount(f.path(), rustix::mount::UnmountFlags::DETACH);
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let rootfs = busybox_rootfs(&dir, &SANDBOX);
        std::fs::create_dir_all(rootfs.join("www")).unwrap();
        std::fs::write(rootfs.join("www/index.html"), format!("page of {tag}\n")).unwrap();
        let env = Self {
            ns: TestNs::new(tag),
            root: dir.join("store"),
        };
        ok(env.strata(&["import"]).arg(&rootfs).arg("bb:1"));
        env
    }

    pub fn strata(&self, args: &[&str]) -> Command {
        let mut c = self.ns.strata(&self.root);
        c.args(args);
        c
    }

    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&ok(&mut self.strata(args))).unwrap()
    }

    /// `run --rm FLAGS bb:1 sh -c SCRIPT`.
    pub fn sh(&self, flags: &[&str], script: &str) -> Output {
        let mut c = self.strata(&["run", "--rm"]);
        c.args(flags).args(["bb:1", "sh", "-c", script]);
        run(&mut c)
    }

    /// The address the attachment record of container `name` holds.
    pub fn attached_ip(&self, name: &str) -> Option<String> {
        let dir = self.root.join("networks/attached");
        std::fs::read_dir(dir).ok()?.find_map(|e| {
            let rec: Value =
                serde_json::from_slice(&std::fs::read(e.ok()?.path().join("record.json")).ok()?)
                    .ok()?;
            (rec["name"] == name)
                .then(|| rec["networks"][0]["ip"].as_str().map(str::to_owned))
                .flatten()
        })
    }

    /// Everything a container leaves while on a network: address and port
    /// files, attachment records, netns files, aardvark-dns entries, veths
    /// and bridges, and iptables rules naming a network's subnet.
    pub fn leftovers(&self) -> Vec<String> {
        let mut found = Vec::new();
        for sub in [
            "networks/ipam",
            "networks/ports",
            "networks/attached",
            "netns",
        ] {
            let dir = self.root.join(sub);
            for e in walk(&dir) {
                found.push(e.strip_prefix(&self.root).unwrap().display().to_string());
            }
        }
        // aardvark-dns's name file per network: its first line is the
        // server's own address, each further one a container's entry.
        let dns = self.root.join("networks/netavark/aardvark-dns");
        for f in walk(&dns).into_iter().filter(|f| f.is_file()) {
            let name = f
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for line in text.lines().skip(1) {
                found.push(format!("dns {name}: {line}"));
            }
        }
        // Listed before `network ls`, which (as every network command)
        // reaps what dead owners left.
        let links = self.ns.links();
        let rules = self.ns.rules();
        let nets = std::fs::read_dir(self.root.join("networks"))
            .map(|d| d.count())
            .unwrap_or(0);
        let networks = if nets > 0 {
            self.json(&["network", "ls", "--format", "json"])
        } else {
            Value::Array(Vec::new())
        };
        // A network strata wires itself keeps its bridge while it exists,
        // as docker0 stays; netavark's go with their last container.
        let kept: Vec<&str> = networks
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["dns_enabled"] == false)
            .filter_map(|n| n["interface"].as_str())
            .collect();
        for link in &links {
            if !["lo", "out0", "out1"].contains(&link.as_str()) && !kept.contains(&link.as_str()) {
                found.push(format!("link {link}"));
            }
        }
        if nets > 0 {
            for n in networks.as_array().unwrap() {
                let subnet = n["subnet"].as_str().unwrap();
                for line in rules
                    .lines()
                    .filter(|l| l.contains(subnet) && !l.starts_with("strata element"))
                {
                    found.push(format!("rule {line}"));
                }
            }
        }
        // strata's own table: a published port still there outlived its
        // container (the bridges and subnets are the networks').
        for line in rules.lines().filter(|l| {
            l.strip_prefix("strata element ")
                .is_some_and(|r| r.contains("_any:") || r.contains("_ip:"))
        }) {
            found.push(format!("rule {line}"));
        }
        found
    }
}

/// Files under `dir` (dirs themselves are allowed to stay).
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() && !p.is_symlink() {
            out.extend(walk(&p));
            if dir.ends_with("attached") {
                out.push(p);
            }
        } else {
            out.push(p);
        }
    }
    out
}

/// A shell command that prints the response to `GET /` from HOST:PORT.
/// busybox nc, not wget: the static busybox's wget crashes on addresses
/// with a port and on refused connections, which would make a "cannot
/// reach" check pass for the wrong reason.
pub fn http_get(host: &str, port: u16) -> String {
    format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | /bin/busybox nc -w 2 {host} {port}")
}

pub fn fetch(env: &Env, flags: &[&str], host: &str, port: u16) -> Output {
    env.sh(flags, &http_get(host, port))
}

/// The body says `page of TAG`.
pub fn page(o: &Output) -> bool {
    out(o).contains("page of ")
}

pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A web server on [`super::netns::FAR`]:8000 in the test namespace's
/// "outside" (a second namespace one veth away) whose `GET /cgi-bin/addr`
/// answers `from ADDRESS` with the address it saw the client come from.
/// Killed, and its namespace deleted, when dropped.
pub struct FarServer {
    child: std::process::Child,
    _ns: super::netns::TestNs,
}

/// The shell line that asks a [`FarServer`] who is calling.
pub fn ask_far() -> String {
    format!(
        "printf 'GET /cgi-bin/addr HTTP/1.0\\r\\n\\r\\n' | /bin/busybox nc -w 3 {} 8000",
        super::netns::FAR
    )
}

impl Env {
    pub fn far_server(&self) -> FarServer {
        FarServer::start(&self.ns, &self.root.parent().unwrap().join("far-www"))
    }
}

impl FarServer {
    /// The server in `ns`'s outside namespace, its files under `www`.
    pub fn start(ns: &super::netns::TestNs, www: &Path) -> Self {
        let far = ns.outside();
        std::fs::create_dir_all(www.join("cgi-bin")).unwrap();
        let cgi = www.join("cgi-bin/addr");
        std::fs::write(
            &cgi,
            "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nfrom %s\\n' \"$REMOTE_ADDR\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&cgi, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let child = far
            .cmd("/bin/busybox")
            .args([
                "httpd",
                "-f",
                "-p",
                &format!("{}:8000", super::netns::FAR),
                "-h",
            ])
            .arg(www)
            .spawn()
            .unwrap();
        FarServer { child, _ns: far }
    }
}

impl Drop for FarServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
