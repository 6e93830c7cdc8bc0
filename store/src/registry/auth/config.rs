//! Docker's credentials file (`config.json`): read by `pull`/`push`,
//! written by `strata login`, so docker, skopeo, buildah and strata share
//! logins.
//!
//! Which file: `--authfile`, else `$REGISTRY_AUTH_FILE` (skopeo's and
//! buildah's variable), else `$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json` (docker's own lookup). Keys of `auths` may be a
//! bare host or a URL (`https://index.docker.io/v1/`); both are matched.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{Map, Value};

use super::Credentials;
use super::helper;
use crate::registry::error::{RegistryError, Result};

const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

pub fn default_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REGISTRY_AUTH_FILE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    if let Some(d) = std::env::var_os("DOCKER_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(d).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|p| !p.is_empty())
        .map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

/// The file as JSON, so the keys we do not know (docker's other settings)
/// survive a `strata login` untouched.
#[derive(Debug, Default)]
pub struct AuthFile {
    path: PathBuf,
    doc: Map<String, Value>,
}

impl AuthFile {
    /// A missing file is an empty one.
    pub fn load(path: &Path) -> Result<AuthFile> {
        let bad = |reason: String| RegistryError::CredentialsFile {
            path: path.display().to_string(),
            reason,
        };
        let doc = match fs::read(path) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Map::new(),
            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(m)) => m,
                Ok(_) => return Err(bad("not a JSON object".into())),
                Err(e) => return Err(bad(e.to_string())),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
            Err(e) => return Err(bad(e.to_string())),
        };
        Ok(AuthFile {
            path: path.to_owned(),
            doc,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Credentials for `host` (as written in image names): a per-registry
    /// helper, then `auths`, then the global `credsStore` helper.
    pub fn lookup(&self, host: &str) -> Result<Option<Credentials>> {
        let keys = candidate_keys(host);
        if let Some(Value::Object(helpers)) = self.doc.get("credHelpers") {
            for k in &keys {
                if let Some(Value::String(name)) = helpers.get(k) {
                    return helper::get(name, &helper_server(host));
                }
            }
        }
        if let Some(Value::Object(auths)) = self.doc.get("auths") {
            for (key, entry) in auths {
                if keys.iter().any(|k| normalize_key(key) == *k)
                    && let Some(c) = self.decode_entry(key, entry)?
                {
                    return Ok(Some(c));
                }
            }
        }
        if let Some(Value::String(name)) = self.doc.get("credsStore") {
            return helper::get(name, &helper_server(host));
        }
        Ok(None)
    }

    fn decode_entry(&self, key: &str, entry: &Value) -> Result<Option<Credentials>> {
        let bad = |reason: &str| RegistryError::CredentialsFile {
            path: self.path.display().to_string(),
            reason: format!("auths.{key:?}: {reason}"),
        };
        if let Some(Value::String(token)) = entry.get("identitytoken")
            && !token.is_empty()
        {
            return Ok(Some(Credentials {
                username: "<token>".into(),
                password: token.clone(),
            }));
        }
        let Some(Value::String(auth)) = entry.get("auth") else {
            return Ok(None);
        };
        let raw = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| bad("auth is not base64"))?;
        let raw = String::from_utf8(raw).map_err(|_| bad("auth is not UTF-8"))?;
        let (username, password) = raw
            .split_once(':')
            .ok_or_else(|| bad("auth is not base64 of user:password"))?;
        Ok(Some(Credentials {
            username: username.to_owned(),
            password: password.to_owned(),
        }))
    }

    /// Records credentials in `auths` as docker does (base64 user:password).
    pub fn set(&mut self, host: &str, creds: &Credentials) {
        let raw = format!("{}:{}", creds.username, creds.password);
        let mut entry = Map::new();
        entry.insert(
            "auth".into(),
            Value::String(base64::engine::general_purpose::STANDARD.encode(raw)),
        );
        let key = storage_key(host);
        self.with_auths(|auths| {
            auths.retain(|k, _| normalize_key(k) != normalize_key(&key));
            auths.insert(key, Value::Object(entry));
        });
    }

    /// Returns whether there was anything to remove.
    pub fn remove(&mut self, host: &str) -> bool {
        let key = normalize_key(&storage_key(host));
        self.with_auths(|auths| {
            let before = auths.len();
            auths.retain(|k, _| normalize_key(k) != key);
            before != auths.len()
        })
    }

    /// Runs `f` on the `auths` object, creating it (or replacing a
    /// non-object there) as needed.
    fn with_auths<R>(&mut self, f: impl FnOnce(&mut Map<String, Value>) -> R) -> R {
        let mut auths = match self.doc.remove("auths") {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let r = f(&mut auths);
        self.doc.insert("auths".into(), Value::Object(auths));
        r
    }

    /// Written beside the target and renamed over it, mode 0600: a crash
    /// never leaves a half file, and no one else reads the passwords.
    pub fn save(&self) -> Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let io = |what: &str| RegistryError::io(format!("{what} {}", self.path.display()));
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(io("create the directory of"))?;
        let sorted: BTreeMap<_, _> = self.doc.iter().collect();
        let mut bytes =
            serde_json::to_vec_pretty(&sorted).map_err(|e| RegistryError::CredentialsFile {
                path: self.path.display().to_string(),
                reason: e.to_string(),
            })?;
        bytes.push(b'\n');
        let tmp = dir.join(format!(
            ".{}.tmp{}",
            self.path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("config.json"),
            std::process::id()
        ));
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io("write"))?;
        f.write_all(&bytes).map_err(io("write"))?;
        f.sync_all().map_err(io("sync"))?;
        fs::rename(&tmp, &self.path).map_err(io("replace"))?;
        Ok(())
    }
}

