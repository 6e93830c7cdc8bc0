//! COPY, ADD and WORKDIR: plan the copy, key it by the digest of what will
//! be written, and on a miss write it into the step's upper dir.

use std::os::unix::fs::PermissionsExt;

use filetime::FileTime;
use strata_parser::{Heredoc, Instruction};

use super::fs_step::{Outcome, fs_step, fs_step_described};
use super::git_source::GitSources;
use super::source_tree::{reads_a_directory, source_place, source_tree};
use super::stage::StepCtx;
use super::state::StageState;
use super::{BuildError, Event, Session};
use crate::cache::KeyInputs;
use crate::context::clean::clean_relative;
use crate::copy::fetch::{fetch, is_url};
use crate::copy::{self, Chmod, Chown, CopyPlan, CopyRequest, Item, ItemKind, Owner};
use crate::layered::LayeredFs;
use crate::tree::{PlainDir, Tree, resolve};
use strata_store::Digest;

/// The fields COPY and ADD share.
struct Spec<'a> {
    sources: &'a [String],
    dest: &'a str,
    from: Option<&'a str>,
    chown: Option<&'a str>,
    chmod: Option<&'a str>,
    parents: bool,
    excludes: &'a [String],
    heredocs: &'a [Heredoc],
    add: bool,
    checksum: Option<&'a str>,
    unpack: Option<bool>,
    link: bool,
    keep_git_dir: bool,
}

fn spec(inst: &Instruction) -> Option<Spec<'_>> {
    Some(match inst {
        Instruction::Copy(c) => Spec {
            sources: &c.sources,
            dest: &c.dest,
            from: c.from.as_deref(),
            chown: c.chown.as_deref(),
            chmod: c.chmod.as_deref(),
            parents: c.parents,
            excludes: &c.exclude,
            heredocs: &c.heredocs,
            add: false,
            checksum: None,
            unpack: None,
            link: c.link,
            keep_git_dir: false,
        },
        Instruction::Add(a) => Spec {
            sources: &a.sources,
            dest: &a.dest,
            from: None,
            chown: a.chown.as_deref(),
            chmod: a.chmod.as_deref(),
            parents: false,
            excludes: &a.exclude,
            heredocs: &a.heredocs,
            add: true,
            checksum: a.checksum.as_deref(),
            unpack: a.unpack,
            link: a.link,
            keep_git_dir: a.keep_git_dir,
        },
        _ => return None,
    })
}

