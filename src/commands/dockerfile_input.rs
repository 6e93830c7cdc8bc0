//! Reading a Dockerfile named on the command line, and rendering a parse
//! error as one `FILE:LINE:COL: message` line plus a caret excerpt.

use std::io::Read;
use std::path::{Path, PathBuf};

use miette::{IntoDiagnostic, Result, WrapErr};
use strata_builder::context::confined::read_confined;

/// A Dockerfile's display name and text.
pub struct DockerfileInput {
    pub name: String,
    pub text: String,
}

/// Reads FILE, `-` for stdin, or ./Dockerfile when none is given.
pub fn read(file: Option<&Path>) -> Result<DockerfileInput> {
    let path = file
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("Dockerfile"));
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .into_diagnostic()
            .wrap_err("reading the Dockerfile from stdin")?;
        return Ok(DockerfileInput {
            name: "<stdin>".into(),
            text,
        });
    }
    let text = match file {
        Some(_) => {
            let bytes = std::fs::read(&path)
                .into_diagnostic()
                .wrap_err_with(|| format!("reading {}", path.display()))?;
            String::from_utf8_lossy(&bytes).into_owned()
        }
        // ./Dockerfile found by default may not lead out of the directory.
        None => read_in(Path::new("."), &path)?,
    };
    Ok(DockerfileInput {
        name: path.display().to_string(),
        text,
    })
}

/// The Dockerfile `rel` of directory `root` (a build context), following
/// symlinks only inside it: one leading out is refused with an error that
/// names it, and its target is never read.
pub fn read_in(root: &Path, rel: &Path) -> Result<String> {
    match read_confined(root, rel) {
        Ok(Some(bytes)) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Ok(None) => Err(miette::miette!(
            "reading {}: no such file",
            root.join(rel).display()
        )),
        Err(e) => Err(miette::miette!("Dockerfile: {e}")),
    }
}

/// `FILE:LINE:COL: message`, then the offending line and a caret under COL.
pub fn render_error(input: &DockerfileInput, line: usize, column: usize, message: &str) -> String {
    let mut out = format!("{}:{line}:{column}: {message}\n", input.name);
    if let Some(src) = input.text.lines().nth(line.saturating_sub(1)) {
        let src = src.strip_prefix('\u{feff}').unwrap_or(src);
        let gutter = format!("{line} | ");
        out.push_str(&format!("{gutter}{src}\n"));
        let pad: String = src
            .chars()
            .take(column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.push_str(&format!("{}{pad}^\n", " ".repeat(gutter.len())));
    }
    out
}
