//! The registry side of `strata build`: `--pull` and friends for the
//! images a Dockerfile names. (`--cache-from` and `--cache-to` are the
//! builder's: `BuildOptions::cache_from`, `cache_to`.)

use strata_builder::pull::PullSettings;

use crate::cli::{BuildArgs, PullPolicy};

pub fn pull_settings(args: &BuildArgs) -> PullSettings {
    PullSettings {
        policy: match args.pull {
            PullPolicy::Missing => strata_store::registry::PullPolicy::Missing,
            PullPolicy::Always => strata_store::registry::PullPolicy::Always,
            PullPolicy::Never => strata_store::registry::PullPolicy::Never,
        },
        tls_verify: args.tls_verify,
        authfile: args.authfile.clone(),
    }
}
