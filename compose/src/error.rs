//! The loader's error: what went wrong, and where (file, line, key path) when
//! a place is known, printed `compose.yaml:7: services.web.ports[1]: invalid port "80:80:80"`.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
    /// Set where the column helps (a bad `pull_policy`); printed after the line.
    pub column: Option<usize>,
    pub path: Option<String>,
    pub message: String,
}

impl LoadError {
    pub fn new(message: impl Into<String>) -> Self {
        LoadError {
            file: None,
            line: None,
            column: None,
            path: None,
            message: message.into(),
        }
    }

    pub fn in_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.file = Some(file.into());
        self
    }

    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    pub fn at_column(mut self, column: usize) -> Self {
        self.column = Some(column);
        self
    }

    pub fn at_path(mut self, path: impl Into<String>) -> Self {
        let p = path.into();
        if !p.is_empty() {
            self.path = Some(p);
        }
        self
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
                if let Some(column) = self.column {
                    write!(f, ":{column}")?;
                }
            }
            write!(f, ": ")?;
        }
        if let Some(path) = &self.path {
            write!(f, "{path}: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for LoadError {}
