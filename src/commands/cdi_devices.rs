//! `strata run/create --device VENDOR/CLASS=NAME`: the CDI device's edits
//! on the container's spec. Asking for it by its full name is the grant
//! (docker and podman ask for nothing more); a name no spec defines is an
//! error, with the spec files that failed to load.

use std::path::PathBuf;

use miette::{Result, miette};
use strata_cdi::{DeviceGrants, DeviceRequest, Registry};
use strata_executor::RunSpec;

pub fn apply(spec: &mut RunSpec, names: &[String], dirs: &[PathBuf]) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let dirs = if dirs.is_empty() {
        strata_cdi::default_spec_dirs()
    } else {
        dirs.to_vec()
    };
    let registry = Registry::load(&dirs);
    let requests: Vec<DeviceRequest> = names
        .iter()
        .map(|n| DeviceRequest {
            name: n.clone(),
            required: true,
        })
        .collect();
    let every = DeviceGrants {
        all: true,
        ..Default::default()
    };
    let selection =
        strata_cdi::select(&registry, &requests, &every).map_err(|e| miette!("--device: {e}"))?;
    let edits = registry
        .edits(&selection.devices)
        .map_err(|e| miette!("--device: {e}"))?;
    strata_builder::cdi_edits::apply(&edits, spec).map_err(|e| miette!("--device: {e}"))
}
