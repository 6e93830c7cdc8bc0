//! `RUN --device`: CDI devices, as BuildKit gives them. The names resolve
//! against the spec dirs' devices, the `device` entitlement decides which
//! the step may have, and their edits (environment, device nodes, binds,
//! groups) go into the step's sandbox. The step's key holds the resolved
//! names and the edits themselves, so a changed spec reruns the step.

use strata_cdi::{DeviceRequest, Edits, Registry};
use strata_executor::RunSpec;
use strata_parser::Run;

use super::stage::StepCtx;
use super::{BuildError, Event, Session};
use crate::cache::KeyInputs;

/// The edits of the step's devices (`None` without `--device`); notes
/// them in the key.
pub(crate) fn resolve(
    session: &Session,
    ctx: &StepCtx,
    run: &Run,
    inputs: &mut KeyInputs,
) -> Result<Option<Edits>, BuildError> {
    if run.devices.is_empty() {
        return Ok(None);
    }
    let requests = run
        .devices
        .iter()
        .map(|d| {
            strata_parser::parse_device(d)
                .map(|r| DeviceRequest {
                    name: r.name,
                    required: r.required,
                })
                .map_err(|e| ctx.fail(format!("RUN --device={d}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let registry = Registry::load(&session.opts.cdi_spec_dirs);
    let selection = strata_cdi::select(&registry, &requests, &session.opts.device_grants)
        .map_err(|e| ctx.fail(e))?;
    for w in &selection.warnings {
        session.events.emit(Event::Warning {
            message: format!(
                "step {} (line {}): RUN --device: {w}",
                ctx.label(),
                ctx.line
            ),
        });
    }
    // A broken spec is left out, not fatal (as in the cdi package), but
    // said once: the device it defines might be the one a step wanted.
    for p in registry.problems() {
        let p = p.to_string();
        let first = session
            .cdi_warned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(p.clone());
        if first {
            session.events.emit(Event::Warning {
                message: format!("RUN --device: {p}"),
            });
        }
    }
    let edits = registry
        .edits(&selection.devices)
        .map_err(|e| ctx.fail(e))?;
    inputs.extra.insert("devices".into(), edits.key_text());
    Ok(Some(edits))
}

/// Puts the edits into the step's sandbox spec.
pub(crate) fn apply(edits: &Edits, spec: &mut RunSpec, ctx: &StepCtx) -> Result<(), BuildError> {
    crate::cdi_edits::apply(edits, spec).map_err(|e| ctx.fail(e))
}
