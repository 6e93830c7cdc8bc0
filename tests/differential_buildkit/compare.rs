//! strata's image against BuildKit's: root filesystem, hardlinks, opaque
//! markers and config. What legitimately differs between the two builders
//! is dropped here, each rule with its reason (and, in image.rs, the
//! source mtime a .pyc header records); everything else is a difference.

use std::collections::BTreeMap;

use serde_json::Value;

use super::image::{Entry, Image};

/// Config fields compared, as the image config spells them.
const CONFIG_FIELDS: &[&str] = &[
    "Env",
    "Cmd",
    "Entrypoint",
    "WorkingDir",
    "User",
    "ExposedPorts",
    "Volumes",
    "Labels",
    "StopSignal",
    "Healthcheck",
    "OnBuild",
    "Shell",
];

/// Mount points runc creates in the container's root filesystem for every
/// RUN (proc, sysfs, the /dev tmpfs): BuildKit's diff of a RUN step keeps
/// them as empty directories, strata's sandbox mounts them without leaving
/// them behind. Dropped when they are empty and only in BuildKit's image.
const RUNC_MOUNTPOINTS: &[&str] = &["/dev", "/proc", "/sys"];

/// Files whose content records when they were written, not what: apt and
/// dpkg logs carry a timestamp per line; ldconfig's aux-cache records the
/// inode number and ctime of every library it read, which no two builds
/// share. Their type, mode, owner and mtime are still compared.
const TIMESTAMPED_CONTENT: &[&str] = &[
    "/var/cache/ldconfig/aux-cache",
    "/var/log/apt/history.log",
    "/var/log/apt/term.log",
    "/var/log/apt/eipp.log.xz",
    "/var/log/dpkg.log",
    "/var/log/alternatives.log",
];

/// A submodule's `.git` file (`gitdir: PATH`) in a checkout without its
/// `.git` names where the submodule's repository was: for BuildKit a
/// directory of its snapshotter (`../../../ID/diff/modules/NAME`), for
/// strata the superproject's `.git/modules/NAME`; neither is in the image.
/// Its type, mode, owner and mtime are still compared.
fn submodule_pointers(path: &str, a: &Entry, b: &Entry) -> bool {
    let pointer = |e: &Entry| e.kind == 'f' && e.content.starts_with("gitdir: ");
    (path.ends_with("/.git") || path == ".git") && pointer(a) && pointer(b)
}

