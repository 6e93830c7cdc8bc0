//! `COPY` and `ADD`: sources, destination and their flags.

use serde::Serialize;

use super::flags::{Flags, Kind, parse_flags};
use crate::ast::heredoc_name;
use crate::ast::{Heredoc, Node};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Copy {
    /// Paths (and globs) as written; heredoc sources are in `heredocs`.
    pub sources: Vec<String>,
    pub dest: String,
    pub from: Option<String>,
    pub chown: Option<String>,
    pub chmod: Option<String>,
    pub link: bool,
    pub parents: bool,
    pub exclude: Vec<String>,
    pub heredocs: Vec<Heredoc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Add {
    pub sources: Vec<String>,
    pub dest: String,
    pub chown: Option<String>,
    pub chmod: Option<String>,
    pub link: bool,
    pub keep_git_dir: bool,
    pub checksum: Option<String>,
    /// None: decide by source kind (local archives unpack, URLs do not).
    pub unpack: Option<bool>,
    pub exclude: Vec<String>,
    pub heredocs: Vec<Heredoc>,
}

struct Parts {
    sources: Vec<String>,
    dest: String,
    heredocs: Vec<Heredoc>,
}

fn split_sources(
    kw: &str,
    node: &Node,
    values: &[&str],
    heredocs: &[Heredoc],
) -> Result<Parts, String> {
    let Some((dest, srcs)) = values.split_last().filter(|(_, s)| !s.is_empty()) else {
        return Err(format!(
            "{kw} requires at least two arguments, but only one was provided. Destination could not be determined"
        ));
    };
    let is_heredoc = |w: &str| {
        !node.json && heredoc_name(w).is_some_and(|n| heredocs.iter().any(|h| h.name == n))
    };
    if is_heredoc(dest) {
        return Err(format!("{kw} cannot use a heredoc as the destination"));
    }
    let mut sources = Vec::new();
    let mut used = Vec::new();
    for s in srcs {
        match heredoc_name(s).filter(|_| is_heredoc(s)) {
            Some(n) => used.extend(heredocs.iter().filter(|h| h.name == n).cloned()),
            None => sources.push(s.to_string()),
        }
    }
    Ok(Parts {
        sources,
        dest: dest.to_string(),
        heredocs: used,
    })
}

fn check_chmod(flags: &Flags) -> Result<Option<String>, String> {
    let chmod = flags.string("chmod");
    if let Some(c) = &chmod
        && !c.contains('$')
    {
        let octal_ok = !c.is_empty()
            && c.chars().all(|d| ('0'..='7').contains(&d))
            && u32::from_str_radix(c, 8).is_ok_and(|m| m <= 0o7777);
        let symbolic_ok = !c.is_empty()
            && c.split(',').all(|clause| {
                let who_end = clause
                    .find(|ch: char| !"ugoa".contains(ch))
                    .unwrap_or(clause.len());
                let rest = &clause[who_end..];
                !rest.is_empty()
                    && rest.starts_with(['+', '-', '='])
                    && rest.chars().all(|ch| "+-=rwxXstugo".contains(ch))
            });
        if !octal_ok && !symbolic_ok {
            return Err(format!("invalid chmod parameter: {c}"));
        }
    }
    Ok(chmod)
}

pub(super) fn parse_copy(
    node: &Node,
    values: &[&str],
    heredocs: &[Heredoc],
) -> Result<Copy, String> {
    let flags = parse_flags(
        &node.flags,
        &[
            ("from", Kind::String),
            ("chown", Kind::String),
            ("chmod", Kind::String),
            ("link", Kind::Bool),
            ("parents", Kind::Bool),
            ("exclude", Kind::List),
        ],
    )?;
    let p = split_sources("COPY", node, values, heredocs)?;
    if let Some(url) = p.sources.iter().find(|s| s.contains("://")) {
        return Err(format!("source can't be a URL for COPY: {url}"));
    }
    Ok(Copy {
        sources: p.sources,
        dest: p.dest,
        from: flags.string("from"),
        chown: flags.string("chown"),
        chmod: check_chmod(&flags)?,
        link: flags.bool("link"),
        parents: flags.bool("parents"),
        exclude: flags.list("exclude"),
        heredocs: p.heredocs,
    })
}

/// `sha256:<64 hex>` for URLs, or a full or abbreviated git commit.
fn valid_checksum(c: &str) -> bool {
    let hex = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.chars().all(|ch| ch.is_ascii_hexdigit())
    };
    match c.strip_prefix("sha256:") {
        Some(d) => hex(d, 64..=64),
        None => hex(c, 7..=64),
    }
}

pub(super) fn parse_add(node: &Node, values: &[&str], heredocs: &[Heredoc]) -> Result<Add, String> {
    let flags = parse_flags(
        &node.flags,
        &[
            ("chown", Kind::String),
            ("chmod", Kind::String),
            ("link", Kind::Bool),
            ("keep-git-dir", Kind::Bool),
            ("checksum", Kind::String),
            ("unpack", Kind::Bool),
            ("exclude", Kind::List),
        ],
    )?;
    let p = split_sources("ADD", node, values, heredocs)?;
    let checksum = flags.string("checksum");
    if checksum.is_some() && p.sources.len() != 1 {
        return Err("checksum can't be specified for multiple sources".into());
    }
    if let Some(c) = checksum.as_deref().filter(|c| !c.contains('$'))
        && !valid_checksum(c)
    {
        return Err(format!(
            "invalid checksum \"{c}\": expected sha256:<64 hex digits> or a git commit (hex)"
        ));
    }
    Ok(Add {
        sources: p.sources,
        dest: p.dest,
        chown: flags.string("chown"),
        chmod: check_chmod(&flags)?,
        link: flags.bool("link"),
        keep_git_dir: flags.bool("keep-git-dir"),
        checksum,
        unpack: flags.opt_bool("unpack"),
        exclude: flags.list("exclude"),
        heredocs: p.heredocs,
    })
}
