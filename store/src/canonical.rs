//! Canonical JSON: object keys sorted at every depth, no insignificant
//! whitespace. oci-spec keeps labels and ports in HashMaps, so plain
//! serde_json output would change from run to run and so would digests.

use serde::Serialize;
use serde_json::Value;

use crate::error::StoreError;

pub fn to_vec<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let v = serde_json::to_value(value)?;
    let mut out = Vec::new();
    write_value(&v, &mut out)?;
    Ok(out)
}

fn write_value(v: &Value, out: &mut Vec<u8>) -> Result<(), StoreError> {
    match v {
        Value::Object(map) => {
            // Sort here rather than trusting serde_json's map order: a
            // dependency enabling `preserve_order` would silently change it.
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, k)?;
                out.push(b':');
                write_value(val, out)?;
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        scalar => serde_json::to_writer(&mut *out, scalar)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    #[test]
    fn keys_are_sorted_at_every_depth() {
        let mut m = HashMap::new();
        for k in ["zeta", "alpha", "mid"] {
            m.insert(k.to_owned(), HashMap::from([("b", 1), ("a", 2)]));
        }
        let out = super::to_vec(&m).map(String::from_utf8);
        assert_eq!(
            out.ok().and_then(Result::ok).as_deref(),
            Some(r#"{"alpha":{"a":2,"b":1},"mid":{"a":2,"b":1},"zeta":{"a":2,"b":1}}"#)
        );
    }
}
