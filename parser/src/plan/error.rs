use std::fmt;

/// Why a plan could not be made; `line` is 0 when no line is to blame
/// (e.g. an unknown `--target`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl PlanError {
    pub fn new(line: usize, column: usize, message: impl Into<String>) -> Self {
        PlanError {
            line,
            column: column.max(1),
            message: message.into(),
        }
    }

    pub fn unlocated(message: impl Into<String>) -> Self {
        PlanError {
            line: 0,
            column: 0,
            message: message.into(),
        }
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}:{}: {}", self.line, self.column, self.message)
        }
    }
}

impl std::error::Error for PlanError {}
