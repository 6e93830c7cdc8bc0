//! `--cache-to` / `--cache-from` values: `type=registry,ref=HOST/REPO:TAG`
//! or `type=local,dest=DIR` / `type=local,src=DIR`, plus `mode=min|max`
//! and `cache-mounts=true|false` on export.

use std::path::PathBuf;
use std::str::FromStr;

use strata_store::ImageRef;

use super::RemoteError;

/// Which records an export carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CacheMode {
    /// The steps of the stages whose layers make the image.
    #[default]
    Min,
    /// The steps of every stage built.
    Max,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheTo {
    Registry {
        reference: ImageRef,
        mode: CacheMode,
        /// Also export the contents of the steps' cache mounts.
        cache_mounts: bool,
    },
    Local {
        dest: PathBuf,
        mode: CacheMode,
        cache_mounts: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheFrom {
    Registry(ImageRef),
    Local(PathBuf),
}

impl CacheTo {
    pub fn mode(&self) -> CacheMode {
        match self {
            CacheTo::Registry { mode, .. } | CacheTo::Local { mode, .. } => *mode,
        }
    }

    pub fn cache_mounts(&self) -> bool {
        match self {
            CacheTo::Registry { cache_mounts, .. } | CacheTo::Local { cache_mounts, .. } => {
                *cache_mounts
            }
        }
    }
}

/// The `k=v` fields of a spec, each allowed key at most once.
fn fields<'a>(
    flag: &str,
    s: &'a str,
    allowed: &[&str],
) -> Result<Vec<(&'a str, &'a str)>, RemoteError> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for field in s.split(',') {
        let (k, v) = field.split_once('=').ok_or_else(|| {
            RemoteError::Spec(format!("{flag} {s:?}: {field:?} is not KEY=VALUE"))
        })?;
        if !allowed.contains(&k) {
            return Err(RemoteError::Spec(format!(
                "{flag} {s:?}: unknown field {k:?} (allowed: {})",
                allowed.join(", ")
            )));
        }
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(RemoteError::Spec(format!("{flag} {s:?}: {k} given twice")));
        }
        out.push((k, v));
    }
    Ok(out)
}

fn get<'a>(fields: &[(&str, &'a str)], key: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

fn reference(flag: &str, s: &str, fields: &[(&str, &str)]) -> Result<ImageRef, RemoteError> {
    let raw = get(fields, "ref")
        .ok_or_else(|| RemoteError::Spec(format!("{flag} {s:?}: type=registry needs ref=")))?;
    Ok(ImageRef::parse(raw).map_err(strata_store::StoreError::from)?)
}

impl FromStr for CacheTo {
    type Err = RemoteError;
    fn from_str(s: &str) -> Result<Self, RemoteError> {
        let flag = "--cache-to";
        let f = fields(flag, s, &["type", "ref", "dest", "mode", "cache-mounts"])?;
        let cache_mounts = match get(&f, "cache-mounts") {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(RemoteError::Spec(format!(
                    "{flag} {s:?}: cache-mounts must be true or false, not {other:?}"
                )));
            }
        };
        let mode = match get(&f, "mode") {
            None | Some("min") => CacheMode::Min,
            Some("max") => CacheMode::Max,
            Some(other) => {
                return Err(RemoteError::Spec(format!(
                    "{flag} {s:?}: mode must be min or max, not {other:?}"
                )));
            }
        };
        match get(&f, "type") {
            Some("registry") => Ok(CacheTo::Registry {
                reference: reference(flag, s, &f)?,
                mode,
                cache_mounts,
            }),
            Some("local") => match get(&f, "dest") {
                Some(d) if !d.is_empty() => Ok(CacheTo::Local {
                    dest: PathBuf::from(d),
                    mode,
                    cache_mounts,
                }),
                _ => Err(RemoteError::Spec(format!(
                    "{flag} {s:?}: type=local needs dest=DIR"
                ))),
            },
            other => Err(RemoteError::Spec(format!(
                "{flag} {s:?}: type must be registry or local, not {other:?}"
            ))),
        }
    }
}

impl FromStr for CacheFrom {
    type Err = RemoteError;
    fn from_str(s: &str) -> Result<Self, RemoteError> {
        let flag = "--cache-from";
        let f = fields(flag, s, &["type", "ref", "src"])?;
        match get(&f, "type") {
            Some("registry") => Ok(CacheFrom::Registry(reference(flag, s, &f)?)),
            Some("local") => match get(&f, "src") {
                Some(d) if !d.is_empty() => Ok(CacheFrom::Local(PathBuf::from(d))),
                _ => Err(RemoteError::Spec(format!(
                    "{flag} {s:?}: type=local needs src=DIR"
                ))),
            },
            other => Err(RemoteError::Spec(format!(
                "{flag} {s:?}: type must be registry or local, not {other:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_to_specs() {
        let to: CacheTo = "type=registry,ref=127.0.0.1:5000/app:cache,mode=max"
            .parse()
            .unwrap();
        assert_eq!(to.mode(), CacheMode::Max);
        assert!(matches!(to, CacheTo::Registry { .. }));
        assert_eq!(
            "type=local,dest=/tmp/c".parse::<CacheTo>().unwrap(),
            CacheTo::Local {
                dest: "/tmp/c".into(),
                mode: CacheMode::Min,
                cache_mounts: false,
            }
        );
        assert!(
            "type=local,dest=/c,cache-mounts=true"
                .parse::<CacheTo>()
                .unwrap()
                .cache_mounts()
        );
        for bad in [
            "type=local",
            "type=registry",
            "type=s3,ref=x",
            "type=local,dest=d,mode=all",
            "type=local,dest=d,dest=e",
            "type=local,src=d",
            "type=local,dest=d,cache-mounts=yes",
            "nonsense",
        ] {
            assert!(bad.parse::<CacheTo>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn cache_from_specs() {
        assert_eq!(
            "type=local,src=/c".parse::<CacheFrom>().unwrap(),
            CacheFrom::Local("/c".into())
        );
        assert!(matches!(
            "type=registry,ref=localhost:5000/a:b".parse::<CacheFrom>(),
            Ok(CacheFrom::Registry(_))
        ));
        assert!("type=local,dest=/c".parse::<CacheFrom>().is_err());
        assert!("type=registry,ref=".parse::<CacheFrom>().is_err());
    }
}
