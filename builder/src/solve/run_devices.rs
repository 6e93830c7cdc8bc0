//! `RUN --device`: CDI devices, as BuildKit gives them. The names resolve
//! against the spec dirs' devices, the `device` entitlement decides which
//! the step may have, and their edits (environment, device nodes, binds,
//! groups) go into the step's sandbox. The step's key holds the resolved
//! names and the edits themselves, so a changed spec reruns the step.

use std::path::PathBuf;

use strata_cdi::{DeviceRequest, Edits, Registry};
use strata_executor::{DeviceAccess, DeviceKind, DeviceNode, Mount, RunSpec};
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
    let edits = registry
        .edits(&selection.devices)
        .map_err(|e| ctx.fail(e))?;
    inputs.extra.insert("devices".into(), edits.key_text());
    Ok(Some(edits))
}

/// Puts the edits into the step's sandbox spec, as the cdi package edits
/// an OCI spec: an env entry replaces one of the same name, a bind
/// replaces one at the same target, a node's owner defaults to the
/// step's user when that is not root.
pub(crate) fn apply(edits: &Edits, spec: &mut RunSpec, ctx: &StepCtx) -> Result<(), BuildError> {
    for e in &edits.env {
        let name = e.split_once('=').map_or(e.as_str(), |(n, _)| n);
        spec.env
            .retain(|old| old.split_once('=').map_or(old.as_str(), |(n, _)| n) != name);
        spec.env.push(e.clone());
    }
    for m in &edits.mounts {
        if let Some(kind) = m.kind.as_deref().filter(|k| *k != "bind") {
            return Err(ctx.fail(format!(
                "CDI mount {} of type {kind}: only bind mounts are supported",
                m.container_path.display()
            )));
        }
        let target = m.container_path.clone();
        spec.mounts.retain(|old| mount_target(old) != &target);
        spec.mounts.push(Mount::Bind {
            source: m.host_path.clone(),
            target,
            readonly: m.readonly(),
        });
    }
    for n in &edits.device_nodes {
        let fail = |why: &str| ctx.fail(format!("CDI device node {}: {why}", n.path.display()));
        let kind = match n.kind {
            'c' | 'u' => DeviceKind::Char,
            'b' => DeviceKind::Block,
            _ => return Err(fail("only character and block devices are supported")),
        };
        let number = |v: i64| u32::try_from(v).map_err(|_| fail("device number out of range"));
        let access: DeviceAccess = n.access.parse().map_err(|e| fail(&format!("{e}")))?;
        let node = DeviceNode {
            path: n.path.to_string_lossy().into_owned(),
            host_path: n.host_path.clone(),
            kind,
            major: number(n.major)?,
            minor: number(n.minor)?,
            access,
            file_mode: n.file_mode,
            uid: n.uid.or((spec.user.uid > 0).then_some(spec.user.uid)),
            gid: n.gid.or((spec.user.gid > 0).then_some(spec.user.gid)),
        };
        spec.devices.retain(|old| old.path != node.path);
        spec.devices.push(node);
    }
    for g in &edits.additional_gids {
        if !spec.user.additional_gids.contains(g) {
            spec.user.additional_gids.push(*g);
        }
    }
    Ok(())
}

fn mount_target(m: &Mount) -> &PathBuf {
    match m {
        Mount::Bind { target, .. } | Mount::Tmpfs { target, .. } => target,
    }
}
