//! `RUN --mount=...` values: a CSV list of `key=value` (or bare `key`)
//! fields, typed per mount type.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sharing {
    Shared,
    Private,
    Locked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Mount {
    Bind {
        target: String,
        source: Option<String>,
        from: Option<String>,
        rw: bool,
    },
    Cache {
        id: Option<String>,
        target: String,
        sharing: Sharing,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        from: Option<String>,
        source: Option<String>,
        ro: bool,
    },
    Tmpfs {
        target: String,
        size: Option<u64>,
    },
    Secret {
        id: Option<String>,
        target: Option<String>,
        env: Option<String>,
        required: bool,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
    },
    Ssh {
        id: Option<String>,
        target: Option<String>,
        required: bool,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
    },
}

impl Mount {
    /// The stage or image this mount reads from, if any.
    pub fn from(&self) -> Option<&str> {
        match self {
            Mount::Bind { from, .. } | Mount::Cache { from, .. } => from.as_deref(),
            _ => None,
        }
    }
}

/// Splits one CSV record (Go encoding/csv rules: `"` quotes, `""` inside).
pub(crate) fn csv_fields(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    let mut at_start = true;
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
            continue;
        }
        match c {
            ',' => {
                out.push(std::mem::take(&mut cur));
                at_start = true;
                continue;
            }
            '"' if at_start => quoted = true,
            '"' => return Err(format!("bare \" in non-quoted field: {s}")),
            c => cur.push(c),
        }
        at_start = false;
    }
    if quoted {
        return Err(format!("extraneous or missing \" in quoted field: {s}"));
    }
    out.push(cur);
    Ok(out)
}

fn parse_bool(key: &str, v: Option<&str>) -> Result<bool, String> {
    match v.map(str::to_ascii_lowercase).as_deref() {
        None | Some("true") | Some("1") => Ok(true),
        Some("false") | Some("0") => Ok(false),
        Some(o) => Err(format!("invalid value for {key}: {o}")),
    }
}

fn parse_u32(key: &str, v: &str, radix: u32) -> Result<u32, String> {
    u32::from_str_radix(v, radix).map_err(|_| format!("invalid value for {key}: {v}"))
}

/// go-units RAMInBytes, as BuildKit reads a tmpfs size.
pub(crate) fn parse_size(v: &str) -> Option<u64> {
    crate::size::ByteSize::parse_binary(v).ok().map(|b| b.0)
}

#[derive(Default)]
struct Fields {
    typ: Option<String>,
    target: Option<String>,
    source: Option<String>,
    from: Option<String>,
    id: Option<String>,
    env: Option<String>,
    rw: Option<bool>,
    required: Option<bool>,
    sharing: Option<Sharing>,
    mode: Option<u32>,
    uid: Option<u32>,
    gid: Option<u32>,
    size: Option<u64>,
}

/// Parses one `--mount` value. Values holding a `$` are not checked for
/// numbers yet: they are expanded at build time and parsed again then.
pub fn parse_mount(spec: &str) -> Result<Mount, String> {
    let mut f = Fields::default();
    for field in csv_fields(spec)? {
        let (key, value) = match field.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.trim().to_string())),
            None => (field.trim().to_ascii_lowercase(), None),
        };
        let need = |v: &Option<String>| -> Result<String, String> {
            v.clone()
                .ok_or_else(|| format!("invalid field '{field}' must be a key=value pair"))
        };
        let deferred = value.as_deref().is_some_and(|v| v.contains('$'));
        match key.as_str() {
            "type" => f.typ = Some(need(&value)?.to_ascii_lowercase()),
            "target" | "dst" | "destination" => f.target = Some(need(&value)?),
            "source" | "src" => f.source = Some(need(&value)?),
            "from" => f.from = Some(need(&value)?),
            "id" => f.id = Some(need(&value)?),
            "env" => f.env = Some(need(&value)?),
            "ro" | "readonly" => f.rw = Some(!parse_bool(&key, value.as_deref())?),
            "rw" | "readwrite" => f.rw = Some(parse_bool(&key, value.as_deref())?),
            "required" => f.required = Some(parse_bool(&key, value.as_deref())?),
            "sharing" => {
                f.sharing = Some(match need(&value)?.to_ascii_lowercase().as_str() {
                    "shared" => Sharing::Shared,
                    "private" => Sharing::Private,
                    "locked" => Sharing::Locked,
                    o => return Err(format!("unsupported sharing value \"{o}\"")),
                })
            }
            "mode" if !deferred => f.mode = Some(parse_u32(&key, &need(&value)?, 8)?),
            "uid" if !deferred => f.uid = Some(parse_u32(&key, &need(&value)?, 10)?),
            "gid" if !deferred => f.gid = Some(parse_u32(&key, &need(&value)?, 10)?),
            "size" if !deferred => {
                let v = need(&value)?;
                f.size = Some(parse_size(&v).ok_or_else(|| format!("invalid value for size: {v}"))?)
            }
            "mode" | "uid" | "gid" | "size" => {}
            _ => return Err(format!("unexpected key '{key}' in '{field}'")),
        }
    }
    build(f)
}

