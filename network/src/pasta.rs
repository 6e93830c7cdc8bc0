//! A network namespace of its own whose way out is pasta (Debian's
//! `passt`): a userspace stack that turns the namespace's TCP, UDP and
//! ping into sockets of the calling namespace. No bridge, veth, address
//! or firewall rule is made outside the namespace, which is why builds
//! (run in the host's namespace by tests and CI) and rootless containers
//! use it. pasta copies the outer address and routes, so the inside looks
//! like the host's network without seeing its interfaces; connections to
//! the gateway address reach the outer namespace's loopback (pasta's
//! gateway mapping).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result, io};
use crate::{PastaNames, netns};

/// The in-namespace address DNS queries are sent to when the outer
/// resolver listens on loopback (podman's choice for pasta too): pasta
/// forwards them to the outer namespace's first nameserver.
pub const DNS_FORWARD: &str = "169.254.1.1";

/// Starts pasta (`$1`, its arguments after) with no descriptor but the
/// standard three: a sandbox being started on another thread may hold a
/// pipe open without close-on-exec for its child, and pasta, living as
/// long as its namespace, would keep that pipe's reader waiting. Also
/// moves itself into the `cgroup.procs` in `$1` first when one is given
/// (bash, not sh: dash cannot close a descriptor above 9).
///
/// pasta only says it exited when it cannot open /dev/net/tun (root's
/// alone, or denied by the devices cgroup): the wrapper tries first, once
/// out of that cgroup, and says why and the way around.
const WRAPPER: &str = r#"for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null
[ -z "$1" ] || echo 0 > "$1" || exit 1
shift
if ! true 3<>/dev/net/tun 2>/dev/null; then
    echo "cannot open /dev/net/tun, which pasta needs: make it usable by this user (0666, as Debian's udev does), or use the host's network (--network host)" >&2
    exit 1
fi
exec "$@""#;

/// How long pasta may take to configure the namespace.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// The interface pasta makes inside: a fixed name, not the outer
/// interface's (pasta's default), so nothing of the host's shows.
const IFNAME: &str = "eth0";

/// Ports published from the outer namespace into this one, in pasta's
/// `-t`/`-u` syntax (`[ADDR/]HOST[:CONTAINER]`, ranges with `-`).
#[derive(Debug, Clone, Default)]
pub struct Publish {
    pub tcp: Vec<String>,
    pub udp: Vec<String>,
}

impl Publish {
    /// `-p` mappings in pasta's syntax. A host port is needed: pasta binds
    /// exactly what it is given, and a foreground run has no record to
    /// say which free port was picked.
    pub fn of(mappings: &[crate::PortMapping]) -> Result<Self> {
        let mut publish = Self::default();
        for m in mappings {
            if m.host_port == 0 {
                return Err(Error::Invalid(format!(
                    "publishing container port {}/{} needs a host port with --network pasta \
                     (-p HOST:{})",
                    m.container_port, m.protocol, m.container_port
                )));
            }
            let spec = match m.host_ip {
                Some(ip) => format!("{ip}/{}:{}", m.host_port, m.container_port),
                None => format!("{}:{}", m.host_port, m.container_port),
            };
            match m.protocol.as_str() {
                "udp" => publish.udp.push(spec),
                _ => publish.tcp.push(spec),
            }
        }
        Ok(publish)
    }
}

/// One namespace and its pasta; both end when this is dropped.
#[derive(Debug)]
pub struct UserNet {
    dir: PathBuf,
    netns: PathBuf,
    resolv_conf: PathBuf,
    hosts: Option<PathBuf>,
    pasta: Option<Child>,
}

