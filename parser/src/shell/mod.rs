//! Shell-like word expansion as BuildKit's Dockerfile frontend does it: `$var`,
//! `${var}` with the `:-`, `-`, `:+`, `+`, `:?`, `?`, `#`, `##`, `%`, `%%`, `/`
//! and `//` modifiers, single and double quotes, and the escape character.
//! Nothing here runs a shell: command text of RUN/CMD is never passed through.

mod env;
mod error;
mod lex;
mod pattern;
mod words;

pub use env::{Env, NoEnv};
pub use error::ExpandError;
pub use lex::{Expansion, Lexer};

/// Expands one word (quotes removed, escapes applied, variables substituted).
pub fn expand(word: &str, env: &dyn Env, escape: char) -> Result<String, ExpandError> {
    Lexer::new(escape).expand(word, env).map(|e| e.word)
}

/// Expands and then splits into words on unquoted whitespace, as BuildKit
/// does for EXPOSE and heredoc detection.
pub fn expand_words(text: &str, env: &dyn Env, escape: char) -> Result<Vec<String>, ExpandError> {
    Lexer::new(escape).expand(text, env).map(|e| e.words)
}
