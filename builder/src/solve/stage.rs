//! One stage: its base, ONBUILD triggers of the base, then each step.

use std::collections::BTreeMap;
use std::time::Instant;

use strata_parser::{Base, Command, Healthcheck, Instruction, Located, Stage};
use strata_store::Platform;

use super::fs_step::Outcome;
use super::state::{Layer, StageState};
use super::{BuildError, Event, Session, history, run_step};
use crate::cache::link::stacked;
use crate::cache::{KeyInputs, Parent};
use crate::config::{ImageConfig, apply::rfc3339};

/// Where a step is, for events and errors.
#[derive(Debug, Clone)]
pub(crate) struct StepCtx {
    pub stage: usize,
    pub step: usize,
    pub total: usize,
    pub line: usize,
    pub column: usize,
    pub text: String,
}

impl StepCtx {
    pub fn label(&self) -> String {
        format!("{}/{}", self.step + 1, self.total)
    }

    /// Places an error from inside the step that does not name its place.
    pub fn within(&self, e: BuildError) -> BuildError {
        e.at(
            || format!("step {} (line {}: {})", self.label(), self.line, self.text),
            self.line,
            self.column,
        )
    }

    pub fn fail(&self, message: impl std::fmt::Display) -> BuildError {
        BuildError::Step {
            step: self.label(),
            line: self.line,
            column: self.column,
            text: self.text.clone(),
            message: message.to_string(),
        }
    }
}

pub(crate) fn build_stage(session: &Session, st: &Stage) -> Result<StageState, BuildError> {
    let name = st
        .name
        .clone()
        .unwrap_or_else(|| format!("stage-{}", st.index));
    let from_base_stage = match &st.base {
        Base::Stage(i) => session
            .stages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(i)
            .map(|s| s.platform.clone()),
        _ => None,
    };
    let platform = match &st.platform {
        Some(p) => p.parse::<Platform>().map_err(|e| BuildError::Step {
            step: "FROM".into(),
            line: st.line,
            column: 1,
            text: format!("--platform={p}"),
            message: e.to_string(),
        })?,
        None => from_base_stage.unwrap_or_else(|| session.opts.platform.clone()),
    };
    let scratch = || {
        let mut config = ImageConfig::scratch();
        config.os = platform.os.clone();
        config.architecture = platform.architecture.clone();
        config.variant = platform.variant.clone();
        config
    };
    let (mut state, triggers) = match &st.base {
        Base::Scratch => StageState::new(name, scratch(), Vec::new(), Parent::Scratch),
        Base::Image(image) => {
            let (config, layers, digest) = base_image(session, image, &platform)
                .map_err(|e| e.at(|| format!("FROM {image} (line {})", st.line), st.line, 1))?;
            StageState::new(name, config, layers, Parent::Image(digest))
        }
        Base::Context(context) => {
            let at =
                |e: BuildError| e.at(|| format!("FROM {context} (line {})", st.line), st.line, 1);
            match session.named_image(context, &platform).map_err(at)? {
                Some(image) => {
                    let (config, layers, digest) =
                        image_base(session, context, image).map_err(at)?;
                    StageState::new(name, config, layers, Parent::Image(digest))
                }
                None => {
                    let (mut state, triggers) =
                        StageState::new(name, scratch(), Vec::new(), Parent::Scratch);
                    super::named_dir_layer::add(session, &mut state, st, context).map_err(at)?;
                    (state, triggers)
                }
            }
        }
        Base::Stage(i) => {
            let base = session
                .stages
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(i)
                .cloned()
                .ok_or_else(|| BuildError::Invariant(format!("stage {i} was not built")))?;
            StageState::new(
                name,
                base.config.image.clone(),
                base.layers.clone(),
                base.key.clone(),
            )
        }
    };
    state.platform = platform;
    let mut steps: Vec<Located<Instruction>> = Vec::new();
    for trigger in &triggers {
        let inst =
            strata_parser::parse_instruction(trigger).map_err(|source| BuildError::Trigger {
                line: st.line,
                trigger: trigger.clone(),
                source,
            })?;
        steps.push(Located {
            line: st.line,
            end_line: st.line,
            column: 1,
            original: trigger.clone(),
            value: inst,
        });
    }
    steps.extend(st.instructions.iter().cloned());
    session.events.emit(Event::StageStart {
        stage: st.index,
        name: state.name.clone(),
        steps: steps.len(),
    });
    for (i, located) in steps.iter().enumerate() {
        let ctx = StepCtx {
            stage: st.index,
            step: i,
            total: steps.len(),
            line: located.line,
            column: located.column,
            text: located.original.clone(),
        };
        step(session, st, &mut state, &ctx, &located.value).map_err(|e| ctx.within(e))?;
    }
    Ok(state)
}

