use serde::Serialize;
use thiserror::Error;

/// A Dockerfile that cannot be read, with the place it went wrong.
/// Lines and columns count from 1.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[error("{line}:{column}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl ParseError {
    pub fn new(line: usize, column: usize, message: impl Into<String>) -> Self {
        ParseError {
            line: line.max(1),
            column: column.max(1),
            message: message.into(),
        }
    }
}
