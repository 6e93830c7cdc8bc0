//! A network namespace made for one test (`ip netns add`), removed when
//! dropped: strata runs inside it, so its bridges, veths, rules and DNS
//! servers never touch the host's own network.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::cli::{ok, run};

/// The namespace's "outward" address (TEST-NET-1, on a veth pair that
/// exists only inside the namespace).
pub const OUTWARD: &str = "192.0.2.1";

pub struct TestNs {
    pub name: String,
}

impl TestNs {
    pub fn new(tag: &str) -> Self {
        let name = format!("strata-t{}-{tag}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        ok(Command::new("ip").args(["netns", "add", &name]));
        let ns = Self { name };
        for args in [
            &["link", "set", "lo", "up"][..],
            // A veth pair whose both ends stay here (this kernel has no
            // dummy module): out0 carries the outward address.
            &[
                "link", "add", "out0", "type", "veth", "peer", "name", "out1",
            ],
            &["addr", "add", &format!("{OUTWARD}/24"), "dev", "out0"],
            &["link", "set", "out0", "up"],
            &["link", "set", "out1", "up"],
        ] {
            ok(ns.cmd("ip").args(args));
        }
        ns
    }

    pub fn path(&self) -> PathBuf {
        Path::new("/run/netns").join(&self.name)
    }

    /// `program` run inside the namespace (the host's mount namespace,
    /// so strata's netns files are visible to every later command).
    pub fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("nsenter");
        c.arg(format!("--net={}", self.path().display()))
            .arg(program);
        c
    }

    /// `strata --root ROOT ...` inside the namespace.
    pub fn strata(&self, root: &Path) -> Command {
        let mut c = self.cmd(env!("CARGO_BIN_EXE_strata"));
        c.arg("--root")
            .arg(root)
            .env_remove("SOURCE_DATE_EPOCH")
            .env_remove(super::cli::HOST_NETWORK.0);
        c
    }

    /// Interface names in the namespace.
    pub fn links(&self) -> Vec<String> {
        ok(self.cmd("ip").args(["-o", "link", "show"]))
            .lines()
            .filter_map(|l| l.split(": ").nth(1))
            .map(|n| n.split('@').next().unwrap_or(n).to_owned())
            .collect()
    }

    /// iptables rules of every table, as iptables-save prints them, then
    /// the elements of strata's own nftables table (its ports, bridges and
    /// subnets), one per line.
    pub fn rules(&self) -> String {
        let mut text = ok(&mut self.cmd("iptables-save"));
        let table = run(self.cmd("nft").args(["list", "table", "ip", "strata"]));
        let mut set = "";
        let listing = String::from_utf8_lossy(&table.stdout);
        for line in listing.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix("map ").or(line.strip_prefix("set ")) {
                set = name.trim_end_matches(" {");
            } else if let Some(elements) = line.strip_prefix("elements = ") {
                text.push_str(&format!("strata element {set}: {elements}\n"));
            }
        }
        text
    }
}

/// A second namespace standing for "the outside": out1, the far end of
/// the test namespace's out0, moved into it with address [`FAR`].
pub const FAR: &str = "192.0.2.2";

impl TestNs {
    pub fn outside(&self) -> TestNs {
        let far = TestNs {
            name: format!("{}-far", self.name),
        };
        let _ = Command::new("ip")
            .args(["netns", "del", &far.name])
            .output();
        ok(Command::new("ip").args(["netns", "add", &far.name]));
        ok(self
            .cmd("ip")
            .args(["link", "set", "out1", "netns", &far.name]));
        for args in [
            &["link", "set", "lo", "up"][..],
            &["addr", "add", &format!("{FAR}/24"), "dev", "out1"],
            &["link", "set", "out1", "up"],
        ] {
            ok(far.cmd("ip").args(args));
        }
        far
    }
}

impl Drop for TestNs {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}
