//! The hidden `strata container-monitor ID`: a container's monitor, which
//! start and run -d launch (see strata_containers::monitor). Its stderr is
//! the container's monitor.log.

use miette::Result;
use strata_store::Store;

use super::{open, report};
use crate::cli::MonitorArgs;

pub fn monitor(store: &Store, args: &MonitorArgs) -> Result<i32> {
    let containers = open(store)?;
    strata_containers::monitor::run(&containers, &args.id, args.wait_attach).map_err(report)
}
