//! `strata login` / `strata logout`: docker's credentials file, so docker,
//! skopeo, buildah and strata share logins. Credentials are checked against
//! the registry before they are saved.

use std::io::Read;
use std::path::PathBuf;

use miette::{IntoDiagnostic, Result, miette};
use strata_store::registry::auth::config::{self, AuthFile};
use strata_store::registry::{ClientOptions, Credentials, DOCKER_HUB, RegistryClient};

use crate::cli::{LoginArgs, LogoutArgs};

pub fn login(args: &LoginArgs) -> Result<i32> {
    let host = server_host(args.server.as_deref())?;
    let username = args
        .username
        .clone()
        .ok_or_else(|| miette!("login needs --username"))?;
    let password = match (&args.password, args.password_stdin) {
        (Some(p), _) => p.clone(),
        (None, true) => {
            let mut p = String::new();
            std::io::stdin().read_to_string(&mut p).into_diagnostic()?;
            p.trim_end_matches(['\n', '\r']).to_owned()
        }
        (None, false) => return Err(miette!("login needs --password-stdin or --password")),
    };
    if password.is_empty() {
        return Err(miette!("the password is empty"));
    }
    let creds = Credentials { username, password };
    let client = RegistryClient::new(
        &host,
        &ClientOptions {
            credentials: Some(creds.clone()),
            tls_verify: args.tls_verify,
            ..ClientOptions::default()
        },
    );
    client.check().map_err(|e| miette!("{e}"))?;
    let path = authfile(args.authfile.clone())?;
    let mut file = AuthFile::load(&path).map_err(|e| miette!("{e}"))?;
    file.set(&host, &creds);
    file.save().map_err(|e| miette!("{e}"))?;
    println!("Login Succeeded ({host}, saved in {})", path.display());
    Ok(0)
}

pub fn logout(args: &LogoutArgs) -> Result<i32> {
    let host = server_host(args.server.as_deref())?;
    let path = authfile(args.authfile.clone())?;
    let mut file = AuthFile::load(&path).map_err(|e| miette!("{e}"))?;
    if !file.remove(&host) {
        return Err(miette!("not logged in to {host} (in {})", path.display()));
    }
    file.save().map_err(|e| miette!("{e}"))?;
    println!("Removed login credentials for {host}");
    Ok(0)
}

fn authfile(given: Option<PathBuf>) -> Result<PathBuf> {
    given
        .or_else(config::default_path)
        .ok_or_else(|| miette!("no credentials file: set HOME, DOCKER_CONFIG or --authfile"))
}

/// Accepts `host[:port]`, `https://host[:port]/...` or nothing (Docker Hub).
fn server_host(server: Option<&str>) -> Result<String> {
    let Some(s) = server else {
        return Ok(DOCKER_HUB.to_owned());
    };
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let host = s.split('/').next().unwrap_or(s);
    let host = match host {
        "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB,
        h => h,
    };
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    if valid {
        Ok(host.to_owned())
    } else {
        Err(miette!("invalid registry {s:?}: expected HOST[:PORT]"))
    }
}
