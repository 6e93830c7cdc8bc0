//! One testdata/differential case: its Dockerfile, its build context and the
//! control files beside them (see testdata/differential/README.md).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::git_repo;

/// Files of a case directory that steer the harness and are not part of the
/// build context.
const CONTROL_FILES: &[&str] = &[
    "args",
    "target",
    "secrets",
    "strata-flags",
    "network",
    "known-bug",
    "note",
    "prepare",
    "buildkit.Dockerfile",
    "buildkit.Dockerfile.dockerignore",
    "git-context",
    "git-submodules",
    "flags",
    "ssh-agent",
];

/// Every context file gets this mtime (2020-09-13), so that what a builder
/// copies from the context is told apart from what a step writes.
pub const CONTEXT_MTIME: i64 = 1_600_000_000;

/// The image the Debian cases start from (made by debian.rs).
pub const DEBIAN_BASE: &str = "debian:bookworm-minbase";

pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub build_args: Vec<String>,
    pub target: Option<String>,
    /// `id=ID,src=PATH` with PATH inside the case directory.
    pub secrets: Vec<String>,
    /// Flags given to strata only (`strata-flags`, one a line, `{case}` the
    /// case directory): cache rules that must leave the image as BuildKit
    /// builds it.
    pub strata_flags: Vec<String>,
    /// `none` unless the case says `host` (Debian cases reach the mirror).
    pub network: String,
    /// The issue-13 bullet (or a description) of a strata bug that makes
    /// this case differ today.
    pub known_bug: Option<String>,
    /// Uses the Debian base, which takes minutes to make.
    pub debian: bool,
    /// `git-context`: the prepared context is committed and served by git
    /// daemon, and both build its URL (git_repo.rs).
    pub git_context: bool,
    /// `git-submodules`: `PATH relative|absolute` a line, the context's
    /// directories served as repositories of their own and committed as
    /// submodules (named `../NAME.git` or by their whole URL).
    pub git_submodules: Vec<git_repo::Submodule>,
    /// `flags`: more `build` flags for both builders, one per line.
    pub flags: Vec<String>,
    /// `ssh-agent`: both builds run with SSH_AUTH_SOCK of an agent the
    /// harness starts with a key of its own (ssh_agent.rs).
    pub ssh_agent: bool,
}

impl Case {
    pub fn load(dir: &Path) -> Result<Self, String> {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or("case without a name")?;
        let text = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
        let lines = |f: &str| -> Vec<String> {
            text(f)
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect()
        };
        let dockerfile = text("Dockerfile").ok_or(format!("{name}: no Dockerfile"))?;
        let secrets = lines("secrets")
            .into_iter()
            .map(|l| match l.split_once('=') {
                Some((id, file)) => Ok(format!("id={id},src={}", dir.join(file).display())),
                None => Err(format!("{name}/secrets: `{l}` is not ID=FILE")),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            build_args: lines("args"),
            target: lines("target").into_iter().next(),
            secrets,
            strata_flags: lines("strata-flags")
                .into_iter()
                .map(|l| l.replace("{case}", &dir.display().to_string()))
                .collect(),
            network: lines("network")
                .into_iter()
                .next()
                .unwrap_or_else(|| "none".into()),
            known_bug: text("known-bug").map(|t| t.trim().to_string()),
            debian: dockerfile.contains(DEBIAN_BASE),
            git_context: dir.join("git-context").exists(),
            git_submodules: lines("git-submodules")
                .into_iter()
                .map(|l| match l.split_once(' ') {
                    Some((path, "relative")) => Ok(git_repo::Submodule {
                        path: path.to_string(),
                        absolute: false,
                    }),
                    Some((path, "absolute")) => Ok(git_repo::Submodule {
                        path: path.to_string(),
                        absolute: true,
                    }),
                    _ => Err(format!(
                        "{name}/git-submodules: `{l}` is not PATH relative|absolute"
                    )),
                })
                .collect::<Result<_, _>>()?,
            flags: lines("flags"),
            ssh_agent: dir.join("ssh-agent").exists(),
            dir: dir.to_path_buf(),
            name,
        })
    }

    /// The Dockerfile BuildKit builds: `buildkit.Dockerfile` where BuildKit
    /// 0.8 lacks the syntax (it says what current BuildKit does, and `note`
    /// says why), else the case's own.
    pub fn buildkit_dockerfile(&self, context: &Path) -> PathBuf {
        let own = self.dir.join("buildkit.Dockerfile");
        if own.exists() {
            own
        } else {
            context.join("Dockerfile")
        }
    }

