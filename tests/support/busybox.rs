//! A busybox root filesystem made from the host's static busybox.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::cli::ok;

pub const BUSYBOX: &str = "/bin/busybox";

/// Which directories and accounts a root filesystem gets besides busybox.
/// The flavours differ because tests assert on them (`ls /`, `id`, `$HOME`).
pub struct Flavour {
    pub dirs: &'static [&'static str],
    /// `/tmp` world-writable and sticky, as RUN steps writing there expect.
    pub sticky_tmp: bool,
    pub passwd: &'static str,
    pub group: &'static str,
}

/// A few users and groups, so `--chown` and `USER` by name have something
/// to resolve.
pub const BUILD: Flavour = Flavour {
    dirs: &["bin", "etc", "tmp", "root", "usr/share"],
    sticky_tmp: true,
    passwd: "root:x:0:0:root:/root:/bin/sh\n\
             daemon:x:1:1:daemon:/usr/sbin:/bin/false\n\
             app:x:1000:1000:app:/home/app:/bin/sh\n\
             nobody:x:65534:65534:nobody:/:/bin/false\n",
    group: "root:x:0:\ndaemon:x:1:\nstaff:x:50:app\napp:x:1000:\nnogroup:x:65534:\n",
};

/// Root only: enough for an image to round-trip through the store.
pub const MINIMAL: Flavour = Flavour {
    dirs: &["bin", "etc", "tmp", "root"],
    sticky_tmp: false,
    passwd: "root:x:0:0:root:/root:/bin/sh\n",
    group: "root:x:0:\n",
};

/// Only /bin, /etc and /tmp at the top, with root, nobody and `app`.
pub const SANDBOX: Flavour = Flavour {
    dirs: &["bin", "etc", "tmp"],
    sticky_tmp: false,
    passwd: "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n",
    group: "root:x:0:\nnogroup:x:65534:\napp:x:1000:\nstaff:x:50:app\n",
};

/// Writes `dir/rootfs`: busybox with every applet linked in /bin, plus the
/// flavour's directories and accounts. Returns the rootfs path.
pub fn busybox_rootfs(dir: &Path, flavour: &Flavour) -> PathBuf {
    let root = dir.join("rootfs");
    for d in flavour.dirs {
        std::fs::create_dir_all(root.join(d)).expect("mkdir");
    }
    if flavour.sticky_tmp {
        std::fs::set_permissions(
            root.join("tmp"),
            std::os::unix::fs::PermissionsExt::from_mode(0o1777),
        )
        .expect("chmod tmp");
    }
    std::fs::copy(BUSYBOX, root.join("bin/busybox"))
        .expect("copy busybox (install busybox-static)");
    let list = ok(Command::new(BUSYBOX).arg("--list"));
    for applet in list.lines().filter(|a| !a.is_empty() && *a != "busybox") {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet))
            .expect("symlink applet");
    }
    std::fs::write(root.join("etc/passwd"), flavour.passwd).expect("passwd");
    std::fs::write(root.join("etc/group"), flavour.group).expect("group");
    root
}
