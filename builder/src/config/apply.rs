//! How each metadata instruction changes the config, with docker build's
//! rules: ENV replaces a variable in place, WORKDIR resolves against the
//! previous one, ENTRYPOINT drops an inherited CMD unless this stage set
//! its own, a default PATH when the base has none, ONBUILD triggers of the
//! base are not inherited.

use std::collections::BTreeMap;

use super::DEFAULT_PATH;
use super::env_index::EnvIndex;
use super::types::{Empty, Healthcheck, History, ImageConfig};
use crate::context::clean::clean;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid port {0:?} in EXPOSE")]
pub struct BadPort(pub String);

/// The config of a stage being built.
#[derive(Debug, Clone)]
pub struct StageConfig {
    pub image: ImageConfig,
    cmd_set: bool,
    env_index: EnvIndex,
}

impl StageConfig {
    /// Starts a stage from its base's config; returns it with the base's
    /// ONBUILD triggers, which the caller runs first.
    pub fn from_base(mut image: ImageConfig) -> (Self, Vec<String>) {
        let triggers = image.config.on_build.take().unwrap_or_default();
        let env = image.config.env.get_or_insert_with(Vec::new);
        if !env.iter().any(|e| e.starts_with("PATH=")) {
            env.push(format!("PATH={DEFAULT_PATH}"));
        }
        let env_index = EnvIndex::of(env);
        (
            Self {
                image,
                cmd_set: false,
                env_index,
            },
            triggers,
        )
    }

    /// The environment as (name, value) pairs, in order.
    pub fn env(&self) -> Vec<(String, String)> {
        self.image
            .config
            .env
            .iter()
            .flatten()
            .map(|e| match e.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (e.clone(), String::new()),
            })
            .collect()
    }

    pub fn get_env(&self, name: &str) -> Option<String> {
        let env = self.image.config.env.as_deref().unwrap_or_default();
        self.env_index.get(env, name).map(str::to_string)
    }

    /// ENV: each pair replaces its variable in place, or is appended.
    pub fn set_env(&mut self, pairs: &[(String, String)]) {
        let env = self.image.config.env.get_or_insert_with(Vec::new);
        for (k, v) in pairs {
            let entry = format!("{k}={v}");
            match self.env_index.find(env, k) {
                Some(slot) => env[slot] = entry,
                None => {
                    env.push(entry);
                    self.env_index.push(k, env.len() - 1);
                }
            }
        }
    }

    pub fn add_labels(&mut self, pairs: &[(String, String)]) {
        let labels = self.image.config.labels.get_or_insert_with(BTreeMap::new);
        for (k, v) in pairs {
            labels.insert(k.clone(), v.clone());
        }
    }

    /// Adds ports like `80`, `53/udp`, `8000-8002/tcp`.
    pub fn expose(&mut self, ports: &[String]) -> Result<(), BadPort> {
        let map = self
            .image
            .config
            .exposed_ports
            .get_or_insert_with(BTreeMap::new);
        for spec in ports {
            let bad = || BadPort(spec.clone());
            let (range, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
            let proto = proto.to_ascii_lowercase();
            if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
                return Err(bad());
            }
            let (lo, hi) = range.split_once('-').unwrap_or((range, range));
            let lo: u16 = lo.parse().map_err(|_| bad())?;
            let hi: u16 = hi.parse().map_err(|_| bad())?;
            if lo > hi {
                return Err(bad());
            }
            for port in lo..=hi {
                map.insert(format!("{port}/{proto}"), Empty {});
            }
        }
        Ok(())
    }

    pub fn add_volumes(&mut self, paths: &[String]) {
        let map = self.image.config.volumes.get_or_insert_with(BTreeMap::new);
        for p in paths {
            map.insert(p.clone(), Empty {});
        }
    }

    pub fn set_user(&mut self, user: &str) {
        self.image.config.user = Some(user.to_string());
    }

    /// The working directory, `/` when unset.
    pub fn workdir(&self) -> String {
        match self.image.config.working_dir.as_deref() {
            Some(w) if !w.is_empty() => w.to_string(),
            _ => "/".to_string(),
        }
    }

    /// Sets WORKDIR, resolving a relative path against the current one;
    /// returns the absolute result.
    pub fn set_workdir(&mut self, path: &str) -> String {
        let abs = if path.starts_with('/') {
            clean(path)
        } else {
            clean(&format!("{}/{path}", self.workdir()))
        };
        self.image.config.working_dir = Some(abs.clone());
        abs
    }

    pub fn set_cmd(&mut self, cmd: Vec<String>) {
        self.image.config.cmd = Some(cmd);
        self.image.config.args_escaped = Some(true);
        self.cmd_set = true;
    }

    pub fn set_entrypoint(&mut self, entrypoint: Vec<String>) {
        self.image.config.entrypoint = Some(entrypoint);
        self.image.config.args_escaped = Some(true);
        if !self.cmd_set {
            self.image.config.cmd = None;
        }
    }

    /// The shell for shell-form commands.
    pub fn shell(&self) -> Vec<String> {
        match &self.image.config.shell {
            Some(s) if !s.is_empty() => s.clone(),
            _ => vec!["/bin/sh".to_string(), "-c".to_string()],
        }
    }

    pub fn set_shell(&mut self, shell: Vec<String>) {
        self.image.config.shell = Some(shell);
    }

    pub fn set_stop_signal(&mut self, signal: &str) {
        self.image.config.stop_signal = Some(signal.to_string());
    }

    /// `None` is HEALTHCHECK NONE, which disables an inherited check.
    pub fn set_healthcheck(&mut self, check: Option<Healthcheck>) {
        self.image.config.healthcheck = Some(check.unwrap_or_else(|| Healthcheck {
            test: vec!["NONE".to_string()],
            ..Default::default()
        }));
    }

    pub fn add_onbuild(&mut self, trigger: &str) {
        self.image
            .config
            .on_build
            .get_or_insert_with(Vec::new)
            .push(trigger.to_string());
    }

    pub fn set_author(&mut self, author: &str) {
        self.image.author = Some(author.to_string());
    }

    /// Records a step in the history; `empty_layer` for steps that add no
    /// layer.
    pub fn push_history(&mut self, created_by: String, empty_layer: bool, created: Option<String>) {
        self.image.history.push(History {
            created,
            created_by: Some(created_by),
            comment: Some("buildkit.dockerfile.v0".to_string()),
            empty_layer,
            ..Default::default()
        });
    }

    pub fn push_layer(&mut self, diff_id: String) {
        self.image.rootfs.diff_ids.push(diff_id);
    }
}

