//! The workload's capabilities: the spec's set (Docker's default, or with
//! `--cap-add/--cap-drop/--privileged`) is the bounding set, so not even a
//! setuid binary can get anything else back.

use caps::{CapSet, Capability};

use super::Context;

/// Shrinks the bounding set; needs CAP_SETPCAP, so runs before setuid.
pub(super) fn limit_bounding(keep: &[Capability]) -> Result<(), String> {
    for cap in caps::all() {
        if !keep.contains(&cap) && caps::has_cap(None, CapSet::Bounding, cap).unwrap_or(false) {
            caps::drop(None, CapSet::Bounding, cap)
                .ctx(|| format!("drop {cap} from the bounding set"))?;
        }
    }
    Ok(())
}

/// After the uid change: root keeps `keep`; any other uid already lost its
/// capabilities in setuid. Nothing is inheritable or ambient.
pub(super) fn set_process(uid: u32, keep: &[Capability]) -> Result<(), String> {
    let keep: caps::CapsHashSet = if uid == 0 {
        // `--privileged` asks for every capability this library knows; the
        // kernel may know fewer.
        keep.iter()
            .copied()
            .filter(|c| caps::has_cap(None, CapSet::Permitted, *c).unwrap_or(false))
            .collect()
    } else {
        caps::CapsHashSet::new()
    };
    let none = caps::CapsHashSet::new();
    // The effective set must stay within the permitted one at every step.
    caps::set(None, CapSet::Effective, &keep).ctx(|| "set effective capabilities".into())?;
    caps::set(None, CapSet::Permitted, &keep).ctx(|| "set permitted capabilities".into())?;
    caps::set(None, CapSet::Inheritable, &none).ctx(|| "clear inheritable capabilities".into())?;
    caps::clear(None, CapSet::Ambient).ctx(|| "clear ambient capabilities".into())
}
