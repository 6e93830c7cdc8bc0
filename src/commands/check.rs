//! `strata check`: build-check findings as `FILE:LINE:COL: Rule: message`.

use miette::Result;

use super::dockerfile_input::{read, render_error};
use crate::cli::CheckArgs;

pub fn run(args: &CheckArgs) -> Result<i32> {
    let input = read(args.file.as_deref())?;
    let df = match strata_parser::parse(&input.text) {
        Ok(df) => df,
        Err(e) => {
            eprint!("{}", render_error(&input, e.line, e.column, &e.message));
            return Ok(1);
        }
    };
    // A Dockerfile whose stages cannot be planned would fail every build.
    if let Err(e) = strata_parser::plan(&df, &strata_parser::PlanOptions::default()) {
        eprint!("{}", render_error(&input, e.line, e.column, &e.message));
        return Ok(1);
    }
    let report = strata_parser::lint::check(&df);
    for f in &report.findings {
        println!(
            "{}:{}:{}: {}: {}",
            input.name, f.line, f.column, f.rule, f.message
        );
    }
    Ok(if report.has_errors() { 1 } else { 0 })
}