fn build(f: Fields) -> Result<Mount, String> {
    let typ = f.typ.clone().unwrap_or_else(|| "bind".into());
    let only = |ok: bool, what: &str| -> Result<(), String> {
        if ok {
            Ok(())
        } else {
            Err(format!("{what} is not allowed for mount type {typ}"))
        }
    };
    let is = |t: &[&str]| t.contains(&typ.as_str());
    only(f.mode.is_none() || is(&["cache", "secret", "ssh"]), "mode")?;
    only(
        f.uid.is_none() && f.gid.is_none() || is(&["cache", "secret", "ssh"]),
        "uid/gid",
    )?;
    only(f.size.is_none() || is(&["tmpfs"]), "size")?;
    only(f.required.is_none() || is(&["secret", "ssh"]), "required")?;
    only(f.sharing.is_none() || is(&["cache"]), "sharing")?;
    only(f.from.is_none() || is(&["bind", "cache"]), "from")?;
    only(f.env.is_none() || is(&["secret"]), "env")?;
    // BuildKit resolves a relative target against WORKDIR, and a missing
    // one means WORKDIR itself.
    let target = || -> Result<String, String> {
        match &f.target {
            Some(t) if t == "/" => Err("invalid mount target \"/\"".into()),
            Some(t) if !t.is_empty() => Ok(t.clone()),
            _ => Ok(".".into()),
        }
    };
    Ok(match typ.as_str() {
        "bind" => Mount::Bind {
            target: target()?,
            source: f.source,
            from: f.from,
            rw: f.rw.unwrap_or(false),
        },
        "cache" => Mount::Cache {
            target: target()?,
            id: f.id,
            sharing: f.sharing.unwrap_or(Sharing::Shared),
            mode: f.mode,
            uid: f.uid,
            gid: f.gid,
            from: f.from,
            source: f.source,
            ro: f.rw == Some(false),
        },
        "tmpfs" => Mount::Tmpfs {
            target: target()?,
            size: f.size,
        },
        "secret" => {
            if f.source.is_some() && f.id.is_some() {
                return Err("both source and id can't be set".into());
            }
            if f.target.is_none() && f.id.is_none() && f.source.is_none() && f.env.is_none() {
                return Err("one of target, id or env is required for secret mount".into());
            }
            Mount::Secret {
                id: f.id.or(f.source),
                target: f.target,
                env: f.env,
                required: f.required.unwrap_or(false),
                mode: f.mode,
                uid: f.uid,
                gid: f.gid,
            }
        }
        "ssh" => Mount::Ssh {
            id: f.id,
            target: f.target,
            required: f.required.unwrap_or(false),
            mode: f.mode,
            uid: f.uid,
            gid: f.gid,
        },
        o => return Err(format!("unsupported mount type \"{o}\"")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_type_is_bind_and_target_is_workdir() {
        assert!(
            matches!(parse_mount("from=x").unwrap(), Mount::Bind { target, .. } if target == ".")
        );
        assert_eq!(
            parse_mount("target=.").unwrap(),
            Mount::Bind {
                target: ".".into(),
                source: None,
                from: None,
                rw: false
            }
        );
    }

    #[test]
    fn cache_with_options() {
        let m = parse_mount("type=cache,target=/c,sharing=locked,mode=0700,uid=1").unwrap();
        let Mount::Cache {
            sharing, mode, uid, ..
        } = m
        else {
            panic!("not a cache mount")
        };
        assert_eq!(
            (sharing, mode, uid),
            (Sharing::Locked, Some(0o700), Some(1))
        );
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(parse_mount("type=nope,target=/x").is_err());
        assert!(parse_mount("type=cache,target=/").is_err());
        assert!(parse_mount("type=tmpfs,target=/t,size=lots").is_err());
        assert!(parse_mount("type=bind,target=/t,sharing=locked").is_err());
        assert!(parse_mount("target=/t,bogus=1").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64m"), Some(64 << 20));
        assert_eq!(parse_size("1GiB"), Some(1 << 30));
    }
}
