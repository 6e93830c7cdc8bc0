//! Which source strings are git repositories, by BuildKit's rules
//! (`dfgitutil.ParseGitRef`, `gitutil.ParseURL`): a `git://`, `ssh://`
//! URL, an scp-style `user@host:path`, or an `http(s)://` URL whose path
//! ends in `.git`; `#REF[:SUBDIR]` picks a branch, tag or commit and a
//! directory in it. A plain http(s) URL stays a download, anything else a
//! local path.

/// A git source: the repository to fetch and what of it to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitUrl {
    /// The repository as `git` takes it (the source without its fragment).
    pub remote: String,
    /// Branch, tag or commit; None is the remote's HEAD.
    pub reference: Option<String>,
    /// A directory of the repository to take instead of its root.
    pub subdir: Option<String>,
}

impl GitUrl {
    /// The source as an `ADD` names it, or None when it is no git URL.
    pub fn parse(source: &str) -> Option<GitUrl> {
        if source.starts_with("./") || source.starts_with("../") {
            return None;
        }
        let (remote, fragment) = match source.split_once('#') {
            Some((r, f)) => (r, Some(f)),
            None => (source, None),
        };
        if let Some((proto, rest)) = remote.split_once("://") {
            if proto.is_empty() || !proto.chars().all(|c| c.is_ascii_alphanumeric()) {
                return None;
            }
            match proto.to_ascii_lowercase().as_str() {
                "git" | "ssh" => {}
                // An http URL is a repository only by its `.git` suffix.
                "http" | "https" => {
                    let path = rest.find('/').map_or("", |i| &rest[i..]);
                    let path = path.split('?').next().unwrap_or(path);
                    if !path.ends_with(".git") {
                        return None;
                    }
                }
                _ => return None,
            }
        } else if !is_scp_style(remote) {
            return None;
        }
        let (reference, subdir) = match fragment {
            None => (None, None),
            Some(f) => {
                let (r, d) = match f.split_once(':') {
                    Some((r, d)) => (r, Some(d)),
                    None => (f, None),
                };
                let subdir = d
                    .map(|d| d.trim_matches('/'))
                    .filter(|d| !d.is_empty() && *d != ".")
                    .map(str::to_string);
                ((!r.is_empty()).then(|| r.to_string()), subdir)
            }
        };
        Some(GitUrl {
            remote: remote.to_string(),
            reference,
            subdir,
        })
    }

    /// A build context as `docker build` and buildx name one: also
    /// `github.com/ORG/REPO`, which an `ADD` takes for a local path.
    pub fn parse_context(source: &str) -> Option<GitUrl> {
        match source.strip_prefix("github.com/") {
            Some(rest) => GitUrl::parse(&format!("https://github.com/{rest}")).or_else(|| {
                let (repo, frag) = rest.split_once('#').unwrap_or((rest, ""));
                let sep = if frag.is_empty() { "" } else { "#" };
                GitUrl::parse(&format!("https://github.com/{repo}.git{sep}{frag}"))
            }),
            None => GitUrl::parse(source),
        }
    }
}

/// `user@host:path`, BuildKit's `sshutil` pattern
/// `^[a-zA-Z0-9-_]+@[a-zA-Z0-9-.]+:.*`.
fn is_scp_style(s: &str) -> bool {
    let Some((user, rest)) = s.split_once('@') else {
        return false;
    };
    let Some((host, _path)) = rest.split_once(':') else {
        return false;
    };
    let user_ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let host_ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    !user.is_empty() && user.chars().all(user_ok) && !host.is_empty() && host.chars().all(host_ok)
}

/// `scheme://user:PASSWORD@host/...` as `scheme://user:xxxxx@host/...`
/// (BuildKit's redaction); None when the URL has no password.
pub fn redacted(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let (userinfo, host) = authority.rsplit_once('@')?;
    let (user, _password) = userinfo.split_once(':')?;
    Some(format!("{scheme}://{user}:xxxxx@{host}{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_password_is_redacted() {
        assert_eq!(
            redacted("https://me:s3cret@host:8080/r.git").as_deref(),
            Some("https://me:xxxxx@host:8080/r.git")
        );
        assert_eq!(redacted("https://host/r.git"), None);
        assert_eq!(redacted("ssh://git@host/r.git"), None);
        assert_eq!(redacted("git@host:r.git"), None);
    }

    fn git(remote: &str, reference: Option<&str>, subdir: Option<&str>) -> Option<GitUrl> {
        Some(GitUrl {
            remote: remote.into(),
            reference: reference.map(Into::into),
            subdir: subdir.map(Into::into),
        })
    }

    #[test]
    fn https_urls_are_repositories_only_with_the_git_suffix() {
        assert_eq!(
            GitUrl::parse("https://github.com/moby/buildkit.git#v0.10.1:docs"),
            git(
                "https://github.com/moby/buildkit.git",
                Some("v0.10.1"),
                Some("docs")
            )
        );
        assert_eq!(GitUrl::parse("https://example.com/archive.zip"), None);
        assert_eq!(
            GitUrl::parse("http://example.com/a.git?x=1"),
            git("http://example.com/a.git?x=1", None, None)
        );
    }

    #[test]
    fn git_ssh_and_scp_forms_are_repositories() {
        assert_eq!(
            GitUrl::parse("git@github.com:moby/buildkit.git#v0.14.1:docs"),
            git(
                "git@github.com:moby/buildkit.git",
                Some("v0.14.1"),
                Some("docs")
            )
        );
        assert_eq!(
            GitUrl::parse("git://127.0.0.1:9418/repo.git#main"),
            git("git://127.0.0.1:9418/repo.git", Some("main"), None)
        );
        assert_eq!(
            GitUrl::parse("ssh://git@host/repo#:sub/dir/"),
            git("ssh://git@host/repo", None, Some("sub/dir"))
        );
    }

    #[test]
    fn local_paths_and_other_schemes_are_not() {
        for s in [
            "file.txt",
            "./a@b:c",
            "dir/x.git",
            "ftp://h/r.git",
            "github.com/moby/buildkit",
        ] {
            assert_eq!(GitUrl::parse(s), None, "{s}");
        }
    }

    #[test]
    fn a_context_may_name_github_without_a_scheme() {
        assert_eq!(
            GitUrl::parse_context("github.com/moby/buildkit#master:docs"),
            git(
                "https://github.com/moby/buildkit.git",
                Some("master"),
                Some("docs")
            )
        );
    }
}
