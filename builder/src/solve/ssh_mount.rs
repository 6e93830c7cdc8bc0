//! `RUN --mount=type=ssh[,id=ID,target=PATH,required,mode,uid,gid]`: a
//! socket of the step's own at the target (default
//! `/run/buildkit/ssh_agent.N`, N counting the step's ssh mounts), relayed
//! to the agent `build --ssh ID` named; SSH_AUTH_SOCK names the first
//! one, as BuildKit's exec op sets it. An id the build was not given is
//! an error when `required`, else the mount is left out.

use std::path::{Path, PathBuf};

use strata_executor::Mount;

use super::stage::StepCtx;
use super::{BuildError, Session};
use crate::context::clean::clean;
use crate::ssh::forward::Forward;

/// The step's ssh mounts; the relays stop when this is dropped.
#[derive(Default)]
pub(super) struct SshMounts {
    pub mounts: Vec<Mount>,
    pub env: Option<String>,
    _forwards: Vec<Forward>,
}

pub(super) fn ssh_mounts(
    session: &Session,
    ctx: &StepCtx,
    mounts: &[strata_parser::Mount],
    scratch: &Path,
    workdir: &str,
) -> Result<SshMounts, BuildError> {
    let mut out = SshMounts::default();
    let ssh = mounts.iter().filter_map(|m| match m {
        strata_parser::Mount::Ssh {
            id,
            target,
            required,
            mode,
            uid,
            gid,
        } => Some((id, target, *required, *mode, *uid, *gid)),
        _ => None,
    });
    for (n, (id, target, required, mode, uid, gid)) in ssh.enumerate() {
        let id = id.as_deref().unwrap_or("default");
        let target = match target {
            Some(t) if t.starts_with('/') => clean(t),
            Some(t) => clean(&format!("/{workdir}/{t}")),
            None => format!("/run/buildkit/ssh_agent.{n}"),
        };
        if out.env.is_none() {
            out.env = Some(format!("SSH_AUTH_SOCK={target}"));
        }
        let Some(agent) = session.opts.ssh.get(id) else {
            if required {
                return Err(ctx.fail(format!(
                    "no ssh agent {id:?}: the step requires one (strata build --ssh {id}[=SOCKET|KEYFILE])"
                )));
            }
            continue;
        };
        std::fs::create_dir_all(scratch).map_err(BuildError::io(scratch))?;
        let socket = scratch.join(format!("ssh{n}.sock"));
        let forward = Forward::start(
            &socket,
            agent,
            mode.unwrap_or(0o600),
            uid.unwrap_or(0),
            gid.unwrap_or(0),
        )
        .map_err(|e| ctx.fail(e))?;
        out._forwards.push(forward);
        out.mounts.push(Mount::Bind {
            source: socket,
            target: PathBuf::from(target),
            readonly: false,
            options: Default::default(),
        });
    }
    Ok(out)
}
