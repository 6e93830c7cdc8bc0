//! Docker's masked and read-only paths: kernel interfaces a container
//! should neither read (kcore, keys, timers) nor write (sysctls, sysrq).

use std::path::Path;

use rustix::mount::{MountFlags, mount, mount_bind};

use super::Context;
use super::in_root::Root;
use super::mounts::remount_readonly;

const MASKED: &[&str] = &[
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

const READ_ONLY: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

pub(super) fn apply(root: &Root) -> Result<(), String> {
    for path in MASKED {
        let Some(target) = root.lookup(Path::new(path))? else {
            continue;
        };
        if target.is_dir() {
            mount(
                "tmpfs",
                target.proc_path(),
                "tmpfs",
                MountFlags::RDONLY,
                None,
            )
        } else {
            mount_bind("/dev/null", target.proc_path())
        }
        .ctx(|| format!("mask {path}"))?;
    }
    for path in READ_ONLY {
        let Some(target) = root.lookup(Path::new(path))? else {
            continue;
        };
        mount_bind(target.proc_path(), target.proc_path()).ctx(|| format!("bind {path}"))?;
        // The old fd still names the mount below; look the path up again.
        let Some(top) = root.lookup(Path::new(path))? else {
            continue;
        };
        remount_readonly(&top.proc_path()).ctx(|| format!("make {path} read-only"))?;
    }
    Ok(())
}
