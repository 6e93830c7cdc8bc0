//! The devices a run was given (`--device`), each at its path inside.
//!
//! Under /dev, with a devices cgroup of its own and no user namespace, a
//! node is made with mknod, as docker does: it gets the mode and owner
//! asked for (CDI's fileMode, uid, gid) without touching the host's node,
//! and the cgroup is what limits it to the access granted. Anywhere else
//! (the image's root is nodev), in a user namespace (which may not mknod,
//! and whose own mounts are nodev) and rootless, the host node is bound
//! in, as podman does rootless: the bind keeps the host mount's flags, so
//! it opens exactly as the host node does for this user, and mode and
//! owner stay the host's.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Mode, mknodat};
use rustix::mount::mount_bind;

use super::Context;
use super::in_root::{Kind, Root, check_container_path};
use crate::{DeviceKind, DeviceNode};

pub(super) fn apply(root: &Root, devices: &[DeviceNode], mknod: bool) -> Result<(), String> {
    for device in devices {
        let inside = Path::new(&device.path);
        check_container_path(inside)?;
        let under_dev = inside.starts_with("/dev") && inside != Path::new("/dev");
        if mknod && under_dev && root.lookup(inside)?.is_none() {
            make_node(root, device, inside)?;
        } else {
            let node = root.ensure(inside, Kind::File)?;
            mount_bind(&device.host_path, node.proc_path()).ctx(|| {
                format!(
                    "bind device {} to {}",
                    device.host_path.display(),
                    device.path
                )
            })?;
        }
    }
    Ok(())
}

fn make_node(root: &Root, device: &DeviceNode, inside: &Path) -> Result<(), String> {
    let what = || format!("create device {}", device.path);
    let host = std::fs::metadata(&device.host_path)
        .ctx(|| format!("stat device {}", device.host_path.display()))?;
    let (Some(parent), Some(name)) = (inside.parent(), inside.file_name()) else {
        return Err(what());
    };
    let dir = root.ensure(parent, Kind::Dir)?;
    let kind = match device.kind {
        DeviceKind::Char => FileType::CharacterDevice,
        DeviceKind::Block => FileType::BlockDevice,
    };
    let mode = device.file_mode.unwrap_or(host.permissions().mode()) & 0o7777;
    let rdev = rustix::fs::makedev(device.major, device.minor);
    mknodat(dir.fd(), name, kind, Mode::from_raw_mode(mode), rdev).ctx(what)?;
    // mknod's mode passed through the umask; the mode asked for is exact.
    rustix::fs::chmodat(dir.fd(), name, Mode::from_raw_mode(mode), AtFlags::empty()).ctx(what)?;
    let uid = device.uid.unwrap_or(host.uid());
    let gid = device.gid.unwrap_or(host.gid());
    rustix::fs::chownat(
        dir.fd(),
        name,
        Some(rustix::fs::Uid::from_raw(uid)),
        Some(rustix::fs::Gid::from_raw(gid)),
        AtFlags::SYMLINK_NOFOLLOW,
    )
    .ctx(what)
}
