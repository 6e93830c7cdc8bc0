//! `commit -c INSTRUCTION` (docker commit --change): the Dockerfile
//! instructions that only change an image's config, applied to the
//! committed image's config as a build would apply them.

use oci_spec::image::Config;

/// One change, already parsed and expanded by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigChange {
    Cmd(Vec<String>),
    /// Also drops the image's CMD, unless a CMD change came before it (a
    /// Dockerfile's rule: an ENTRYPOINT resets an inherited CMD).
    Entrypoint(Vec<String>),
    Env(Vec<(String, String)>),
    /// Port specs with their protocol (`80/tcp`).
    Expose(Vec<String>),
    Label(Vec<(String, String)>),
    User(String),
    Workdir(String),
    Volume(Vec<String>),
}

/// Applies `changes` in order, as docker's commit dispatches them.
pub fn apply_changes(changes: &[ConfigChange], cfg: &mut Config) {
    let mut cmd_set = false;
    for ch in changes {
        if let ConfigChange::Cmd(_) = ch {
            cmd_set = true;
        }
        ch.apply(cfg, cmd_set);
    }
}

impl ConfigChange {
    fn apply(&self, cfg: &mut Config, cmd_set: bool) {
        match self {
            Self::Cmd(argv) => {
                cfg.set_cmd(Some(argv.clone()));
            }
            Self::Entrypoint(argv) => {
                cfg.set_entrypoint(Some(argv.clone()));
                if !cmd_set {
                    cfg.set_cmd(None);
                }
            }
            Self::Env(pairs) => {
                let mut env = cfg.env().clone().unwrap_or_default();
                for (k, v) in pairs {
                    env.retain(|e| e.split_once('=').map_or(e.as_str(), |(ek, _)| ek) != k);
                    env.push(format!("{k}={v}"));
                }
                cfg.set_env(Some(env));
            }
            Self::Expose(ports) => {
                let mut all = cfg.exposed_ports().clone().unwrap_or_default();
                for p in ports {
                    if !all.contains(p) {
                        all.push(p.clone());
                    }
                }
                all.sort();
                cfg.set_exposed_ports(Some(all));
            }
            Self::Label(pairs) => {
                let mut labels = cfg.labels().clone().unwrap_or_default();
                labels.extend(pairs.iter().cloned());
                cfg.set_labels(Some(labels));
            }
            Self::User(u) => {
                cfg.set_user(Some(u.clone()));
            }
            Self::Workdir(dir) => {
                // A relative WORKDIR is taken from the current one, as in a build.
                let dir = if dir.starts_with('/') {
                    dir.clone()
                } else {
                    let base = cfg.working_dir().clone().unwrap_or_else(|| "/".to_owned());
                    format!("{}/{dir}", base.trim_end_matches('/'))
                };
                cfg.set_working_dir(Some(dir));
            }
            Self::Volume(paths) => {
                let mut all = cfg.volumes().clone().unwrap_or_default();
                for p in paths {
                    if !all.contains(p) {
                        all.push(p.clone());
                    }
                }
                all.sort();
                cfg.set_volumes(Some(all));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_apply_as_a_build_applies_them() {
        let mut cfg = Config::default();
        cfg.set_cmd(Some(vec!["old".into()]));
        cfg.set_env(Some(vec!["PATH=/bin".into(), "A=1".into()]));
        cfg.set_working_dir(Some("/srv".into()));
        apply_changes(
            &[
                ConfigChange::Env(vec![("A".into(), "2".into())]),
                ConfigChange::Entrypoint(vec!["/app".into()]),
                ConfigChange::Workdir("data".into()),
                ConfigChange::Expose(vec!["80/tcp".into()]),
                ConfigChange::Expose(vec!["80/tcp".into()]),
            ],
            &mut cfg,
        );
        assert_eq!(cfg.env().clone().unwrap(), ["PATH=/bin", "A=2"]);
        assert_eq!(cfg.cmd(), &None, "ENTRYPOINT drops the CMD");
        assert_eq!(cfg.working_dir().as_deref(), Some("/srv/data"));
        assert_eq!(cfg.exposed_ports().clone().unwrap(), ["80/tcp"]);
        apply_changes(
            &[
                ConfigChange::Cmd(vec!["arg".into()]),
                ConfigChange::Entrypoint(vec!["/app".into()]),
            ],
            &mut cfg,
        );
        assert_eq!(
            cfg.cmd().clone().unwrap(),
            ["arg"],
            "a CMD given with it stays"
        );
    }
}
