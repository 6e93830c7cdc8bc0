//! Lint findings as `strata check` and `strata build --check` print them:
//! `FILE:LINE:COL: Rule: message`, one a line on stdout. With a build
//! context, the rules that need it (CopyIgnoredFile) run too, against the
//! ignore file the build would use (`NAME.dockerignore` beside the
//! Dockerfile, else the context's `.dockerignore`).

use std::path::Path;

use miette::{Result, miette};
use strata_builder::context::BuildContext;

use super::dockerfile_input::{DockerfileInput, render_error};

/// What a lint run found: whether it could lint at all, and what fired.
pub struct Linted {
    /// Findings were printed.
    pub findings: usize,
    /// `# check=error=true` and something fired.
    pub errors: bool,
}

/// Lints `input`; `Ok(None)` when it does not parse or plan (the error is
/// printed as a build shows it).
pub fn lint(
    input: &DockerfileInput,
    dockerfile_path: Option<&Path>,
    context: Option<&Path>,
) -> Result<Option<Linted>> {
    let df = match strata_parser::parse(&input.text) {
        Ok(df) => df,
        Err(e) => {
            eprint!("{}", render_error(input, e.line, e.column, &e.message));
            return Ok(None);
        }
    };
    // A Dockerfile whose stages cannot be planned would fail every build.
    if let Err(e) = strata_parser::plan(&df, &strata_parser::PlanOptions::default()) {
        eprint!("{}", render_error(input, e.line, e.column, &e.message));
        return Ok(None);
    }
    let opened = match context {
        Some(dir) => {
            let beside = dockerfile_path.and_then(strata_builder::solve::dockerignore_beside);
            Some(
                BuildContext::open(dir, beside.as_deref())
                    .map_err(|e| miette!("the build context {}: {e}", dir.display()))?,
            )
        }
        None => None,
    };
    let excluded = |p: &str| opened.as_ref().is_some_and(|c| c.rules().excludes(p));
    let report = strata_parser::lint::check_with_context(
        &df,
        opened
            .as_ref()
            .map(|_| &excluded as strata_parser::lint::Excluded<'_>),
    );
    for f in &report.findings {
        println!(
            "{}:{}:{}: {}: {}",
            input.name, f.line, f.column, f.rule, f.message
        );
    }
    Ok(Some(Linted {
        findings: report.findings.len(),
        errors: report.has_errors(),
    }))
}
