//! `strata compose ...`: the project is loaded by strata-compose; each
//! subcommand acts on it. The commands that only act on what exists also
//! take a project known by its labels alone (`-p NAME` and no file:
//! scope.rs).

mod attach_set;
mod attached;
mod build;
mod build_jobs;
mod config;
mod create;
mod down;
mod exec;
mod image_pull;
mod images;
mod kill;
mod labels;
mod lifecycle;
mod logs;
mod ls;
mod origin;
mod pause;
mod port;
mod ps;
mod pull;
mod push;
mod run;
mod scope;
mod service_args;
mod top;
mod up;
mod wait_for;

use std::io::Read;
use std::path::PathBuf;

use strata_compose::error::LoadError;
use strata_compose::load::{Loaded, Options};
use strata_compose::model::Project;

use crate::cli::{ComposeArgs, ComposeCommand};

/// docker compose's exit status for a project that cannot be loaded (its
/// e2e suite, env_file_test.go TestUnusedMissingEnvFile, expects 1).
pub const EXIT_INVALID_PROJECT: i32 = 1;

pub fn run(root: Option<PathBuf>, args: &ComposeArgs, quiet: bool) -> miette::Result<i32> {
    let store = || crate::commands::store_open::open(root.clone());
    match &args.command {
        ComposeCommand::Config(c) => config::run(args, c, quiet),
        ComposeCommand::Up(u) => up::run(&store()?, args, u),
        ComposeCommand::Create(c) => create::run(&store()?, args, c),
        ComposeCommand::Down(d) => down::run(&store()?, args, d),
        ComposeCommand::Ps(p) => ps::run(&store()?, args, p),
        ComposeCommand::Logs(l) => logs::run(&store()?, args, l),
        ComposeCommand::Stop(a) => lifecycle::stop(&store()?, args, a),
        ComposeCommand::Start(a) => lifecycle::start(&store()?, args, a),
        ComposeCommand::Restart(a) => lifecycle::restart(&store()?, args, a),
        ComposeCommand::Rm(a) => lifecycle::rm(&store()?, args, a),
        ComposeCommand::Build(a) => build_all(&store()?, args, a),
        ComposeCommand::Run(r) => run::run(&store()?, args, r),
        ComposeCommand::Exec(e) => exec::run(&store()?, args, e),
        ComposeCommand::Kill(k) => kill::run(&store()?, args, k),
        ComposeCommand::Pause(a) => pause::pause(&store()?, args, a),
        ComposeCommand::Unpause(a) => pause::unpause(&store()?, args, a),
        ComposeCommand::Top(a) => top::run(&store()?, args, a),
        ComposeCommand::Images(a) => images::run(&store()?, args, a),
        ComposeCommand::Port(a) => port::run(&store()?, args, a),
        ComposeCommand::Ls(a) => ls::run(&store()?, a),
        ComposeCommand::Pull(a) => pull::run(&store()?, args, a),
        ComposeCommand::Push(a) => push::run(&store()?, args, a),
    }
}

/// The project, typed and as the JSON model (for the order and the hash);
/// None when it cannot be loaded (the error is printed).
fn project(args: &ComposeArgs) -> miette::Result<Option<(Project, serde_json::Value)>> {
    let Ok(loaded) = load(args, true, true) else {
        return Ok(None);
    };
    origin::record(args, &loaded.project_dir);
    match Project::from_json(loaded.model.clone()) {
        Ok(p) => Ok(Some((p, loaded.model))),
        Err(e) => {
            report(&e);
            Ok(None)
        }
    }
}

/// Loads the project the global flags name; a load error is printed (file,
/// line, key path) and becomes the exit status.
pub fn load(args: &ComposeArgs, interpolate: bool, consistency: bool) -> Result<Loaded, i32> {
    let opts = match options(args, interpolate, consistency) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(1);
        }
    };
    match strata_compose::load::load(&opts) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                eprintln!("warning: {w}");
            }
            Ok(loaded)
        }
        Err(e) => {
            report(&e);
            Err(EXIT_INVALID_PROJECT)
        }
    }
}

/// The variables the project's files use (`config --variables`).
pub fn variables(
    args: &ComposeArgs,
) -> Result<std::collections::BTreeMap<String, strata_compose::variables::Variable>, i32> {
    let opts = match options(args, false, false) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(1);
        }
    };
    strata_compose::load::variables(&opts).map_err(|e| {
        report(&e);
        EXIT_INVALID_PROJECT
    })
}

fn report(e: &LoadError) {
    eprintln!("error: {e}");
}

fn options(args: &ComposeArgs, interpolate: bool, consistency: bool) -> std::io::Result<Options> {
    let stdin = if args.files.iter().any(|f| f.as_os_str() == "-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Some(text)
    } else {
        None
    };
    Ok(Options {
        files: args.files.clone(),
        project_name: args.project_name.clone(),
        profiles: args.profiles.clone(),
        env_files: args.env_files.clone(),
        project_dir: args.project_directory.clone(),
        interpolate,
        consistency,
        working_dir: std::env::current_dir()?,
        environ: std::env::vars().collect(),
        stdin,
    })
}

/// The builds' progress: `compose --progress`, else plain lines.
fn progress(args: &ComposeArgs) -> crate::cli::ProgressMode {
    args.progress.unwrap_or(crate::cli::ProgressMode::Plain)
}

/// `compose build [SERVICE...]`: every (named) service with a `build`.
fn build_all(
    store: &strata_store::Store,
    args: &ComposeArgs,
    a: &crate::cli::ComposeBuildArgs,
) -> miette::Result<i32> {
    let Some((project, _)) = project(args)? else {
        return Ok(EXIT_INVALID_PROJECT);
    };
    for s in &a.services {
        if !project.services.contains_key(s) {
            return Err(miette::miette!("no such service: {s}"));
        }
    }
    let flags = build::Flags {
        progress: if a.quiet {
            crate::cli::ProgressMode::Quiet
        } else {
            progress(args)
        },
        pull: a.pull,
        no_cache: a.no_cache,
    };
    build_jobs::build_services(store, &project, &a.services, build::When::Always, &flags)?;
    Ok(0)
}
