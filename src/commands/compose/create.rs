//! `strata compose create [SERVICE...]`: docker compose's create, which is
//! `up --no-start` (its own code runs `create` before `start`): networks,
//! volumes and containers made or kept by the same convergence, nothing
//! started. `compose start` starts them; a later `up` keeps them when
//! their config hash and image are unchanged.

use miette::Result;
use strata_store::Store;

use crate::cli::{ComposeArgs, ComposeCreateArgs, ComposeUpArgs};

pub fn run(store: &Store, args: &ComposeArgs, c: &ComposeCreateArgs) -> Result<i32> {
    super::up::run(store, args, &as_up(c))
}

/// The `up` that creates what `c` asks for: detached (nothing is attached
/// to), started never.
fn as_up(c: &ComposeCreateArgs) -> ComposeUpArgs {
    ComposeUpArgs {
        detach: true,
        no_start: true,
        build: c.build,
        no_build: c.no_build,
        pull: c.pull.clone(),
        quiet_pull: c.quiet_pull,
        force_recreate: c.force_recreate,
        no_recreate: c.no_recreate,
        remove_orphans: c.remove_orphans,
        scale: c.scale.clone(),
        services: c.services.clone(),
        ..ComposeUpArgs::default()
    }
}