/// Differences, one line each; empty when the images match.
///
/// `started`: when the test began (seconds since the epoch). Every input
/// the builds read (base images, contexts, archives) has an mtime before
/// it; anything a step writes is stamped with the time the step ran, which
/// differs between two builds by construction. So an mtime is compared
/// only when at least one side is older than `started`: a builder that
/// keeps a source's mtime and one that does not then differ.
///
/// Directory mtimes are not compared: a directory's mtime changes whenever
/// an entry is created or removed in it, and BuildKit 0.8 stamps
/// directories with times current BuildKit does not: every directory it
/// receives from the context gets the transfer's time (current fsutil's
/// DiskWriter restores the context's, `dirModTimes` in
/// vendor/github.com/tonistiigi/fsutil/diskwriter.go at BuildKit
/// 73ed6825c4b7569379ef89df0aedcdbe64473d31), and /etc gets the time runc
/// created and BuildKit removed the /etc/hosts and /etc/resolv.conf mount
/// stubs (current BuildKit restores the parent's times, executor/stubs.go).
///
/// `mount_targets`: absolute targets of the case's `RUN --mount`s. BuildKit
/// 0.8 leaves the empty directories it created for them in the image;
/// current BuildKit removes such stubs and the parents it made for them
/// after the step (executor/stubs.go, recursive since v0.11 through
/// `RemoveMountStubsRecursive` in client/llb/exec.go), so they are dropped
/// from BuildKit's side when strata has no such path.
pub fn differences(
    strata: &Image,
    buildkit: &Image,
    started: u64,
    mount_targets: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    let mut theirs = buildkit.entries.clone();
    drop_mount_stubs(&mut theirs, &strata.entries, mount_targets);
    for p in RUNC_MOUNTPOINTS {
        let prefix = format!("{p}/");
        let empty = !theirs.keys().any(|k| k.starts_with(&prefix));
        if empty
            && theirs.get(*p).is_some_and(|e| e.kind == 'd')
            && !strata.entries.contains_key(*p)
        {
            theirs.remove(*p);
        }
    }
    for (p, ours) in &strata.entries {
        match theirs.get(p) {
            None => out.push(format!("only in strata: {p} {ours}")),
            Some(t) if !same_entry(p, ours, t, started) => {
                out.push(format!("{p}:\n    strata   {ours}\n    buildkit {t}"));
            }
            _ => {}
        }
    }
    for (p, t) in &theirs {
        if !strata.entries.contains_key(p) {
            out.push(format!("only in buildkit: {p} {t}"));
        }
    }
    let (a, b) = (strata.hardlink_groups(), buildkit.hardlink_groups());
    if a != b {
        out.push(format!(
            "hardlink groups: strata {:?} | buildkit {:?}",
            a.difference(&b).collect::<Vec<_>>(),
            b.difference(&a).collect::<Vec<_>>()
        ));
    }
    if strata.opaque != buildkit.opaque {
        out.push(format!(
            "opaque markers (.wh..wh..opq): only strata {:?} | only buildkit {:?}",
            strata
                .opaque
                .difference(&buildkit.opaque)
                .collect::<Vec<_>>(),
            buildkit
                .opaque
                .difference(&strata.opaque)
                .collect::<Vec<_>>()
        ));
    }
    for field in CONFIG_FIELDS {
        let a = normalize(field, &strata.config[*field]);
        let b = normalize(field, &buildkit.config[*field]);
        if a != b {
            out.push(format!("config {field}: strata {a} | buildkit {b}"));
        }
    }
    out
}

fn drop_mount_stubs(
    theirs: &mut BTreeMap<String, Entry>,
    ours: &BTreeMap<String, Entry>,
    mount_targets: &[String],
) {
    let mut stubs: Vec<String> = Vec::new();
    for t in mount_targets {
        let mut p = t.trim_end_matches('/').to_string();
        while p.len() > 1 {
            stubs.push(p.clone());
            p = p
                .rsplit_once('/')
                .map(|(a, _)| a.to_string())
                .unwrap_or_default();
        }
    }
    // Deepest first, so a parent is empty once its stub children are gone.
    stubs.sort_by_key(|p| std::cmp::Reverse(p.matches('/').count()));
    stubs.dedup();
    for p in stubs {
        let prefix = format!("{p}/");
        let empty = !theirs.keys().any(|k| k.starts_with(&prefix));
        let stub = theirs
            .get(&p)
            .is_some_and(|e| e.kind == 'd' || (e.kind == 'f' && e.content.is_empty()));
        if stub && empty && !ours.contains_key(&p) {
            theirs.remove(&p);
        }
    }
}

fn same_entry(path: &str, a: &Entry, b: &Entry, started: u64) -> bool {
    let content_matters = !TIMESTAMPED_CONTENT.contains(&path) && !submodule_pointers(path, a, b);
    let mtime_matters = a.kind != 'd' && a.mtime.min(b.mtime) < started;
    a.kind == b.kind
        && a.mode == b.mode
        && a.uid == b.uid
        && a.gid == b.gid
        && (!content_matters || a.content == b.content)
        && a.link == b.link
        && a.device == b.device
        && a.xattrs == b.xattrs
        && (!mtime_matters || a.mtime == b.mtime)
}

/// Missing, null, empty string, list or map are all "unset": the two
/// builders' JSON encoders omit different empty values. Within Healthcheck,
/// a zero duration or count is the default, written by one and omitted by
/// the other.
fn normalize(field: &str, v: &Value) -> Value {
    match v {
        Value::String(s) if s.is_empty() => Value::Null,
        Value::Array(a) if a.is_empty() => Value::Null,
        Value::Object(o) if o.is_empty() => Value::Null,
        Value::Object(o) if field == "Healthcheck" => Value::Object(
            o.iter()
                .filter(|(_, v)| !v.is_null() && v.as_i64() != Some(0))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        _ => v.clone(),
    }
}
