//! The builds of a project's services, run at once: as many at a time as
//! there are cores (at least two), each through the builder library on the
//! one store, so a step several Dockerfiles share waits on its per-step
//! lock and runs once; the others find it in the cache. Every build runs
//! to its end; the failures are reported together.

use std::sync::Mutex;

use miette::{Result, miette};
use strata_compose::model::Project;
use strata_store::Store;

use super::build::{self, Flags, Job, When};

/// Builds what the named services need (all services when `names` is
/// empty), concurrently.
pub fn build_services(
    store: &Store,
    project: &Project,
    names: &[String],
    when: When,
    flags: &Flags,
) -> Result<()> {
    let mut jobs = Vec::new();
    for (name, service) in &project.services {
        if names.is_empty() || names.contains(name) {
            jobs.extend(build::job(store, project, name, service, when, flags)?);
        }
    }
    run_all(store, jobs)
}

fn run_all(store: &Store, jobs: Vec<Job>) -> Result<()> {
    let width = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .max(2)
        .min(jobs.len());
    let queue = Mutex::new(jobs.into_iter());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..width {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                    let Some(job) = next else { break };
                    if let Err(e) = build::run(store, &job) {
                        failures
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(format!("{e}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    match failures.as_slice() {
        [] => Ok(()),
        [one] => Err(miette!("{one}")),
        many => Err(miette!("{}", many.join("\n"))),
    }
}
