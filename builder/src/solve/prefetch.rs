//! Base images pulled as the build starts, all at once, instead of each
//! when its stage's turn comes (a stage that copies from another waits for
//! it, and its pull would wait too). Only with `--pull=missing`: a pull that
//! fails here is left for the stage to report.

use strata_parser::{Base, Plan};
use strata_store::Platform;
use strata_store::registry::PullPolicy;

use super::Session;

pub(crate) fn prefetch_bases(session: &Session, plan: &Plan) {
    if session.opts.pull.policy != PullPolicy::Missing {
        return;
    }
    let wanted: Vec<(&str, Platform)> = plan
        .stages
        .iter()
        .filter_map(|st| {
            let Base::Image(name) = &st.base else {
                return None;
            };
            let platform = match &st.platform {
                Some(p) => p.parse().ok()?,
                None => session.opts.platform.clone(),
            };
            Some((name.as_str(), platform))
        })
        .collect();
    std::thread::scope(|scope| {
        for (name, platform) in &wanted {
            scope.spawn(move || {
                let _ = crate::pull::image(
                    session.store,
                    name,
                    platform,
                    &session.opts.pull,
                    session.events,
                );
            });
        }
    });
}
