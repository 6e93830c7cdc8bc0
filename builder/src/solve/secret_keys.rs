//! Which secret a `RUN --mount=type=secret` names, and the keyed hash of its
//! content that goes into the step's key when the build asks for it
//! (`--secret id=X,...,cache=content`; see `cache::secret_mac`).

use super::stage::StepCtx;
use super::{BuildError, Session};
use crate::cache::secret_mac::SecretMac;

/// `id=`, else the target's file name, else the env name (BuildKit's order).
pub(super) fn secret_id(
    id: &Option<String>,
    target: &Option<String>,
    env: &Option<String>,
) -> String {
    id.clone()
        .or_else(|| {
            target
                .as_ref()
                .and_then(|t| t.rsplit('/').next().map(str::to_string))
        })
        .or_else(|| env.clone())
        .unwrap_or_default()
}

/// The HMAC of secret `id`'s content when the build keys it by content and
/// it was given; `None` otherwise (an absent optional secret keys nothing,
/// as before).
pub(super) fn keyed_secret(
    session: &Session,
    ctx: &StepCtx,
    id: &str,
) -> Result<Option<String>, BuildError> {
    if !session.opts.keyed_secrets.contains(id) {
        return Ok(None);
    }
    let Some(src) = session.opts.secrets.get(id) else {
        return Ok(None);
    };
    let content = std::fs::read(src).map_err(BuildError::io(src))?;
    let mac = SecretMac::open(session.store)
        .map_err(|e| ctx.fail(format!("the store's secret key: {e}")))?;
    Ok(Some(mac.of(&content)))
}
