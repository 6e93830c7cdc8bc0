use std::collections::BTreeSet;

use super::env::Env;
use super::error::ExpandError;
use super::pattern;
use super::words::Words;

/// How deeply `${...}` operands may nest: far beyond anything written by
/// hand, and shallow enough that the recursive descent below stays well
/// inside any thread's stack.
pub const MAX_NESTING: usize = 100;

/// The expansion engine. The switches mirror the modes BuildKit uses
/// internally: heredoc detection keeps quotes and escapes raw, heredoc
/// names keep unset variables as written, COPY heredoc bodies skip quotes.
#[derive(Debug, Clone, Copy)]
pub struct Lexer {
    pub escape: char,
    pub raw_quotes: bool,
    pub raw_escapes: bool,
    pub skip_unset_env: bool,
    pub skip_process_quotes: bool,
}

/// The result of expanding a text: the whole word, its split words, and the
/// variables that were referenced but not set (for the UndefinedVar lint).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    pub word: String,
    pub words: Vec<String>,
    pub unset: BTreeSet<String>,
}

impl Lexer {
    pub fn new(escape: char) -> Self {
        Lexer {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_unset_env: false,
            skip_process_quotes: false,
        }
    }

    pub fn expand(&self, text: &str, env: &dyn Env) -> Result<Expansion, ExpandError> {
        let mut run = Run {
            opts: *self,
            chars: text.chars().collect(),
            pos: 0,
            env,
            unset: BTreeSet::new(),
            depth: 0,
        };
        let (word, words) = run.process_until(&[], self.raw_escapes)?;
        Ok(Expansion {
            word,
            words,
            unset: run.unset,
        })
    }
}

struct Run<'a> {
    opts: Lexer,
    chars: Vec<char>,
    pos: usize,
    env: &'a dyn Env,
    unset: BTreeSet<String>,
    /// Operands being read, one inside the other.
    depth: usize,
}