pub(crate) fn copy(
    session: &Session,
    state: &mut StageState,
    ctx: &StepCtx,
    inst: &Instruction,
    inputs: &mut KeyInputs,
) -> Result<Outcome, BuildError> {
    let Some(s) = spec(inst) else {
        return Err(ctx.fail("not a COPY or ADD"));
    };
    // `--chown` names still mean the users of the image below.
    let users = state.fs();
    // `--link` copies onto an empty directory (BuildKit: "not allowed to
    // read any files from the previous state"): the destination resolves
    // through nothing below, and the key leaves the parent out.
    let image = if s.link {
        inputs.parent = crate::cache::link::linked_parent();
        LayeredFs::default()
    } else {
        users.clone()
    };
    let owner = match s.chown {
        Some(c) => Some(
            c.parse::<Chown>()
                .and_then(|c| c.resolve(&users))
                .map_err(|e| ctx.fail(e))?,
        ),
        None => None,
    };
    let chmod = s
        .chmod
        .map(|c| c.parse::<Chmod>().map_err(|e| ctx.fail(e)))
        .transpose()?;
    let base = CopyRequest {
        sources: Vec::new(),
        dest: s.dest.to_string(),
        workdir: state.config.workdir(),
        owner,
        chmod,
        excludes: s.excludes.to_vec(),
        parents: s.parents,
        extract_archives: false,
        keep_owners: false,
    };
    // Heredoc bodies and downloads live here until the step is written.
    let scratch = session.store.tempdir()?;
    let mut plan = CopyPlan {
        items: Vec::new(),
        parent_owner: owner.unwrap_or_default(),
    };
    let fail = |e: copy::CopyError| ctx.fail(e);
    if !s.heredocs.is_empty() {
        let dir = scratch.path().join("heredocs");
        std::fs::create_dir(&dir).map_err(BuildError::io(&dir))?;
        let mut names = Vec::new();
        for h in s.heredocs {
            let f = dir.join(&h.name);
            std::fs::write(&f, h.body()).map_err(BuildError::io(&f))?;
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644))
                .map_err(BuildError::io(&f))?;
            names.push(h.name.clone());
        }
        let req = CopyRequest {
            sources: names,
            ..base.clone()
        };
        plan.items.extend(
            copy::plan(&PlainDir::new(&dir), &image, &req)
                .map_err(fail)?
                .items,
        );
    }
    let (git, rest) =
        GitSources::resolve(session, ctx, s.sources, s.add, s.keep_git_dir, s.checksum)?;
    let (urls, local): (Vec<&String>, Vec<&String>) = rest.into_iter().partition(|x| is_url(x));
    if !urls.is_empty() && !s.add {
        return Err(ctx.fail("COPY cannot copy from a URL; use ADD"));
    }
    for (i, url) in urls.iter().enumerate() {
        let dir = scratch.path().join(format!("url{i}"));
        std::fs::create_dir(&dir).map_err(BuildError::io(&dir))?;
        let checksum = s
            .checksum
            // `sha256:<hex>` as docker writes it, or the bare hex.
            .map(|c| {
                c.parse::<Digest>()
                    .or_else(|e| Digest::from_hex(c).map_err(|_| e))
                    .map_err(|e| ctx.fail(e))
            })
            .transpose()?;
        let got = fetch(url, &dir, checksum).map_err(|e| ctx.fail(e))?;
        let req = CopyRequest {
            sources: vec![got.name.clone()],
            ..base.clone()
        };
        let p = copy::plan(&PlainDir::new(&dir), &image, &req).map_err(fail)?;
        plan.items.extend(p.items);
    }
    let from_context = s.from.is_none() && !local.is_empty();
    if !local.is_empty() {
        if s.checksum.is_some() {
            return Err(ctx.fail("ADD --checksum only applies to URL sources"));
        }
        let tree = source_tree(session, ctx, s.from)?;
        let req = CopyRequest {
            sources: local.into_iter().cloned().collect(),
            extract_archives: s.add && s.unpack != Some(false),
            // A stage's or image's files keep their owners; a context's
            // are root's (BuildKit sends them as 0:0).
            keep_owners: !reads_a_directory(session, s.from),
            ..base.clone()
        };
        let planned = copy::plan(tree.as_ref(), &image, &req).map_err(|e| match e {
            copy::CopyError::NotFound(_) => {
                ctx.fail(format!("{e} in {}", source_place(session, s.from)))
            }
            e => fail(e),
        })?;
        let mut planned = planned.items;
        if s.from.is_none()
            && base.chmod.is_none()
            && session.opts.source_modes == copy::SourceModes::Normalize
        {
            copy::source_modes::normalize(&mut planned);
        }
        plan.items.extend(planned);
    }
    let hashed = plan
        .hash_files(&session.stat_cache)
        .map_err(|e| ctx.fail(e))?;
    if from_context {
        let st = hashed.stats;
        session.events.emit(Event::ContextHashed {
            stage: ctx.stage,
            step: ctx.step,
            files: st.files,
            bytes: st.bytes,
            hashed_files: st.hashed_files,
            hashed_bytes: st.hashed_bytes,
            duration_ms: st.duration.as_millis() as u64,
        });
    }
    let file_digests = hashed.digests;
    let digest = plan.digest_with(&file_digests);
    inputs.sources = Some(if git.is_empty() {
        digest
    } else {
        git.key(digest)
    });
    let describe = |inputs: &mut KeyInputs| {
        inputs.files =
            crate::cache::sources::describe(&plan, &file_digests, session.context.root());
        git.describe(&mut inputs.files);
    };
    let max_archive = session.store.max_layer_size();
    let outcome = fs_step_described(session, state, ctx, inputs, describe, |upper, _| {
        if git.is_empty() {
            return copy::write_bounded(&plan, upper, &image, max_archive).map_err(fail);
        }
        let mut whole = plan.clone();
        whole.items.extend(git.plan(session, ctx, &image, &base)?);
        copy::write_bounded(&whole, upper, &image, max_archive).map_err(fail)
    })?;
    drop(scratch);
    Ok(outcome)
}

/// WORKDIR creates its directory (owned by the current USER) when the
/// image lacks it; otherwise it only changes the config.
pub(crate) fn workdir(
    session: &Session,
    state: &mut StageState,
    ctx: &StepCtx,
    abs: &str,
    inputs: &mut KeyInputs,
) -> Result<Outcome, BuildError> {
    let image = state.fs();
    let rel = resolve(&image, &clean_relative(abs), true)?;
    if rel == "." || image.lstat(&rel).is_some_and(|n| n.meta.is_dir()) {
        return Ok(Outcome::Metadata);
    }
    // BuildKit makes the directory with the USER as a chown (dispatchWorkdir
    // passes it to llb.WithUser), not as a process's user: `USER 4242`
    // owns it 4242:4242, where a RUN gets gid 0.
    let owner = match state.config.image.config.user.as_deref() {
        None | Some("") => Owner::default(),
        Some(u) => u
            .parse::<Chown>()
            .and_then(|c| c.resolve(&image))
            .map_err(|e| ctx.fail(e))?,
    };
    let mtime = match session.opts.source_date_epoch {
        Some(e) => FileTime::from_unix_time(e as i64, 0),
        None => FileTime::now(),
    };
    let plan = CopyPlan {
        items: vec![Item {
            dest: rel,
            kind: ItemKind::Dir,
            mode: 0o755,
            owner,
            mtime,
            merge: true,
        }],
        parent_owner: owner,
    };
    inputs.sources = Some(plan.digest(&session.stat_cache).map_err(|e| ctx.fail(e))?);
    fs_step(session, state, ctx, inputs, |upper, _| {
        copy::write(&plan, upper, &image).map_err(|e| ctx.fail(e))
    })
}