impl UserNet {
    /// Makes the namespace under `dir` (created; removed on drop) and
    /// starts pasta on it. Returns once pasta has configured it: pasta
    /// forks to the background only after setting up addresses and routes.
    ///
    /// `start_in`: a `cgroup.procs` pasta is moved into before it starts,
    /// out of a devices cgroup that denies it /dev/net/tun.
    /// `names`: what `--dns*` and `--add-host` ask of resolv.conf and hosts.
    pub fn create(
        dir: &Path,
        publish: &Publish,
        start_in: Option<&Path>,
        names: &PastaNames,
    ) -> Result<Self> {
        let added = names.hosts()?;
        std::fs::create_dir_all(dir).map_err(io("create", dir))?;
        let mut net = Self {
            dir: dir.to_path_buf(),
            netns: dir.join("netns"),
            resolv_conf: dir.join("resolv.conf"),
            hosts: None,
            pasta: None,
        };
        let host_resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        crate::atomic::write(&net.resolv_conf, names.resolv_conf(&host_resolv).as_bytes())?;
        if names.is_given() {
            // The container's own hosts, as on a bridge, and the init
            // layer's empty files they are bound onto (an image may have
            // none, and the bind must leave nothing in its diff).
            let hosts = dir.join("hosts");
            crate::atomic::write(&hosts, crate::etc::hosts("", &[], &added).as_bytes())?;
            let init_etc = dir.join("init/etc");
            std::fs::create_dir_all(&init_etc).map_err(io("create", &init_etc))?;
            for f in ["hosts", "resolv.conf"] {
                crate::atomic::write(&init_etc.join(f), b"")?;
            }
            net.hosts = Some(hosts);
        }
        if !crate::routes::has_default_route() {
            // Nothing outside to reach: pasta would refuse to start, and a
            // namespace with loopback alone gives the same reach.
            netns::create_with_loopback(&net.netns)?;
            return Ok(net);
        }
        netns::create(&net.netns)?;
        let mut child = spawn(&net.netns, dir, publish, start_in)?;
        ready(&mut child, dir)?;
        net.pasta = Some(child);
        Ok(net)
    }

    /// The bound namespace file, for the sandbox to join.
    pub fn netns(&self) -> &Path {
        &self.netns
    }

    /// The resolv.conf for inside: the outer one, loopback nameservers
    /// replaced by [`DNS_FORWARD`].
    pub fn resolv_conf(&self) -> &Path {
        &self.resolv_conf
    }

    /// When `--dns*` or `--add-host` were given, the container's own
    /// /etc/hosts (else it sees the host's, and resolv.conf only where the
    /// image has one): bind it and [`UserNet::resolv_conf`] over the files
    /// of [`UserNet::init_layer`], as a bridge container's are.
    pub fn hosts(&self) -> Option<&Path> {
        self.hosts.as_deref()
    }

    /// A lower layer holding empty /etc/hosts and /etc/resolv.conf, made
    /// with [`UserNet::hosts`].
    pub fn init_layer(&self) -> PathBuf {
        self.dir.join("init")
    }
}

/// Starts pasta on the bound namespace `netns`, its pid file and log in
/// `dir`. In the foreground, as our child: the pid file pasta writes once
/// it has configured the namespace says it is ready (see [`ready`]), and
/// the child is the process to end (a daemonized pasta's pid file names
/// the parent that exits).
pub(crate) fn spawn(
    netns: &Path,
    dir: &Path,
    publish: &Publish,
    start_in: Option<&Path>,
) -> Result<Child> {
    let pasta = binary();
    if !on_path(&pasta) {
        return Err(Error::PastaMissing(pasta));
    }
    let pid_file = dir.join("pasta.pid");
    let log = dir.join("pasta.log");
    let stderr = std::fs::File::create(&log).map_err(io("create", &log))?;
    Command::new("bash")
        .args(["-c", WRAPPER, "pasta-start"])
        .arg(start_in.unwrap_or(Path::new("")))
        .arg(&pasta)
        .args(args(netns, &pid_file, publish))
        .arg("--foreground")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .map_err(io("run pasta for", netns))
}

