//! Builder flags (`--name=value`) checked against what an instruction accepts.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    String,
    /// May repeat; every value is kept.
    List,
}

/// The flags one instruction was given, after checking.
#[derive(Debug, Default)]
pub(crate) struct Flags {
    values: BTreeMap<&'static str, Vec<String>>,
}

/// Checks `raw` (each `--name[=value]`) against `allowed`.
pub(crate) fn parse_flags(
    raw: &[String],
    allowed: &[(&'static str, Kind)],
) -> Result<Flags, String> {
    let mut flags = Flags::default();
    for arg in raw {
        let Some(body) = arg.strip_prefix("--") else {
            return Err(format!("arg should start with -- : {arg}"));
        };
        if body.is_empty() {
            break;
        }
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        let Some(&(key, kind)) = allowed.iter().find(|(k, _)| *k == name) else {
            return Err(unknown_flag(name, allowed));
        };
        let slot = flags.values.entry(key).or_default();
        if !slot.is_empty() && kind != Kind::List {
            return Err(format!("duplicate flag specified: {name}"));
        }
        match kind {
            Kind::Bool => {
                let v = match value.map(str::to_ascii_lowercase).as_deref() {
                    None => "true".to_string(),
                    Some("") => return Err(format!("missing a value on flag: {name}")),
                    Some("true") => "true".into(),
                    Some("false") => "false".into(),
                    Some(_) => {
                        return Err(format!(
                            "expecting boolean value for flag {name}, not: {}",
                            value.unwrap_or_default()
                        ));
                    }
                };
                slot.push(v);
            }
            Kind::String | Kind::List => match value {
                Some(v) => slot.push(v.to_string()),
                None => return Err(format!("missing a value on flag: {name}")),
            },
        }
    }
    Ok(flags)
}

fn unknown_flag(name: &str, allowed: &[(&'static str, Kind)]) -> String {
    let close = allowed
        .iter()
        .map(|(k, _)| *k)
        .find(|k| edit_distance(k, name) <= 2 || k.starts_with(name));
    match close {
        Some(k) if !name.is_empty() => format!("unknown flag: --{name} (did you mean --{k}?)"),
        _ => format!("unknown flag: --{name}"),
    }
}

pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

impl Flags {
    pub fn string(&self, name: &str) -> Option<String> {
        self.values.get(name).and_then(|v| v.last().cloned())
    }

    pub fn bool(&self, name: &str) -> bool {
        self.string(name).as_deref() == Some("true")
    }

    /// A bool flag that was given, or None when absent.
    pub fn opt_bool(&self, name: &str) -> Option<bool> {
        self.string(name).map(|v| v == "true")
    }

    pub fn list(&self, name: &str) -> Vec<String> {
        self.values.get(name).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOWED: &[(&str, Kind)] = &[
        ("link", Kind::Bool),
        ("from", Kind::String),
        ("exclude", Kind::List),
    ];

    fn p(v: &[&str]) -> Result<Flags, String> {
        parse_flags(
            &v.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            ALLOWED,
        )
    }

    #[test]
    fn bool_forms() {
        assert!(p(&["--link"]).unwrap().bool("link"));
        assert!(!p(&["--link=FALSE"]).unwrap().bool("link"));
        assert!(p(&["--link="]).is_err());
        assert!(p(&["--link=maybe"]).is_err());
    }

    #[test]
    fn strings_need_values_and_do_not_repeat() {
        assert!(p(&["--from"]).is_err());
        assert!(
            p(&["--from=a", "--from=b"])
                .unwrap_err()
                .contains("duplicate")
        );
        assert_eq!(
            p(&["--exclude=a", "--exclude=b"])
                .unwrap()
                .list("exclude")
                .len(),
            2
        );
    }

    #[test]
    fn unknown_flag_suggests() {
        assert_eq!(
            p(&["--lnk"]).unwrap_err(),
            "unknown flag: --lnk (did you mean --link?)"
        );
    }
}
