//! Lexical path cleaning with Go's `path.Clean` rules, because Docker cleans
//! .dockerignore patterns and COPY paths that way and we must agree with it.

/// Cleans a slash-separated path: collapses `//`, drops `.`, resolves `..`
/// lexically (never above `/` for rooted paths), removes a trailing slash;
/// the empty result is `.`.
pub fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

/// Cleans a path and makes it relative to a root: `/a/../b/` -> `b`,
/// `/` -> `.`. `..` cannot escape the root.
pub fn clean_relative(path: &str) -> String {
    let rooted = clean(&format!("/{path}"));
    match rooted.trim_start_matches('/') {
        "" => ".".to_string(),
        rel => rel.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_go_path_clean() {
        for (input, want) in [
            ("", "."),
            ("/", "/"),
            ("a//b/./c/", "a/b/c"),
            ("a/../../b", "../b"),
            ("/../a", "/a"),
            ("./", "."),
            ("a/b/..", "a"),
        ] {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
    }

    #[test]
    fn relative_form_never_escapes() {
        assert_eq!(clean_relative("../../etc/passwd"), "etc/passwd");
        assert_eq!(clean_relative("/"), ".");
        assert_eq!(clean_relative("./a/"), "a");
    }
}
