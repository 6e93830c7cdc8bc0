//! The devices the spec dirs define (pkg/cdi/cache.go, spec-dirs.go): every
//! `*.json` and `*.yaml` file directly in each dir, later dirs winning over
//! earlier ones; two specs of one dir defining a device is a conflict that
//! removes it. A broken spec file does not hide the others: its problem is
//! kept, for warnings and for the error of a device nobody defines.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Error;
use crate::spec::{ContainerEdits, Spec};

/// Spec-level or device-level annotation: the device may be used without
/// `--allow device` (BuildKit's cdidevices manager).
pub const ANNOTATION_AUTOALLOW: &str = "org.mobyproject.buildkit.device.autoallow";
/// A name a device can be asked for by, besides its own.
pub const ANNOTATION_CLASS: &str = "org.mobyproject.buildkit.device.class";

/// The cdi package's defaults, lowest priority first.
pub fn default_spec_dirs() -> Vec<PathBuf> {
    vec![PathBuf::from("/etc/cdi"), PathBuf::from("/var/run/cdi")]
}

/// A spec file that was left out, and why.
#[derive(Debug, Clone)]
pub struct SpecProblem {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for SpecProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CDI spec {}: {}", self.path.display(), self.message)
    }
}

#[derive(Debug)]
pub(crate) struct LoadedSpec {
    pub path: PathBuf,
    pub priority: usize,
    pub spec: Spec,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub spec: Arc<LoadedSpec>,
    pub index: usize,
}

impl Entry {
    pub fn edits(&self) -> &ContainerEdits {
        &self.spec.spec.devices[self.index].container_edits
    }

    /// The spec's annotations overlaid with the device's own.
    pub fn annotations(&self) -> BTreeMap<String, String> {
        let mut a = self.spec.spec.annotations.clone();
        a.extend(self.spec.spec.devices[self.index].annotations.clone());
        a
    }
}

#[derive(Debug, Default)]
pub struct Registry {
    /// By qualified name, sorted as the cdi cache lists them.
    pub(crate) devices: BTreeMap<String, Entry>,
    problems: Vec<SpecProblem>,
}

impl Registry {
    /// Reads the spec dirs; a missing dir is no error, as in the cdi package.
    pub fn load(dirs: &[PathBuf]) -> Registry {
        let mut reg = Registry::default();
        let mut conflicts = Vec::new();
        for (priority, dir) in dirs.iter().enumerate() {
            let mut files = match std::fs::read_dir(dir) {
                Ok(rd) => rd
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .collect::<Vec<_>>(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    reg.problems.push(SpecProblem {
                        path: dir.clone(),
                        message: format!("reading the spec dir: {e}"),
                    });
                    continue;
                }
            };
            // filepath.Walk's lexical order.
            files.sort();
            for path in files {
                let is_spec = matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("json" | "yaml")
                );
                if !is_spec || path.is_dir() {
                    continue;
                }
                match read_spec(&path) {
                    Ok(spec) => {
                        let loaded = Arc::new(LoadedSpec {
                            path: path.clone(),
                            priority,
                            spec,
                        });
                        reg.add(&loaded, &mut conflicts);
                    }
                    Err(Error::Spec { path, message }) => {
                        reg.problems.push(SpecProblem { path, message })
                    }
                    Err(other) => reg.problems.push(SpecProblem {
                        path,
                        message: other.to_string(),
                    }),
                }
            }
        }
        for name in conflicts {
            reg.devices.remove(&name);
        }
        reg
    }

    fn add(&mut self, loaded: &Arc<LoadedSpec>, conflicts: &mut Vec<String>) {
        for (index, d) in loaded.spec.devices.iter().enumerate() {
            let qualified = format!("{}={}", loaded.spec.kind, d.name);
            if let Some(old) = self.devices.get(&qualified)
                && old.spec.priority == loaded.priority
            {
                self.problems.push(SpecProblem {
                    path: loaded.path.clone(),
                    message: format!(
                        "conflicting device {qualified:?} (also in {})",
                        old.spec.path.display()
                    ),
                });
                conflicts.push(qualified);
                continue;
            }
            self.devices.insert(
                qualified,
                Entry {
                    spec: loaded.clone(),
                    index,
                },
            );
        }
    }

    /// Spec files left out, with why.
    pub fn problems(&self) -> &[SpecProblem] {
        &self.problems
    }

    /// Every qualified device name, sorted.
    pub fn device_names(&self) -> impl Iterator<Item = &str> {
        self.devices.keys().map(String::as_str)
    }

    /// The spec file that defines a device.
    pub fn spec_path(&self, qualified: &str) -> Option<&Path> {
        self.devices.get(qualified).map(|e| e.spec.path.as_path())
    }

    /// The devices a request names, by BuildKit's rules: `vendor/class`
    /// is the first device of that kind, `vendor/class=*` all of them,
    /// `vendor/class=name` that one; when that finds nothing (or the name
    /// is not `vendor/class...`), the devices whose class annotation is the
    /// name.
    pub fn find(&self, request: &str) -> Vec<String> {
        let (kind, name) = request.split_once('=').unwrap_or((request, ""));
        let of_kind = |d: &&String| d.strip_prefix(kind).is_some_and(|r| r.starts_with('='));
        let mut out: Vec<String> = match crate::name::parse_qualifier(kind) {
            None => Vec::new(),
            Some(_) => match name {
                "" => self
                    .devices
                    .keys()
                    .find(of_kind)
                    .cloned()
                    .into_iter()
                    .collect(),
                "*" => self.devices.keys().filter(of_kind).cloned().collect(),
                _ => self
                    .devices
                    .get_key_value(request)
                    .map(|(k, _)| k.clone())
                    .into_iter()
                    .collect(),
            },
        };
        if out.is_empty() {
            out = self
                .devices
                .iter()
                .filter(|(_, e)| {
                    e.annotations().get(ANNOTATION_CLASS).map(String::as_str) == Some(request)
                })
                .map(|(k, _)| k.clone())
                .collect();
        }
        out
    }

    /// Whether a device's spec or the device itself carries the autoallow
    /// annotation with a true value.
    pub fn auto_allowed(&self, qualified: &str) -> bool {
        self.devices.get(qualified).is_some_and(|e| {
            e.annotations()
                .get(ANNOTATION_AUTOALLOW)
                .is_some_and(|v| parse_go_bool(v) == Some(true))
        })
    }

    /// The spec problems as a hint for an unregistered device's error.
    pub(crate) fn problem_hint(&self) -> String {
        self.problems.iter().map(|p| format!("; {p}")).collect()
    }
}

