//! Build checks: BuildKit's lint rules that need no image.

mod config;
mod rules;

use serde::Serialize;

use crate::dockerfile::Dockerfile;

pub use config::CheckConfig;

/// One finding of a rule at a place in the Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The findings left after `# check=skip=...`, and whether they fail the
/// build (`# check=error=true`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub error: bool,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.error && !self.findings.is_empty()
    }
}

pub use rules::copy_ignored::Excluded;

/// Runs every rule that needs no build context over a parsed Dockerfile.
pub fn check(df: &Dockerfile) -> Report {
    check_with_context(df, None)
}

/// [`check`], plus the rules that need the build context (CopyIgnoredFile)
/// when `excluded` says which context paths the ignore rules leave out.
pub fn check_with_context(df: &Dockerfile, excluded: Option<Excluded<'_>>) -> Report {
    let config =
        CheckConfig::from_directive(df.directives.check.as_ref().map(|d| d.value.as_str()));
    let mut findings = rules::run_all(df);
    if let Some(excluded) = excluded {
        rules::copy_ignored::check(df, excluded, &mut findings);
    }
    findings.retain(|f| !config.skips(f.rule));
    findings.sort_by_key(|f| (f.line, f.column));
    Report {
        findings,
        error: config.error,
    }
}