/// RFC 3339 time (seconds precision, UTC) of a Unix timestamp.
pub fn rfc3339(unix_secs: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_secs);
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage() -> StageConfig {
        let mut base = ImageConfig::scratch();
        base.config.env = Some(vec!["PATH=/bin".into(), "A=1".into()]);
        base.config.cmd = Some(vec!["sh".into()]);
        base.config.on_build = Some(vec!["RUN echo trigger".into()]);
        let (s, triggers) = StageConfig::from_base(base);
        assert_eq!(triggers, vec!["RUN echo trigger"]);
        assert_eq!(s.image.config.on_build, None, "triggers are not inherited");
        s
    }

    #[test]
    fn env_replaces_in_place_and_appends() {
        let mut s = stage();
        s.set_env(&[("A".into(), "2".into()), ("B".into(), "x y".into())]);
        assert_eq!(
            s.image.config.env.as_deref().unwrap(),
            ["PATH=/bin", "A=2", "B=x y"]
        );
        assert_eq!(s.get_env("B").as_deref(), Some("x y"));
    }

    #[test]
    fn scratch_gets_the_default_path() {
        let (s, _) = StageConfig::from_base(ImageConfig::scratch());
        assert_eq!(s.get_env("PATH").as_deref(), Some(DEFAULT_PATH));
    }

    #[test]
    fn entrypoint_clears_an_inherited_cmd_but_not_one_set_here() {
        let mut s = stage();
        s.set_entrypoint(vec!["/app".into()]);
        assert_eq!(s.image.config.cmd, None);
        let mut s = stage();
        s.set_cmd(vec!["--help".into()]);
        s.set_entrypoint(vec!["/app".into()]);
        assert_eq!(
            s.image.config.cmd.as_deref(),
            Some(&["--help".to_string()][..])
        );
        assert_eq!(s.image.config.args_escaped, Some(true));
    }

    #[test]
    fn workdir_is_relative_to_the_previous_one() {
        let mut s = stage();
        assert_eq!(s.set_workdir("/a"), "/a");
        assert_eq!(s.set_workdir("b/../c"), "/a/c");
        assert_eq!(s.workdir(), "/a/c");
    }

    #[test]
    fn expose_normalises_protocols_and_ranges() {
        let mut s = stage();
        s.expose(&["80".into(), "53/UDP".into(), "9000-9001/tcp".into()])
            .unwrap();
        let ports: Vec<&String> = s
            .image
            .config
            .exposed_ports
            .as_ref()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(ports, ["53/udp", "80/tcp", "9000/tcp", "9001/tcp"]);
        assert!(s.expose(&["x".into()]).is_err());
        assert!(s.expose(&["80/foo".into()]).is_err());
    }

    #[test]
    fn healthcheck_none_disables() {
        let mut s = stage();
        s.set_healthcheck(None);
        assert_eq!(s.image.config.healthcheck.unwrap().test, vec!["NONE"]);
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1700000000), "2023-11-14T22:13:20Z");
    }
}