    /// Absolute targets of the `RUN --mount`s of the Dockerfile BuildKit
    /// builds (secrets without one mount at /run/secrets/ID); a relative
    /// target is under the WORKDIR in force, as BuildKit resolves it.
    pub fn mount_targets(&self, context: &Path) -> Vec<String> {
        let text = std::fs::read_to_string(self.buildkit_dockerfile(context)).unwrap_or_default();
        let mut out = Vec::new();
        let mut workdir = String::from("/");
        for line in text.lines() {
            let mut words = line.split_whitespace();
            if words
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case("WORKDIR"))
            {
                if let Some(dir) = words.next() {
                    workdir = if dir.starts_with('/') {
                        dir.to_string()
                    } else {
                        format!("{}/{dir}", workdir.trim_end_matches('/'))
                    };
                }
                continue;
            }
            // BuildKit numbers a RUN's ssh sockets without a target.
            let mut ssh_index = 0;
            for flag in line
                .split_whitespace()
                .filter_map(|w| w.strip_prefix("--mount="))
            {
                let opts: Vec<(&str, &str)> = flag
                    .split(',')
                    .filter_map(|kv| kv.split_once('='))
                    .collect();
                let get = |k: &[&str]| opts.iter().find(|(n, _)| k.contains(n)).map(|(_, v)| *v);
                let target = get(&["target", "dst", "destination"])
                    .map(str::to_string)
                    .or_else(|| {
                        (get(&["type"]) == Some("secret"))
                            .then(|| get(&["id"]).map(|id| format!("/run/secrets/{id}")))
                            .flatten()
                    })
                    .or_else(|| {
                        (get(&["type"]) == Some("ssh")).then(|| {
                            ssh_index += 1;
                            format!("/run/buildkit/ssh_agent.{}", ssh_index - 1)
                        })
                    });
                if let Some(t) = target {
                    out.push(if t.starts_with('/') {
                        t
                    } else {
                        format!("{}/{t}", workdir.trim_end_matches('/'))
                    });
                }
            }
        }
        out
    }

    /// Copies the context to `to` with modes independent of the checkout's
    /// umask (0644/0755 files, 0755 dirs), runs `prepare` there (what git
    /// cannot hold: hardlinks, special modes, empty dirs, archives), and
    /// stamps every entry with CONTEXT_MTIME.
    pub fn prepare_context(&self, to: &Path) -> Result<(), String> {
        copy_dir(&self.dir, to, true)?;
        let prepare = self.dir.join("prepare");
        if prepare.exists() {
            let out = Command::new("sh")
                .arg("-eu")
                .arg(&prepare)
                .current_dir(to)
                .output()
                .map_err(|e| format!("prepare: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "{}/prepare failed: {}",
                    self.name,
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        stamp(to)
    }
}

fn copy_dir(from: &Path, to: &Path, top: bool) -> Result<(), String> {
    let err = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    std::fs::create_dir_all(to).map_err(|e| err(to, e))?;
    std::fs::set_permissions(to, PermissionsExt::from_mode(0o755)).map_err(|e| err(to, e))?;
    for e in std::fs::read_dir(from).map_err(|e| err(from, e))? {
        let e = e.map_err(|e| err(from, e))?;
        let name = e.file_name();
        if top && CONTROL_FILES.iter().any(|c| name == *c) {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        let ft = e.file_type().map_err(|e| err(&src, e))?;
        if ft.is_dir() {
            copy_dir(&src, &dst, false)?;
        } else if ft.is_symlink() {
            let target = std::fs::read_link(&src).map_err(|e| err(&src, e))?;
            std::os::unix::fs::symlink(target, &dst).map_err(|e| err(&dst, e))?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| err(&src, e))?;
            let exec = std::fs::metadata(&src)
                .map_err(|e| err(&src, e))?
                .permissions()
                .mode()
                & 0o100
                != 0;
            let mode = if exec { 0o755 } else { 0o644 };
            std::fs::set_permissions(&dst, PermissionsExt::from_mode(mode))
                .map_err(|e| err(&dst, e))?;
        }
    }
    Ok(())
}

fn stamp(dir: &Path) -> Result<(), String> {
    let t = filetime::FileTime::from_unix_time(CONTEXT_MTIME, 0);
    for e in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let p = e.map_err(|e| e.to_string())?.path();
        let m = std::fs::symlink_metadata(&p).map_err(|e| e.to_string())?;
        if m.is_dir() {
            stamp(&p)?;
        }
        filetime::set_symlink_file_times(&p, t, t).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    filetime::set_symlink_file_times(dir, t, t).map_err(|e| format!("{}: {e}", dir.display()))
}
