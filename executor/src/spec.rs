//! What to run and how to isolate it. Serializable because the spec crosses
//! an exec boundary: the parent hands it to the re-executed init.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::{BindOptions, DeviceNode, DeviceRule, Security, Ulimit};

/// The root filesystem of the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rootfs {
    /// An overlay of read-only `lower` dirs (lowest first) under a writable
    /// `upper` dir; `upper` is the diff when the process is done.
    Overlay {
        lower: Vec<PathBuf>,
        upper: PathBuf,
        work: PathBuf,
    },
    /// A plain directory used in place (writes land in it).
    Dir(PathBuf),
}

/// A resolved user: numeric ids plus supplementary groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Network {
    /// Share the host's network namespace.
    #[default]
    Host,
    /// A fresh network namespace with only loopback, up.
    None,
    /// Join the network namespace bound at this path (made and wired by
    /// the caller, e.g. strata's network crate).
    Namespace(PathBuf),
    /// Join the namespace bound at `netns`, whose way out is a userspace
    /// stack on the host's sockets (pasta): names resolve as with `Host`,
    /// from the host's /etc/hosts and this resolv.conf (the host's, with
    /// loopback nameservers made reachable from inside).
    Userspace {
        netns: PathBuf,
        resolv_conf: PathBuf,
    },
}

impl Network {
    /// The bound namespace file the sandbox joins, if any.
    pub fn joined(&self) -> Option<&std::path::Path> {
        match self {
            Network::Namespace(path) | Network::Userspace { netns: path, .. } => Some(path),
            Network::Host | Network::None => None,
        }
    }
}

/// An extra mount inside the sandbox (`-v`, `RUN --mount`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mount {
    Bind {
        source: PathBuf,
        target: PathBuf,
        readonly: bool,
        /// nosuid, nodev, noexec, `bind` or `rbind`, propagation.
        #[serde(default)]
        options: BindOptions,
    },
    Tmpfs {
        target: PathBuf,
        size: Option<u64>,
        /// `--tmpfs` options beyond the size; the default is a RUN
        /// `--mount=type=tmpfs`'s: writable, exec, mode 1777, root's.
        #[serde(default)]
        options: TmpfsOptions,
    },
}

/// How a tmpfs is mounted (nosuid and nodev always).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TmpfsOptions {
    /// Permission bits of its root (tmpfs's default: 1777).
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub noexec: bool,
    pub readonly: bool,
}

/// cgroup limits; `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Limits {
    /// Bytes of memory (swap included where the kernel accounts it).
    pub memory: Option<u64>,
    /// Number of tasks (processes and threads).
    pub pids: Option<u64>,
}

impl Limits {
    /// Whether any limit is set (the run then needs a cgroup of its own).
    pub(crate) fn any(&self) -> bool {
        self.memory.is_some() || self.pids.is_some()
    }
}

/// Everything the sandbox needs to run one process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSpec {
    pub rootfs: Rootfs,
    /// argv; `args[0]` is looked up in the image's PATH when it has no `/`.
    pub args: Vec<String>,
    /// `KEY=VALUE` entries; the process sees exactly these.
    pub env: Vec<String>,
    /// Working directory inside the sandbox; created when missing.
    pub cwd: String,
    pub user: User,
    pub hostname: String,
    pub network: Network,
    pub mounts: Vec<Mount>,
    pub limits: Limits,
    /// Run in a new user namespace. Forced on when the caller is not root.
    pub userns: bool,
    /// The caller's stdin is a terminal: the process gets it as its
    /// controlling terminal.
    pub tty: bool,
    /// Capabilities, seccomp, devices, masked paths, no_new_privs.
    pub security: Security,
    /// Resource limits; the rest stay the caller's.
    pub ulimits: Vec<Ulimit>,
    /// Mount the root filesystem read-only (`--read-only`); the other
    /// mounts keep their own flags.
    #[serde(default)]
    pub readonly_rootfs: bool,
    /// Host device nodes the run is given (`--device`): each appears at
    /// its path inside, and a rootful run gets a devices cgroup of its
    /// own that allows them on top of the policy.
    #[serde(default)]
    pub devices: Vec<DeviceNode>,
    /// Extra device cgroup rules (`--device-cgroup-rule`); root only.
    #[serde(default)]
    pub device_rules: Vec<DeviceRule>,
}

impl RunSpec {
    /// A spec with Docker's defaults: root, `/`, host network, no limits.
    pub fn new(rootfs: Rootfs, args: Vec<String>) -> Self {
        Self {
            rootfs,
            args,
            env: vec![format!("PATH={DEFAULT_PATH}")],
            cwd: "/".to_owned(),
            user: User::default(),
            hostname: "strata".to_owned(),
            network: Network::Host,
            mounts: Vec::new(),
            limits: Limits::default(),
            userns: false,
            tty: false,
            security: Security::default(),
            ulimits: Vec::new(),
            readonly_rootfs: false,
            devices: Vec::new(),
            device_rules: Vec::new(),
        }
    }
}

/// The PATH Docker gives a container whose image sets none.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
