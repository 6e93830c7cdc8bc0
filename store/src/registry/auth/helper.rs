//! Docker credential helpers: `docker-credential-NAME get` reads a server
//! URL on stdin and prints `{"Username":..,"Secret":..}`.

use std::io::Write;
use std::process::{Command, Stdio};

use serde::Deserialize;

use super::Credentials;
use crate::registry::error::{RegistryError, Result};

#[derive(Deserialize)]
struct HelperReply {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

pub fn get(helper: &str, server: &str) -> Result<Option<Credentials>> {
    let fail = |reason: String| RegistryError::CredentialHelper {
        helper: helper.to_owned(),
        reason,
    };
    if !helper
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(fail("invalid helper name".into()));
    }
    let mut child = Command::new(format!("docker-credential-{helper}"))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(server.as_bytes())
            .map_err(|e| fail(e.to_string()))?;
    }
    let out = child.wait_with_output().map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stdout);
        // Helpers report "credentials not found" on stdout with a failure status.
        if said.to_ascii_lowercase().contains("not found") {
            return Ok(None);
        }
        return Err(fail(format!("{}: {}", out.status, said.trim())));
    }
    let reply: HelperReply =
        serde_json::from_slice(&out.stdout).map_err(|e| fail(format!("bad reply: {e}")))?;
    Ok(Some(Credentials {
        username: reply.username,
        password: reply.secret,
    }))
}