/// A base image from the store: its config (read raw, so the Docker
/// fields survive), its layers and its manifest digest.
fn base_image(
    session: &Session,
    name: &str,
    platform: &Platform,
) -> Result<(ImageConfig, Vec<Layer>, String), BuildError> {
    let image = crate::pull::image(
        session.store,
        name,
        platform,
        &session.opts.pull,
        session.events,
    )?;
    image_base(session, name, image)
}

/// A stored image as a stage's base.
fn image_base(
    session: &Session,
    name: &str,
    image: strata_store::Image,
) -> Result<(ImageConfig, Vec<Layer>, String), BuildError> {
    let raw = session.store.read_blob(&image.config_digest)?;
    let config: ImageConfig =
        serde_json::from_slice(&raw).map_err(|source| BuildError::BaseConfig {
            name: name.to_string(),
            source,
        })?;
    let dirs = session.store.layer_snapshots(&image)?;
    let diff_ids = image.diff_ids()?;
    let layers = image
        .manifest
        .layers()
        .iter()
        .zip(diff_ids)
        .zip(dirs)
        .map(|((descriptor, diff_id), dir)| Layer::Base {
            descriptor: Box::new(descriptor.clone()),
            diff_id,
            dir,
        })
        .collect();
    Ok((config, layers, image.manifest_digest.to_string()))
}

