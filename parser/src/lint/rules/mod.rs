//! The rules, grouped by what they look at.

mod casing;
mod commands;
pub(super) mod copy_ignored;
mod definitions;
mod from_args;
mod stages;
mod undefined_var;

use super::Finding;
use crate::dockerfile::Dockerfile;

pub(super) fn run_all(df: &Dockerfile) -> Vec<Finding> {
    let mut out = Vec::new();
    casing::check(df, &mut out);
    commands::check(df, &mut out);
    definitions::check(df, &mut out);
    from_args::check(df, &mut out);
    stages::check(df, &mut out);
    undefined_var::check(df, &mut out);
    out
}

fn finding(rule: &'static str, line: usize, column: usize, message: impl Into<String>) -> Finding {
    Finding {
        rule,
        line,
        column,
        message: message.into(),
    }
}
