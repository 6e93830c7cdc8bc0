//! `strata check [FILE] [CONTEXT]`: build-check findings as
//! `FILE:LINE:COL: Rule: message` (see [`lint_report`]).

use miette::Result;

use super::dockerfile_input::read;
use super::lint_report::lint;
use crate::cli::CheckArgs;

pub fn run(args: &CheckArgs) -> Result<i32> {
    let input = read(args.file.as_deref())?;
    let path = args.file.as_deref().filter(|f| f.as_os_str() != "-");
    let default = std::path::Path::new("Dockerfile");
    let path = path.or(args.file.is_none().then_some(default));
    Ok(match lint(&input, path, args.context.as_deref())? {
        None => 1,
        Some(l) if l.errors => 1,
        Some(_) => 0,
    })
}
