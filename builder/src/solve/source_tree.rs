//! The tree a COPY --from or RUN --mount from= reads: the build context,
//! an earlier stage, a `--build-context`, or an image in the store.

use super::named_context::Resolved;
use super::stage::StepCtx;
use super::{BuildError, Session};
use crate::layer_stack::LayerStack;
use crate::layered::LayeredFs;
use crate::tree::Tree;

/// Where [`source_tree`] reads, for messages.
pub(crate) fn source_place(session: &Session, from: Option<&str>) -> String {
    match from {
        None => "the build context".to_string(),
        Some(f) if session.stage_names.contains_key(&f.to_ascii_lowercase()) => {
            format!("stage {f}")
        }
        Some(f) if f.parse::<usize>().is_ok() => format!("stage {f}"),
        Some(f) if session.named_context(f).is_some() => format!("build context {f}"),
        Some(f) => format!("image {f}"),
    }
}

/// Whether `from` reads a directory (the build context or a
/// `--build-context` one), whose files are sent as root's.
pub(crate) fn reads_a_directory(session: &Session, from: Option<&str>) -> bool {
    match from {
        None => true,
        Some(f) if session.stage_names.contains_key(&f.to_ascii_lowercase()) => false,
        Some(f) => matches!(session.named_context(f), Some(Resolved::Dir(_))),
    }
}

/// Where COPY --from / RUN --mount from= read: the context, an earlier
/// stage (by name or index; a stage a named context overrides is that
/// context), a named context, or an image in the store.
pub(crate) fn source_tree<'a>(
    session: &'a Session,
    ctx: &StepCtx,
    from: Option<&str>,
) -> Result<Box<dyn Tree + 'a>, BuildError> {
    let Some(from) = from else {
        return Ok(Box::new(&session.context));
    };
    let lower = from.to_ascii_lowercase();
    let index = session
        .stage_names
        .get(&lower)
        .copied()
        .or_else(|| from.parse::<usize>().ok());
    if let Some(i) = index {
        let stages = session.stages.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(st) = stages.get(&i) {
            return Ok(Box::new(st.fs()));
        }
        if session.stage_names.contains_key(&lower) {
            return Err(ctx.fail(format!("stage {from} was not built before this step")));
        }
    }
    if let Some(Resolved::Dir(dir)) = session.named_context(from) {
        return Ok(Box::new(dir));
    }
    // BuildKit resolves COPY --from=IMAGE for the target platform.
    let image = match session.named_image(from, &session.opts.platform)? {
        Some(image) => image,
        None => crate::pull::image(
            session.store,
            from,
            &session.opts.platform,
            &session.opts.pull,
            session.events,
        )?,
    };
    let dirs = session.store.layer_snapshots(&image)?;
    Ok(Box::new(LayeredFs::new(LayerStack::lowest_first(dirs))))
}