fn step(
    session: &Session,
    st: &Stage,
    state: &mut StageState,
    ctx: &StepCtx,
    raw: &Instruction,
) -> Result<(), BuildError> {
    session.events.emit(Event::StepStart {
        stage: ctx.stage,
        step: ctx.step,
        total: ctx.total,
        line: ctx.line,
        text: ctx.text.clone(),
    });
    let started = Instant::now();
    let inst = match raw {
        Instruction::Arg(decls) => {
            let env = state.expansion_env();
            for d in decls {
                let value = match session.opts.build_args.get(&d.name) {
                    Some(v) => Some(v.clone()),
                    None => match &d.default {
                        Some(def) => Some(
                            strata_parser::shell::expand(def, &env, session.escape)
                                .map_err(|e| ctx.fail(e))?,
                        ),
                        None => st.args_in_scope.get(&d.name).cloned(),
                    },
                };
                if let Some(v) = value {
                    state.declare_arg(&d.name, v);
                }
            }
            raw.clone()
        }
        other => other
            .expand(&state.expansion_view(), session.escape)
            .map_err(|e| ctx.fail(e))?,
    };
    // Build args and ENV reach a RUN through its environment; every other
    // step sees them only through what its instruction expands, which the
    // canonical text holds. So a changed arg misses the RUNs that see it
    // and what builds on them, not every step after its ARG (BuildKit's
    // LLB keys work the same way). Only RUN hashes the env, so a long list
    // of ENV lines stays linear.
    let step_env = match &inst {
        Instruction::Run(run) => {
            let mut env = state.expansion_env().into_iter().collect();
            if session.opts.cache_args == super::CacheArgs::Referenced {
                let env_names: Vec<String> =
                    state.config.env().into_iter().map(|(k, _)| k).collect();
                super::arg_keys::drop_unreferenced(&mut env, run, &state.args, &env_names);
            }
            env
        }
        _ => BTreeMap::new(),
    };
    let mut inputs = KeyInputs {
        parent: state.key.clone(),
        instruction: inst.canonical(),
        env: step_env,
        sources: None,
        files: BTreeMap::new(),
        extra: BTreeMap::from([
            ("workdir".to_string(), state.config.workdir()),
            (
                "user".to_string(),
                state.config.image.config.user.clone().unwrap_or_default(),
            ),
            ("shell".to_string(), state.config.shell().join(" ")),
        ]),
    };
    // A stage for another platform than this machine's builds other
    // content from the same inputs (its base is another image, its RUNs
    // run other programs); this machine's keys stay as they were, so
    // `build` and `build --platform` of the host share the cache.
    if state.platform.normalized() != Platform::host().normalized() {
        inputs.extra.insert(
            "platform".to_string(),
            state.platform.normalized().to_string(),
        );
    }
    let shell = state.config.shell();
    let run_args: Vec<(String, String)> = state.args.clone();
    let by = history::created_by(&inst, &ctx.text, &shell, &run_args);
    let cmd_vec = |c: &Command| match c {
        Command::Exec(a) => a.clone(),
        Command::Shell(s) => {
            let mut v = shell.clone();
            v.push(s.clone());
            v
        }
    };
    let mut outcome = Outcome::Metadata;
    match &inst {
        Instruction::Run(run) => {
            outcome = run_step::run(session, state, ctx, run, &mut inputs)?;
        }
        Instruction::Copy(_) | Instruction::Add(_) => {
            outcome = super::copy_step::copy(session, state, ctx, &inst, &mut inputs)?;
        }
        Instruction::Workdir(w) => {
            let abs = state.config.set_workdir(w);
            outcome = super::copy_step::workdir(session, state, ctx, &abs, &mut inputs)?;
        }
        Instruction::Env(p) => state.set_env(p),
        Instruction::Label(p) => state.config.add_labels(p),
        Instruction::Expose(p) => state.config.expose(p).map_err(|e| ctx.fail(e))?,
        Instruction::Volume(v) => state.config.add_volumes(v),
        Instruction::User(u) => state.config.set_user(u),
        Instruction::Entrypoint(c) => state.config.set_entrypoint(cmd_vec(c)),
        Instruction::Cmd(c) => state.config.set_cmd(cmd_vec(c)),
        Instruction::Shell(s) => state.config.set_shell(s.clone()),
        Instruction::StopSignal(s) => state.config.set_stop_signal(s),
        Instruction::Healthcheck(h) => state.config.set_healthcheck(healthcheck(h, &shell)),
        Instruction::Onbuild(o) => state.config.add_onbuild(&o.raw),
        Instruction::Maintainer(m) => state.config.set_author(m),
        Instruction::Arg(_) => {}
        Instruction::From(_) => return Err(ctx.fail("FROM inside a stage")),
    }
    // Only filesystem steps have a key and chain: what a metadata step
    // changes reaches later steps through their own inputs (workdir, user
    // and shell in every key, ENV and args in a RUN's env, expansions in the
    // text), as in BuildKit, where such instructions make no LLB op. So
    // `ENV A=$V` with a new V misses the RUNs that see A, not a COPY after it.
    let key = match outcome {
        Outcome::Metadata => None,
        Outcome::Done { .. } => Some(inputs.key()),
    };
    if let Some(key) = key {
        state.key = match &inst {
            Instruction::Copy(c) if c.link => Parent::Step(stacked(&state.key, &key)),
            Instruction::Add(a) if a.link => Parent::Step(stacked(&state.key, &key)),
            _ => Parent::Step(key),
        };
    }
    let created = match session.opts.source_date_epoch {
        Some(epoch) => Some(rfc3339(epoch)),
        None => state.created.clone(),
    };
    let (cached, has_key) = match outcome {
        Outcome::Metadata => (false, false),
        Outcome::Done { cached } => (cached, true),
    };
    let empty = !matches!(
        (state.layers.last(), key),
        (Some(Layer::Step { key: k, .. }), Some(key)) if *k == key
    );
    state.config.push_history(by, empty, created);
    {
        let mut c = session.counts.lock().unwrap_or_else(|p| p.into_inner());
        if cached {
            c.cached += 1;
        } else {
            c.run += 1;
        }
    }
    if let Some(key) = key.filter(|_| has_key) {
        session
            .step_keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(super::StepKey {
                stage: ctx.stage,
                key,
            });
    }
    session.events.emit(Event::StepDone {
        stage: ctx.stage,
        step: ctx.step,
        cached,
        duration_ms: started.elapsed().as_millis() as u64,
        key: key.filter(|_| has_key).map(|k| k.to_string()),
    });
    Ok(())
}

fn healthcheck(h: &Healthcheck, shell: &[String]) -> Option<crate::config::Healthcheck> {
    let Healthcheck::Check(o) = h else {
        return None;
    };
    let test = match &o.test {
        Command::Exec(a) => {
            let mut v = vec!["CMD".to_string()];
            v.extend(a.iter().cloned());
            v
        }
        Command::Shell(s) => vec!["CMD-SHELL".to_string(), s.clone()],
    };
    let _ = shell;
    let ns = |d: Option<std::time::Duration>| d.map_or(0, |d| d.as_nanos() as u64);
    Some(crate::config::Healthcheck {
        test,
        interval: ns(o.interval),
        timeout: ns(o.timeout),
        start_period: ns(o.start_period),
        start_interval: ns(o.start_interval),
        retries: o.retries.map_or(0, u64::from),
    })
}
