//! .dockerignore with Docker's rules (see CRATES.md): `#` comments only at
//! column 0, lines trimmed and path-cleaned, a leading `/` dropped, patterns
//! anchored at the context root, `*`/`?` never cross `/`, `**` spans
//! directories, a path is excluded if it or a parent matches, the last
//! matching pattern wins.

use regex::Regex;

use super::clean::clean;

#[derive(Debug, thiserror::Error)]
#[error(".dockerignore line {line}: bad pattern {pattern:?}: {reason}")]
pub struct PatternError {
    pub line: usize,
    pub pattern: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
struct Pattern {
    text: String,
    exclusion: bool,
    regex: Regex,
}

/// A compiled list of ignore patterns.
#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    patterns: Vec<Pattern>,
    /// No `!` pattern has a wildcard before a trailing `/*` or `/**`:
    /// then an excluded directory that no `!` pattern reaches into is not
    /// walked at all (fsutil's `onlyPrefixExcludeExceptions`).
    prefix_only_exceptions: bool,
}

/// Which patterns matched a directory (or one of its parents): what
/// matching its entries starts from, as the context walker passes it down
/// (patternmatcher's `MatchInfo`). Empty for an entry of the root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParentMatches(Vec<bool>);

impl IgnoreRules {
    /// Parses the text of a .dockerignore file.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut patterns = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            if raw.starts_with('#') {
                continue;
            }
            let mut line = raw.trim();
            if line.is_empty() {
                continue;
            }
            let exclusion = line.starts_with('!');
            if exclusion {
                line = line[1..].trim();
            }
            let mut cleaned = if line.is_empty() {
                String::new()
            } else {
                clean(line)
            };
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
            let regex = compile(&cleaned).map_err(|reason| PatternError {
                line: index + 1,
                pattern: raw.to_string(),
                reason,
            })?;
            patterns.push(Pattern {
                text: cleaned,
                exclusion,
                regex,
            });
        }
        let prefix_only_exceptions = patterns
            .iter()
            .filter(|p| p.exclusion)
            .all(|p| !without_trailing_glob(&p.text).contains(['*', '[', ']', '?', '^', '\\']));
        Ok(Self {
            patterns,
            prefix_only_exceptions,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether a context-relative, slash-separated, clean path is excluded.
    pub fn excludes(&self, path: &str) -> bool {
        let parents: Vec<&str> = path.split('/').collect();
        let mut matched = false;
        for p in &self.patterns {
            // An include cannot change an unmatched path, an exclusion cannot
            // change an unmatched one either: skip what cannot flip the answer.
            if p.exclusion != matched {
                continue;
            }
            let mut hit = p.regex.is_match(path);
            if !hit && parents.len() > 1 {
                for i in 1..parents.len() {
                    if p.regex.is_match(&parents[..i].join("/")) {
                        hit = true;
                        break;
                    }
                }
            }
            if hit {
                matched = !p.exclusion;
            }
        }
        matched
    }

    /// Whether `path` is excluded, given what its parent directory matched:
    /// patternmatcher's `MatchesUsingParentResults`, the rule BuildKit's
    /// context walker (fsutil's `filterFS.Walk`) applies. A pattern that
    /// matched a parent counts as matching the entry; the others are
    /// matched against the entry's own path, and the last match wins. It
    /// differs from matching every parent ([`IgnoreRules::excludes`]) in
    /// one case: a pattern skipped at the parent (it could not change the
    /// answer there) is not inherited, so `docs`, `!docs/**/*.md`,
    /// `docs/internal` keeps `docs/internal/x.md`, as docker build does.
    pub fn matches_under(&self, path: &str, parent: &ParentMatches) -> (bool, ParentMatches) {
        let mut matched = false;
        let mut here = vec![false; self.patterns.len()];
        for (i, p) in self.patterns.iter().enumerate() {
            let mut hit = parent.0.get(i).copied().unwrap_or(false);
            if !hit {
                if p.exclusion != matched {
                    continue;
                }
                hit = p.regex.is_match(path);
                if !hit && parent.0.is_empty() {
                    hit = parents_of(path).any(|dir| p.regex.is_match(dir));
                }
            }
            here[i] = hit;
            if hit {
                matched = !p.exclusion;
            }
        }
        (matched, ParentMatches(here))
    }

    /// Whether the walker leaves out everything inside excluded directory
    /// `dir` without looking: when every `!` pattern is a plain path (up
    /// to a trailing `/*` or `/**`) and none lies inside `dir`.
    pub fn skips_excluded_dir(&self, dir: &str) -> bool {
        if !self.prefix_only_exceptions {
            return false;
        }
        let dir_slash = format!("{dir}/");
        !self
            .patterns
            .iter()
            .filter(|p| p.exclusion)
            .any(|p| format!("{}/", without_trailing_glob(&p.text)).starts_with(&dir_slash))
    }

    /// Whether an excluded directory must still be walked because a `!`
    /// pattern might re-include something inside it.
    pub fn may_reinclude_under(&self, dir: &str) -> bool {
        self.patterns.iter().filter(|p| p.exclusion).any(|p| {
            let literal: String = p
                .text
                .chars()
                .take_while(|c| !matches!(c, '*' | '?' | '[' | '\\'))
                .collect();
            let literal = literal.trim_end_matches('/');
            // Either the pattern's fixed prefix lies inside `dir`, or `dir`
            // lies under the prefix and the rest is a wildcard.
            literal.is_empty()
                || literal.starts_with(&format!("{dir}/"))
                || dir.starts_with(&format!("{literal}/"))
                || dir == literal
                || (literal.len() < p.text.len() && dir.starts_with(literal))
        })
    }
}

/// The directories above a slash-separated path, outermost first.
pub(crate) fn parents_of(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

/// A pattern without a trailing `/**` or `/*` (fsutil's
/// `patternWithoutTrailingGlob`).
fn without_trailing_glob(pattern: &str) -> &str {
    let p = pattern.strip_suffix("/**").unwrap_or(pattern);
    p.strip_suffix("/*").unwrap_or(p)
}

/// Translates a cleaned pattern to an anchored regex, as Docker does.
fn compile(pattern: &str) -> Result<Regex, String> {
    // A leading `**` before plain text is a suffix test in patternmatcher
    // (`**foo` matches `barfoo`), not the `(.*/)?` it is elsewhere.
    if let Some(rest) = pattern.strip_prefix("**")
        && !rest.is_empty()
        && !rest.starts_with('/')
        && !rest.contains(['*', '?', '[', ']', '\\'])
    {
        return Regex::new(&format!("^.*{}$", regex::escape(rest))).map_err(|e| e.to_string());
    }
    let mut re = String::from("^");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        i += 1;
        match ch {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i >= chars.len() {
                    re.push_str(".*");
                } else {
                    re.push_str("(.*/)?");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '\\' => match chars.get(i) {
                Some(next) => {
                    re.push_str(&regex::escape(&next.to_string()));
                    i += 1;
                }
                None => re.push_str("\\\\"),
            },
            '[' | ']' => re.push(ch),
            '^' if re.ends_with('[') => re.push('^'),
            '!' if re.ends_with('[') => re.push('^'),
            other => re.push_str(&regex::escape(&other.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> IgnoreRules {
        IgnoreRules::parse(text).unwrap()
    }

    #[test]
    fn patterns_are_anchored_at_the_root() {
        let r = rules("foo\n");
        assert!(r.excludes("foo"));
        assert!(r.excludes("foo/bar"), "children of an excluded dir");
        assert!(!r.excludes("sub/foo"), "unlike gitignore, not unanchored");
    }

    #[test]
    fn star_does_not_cross_slashes_but_double_star_does() {
        let r = rules("*.log\n");
        assert!(r.excludes("a.log"));
        assert!(!r.excludes("dir/a.log"));
        let r = rules("**/*.log\n");
        assert!(r.excludes("a.log"));
        assert!(r.excludes("x/y/a.log"));
        let r = rules("**.tmp\n");
        assert!(r.excludes("x.tmp"));
        assert!(r.excludes("dir/x.tmp"));
        assert!(
            rules("**tmp\n").excludes("sub/footmp"),
            "a suffix, as patternmatcher"
        );
        let r = rules("a/**/b\n");
        assert!(r.excludes("a/b"));
        assert!(r.excludes("a/x/y/b"));
    }

    #[test]
    fn last_match_wins_and_reincludes() {
        let r = rules("docs\n!docs/keep.md\n");
        assert!(r.excludes("docs/other.md"));
        assert!(!r.excludes("docs/keep.md"));
        assert!(r.may_reinclude_under("docs"));
        let r = rules("!a.txt\n*.txt\n");
        assert!(r.excludes("a.txt"), "a later exclude overrides");
    }

    #[test]
    fn comments_only_at_column_zero_and_lines_are_cleaned() {
        let r = rules("# comment\n  #notacomment\n/lead/./x/\n  spaced  \n");
        assert!(r.excludes("#notacomment"));
        assert!(r.excludes("lead/x"));
        assert!(r.excludes("spaced"));
        assert!(!r.excludes("# comment"));
    }

    #[test]
    fn question_mark_and_classes() {
        let r = rules("file?.txt\n[ab].md\n");
        assert!(r.excludes("file1.txt"));
        assert!(!r.excludes("file/.txt"));
        assert!(r.excludes("a.md"));
        assert!(!r.excludes("c.md"));
    }

    /// Matches `path` the way the walker reaches it: each parent first.
    fn walked(r: &IgnoreRules, path: &str) -> bool {
        let mut parent = ParentMatches::default();
        for dir in parents_of(path) {
            parent = r.matches_under(dir, &parent).1;
        }
        r.matches_under(path, &parent).0
    }

    #[test]
    fn walking_matches_with_the_parents_results() {
        // patternmatcher's own multi-pattern cases.
        let r = rules("**\n!util/docker/web\n");
        assert!(!walked(&r, "util/docker/web/foo"));
        let r = rules("**\n!util/docker/web\nutil/docker/web/foo\n");
        assert!(walked(&r, "util/docker/web/foo"));
        // buildah's tests/bud/dockerignore patterns.
        let r = rules("*\ntest*\n!test2*\nsubdir\n!*/sub1*\n");
        assert!(!walked(&r, "subdir/sub1.txt"));
        assert!(walked(&r, "subdir/sub2.txt"));
        assert!(walked(&r, "sub1.txt"));
        assert!(!walked(&r, "test2.txt"));
        // A pattern skipped at the parent is not inherited: the later
        // `docs/internal` does not win over the re-include below it.
        let r = rules("docs\n!docs/**/*.md\ndocs/internal\n");
        assert!(!walked(&r, "docs/internal/x.md"));
        assert!(
            r.excludes("docs/internal/x.md"),
            "unlike every-parent matching"
        );
        assert!(walked(&r, "docs/internal/x.txt"));
    }

    #[test]
    fn excluded_dirs_are_skipped_unless_an_exception_may_reach_inside() {
        let r = rules("build\n!build/out/keep\nvendor\n");
        assert!(!r.skips_excluded_dir("build"));
        assert!(!r.skips_excluded_dir("build/out"));
        assert!(r.skips_excluded_dir("vendor"));
        assert!(r.skips_excluded_dir("build/other"));
        // A trailing glob still counts as a plain path; any other wildcard
        // means every excluded directory is walked.
        let r = rules("*\n!keep/**\n");
        assert!(r.skips_excluded_dir("other"));
        assert!(!r.skips_excluded_dir("keep"));
        let r = rules("*\n!*/sub1*\n");
        assert!(!r.skips_excluded_dir("other"));
        assert!(rules("docs\n").skips_excluded_dir("docs"));
    }

    #[test]
    fn reinclusion_prefix_decides_walking() {
        let r = rules("build\n!build/out/keep\n");
        assert!(r.may_reinclude_under("build"));
        assert!(r.may_reinclude_under("build/out"));
        assert!(!r.may_reinclude_under("other"));
        assert!(!rules("build\n").may_reinclude_under("build"));
    }
}
