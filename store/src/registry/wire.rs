//! Small pieces of the distribution API's wire format.

/// The registry's `{"errors":[{"code","message","detail"}]}` body as one
/// line; a short non-JSON body as it is; nothing for anything else.
pub fn error_detail(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        code: Option<String>,
        message: Option<String>,
    }
    if let Ok(parsed) = serde_json::from_slice::<Errors>(body) {
        return parsed
            .errors
            .iter()
            .map(|e| match (&e.code, &e.message) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(s), None) | (None, Some(s)) => s.clone(),
                (None, None) => String::new(),
            })
            .collect::<Vec<_>>()
            .join("; ");
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.len() <= 200 && !text.contains('<') {
        text.to_owned()
    } else {
        String::new()
    }
}

/// Percent-encodes all but RFC 3986 unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Adds `key=value` to a URL that may already carry a query (registries
/// put upload state in the Location they hand out).
pub fn with_query(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{key}={}", percent_encode(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_errors_become_one_line() {
        let body = br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}"#;
        assert_eq!(error_detail(body), "UNAUTHORIZED: authentication required");
        assert_eq!(error_detail(b"<html>big page</html>"), "");
    }

    #[test]
    fn query_is_appended_and_encoded() {
        assert_eq!(
            with_query("http://h/u?_state=x", "digest", "sha256:ab"),
            "http://h/u?_state=x&digest=sha256%3Aab"
        );
        assert_eq!(
            with_query("http://h/u", "mount", "a/b"),
            "http://h/u?mount=a%2Fb"
        );
    }
}