/// Go's strconv.ParseBool, which BuildKit uses for annotations and flags.
pub(crate) fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Biggest spec file read: vendors' specs are kilobytes.
const MAX_SPEC_BYTES: u64 = 16 << 20;

fn read_spec(path: &Path) -> Result<Spec, Error> {
    let fail = |message: String| Error::Spec {
        path: path.to_path_buf(),
        message,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| fail(e.to_string()))?
        .len();
    if size > MAX_SPEC_BYTES {
        return Err(fail(format!("{size} bytes, more than a spec may have")));
    }
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let spec: Spec = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?
    } else {
        let doc = crate::yaml::parse(&text)
            .map_err(|e| fail(format!("line {} column {}: {}", e.line, e.col, e.message)))?;
        if doc.value.is_null() {
            return Err(fail("no spec data".into()));
        }
        serde_json::from_value(doc.value).map_err(|e| fail(place_unknown_field(&e, &doc.keys)))?
    };
    spec.validate().map_err(fail)?;
    Ok(spec)
}

/// serde's "unknown field `x`" names no place; the key's first spelling
/// in the file is where it most likely is.
fn place_unknown_field(e: &serde_json::Error, keys: &[(String, usize, usize)]) -> String {
    let msg = e.to_string();
    let field = msg
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(f, _)| f);
    match field.and_then(|f| keys.iter().find(|(k, ..)| k == f)) {
        Some((_, line, col)) => format!("line {line} column {col}: {msg}"),
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    const FOO: &str = "cdiVersion: \"0.6.0\"\nkind: vendor1.com/device\ndevices:\n- name: foo\n  containerEdits:\n    env: [FOO=injected]\n";

    #[test]
    fn both_spellings_load_and_other_files_are_ignored() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "foo.yml.yaml", FOO);
        write(
            d.path(),
            "bar.json",
            r#"{"cdiVersion":"0.6.0","kind":"vendor1.com/device","devices":[{"name":"bar","containerEdits":{}}]}"#,
        );
        write(d.path(), "README", "not a spec");
        let reg = Registry::load(&[d.path().to_path_buf()]);
        assert!(reg.problems().is_empty(), "{:?}", reg.problems());
        assert_eq!(
            reg.device_names().collect::<Vec<_>>(),
            ["vendor1.com/device=bar", "vendor1.com/device=foo"]
        );
    }

    #[test]
    fn a_later_dir_wins_and_a_conflict_in_one_dir_removes_the_device() {
        let low = tempfile::tempdir().unwrap();
        let high = tempfile::tempdir().unwrap();
        write(low.path(), "a.yaml", FOO);
        write(high.path(), "b.yaml", &FOO.replace("injected", "high"));
        let reg = Registry::load(&[low.path().to_path_buf(), high.path().to_path_buf()]);
        assert_eq!(
            reg.spec_path("vendor1.com/device=foo"),
            Some(high.path().join("b.yaml").as_path())
        );
        write(low.path(), "c.yaml", FOO);
        let reg = Registry::load(&[low.path().to_path_buf()]);
        assert_eq!(reg.device_names().count(), 0);
        assert!(reg.problems()[0].message.contains("conflicting"));
    }

    #[test]
    fn a_broken_file_is_a_problem_naming_it_with_its_line() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "bad.yaml",
            "cdiVersion: \"0.6.0\"\nkind: [unclosed\n",
        );
        let reg = Registry::load(&[d.path().to_path_buf()]);
        let p = reg.problems()[0].to_string();
        assert!(p.contains("bad.yaml") && p.contains("line "), "{p}");
    }

    #[test]
    fn an_unknown_yaml_key_is_placed_at_its_line() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "x.yaml",
            "cdiVersion: \"0.6.0\"\nkind: v.com/c\ndevices:\n- name: a\n  extra: 1\n",
        );
        let reg = Registry::load(&[d.path().to_path_buf()]);
        let p = reg.problems()[0].to_string();
        assert!(p.contains("line 5 column 3: unknown field `extra`"), "{p}");
    }

    #[test]
    fn names_resolve_by_buildkits_forms() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "v.yaml",
            "cdiVersion: \"0.6.0\"\nkind: vendor1.com/device\ndevices:\n- name: foo\n  containerEdits: {env: [A=1]}\n- name: bar\n  annotations:\n    org.mobyproject.buildkit.device.class: class1\n  containerEdits: {env: [B=1]}\n",
        );
        let reg = Registry::load(&[d.path().to_path_buf()]);
        assert_eq!(reg.find("vendor1.com/device"), ["vendor1.com/device=bar"]);
        assert_eq!(reg.find("vendor1.com/device=*").len(), 2);
        assert_eq!(
            reg.find("vendor1.com/device=foo"),
            ["vendor1.com/device=foo"]
        );
        assert_eq!(reg.find("class1"), ["vendor1.com/device=bar"]);
        assert!(reg.find("vendor1.com/device=baz").is_empty());
    }
}