/// Waits until the pasta [`spawn`] started in `dir` has configured its
/// namespace; its own words when it exits (or is killed, not ready in
/// time) instead.
pub(crate) fn ready(child: &mut Child, dir: &Path) -> Result<()> {
    let pid_file = dir.join("pasta.pid");
    let log = dir.join("pasta.log");
    let deadline = Instant::now() + READY_WITHIN;
    while !pid_file.exists() {
        let failed = match child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                Some(format!("not ready after {READY_WITHIN:?}"))
            }
            Ok(None) => None,
            Err(e) => Some(e.to_string()),
        };
        if let Some(why) = failed {
            let said = std::fs::read(&log).unwrap_or_default();
            return Err(Error::Tool {
                tool: "pasta".into(),
                msg: match tool_message(&said) {
                    m if m.is_empty() => why,
                    m => m,
                },
            });
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    Ok(())
}

impl Drop for UserNet {
    fn drop(&mut self) {
        if let Some(mut pasta) = self.pasta.take() {
            let _ = pasta.kill();
            // Its exit takes tens of milliseconds (the kernel unregisters
            // the tap device) and nothing waits for it: a thread reaps it,
            // or our own exit hands it to init.
            if !matches!(pasta.try_wait(), Ok(Some(_))) {
                std::thread::spawn(move || pasta.wait());
            }
        }
        let _ = netns::remove(&self.netns);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn binary() -> String {
    std::env::var("STRATA_PASTA").unwrap_or_else(|_| "pasta".to_owned())
}

/// Whether `program` names an executable, as exec would find it.
fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        return executable(Path::new(program));
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| executable(&d.join(program))))
}

fn args(netns: &Path, pid_file: &Path, publish: &Publish) -> Vec<String> {
    let ports = |spec: &[String]| match spec {
        [] => "none".to_owned(),
        s => s.join(","),
    };
    let mut a: Vec<String> = [
        // pasta started as root switches to nobody, who may not join a
        // namespace root made; it drops its capabilities either way.
        "--runas",
        "0:0",
        "--config-net",
        "--quiet",
        "--ns-ifname",
        IFNAME,
        "--dns-forward",
        DNS_FORWARD,
        // Nothing bound inside is published outside, and the inside's
        // loopback stays its own: only what the caller asks for crosses.
        "--tcp-ns",
        "none",
        "--udp-ns",
        "none",
    ]
    .map(str::to_owned)
    .to_vec();
    a.extend(["--tcp-ports".into(), ports(&publish.tcp)]);
    a.extend(["--udp-ports".into(), ports(&publish.udp)]);
    a.extend(["--pid".into(), pid_file.display().to_string()]);
    a.extend(["--netns".into(), netns.display().to_string()]);
    a
}

/// pasta's stderr without its complaints about a missing syslog.
fn tool_message(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| !l.contains("syslog"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_ports_are_given_to_pasta_as_docker_spells_them() {
        let all = |specs: &[&str]| -> Vec<crate::PortMapping> {
            specs
                .iter()
                .flat_map(|s| crate::PortMapping::parse_all(s).unwrap())
                .collect()
        };
        let p = Publish::of(&all(&["8080:80", "127.0.0.1:8443:443", "53:53/udp"])).unwrap();
        assert_eq!(p.tcp, ["8080:80", "127.0.0.1/8443:443"]);
        assert_eq!(p.udp, ["53:53"]);
        let err = Publish::of(&all(&["80"])).unwrap_err().to_string();
        assert!(err.contains("needs a host port"), "{err}");
    }

    #[test]
    fn nothing_is_published_unless_asked() {
        let a = args(Path::new("/n"), Path::new("/p"), &Publish::default());
        let after = |flag: &str| a[a.iter().position(|x| x == flag).unwrap() + 1].clone();
        for flag in ["--tcp-ports", "--udp-ports", "--tcp-ns", "--udp-ns"] {
            assert_eq!(after(flag), "none", "{flag}");
        }
        let publish = Publish {
            tcp: vec!["8080:80".into(), "9000-9001".into()],
            udp: vec![],
        };
        let a = args(Path::new("/n"), Path::new("/p"), &publish);
        let i = a.iter().position(|x| x == "--tcp-ports").unwrap();
        assert_eq!(a[i + 1], "8080:80,9000-9001");
    }
}
