//! `strata run IMAGE [CMD...]` and the hidden `strata sandbox`, which runs
//! on plain directories without the store.

use miette::{Result, miette};
use strata_executor::{Rootfs, RunSpec};

use super::container;
use crate::cli::SandboxArgs;

pub fn sandbox(args: Box<SandboxArgs>) -> Result<i32> {
    let (rootfs, layers) = match (&args.rootfs, &args.upper, &args.work) {
        (Some(dir), _, _) => (Rootfs::Dir(dir.clone()), vec![dir.clone()]),
        (None, Some(upper), Some(work)) => {
            let mut layers = args.lower.clone();
            layers.push(upper.clone());
            let rootfs = Rootfs::Overlay {
                lower: args.lower.clone(),
                upper: upper.clone(),
                work: work.clone(),
            };
            (rootfs, layers)
        }
        _ => {
            return Err(miette!(
                "give --rootfs DIR, or --lower DIR... --upper DIR --work DIR"
            ));
        }
    };
    let mut spec = RunSpec::new(rootfs, args.command.clone());
    container::apply(&mut spec, &args.container, &layers)?;
    let user = spec.user.clone();
    container::default_home(&mut spec, &layers, &user);
    container::run_foreground(&spec)
}
