//! An image as docker-archive (`docker save`, `strata push docker-archive:`)
//! holds it, flattened the way an overlay mount shows it: every entry of the
//! root filesystem with its metadata, hardlink groups, the directories the
//! layers mark opaque, and the image config.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hasher;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

/// Files up to this size keep their text for the diff; larger ones only a
/// length and hash.
const SHOWN_BYTES: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: char,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Whole seconds, as the tar header carries them.
    pub mtime: u64,
    pub content: String,
    pub link: String,
    pub device: (u32, u32),
    pub xattrs: BTreeMap<String, String>,
    /// Equal for entries that are hardlinks of one file.
    pub inode: u64,
}

impl std::fmt::Display for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:04o} {}:{} mtime={}",
            self.kind, self.mode, self.uid, self.gid, self.mtime
        )?;
        match self.kind {
            'l' => write!(f, " -> {}", self.link)?,
            'f' => write!(f, " {:?}", self.content)?,
            'c' | 'b' => write!(f, " {}:{}", self.device.0, self.device.1)?,
            _ => {}
        }
        for (k, v) in &self.xattrs {
            write!(f, " {k}={v}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
pub struct Image {
    pub entries: BTreeMap<String, Entry>,
    /// Directories some layer marks opaque (`.wh..wh..opq`).
    pub opaque: BTreeSet<String>,
    /// The config's `config` object.
    pub config: Value,
}

impl Image {
    /// Groups of two or more paths that are one file.
    pub fn hardlink_groups(&self) -> BTreeSet<Vec<String>> {
        let mut by_inode: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for (p, e) in self.entries.iter().filter(|(_, e)| e.kind == 'f') {
            by_inode.entry(e.inode).or_default().push(p.clone());
        }
        by_inode.into_values().filter(|g| g.len() > 1).collect()
    }
}

/// Reads a docker-archive unpacked into `dir` (manifest.json, the config
/// and `*/layer.tar`).
pub fn read_docker_archive(dir: &Path) -> Result<Image, String> {
    let read_json = |name: &str| -> Result<Value, String> {
        let p = dir.join(name);
        let b = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        serde_json::from_slice(&b).map_err(|e| format!("{}: {e}", p.display()))
    };
    let manifest = read_json("manifest.json")?;
    let m = &manifest[0];
    let config = read_json(m["Config"].as_str().ok_or("manifest without Config")?)?;
    let mut image = Image {
        config: config["config"].clone(),
        ..Image::default()
    };
    let mut next_inode = 0;
    for layer in m["Layers"].as_array().ok_or("manifest without Layers")? {
        let p = dir.join(layer.as_str().ok_or("layer is not a path")?);
        let f = std::fs::File::open(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        apply_layer(&mut image, f, &mut next_inode).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(image)
}

/// One tar entry of a layer, read before the layer is applied: whiteouts
/// remove from the layers below only, whatever their order in the tar.
struct Item {
    path: String,
    entry: Option<Entry>,
    hardlink_to: Option<String>,
}

fn apply_layer(image: &mut Image, r: impl Read, next_inode: &mut u64) -> std::io::Result<()> {
    let mut items = Vec::new();
    let mut whiteouts = Vec::new();
    let mut opaque = Vec::new();
    let mut archive = tar::Archive::new(r);
    for e in archive.entries()? {
        let mut e = e?;
        let path = clean(&e.path()?.to_string_lossy());
        let (parent, name) = path.rsplit_once('/').unwrap_or(("", &path));
        if name == ".wh..wh..opq" {
            opaque.push(parent.to_string());
            continue;
        }
        if let Some(hidden) = name.strip_prefix(".wh.") {
            whiteouts.push(format!("{parent}/{hidden}"));
            continue;
        }
        // The entry's, not the header's: long and non-ASCII targets live in
        // PAX or GNU records (Go's writer leaves an ASCII-only ustar field).
        let link = e
            .link_name()?
            .map(|l| l.to_string_lossy().into_owned())
            .unwrap_or_default();
        let h = e.header().clone();
        let kind = match h.entry_type() {
            tar::EntryType::Directory => 'd',
            tar::EntryType::Symlink => 'l',
            tar::EntryType::Link => {
                items.push(Item {
                    path,
                    entry: None,
                    hardlink_to: Some(clean(&link)),
                });
                continue;
            }
            tar::EntryType::Char => 'c',
            tar::EntryType::Block => 'b',
            tar::EntryType::Fifo => 'p',
            _ => 'f',
        };
        let mut xattrs = BTreeMap::new();
        if let Some(pax) = e.pax_extensions()? {
            for x in pax.flatten() {
                if let Ok(k) = x.key()
                    && let Some(name) = k.strip_prefix("SCHILY.xattr.")
                {
                    xattrs.insert(name.to_string(), shown(x.value_bytes()));
                }
            }
        }
        let mut bytes = Vec::new();
        if kind == 'f' {
            e.read_to_end(&mut bytes)?;
        }
        *next_inode += 1;
        items.push(Item {
            path: path.clone(),
            hardlink_to: None,
            entry: Some(Entry {
                kind,
                mode: h.mode()? & 0o7777,
                uid: h.uid()?,
                gid: h.gid()?,
                mtime: h.mtime()?,
                content: if kind == 'f' {
                    content_of(&format!("/{path}"), &mut bytes)
                } else {
                    String::new()
                },
                link: if kind == 'l' { link } else { String::new() },
                device: if matches!(kind, 'c' | 'b') {
                    (
                        h.device_major()?.unwrap_or(0),
                        h.device_minor()?.unwrap_or(0),
                    )
                } else {
                    (0, 0)
                },
                xattrs,
                inode: *next_inode,
            }),
        });
    }
    for dir in &opaque {
        let path = format!("/{dir}");
        let prefix = format!("{path}/");
        // A marker counts only where the layers below have something at or
        // under the directory: elsewhere it hides nothing. Current BuildKit
        // writes none there (checkOpaque in util/overlay/overlay_linux.go at
        // 73ed6825 asks whether the lower layers hold the path); BuildKit 0.8
        // copies overlayfs's mark onto every new directory dpkg makes. What
        // strata's own layers mark is pinned by tests/build_copy_layers.rs.
        let hides = image
            .entries
            .keys()
            .any(|p| *p == path || p.starts_with(&prefix));
        if hides {
            image.opaque.insert(path);
        }
        image.entries.retain(|p, _| !p.starts_with(&prefix));
    }
    for w in &whiteouts {
        remove_tree(
            &mut image.entries,
            &format!("/{}", w.trim_start_matches('/')),
        );
    }
    for item in items {
        let path = format!("/{}", item.path);
        let entry = match (item.entry, item.hardlink_to) {
            (Some(e), _) => e,
            (None, Some(target)) => match image.entries.get(&format!("/{target}")) {
                Some(t) => t.clone(),
                None => {
                    return Err(std::io::Error::other(format!(
                        "{path}: hardlink to missing {target}"
                    )));
                }
            },
            (None, None) => continue,
        };
        match image.entries.get_mut(&path) {
            // A directory entry over a directory changes its metadata and
            // keeps what is inside.
            Some(old) if old.kind == 'd' && entry.kind == 'd' => *old = entry,
            _ => {
                remove_tree(&mut image.entries, &path);
                image.entries.insert(path, entry);
            }
        }
    }
    Ok(())
}

fn remove_tree(entries: &mut BTreeMap<String, Entry>, path: &str) {
    entries.remove(path);
    let prefix = format!("{path}/");
    entries.retain(|p, _| !p.starts_with(&prefix));
}

/// `./a/b/` and `a/b` both name `a/b`.
fn clean(p: &str) -> String {
    p.trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/')
        .to_string()
}

/// The content as compared. A timestamp-based .pyc (PEP 552 flags 0) holds
/// its source's mtime in bytes 8..12; for sources a RUN installs that is
/// the time of the build, so those four bytes are zeroed first (the rest,
/// source size and code, still count).
fn content_of(path: &str, bytes: &mut [u8]) -> String {
    if path.ends_with(".pyc") && bytes.len() >= 16 && bytes[4..8] == [0, 0, 0, 0] {
        bytes[8..12].fill(0);
    }
    if bytes.len() <= SHOWN_BYTES && std::str::from_utf8(bytes).is_ok() {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut h = DefaultHasher::new();
    h.write(bytes);
    format!("<{} bytes, hash {:016x}>", bytes.len(), h.finish())
}

/// Xattr values are binary (capabilities, ACLs): hex unless printable.
fn shown(v: &[u8]) -> String {
    match std::str::from_utf8(v) {
        Ok(s) if s.chars().all(|c| !c.is_control()) => s.to_string(),
        _ => v.iter().map(|b| format!("{b:02x}")).collect(),
    }
}
