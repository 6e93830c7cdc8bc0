//! `strata build --check`: lint and stop, as buildx does: the findings as
//! `strata check` prints them, the context's rules included; exit 1 when
//! any rule fires (or the Dockerfile does not parse), else 0.

use std::path::Path;

use super::build_failure::Failure;
use super::dockerfile_input::DockerfileInput;
use super::lint_report::lint;

pub fn run(dockerfile_path: &Path, text: String, context: &Path) -> Result<i32, Failure> {
    let from_stdin = dockerfile_path.as_os_str() == "-";
    let input = DockerfileInput {
        name: match from_stdin {
            true => "<stdin>".to_string(),
            false => dockerfile_path.display().to_string(),
        },
        text,
    };
    let beside = (!from_stdin).then_some(dockerfile_path);
    Ok(match lint(&input, beside, Some(context))? {
        Some(l) if l.findings == 0 => 0,
        _ => 1,
    })
}
