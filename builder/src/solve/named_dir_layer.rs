//! `FROM NAME` where NAME is a `--build-context` directory: the stage
//! starts from scratch with one layer holding the directory's files (as
//! BuildKit's local source used as a base), keyed by their digest so an
//! unchanged directory is not copied again.

use std::collections::BTreeMap;

use strata_parser::Stage;

use super::fs_step::fs_step;
use super::named_context::Resolved;
use super::stage::StepCtx;
use super::state::StageState;
use super::{BuildError, Session};
use crate::cache::{KeyInputs, Parent};
use crate::copy::{self, CopyRequest};
use crate::layered::LayeredFs;

/// What the layer's key names instead of an instruction: the content
/// alone decides it, whatever the context is called.
const KEY_TEXT: &str = "FROM {\"NamedContext\":\"dir\"}";

pub(crate) fn add(
    session: &Session,
    state: &mut StageState,
    st: &Stage,
    name: &str,
) -> Result<(), BuildError> {
    let Some(Resolved::Dir(dir)) = session.named_context(name) else {
        return Err(BuildError::Invariant(format!(
            "--build-context {name} is not a directory"
        )));
    };
    let ctx = StepCtx {
        stage: st.index,
        step: 0,
        total: st.instructions.len(),
        line: st.line,
        column: 1,
        text: format!("FROM {name}"),
    };
    let req = CopyRequest {
        sources: vec![".".into()],
        dest: "/".into(),
        workdir: "/".into(),
        ..Default::default()
    };
    let empty = LayeredFs::default();
    let plan = copy::plan(dir, &empty, &req).map_err(|e| ctx.fail(e))?;
    let hashed = plan
        .hash_files(&session.stat_cache)
        .map_err(|e| ctx.fail(e))?;
    let inputs = KeyInputs {
        parent: Parent::Scratch,
        instruction: KEY_TEXT.to_string(),
        env: BTreeMap::new(),
        sources: Some(plan.digest_with(&hashed.digests)),
        files: BTreeMap::new(),
        extra: BTreeMap::new(),
    };
    fs_step(session, state, &ctx, &inputs, |upper, _| {
        copy::write(&plan, upper, &empty).map_err(|e| ctx.fail(e))
    })?;
    state.key = Parent::Step(inputs.key());
    Ok(())
}
