//! The tree a COPY --from or RUN --mount from= reads: the build context,
//! an earlier stage, or an image in the store.

use super::stage::StepCtx;
use super::{BuildError, Shared};
use crate::layered::LayeredFs;
use crate::tree::Tree;

/// Where [`source_tree`] reads, for messages.
pub(crate) fn source_place(sh: &Shared, from: Option<&str>) -> String {
    match from {
        None => "the build context".to_string(),
        Some(f) if sh.stage_names.contains_key(&f.to_ascii_lowercase()) => format!("stage {f}"),
        Some(f) if f.parse::<usize>().is_ok() => format!("stage {f}"),
        Some(f) => format!("image {f}"),
    }
}

/// Where COPY --from / RUN --mount from= read: the context, an earlier
/// stage (by name or index), or an image in the store.
pub(crate) fn source_tree<'a>(
    sh: &'a Shared,
    ctx: &StepCtx,
    from: Option<&str>,
) -> Result<Box<dyn Tree + 'a>, BuildError> {
    let Some(from) = from else {
        return Ok(Box::new(&sh.context));
    };
    let lower = from.to_ascii_lowercase();
    let index = sh
        .stage_names
        .get(&lower)
        .copied()
        .or_else(|| from.parse::<usize>().ok());
    if let Some(i) = index {
        let stages = sh.stages.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(st) = stages.get(&i) {
            return Ok(Box::new(st.fs()));
        }
        if sh.stage_names.contains_key(&lower) {
            return Err(ctx.fail(format!("stage {from} was not built before this step")));
        }
    }
    let image = crate::pull::image(sh.store, from, &sh.opts.pull, sh.events)?;
    let mut dirs = sh.store.layer_snapshots(&image)?;
    dirs.reverse();
    Ok(Box::new(LayeredFs::new(dirs)))
}
