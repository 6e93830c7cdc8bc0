//! How `strata build` fails: a build error shown as `strata check` shows
//! one (`FILE:LINE:COL: message`, the line, a caret under the column), and
//! the exit code: 2 when the command line is wrong (a malformed flag
//! value), 1 when the build failed.

use strata_builder::BuildError;

use super::dockerfile_input::{DockerfileInput, render_error};

pub enum Failure {
    /// A malformed flag value: reported before anything is built.
    Usage(String),
    /// The builder's error, about the Dockerfile `input`.
    Build {
        input: DockerfileInput,
        error: Box<BuildError>,
    },
    /// Anything else (reading the Dockerfile, the registry after the build).
    Other(miette::Report),
}

impl From<miette::Report> for Failure {
    fn from(r: miette::Report) -> Self {
        Failure::Other(r)
    }
}

impl Failure {
    /// Prints the failure; returns the exit code, or the error for the
    /// CLI's own report.
    pub fn report(self) -> miette::Result<i32> {
        match self {
            Failure::Usage(message) => {
                eprintln!("error: {message}");
                Ok(2)
            }
            Failure::Build { input, error } => {
                eprint!("error: {}", render(&input, &error));
                Ok(if error.is_usage() { 2 } else { 1 })
            }
            Failure::Other(r) => Err(r),
        }
    }
}

/// The error's first line with its place and the caret excerpt, then the
/// rest of its lines (a failed RUN's last output).
pub fn render(input: &DockerfileInput, error: &BuildError) -> String {
    let message = error.message();
    let (first, rest) = match message.split_once('\n') {
        Some((first, rest)) => (first, Some(rest)),
        None => (message.as_str(), None),
    };
    let mut out = match error.place() {
        Some((line, column)) => render_error(input, line, column, first),
        None => format!("{first}\n"),
    };
    if let Some(rest) = rest {
        out.push_str(rest);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> DockerfileInput {
        DockerfileInput {
            name: "ctx/Dockerfile".into(),
            text: "FROM busybox\nCOPY --bogus=1 a b\n".into(),
        }
    }

    #[test]
    fn a_placed_error_names_file_line_and_column_and_shows_a_caret() {
        let e = BuildError::Parse(strata_parser::ParseError::new(
            2,
            6,
            "unknown flag: --bogus",
        ));
        assert_eq!(
            render(&input(), &e),
            "ctx/Dockerfile:2:6: unknown flag: --bogus\n\
             2 | COPY --bogus=1 a b\n\
             \x20        ^\n"
        );
    }

    #[test]
    fn a_failed_run_keeps_its_last_output_below_the_excerpt() {
        let e = BuildError::RunFailed {
            step: "1/1".into(),
            line: 2,
            column: 1,
            command: "false".into(),
            status: "exit code 1".into(),
            tail: vec!["boom".into()],
        };
        let text = render(&input(), &e);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("ctx/Dockerfile:2:1: step 1/1 (line 2) failed"));
        assert_eq!(lines[1], "2 | COPY --bogus=1 a b");
        assert_eq!(lines[2], "    ^");
        assert_eq!(&lines[3..], ["last output:", "  boom"]);
    }

    #[test]
    fn an_error_without_a_place_is_its_message() {
        let e = BuildError::Destination("--iidfile x: no directory y".into());
        assert_eq!(render(&input(), &e), "--iidfile x: no directory y\n");
    }
}
