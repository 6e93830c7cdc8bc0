//! The short volume syntax, `[SOURCE:]TARGET[:MODE]`, into compose's long form.

use serde_json::{Map, Value, json};

/// `[SOURCE:]TARGET[:MODE]`: a source that is a path makes a bind mount, a
/// name a named volume, none an anonymous volume.
pub fn short_volume(spec: &str) -> Result<Value, String> {
    let parts: Vec<&str> = split_volume(spec);
    let (source, target, mode) = match parts.as_slice() {
        [t] => (None, *t, None),
        [s, t] => (Some(*s), *t, None),
        [s, t, m] => (Some(*s), *t, Some(*m)),
        _ => return Err(format!("invalid volume specification {spec:?}")),
    };
    // `:/target` (an unset variable before the colon) is an anonymous volume.
    let source = source.filter(|s| !s.is_empty());
    if target.is_empty() {
        return Err(format!("invalid volume specification {spec:?}"));
    }
    let mut v = Map::new();
    let is_path = |s: &str| s.starts_with(['.', '/', '~']) || s.starts_with('$');
    let kind = match source {
        Some(s) if is_path(s) => "bind",
        _ => "volume",
    };
    v.insert("type".into(), json!(kind));
    if let Some(s) = source {
        v.insert("source".into(), json!(s));
    }
    v.insert("target".into(), json!(target));
    let mut bind = Map::new();
    let mut volume = Map::new();
    for opt in mode.unwrap_or("").split(',').filter(|o| !o.is_empty()) {
        match opt {
            "ro" => {
                v.insert("read_only".into(), json!(true));
            }
            "rw" => {}
            "z" | "Z" => {
                bind.insert("selinux".into(), json!(opt));
            }
            "nocopy" => {
                volume.insert("nocopy".into(), json!(true));
            }
            "shared" | "rshared" | "slave" | "rslave" | "private" | "rprivate" => {
                bind.insert("propagation".into(), json!(opt));
            }
            "consistent" | "cached" | "delegated" => {
                v.insert("consistency".into(), json!(opt));
            }
            _ => return Err(format!("invalid volume mode {opt:?} in {spec:?}")),
        }
    }
    if kind == "bind" {
        bind.insert("create_host_path".into(), json!(true));
        v.insert("bind".into(), Value::Object(bind));
    } else {
        v.insert("volume".into(), Value::Object(volume));
    }
    Ok(Value::Object(v))
}

/// Splits on `:` but not the one of a Windows drive letter (`C:\x:/y`).
fn split_volume(spec: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let bytes = spec.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b':' {
            let drive = i == start + 1
                && bytes[start].is_ascii_alphabetic()
                && matches!(bytes.get(i + 1), Some(b'\\' | b'/'));
            if !drive {
                parts.push(&spec[start..i]);
                start = i + 1;
            }
        }
    }
    parts.push(&spec[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_short_syntax() {
        assert_eq!(
            short_volume("./data:/data:ro").unwrap(),
            json!({"type": "bind", "source": "./data", "target": "/data", "read_only": true, "bind": {"create_host_path": true}})
        );
        assert_eq!(
            short_volume("db:/var/lib/db").unwrap(),
            json!({"type": "volume", "source": "db", "target": "/var/lib/db", "volume": {}})
        );
        assert_eq!(
            short_volume("/anon").unwrap(),
            json!({"type": "volume", "target": "/anon", "volume": {}})
        );
        assert!(short_volume("a:b:c:d").is_err());
    }
}