/// Docker Hub's credentials live under its old v1 URL.
fn storage_key(host: &str) -> String {
    if host == crate::registry::reference::DOCKER_HUB {
        DOCKER_HUB_KEY.to_owned()
    } else {
        host.to_owned()
    }
}

fn helper_server(host: &str) -> String {
    storage_key(host)
}

fn candidate_keys(host: &str) -> Vec<String> {
    let mut keys = vec![host.to_owned()];
    if host == crate::registry::reference::DOCKER_HUB {
        keys.extend([
            "index.docker.io".to_owned(),
            "registry-1.docker.io".to_owned(),
        ]);
    }
    keys
}

/// `https://host/v1/` -> `host`, so URL-style keys match bare hosts.
fn normalize_key(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = k.split('/').next().unwrap_or(k);
    if host == "index.docker.io" || host == "registry-1.docker.io" {
        crate::registry::reference::DOCKER_HUB.to_owned()
    } else {
        host.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(u: &str, p: &str) -> Credentials {
        Credentials {
            username: u.into(),
            password: p.into(),
        }
    }

    #[test]
    fn reads_docker_written_entries_by_bare_host_or_url() -> Result<()> {
        let dir = tempfile::tempdir().map_err(RegistryError::io("tempdir"))?;
        let path = dir.path().join("config.json");
        // "alice:s3cret" and "bob:pw:with:colons"
        fs::write(
            &path,
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"YWxpY2U6czNjcmV0"},
                "reg.example:5000":{"auth":"Ym9iOnB3OndpdGg6Y29sb25z"}},"psFormat":"x"}"#,
        )
        .map_err(RegistryError::io("write"))?;
        let f = AuthFile::load(&path)?;
        assert_eq!(f.lookup("docker.io")?, Some(creds("alice", "s3cret")));
        assert_eq!(
            f.lookup("reg.example:5000")?,
            Some(creds("bob", "pw:with:colons"))
        );
        assert_eq!(f.lookup("other.example")?, None);
        Ok(())
    }

    #[test]
    fn set_then_save_round_trips_and_keeps_other_settings() -> Result<()> {
        let dir = tempfile::tempdir().map_err(RegistryError::io("tempdir"))?;
        let path = dir.path().join("sub/config.json");
        fs::create_dir_all(dir.path().join("sub")).map_err(RegistryError::io("mkdir"))?;
        fs::write(&path, r#"{"psFormat":"table"}"#).map_err(RegistryError::io("write"))?;
        let mut f = AuthFile::load(&path)?;
        f.set("localhost:5000", &creds("u", "p"));
        f.save()?;
        let again = AuthFile::load(&path)?;
        assert_eq!(again.lookup("localhost:5000")?, Some(creds("u", "p")));
        assert_eq!(
            again.doc.get("psFormat"),
            Some(&Value::String("table".into()))
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path)
            .map_err(RegistryError::io("stat"))?
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let mut again = again;
        assert!(again.remove("localhost:5000"));
        assert_eq!(again.lookup("localhost:5000")?, None);
        Ok(())
    }

    #[test]
    fn malformed_auth_is_a_clear_error() -> Result<()> {
        let dir = tempfile::tempdir().map_err(RegistryError::io("tempdir"))?;
        let path = dir.path().join("config.json");
        fs::write(&path, r#"{"auths":{"h":{"auth":"!!"}}}"#).map_err(RegistryError::io("write"))?;
        let err = AuthFile::load(&path)?
            .lookup("h")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("not base64")));
        Ok(())
    }
}
