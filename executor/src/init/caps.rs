//! Docker's default capability set: everything else leaves the bounding
//! set, so not even a setuid binary can get it back.

use caps::{CapSet, Capability};

use super::Context;

const DEFAULT: &[Capability] = &[
    Capability::CAP_CHOWN,
    Capability::CAP_DAC_OVERRIDE,
    Capability::CAP_FSETID,
    Capability::CAP_FOWNER,
    Capability::CAP_MKNOD,
    Capability::CAP_NET_RAW,
    Capability::CAP_SETGID,
    Capability::CAP_SETUID,
    Capability::CAP_SETFCAP,
    Capability::CAP_SETPCAP,
    Capability::CAP_NET_BIND_SERVICE,
    Capability::CAP_SYS_CHROOT,
    Capability::CAP_KILL,
    Capability::CAP_AUDIT_WRITE,
];

/// Shrinks the bounding set; needs CAP_SETPCAP, so runs before setuid.
pub(super) fn limit_bounding() -> Result<(), String> {
    for cap in caps::all() {
        if !DEFAULT.contains(&cap) && caps::has_cap(None, CapSet::Bounding, cap).unwrap_or(false) {
            caps::drop(None, CapSet::Bounding, cap)
                .ctx(|| format!("drop {cap} from the bounding set"))?;
        }
    }
    Ok(())
}

/// After the uid change: root keeps the default set; any other uid already
/// lost its capabilities in setuid. Nothing is inheritable or ambient.
pub(super) fn set_process(uid: u32) -> Result<(), String> {
    let default: caps::CapsHashSet = DEFAULT.iter().copied().collect();
    let none = caps::CapsHashSet::new();
    let keep = if uid == 0 { &default } else { &none };
    // The effective set must stay within the permitted one at every step.
    caps::set(None, CapSet::Effective, keep).ctx(|| "set effective capabilities".into())?;
    caps::set(None, CapSet::Permitted, keep).ctx(|| "set permitted capabilities".into())?;
    caps::set(None, CapSet::Inheritable, &none).ctx(|| "clear inheritable capabilities".into())?;
    caps::clear(None, CapSet::Ambient).ctx(|| "clear ambient capabilities".into())
}
