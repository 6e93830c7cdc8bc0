//! A service's config hash: what the `com.docker.compose.config-hash` label
//! of its containers will hold, so `up` can tell which containers an edit
//! made stale. As docker compose's ServiceHash, the attributes that do not
//! change a container are left out (build, pull_policy, scale and
//! deploy.replicas, depends_on, profiles); the rest is hashed as canonical
//! JSON (sorted keys), sha256 in hex.

use serde_json::Value;
use sha2::{Digest, Sha256};

pub fn service_hash(service: &Value) -> String {
    let mut v = service.clone();
    if let Some(o) = v.as_object_mut() {
        for k in ["build", "pull_policy", "scale", "depends_on", "profiles"] {
            o.remove(k);
        }
        if let Some(Value::Object(d)) = o.get_mut("deploy") {
            d.remove("replicas");
            if d.is_empty() {
                o.remove("deploy");
            }
        }
    }
    // serde_json's map is ordered by key (no preserve_order in this
    // workspace), so this text is canonical.
    let text = v.to_string();
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scaling_and_ordering_do_not_change_the_hash_an_edit_does() {
        let base = json!({"image": "busybox", "environment": {"A": "1"}, "scale": 1});
        let scaled = json!({"scale": 3, "environment": {"A": "1"}, "image": "busybox", "depends_on": {"db": {}}});
        let edited = json!({"image": "busybox", "environment": {"A": "2"}});
        assert_eq!(service_hash(&base), service_hash(&scaled));
        assert_ne!(service_hash(&base), service_hash(&edited));
        assert_eq!(service_hash(&base).len(), 64);
    }
}
