//! `!reset` and `!override` (the spec's 13-merge.md): carried through the
//! JSON form as markers (see [`crate::node::RESET`]) until the last merge,
//! then removed.

use serde_json::Value;

use crate::node::{OVERRIDE, RESET};

pub fn is_override(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.len() == 1 && o.contains_key(OVERRIDE))
}

/// After the last merge: `!reset` keys removed, `!override` values unwrapped.
pub fn strip_merge_tags(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.retain(|_, x| x.as_str() != Some(RESET));
            for x in o.values_mut() {
                if let Some(inner) = x
                    .as_object_mut()
                    .filter(|m| m.len() == 1)
                    .and_then(|m| m.remove(OVERRIDE))
                {
                    *x = inner;
                }
                strip_merge_tags(x);
            }
        }
        Value::Array(a) => {
            a.retain(|x| x.as_str() != Some(RESET));
            a.iter_mut().for_each(strip_merge_tags);
        }
        _ => {}
    }
}
