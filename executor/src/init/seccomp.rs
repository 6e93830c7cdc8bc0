//! The workload's last step before dropping its ids: load the filters the
//! parent compiled, in order (later filters win ties, see crate::seccomp).

use super::Context;
use crate::seccomp::Programs;
use crate::sys;

pub(super) fn load(programs: &Programs) -> Result<(), String> {
    let programs = programs
        .unpack()
        .ok_or("the seccomp filter was garbled on its way to the init")?;
    for program in programs {
        sys::load_seccomp(&program).ctx(|| "load the seccomp filter".into())?;
    }
    Ok(())
}
