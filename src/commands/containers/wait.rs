//! `strata wait`: blocks until each container stops, prints its exit code.

use miette::Result;
use strata_containers::ContainerError;
use strata_store::Store;

use super::open;
use crate::cli::ContainersArg;

pub fn wait(store: &Store, args: &ContainersArg) -> Result<i32> {
    let containers = open(store)?;
    let mut code = 0;
    for name in &args.containers {
        let waited = containers.find(name).and_then(|c| {
            let state = strata_containers::wait(&c)?;
            // A container that never ran has nothing to wait for (podman's
            // answer, 0).
            if state.status == strata_containers::Status::Created {
                return Ok(0);
            }
            state.exit_code.ok_or_else(|| {
                ContainerError::NotRunning(format!(
                    "{name} (ended without an exit code: {})",
                    state.error.as_deref().unwrap_or("unknown cause")
                ))
            })
        });
        match waited {
            Ok(exit) => println!("{exit}"),
            Err(e) => {
                eprintln!("error: {e}");
                code = 1;
            }
        }
    }
    Ok(code)
}
