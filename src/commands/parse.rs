//! `strata parse`: prints a Dockerfile's AST, in BuildKit's dump format or
//! as JSON (the typed instructions).

use miette::{IntoDiagnostic, Result};

use super::dockerfile_input::{read, render_error};
use crate::cli::{ParseArgs, ParseFormat};

pub fn run(args: &ParseArgs) -> Result<i32> {
    let input = read(args.file.as_deref())?;
    let printed = match args.format {
        ParseFormat::Buildkit => strata_parser::parse_ast(&input.text).map(|ast| ast.dump()),
        ParseFormat::Json => strata_parser::parse(&input.text).and_then(|df| {
            serde_json::to_string_pretty(&df)
                .map(|s| s + "\n")
                .map_err(|e| strata_parser::ParseError::new(1, 1, e.to_string()))
        }),
    };
    match printed {
        Ok(text) => {
            use std::io::Write;
            std::io::stdout()
                .write_all(text.as_bytes())
                .into_diagnostic()?;
            Ok(0)
        }
        Err(e) => {
            eprint!("{}", render_error(&input, e.line, e.column, &e.message));
            Ok(1)
        }
    }
}