impl Run<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// `plain` is a bare `$x`/`${x}`; uses with a default or a check
    /// (`${x:-d}`, `${x?}`) are deliberate and not reported as unset.
    fn lookup(&mut self, name: &str, plain: bool) -> Option<String> {
        let v = self.env.get(name);
        if v.is_none()
            && plain
            && !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit() || is_special_param(c))
        {
            self.unset.insert(name.to_string());
        }
        v
    }

    /// Reads until one of `stops` (consumed) or the end of input; with no
    /// stops the end of input is the normal end.
    fn process_until(
        &mut self,
        stops: &[char],
        raw_escapes: bool,
    ) -> Result<(String, Vec<String>), ExpandError> {
        let mut result = String::new();
        let mut words = Words::default();
        while let Some(ch) = self.peek() {
            if stops.contains(&ch) {
                self.next();
                return Ok((result, words.finish()));
            }
            let quotes = !self.opts.skip_process_quotes;
            if ch == '$' {
                let v = self.process_dollar()?;
                result.push_str(&v);
                words.add_string(&v);
            } else if quotes && ch == '\'' {
                let v = self.process_single_quote()?;
                result.push_str(&v);
                words.add_raw_string(&v);
            } else if quotes && ch == '"' {
                let v = self.process_double_quote()?;
                result.push_str(&v);
                words.add_raw_string(&v);
            } else {
                self.next();
                if ch == self.opts.escape {
                    if raw_escapes {
                        words.add_raw_char(ch);
                        result.push(ch);
                    }
                    // An escape at the very end is dropped.
                    let Some(escaped) = self.next() else { break };
                    words.add_raw_char(escaped);
                    result.push(escaped);
                } else {
                    words.add_char(ch);
                    result.push(ch);
                }
            }
        }
        match stops.first() {
            Some(&stop) => Err(ExpandError::Unterminated(stop)),
            None => Ok((result, words.finish())),
        }
    }

    fn process_single_quote(&mut self) -> Result<String, ExpandError> {
        let mut result = String::new();
        let open = self.next();
        if self.opts.raw_quotes {
            result.extend(open);
        }
        loop {
            match self.next() {
                None => return Err(ExpandError::UnterminatedSingleQuote),
                Some('\'') => {
                    if self.opts.raw_quotes {
                        result.push('\'');
                    }
                    return Ok(result);
                }
                Some(c) => result.push(c),
            }
        }
    }

    fn process_double_quote(&mut self) -> Result<String, ExpandError> {
        let mut result = String::new();
        let open = self.next();
        if self.opts.raw_quotes {
            result.extend(open);
        }
        loop {
            match self.peek() {
                None => return Err(ExpandError::UnterminatedDoubleQuote),
                Some('"') => {
                    self.next();
                    if self.opts.raw_quotes {
                        result.push('"');
                    }
                    return Ok(result);
                }
                Some('$') => {
                    let v = self.process_dollar()?;
                    result.push_str(&v);
                }
                Some(mut ch) => {
                    self.next();
                    if ch == self.opts.escape {
                        if self.opts.raw_escapes {
                            result.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            // Only these can be escaped inside double quotes;
                            // any other escape char stays literal, as in sh.
                            Some(c) if c == '"' || c == '$' || c == self.opts.escape => {
                                self.next();
                                ch = c;
                            }
                            Some(_) => {}
                        }
                    }
                    result.push(ch);
                }
            }
        }
    }

    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_ascii_digit() {
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    self.next();
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && is_special_param(ch) {
                self.next();
                return ch.to_string();
            }
            if !ch.is_alphanumeric() && ch != '_' {
                break;
            }
            self.next();
            name.push(ch);
        }
        name
    }

    fn process_dollar(&mut self) -> Result<String, ExpandError> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.process_name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(match self.lookup(&name, true) {
                Some(v) => v,
                None if self.opts.skip_unset_env => format!("${name}"),
                None => String::new(),
            });
        }
        self.next();
        match self.peek() {
            None => return Err(ExpandError::MissingBrace),
            Some('{' | '}' | ':') => return Err(ExpandError::BadSubstitution),
            Some(_) => {}
        }
        let name = self.process_name();
        let Some(mut ch) = self.next() else {
            return Err(ExpandError::MissingBrace);
        };
        let mut modifier = ch.to_string();
        match ch {
            '}' => Ok(match self.lookup(&name, true) {
                Some(v) => v,
                None if self.opts.skip_unset_env => format!("${{{name}}}"),
                None => String::new(),
            }),
            ':' | '+' | '-' | '?' | '#' | '%' => {
                let null_is_unset = ch == ':';
                if null_is_unset {
                    let Some(c) = self.next() else {
                        return Err(ExpandError::MissingBrace);
                    };
                    ch = c;
                    modifier.push(c);
                }
                // Patterns keep their escapes so `\*` stays a literal star.
                let raw = ch == '#' || ch == '%';
                if null_is_unset && raw {
                    return Err(ExpandError::UnsupportedModifier(modifier));
                }
                let word = self.braced_operand(&['}'], raw, ExpandError::MissingBrace)?;
                let value = self.lookup(&name, false);
                if self.opts.skip_unset_env && value.is_none() {
                    return Ok(format!("${{{name}{modifier}{word}}}"));
                }
                let empty = value
                    .as_deref()
                    .is_none_or(|v| null_is_unset && v.is_empty());
                match ch {
                    '-' => Ok(if empty {
                        word
                    } else {
                        value.unwrap_or_default()
                    }),
                    '+' => Ok(if empty { String::new() } else { word }),
                    '?' => match value {
                        None => Err(required(name, word, "is not allowed to be unset")),
                        Some(v) if null_is_unset && v.is_empty() => {
                            Err(required(name, word, "is not allowed to be empty"))
                        }
                        Some(v) => Ok(v),
                    },
                    '#' | '%' => {
                        let (greedy, pat) = match word.strip_prefix(ch) {
                            Some(rest) => (true, rest.to_string()),
                            None => (false, word),
                        };
                        let value = value.unwrap_or_default();
                        Ok(if ch == '#' {
                            pattern::trim_prefix(&pat, &value, greedy)
                        } else {
                            pattern::trim_suffix(&pat, &value, greedy)
                        })
                    }
                    _ => Err(ExpandError::UnsupportedModifier(modifier)),
                }
            }
            '/' => {
                let all = self.peek() == Some('/');
                if all {
                    self.next();
                }
                let pat = self.braced_operand(&['/', '}'], true, ExpandError::MissingSlash)?;
                let repl = self.braced_operand(&['}'], true, ExpandError::MissingBrace)?;
                let value = self.lookup(&name, false);
                match value {
                    None if self.opts.skip_unset_env => Ok(format!("${{{name}/{pat}/{repl}}}")),
                    v => Ok(pattern::replace(&pat, &v.unwrap_or_default(), &repl, all)),
                }
            }
            _ => Err(ExpandError::UnsupportedModifier(modifier)),
        }
    }

    fn braced_operand(
        &mut self,
        stops: &[char],
        raw: bool,
        at_end: ExpandError,
    ) -> Result<String, ExpandError> {
        if self.depth >= MAX_NESTING {
            return Err(ExpandError::TooDeep {
                limit: MAX_NESTING,
                at: self.pos + 1,
            });
        }
        self.depth += 1;
        let got = self.process_until(stops, raw);
        self.depth -= 1;
        match got {
            Ok((w, _)) => Ok(w),
            Err(e @ ExpandError::TooDeep { .. }) => Err(e),
            Err(_) if self.peek().is_none() => Err(at_end),
            Err(e) => Err(e),
        }
    }
}

fn required(name: String, word: String, default: &str) -> ExpandError {
    let message = if word.is_empty() {
        default.to_string()
    } else {
        word
    };
    ExpandError::Required { name, message }
}

fn is_special_param(c: char) -> bool {
    matches!(c, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0')
}
