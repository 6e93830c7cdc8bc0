use thiserror::Error;

/// Why a word could not be expanded. Messages follow BuildKit's wording.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExpandError {
    #[error("syntax error: missing '}}'")]
    MissingBrace,
    #[error("syntax error: missing '/' in ${{}}")]
    MissingSlash,
    #[error("syntax error: bad substitution")]
    BadSubstitution,
    #[error("unsupported modifier ({0}) in substitution")]
    UnsupportedModifier(String),
    #[error("{name}: {message}")]
    Required { name: String, message: String },
    #[error("unexpected end of statement while looking for matching single-quote")]
    UnterminatedSingleQuote,
    #[error("unexpected end of statement while looking for matching double-quote")]
    UnterminatedDoubleQuote,
    #[error("unexpected end of statement while looking for matching {0}")]
    Unterminated(char),
    #[error("substitutions nested deeper than {limit} levels (at character {at} of the word)")]
    TooDeep { limit: usize, at: usize },
    /// A value that is only checked once expanded (e.g. a mount's uid).
    #[error("{0}")]
    Invalid(String),
}
