//! Snapshot tree -> layer tar, deterministically: siblings sorted by name,
//! ustar headers with empty owner names, PAX records only for what ustar
//! cannot hold (long names, big ids, xattrs), mtimes clamped to
//! SOURCE_DATE_EPOCH. The same tree always gives the same bytes.

use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use tar::{Builder, EntryType, Header};
use walkdir::WalkDir;

use super::sys;
use super::{OPAQUE_MARKER, OPAQUE_XATTRS, WHITEOUT_PREFIX};
use crate::error::{IoContext, StoreError};

/// Largest id a ustar octal field holds.
const USTAR_MAX_ID: u64 = 0o7_777_777;

/// Writes the tar of `root` into `out` and returns `out`.
pub fn write_tar<W: Write>(
    root: &Path,
    out: W,
    source_date_epoch: Option<u64>,
) -> Result<W, StoreError> {
    let mut w = TarWriter {
        builder: Builder::new(out),
        epoch: source_date_epoch,
        links: HashMap::new(),
    };
    let walk = WalkDir::new(root)
        .follow_links(false)
        .min_depth(1)
        .sort_by(|a, b| a.file_name().as_bytes().cmp(b.file_name().as_bytes()));
    for entry in walk {
        let entry = entry.map_err(|e| StoreError::Io {
            context: format!("walk {}", root.display()),
            source: e.into(),
        })?;
        let rel = entry
            .path()
            .strip_prefix(root)
            .map_err(|e| StoreError::malformed("snapshot walk", e))?;
        let meta = entry
            .path()
            .symlink_metadata()
            .ctx(|| format!("stat {}", entry.path().display()))?;
        w.append(entry.path(), rel.as_os_str().as_bytes(), &meta)?;
    }
    w.builder.into_inner().ctx(|| "finish tar".to_owned())
}

struct TarWriter<W: Write> {
    builder: Builder<W>,
    epoch: Option<u64>,
    /// (dev, inode) of multiply-linked files -> the name they were first
    /// written under; later names become hardlink entries.
    links: HashMap<(u64, u64), Vec<u8>>,
}

impl<W: Write> TarWriter<W> {
    fn append(&mut self, path: &Path, rel: &[u8], meta: &Metadata) -> Result<(), StoreError> {
        let ft = meta.file_type();
        let xattrs = sys::list_xattrs(path).ctx(|| format!("list xattrs of {}", path.display()))?;
        let opaque = ft.is_dir()
            && xattrs
                .iter()
                .any(|(n, v)| OPAQUE_XATTRS.contains(&n.as_str()) && v.as_slice() == b"y");
        let xattrs: Vec<_> = xattrs.into_iter().filter(|(n, _)| keep_xattr(n)).collect();

        if ft.is_char_device() && meta.rdev() == 0 {
            // An overlay whiteout: the OCI form is an empty `.wh.NAME` file.
            let (dir, name) = split_name(rel);
            let mut wh = dir.to_vec();
            wh.extend_from_slice(WHITEOUT_PREFIX.as_bytes());
            wh.extend_from_slice(name);
            let header = self.header(EntryType::Regular, meta, 0);
            return self.emit(header, &wh, None, &[], io::empty(), path);
        }

        if ft.is_dir() {
            let mut name = rel.to_vec();
            name.push(b'/');
            let header = self.header(EntryType::Directory, meta, 0);
            self.emit(header, &name, None, &xattrs, io::empty(), path)?;
            if opaque {
                let mut marker = name;
                marker.extend_from_slice(OPAQUE_MARKER.as_bytes());
                let header = self.header(EntryType::Regular, meta, 0);
                self.emit(header, &marker, None, &[], io::empty(), path)?;
            }
            return Ok(());
        }

        if ft.is_file() {
            if meta.nlink() > 1 {
                let key = (meta.dev(), meta.ino());
                if let Some(first) = self.links.get(&key).cloned() {
                    let header = self.header(EntryType::Link, meta, 0);
                    return self.emit(header, rel, Some(&first), &xattrs, io::empty(), path);
                }
                self.links.insert(key, rel.to_vec());
            }
            let file = File::open(path).ctx(|| format!("open {}", path.display()))?;
            let header = self.header(EntryType::Regular, meta, meta.len());
            return self.emit(header, rel, None, &xattrs, file, path);
        }

        if ft.is_symlink() {
            let target = fs::read_link(path).ctx(|| format!("readlink {}", path.display()))?;
            let header = self.header(EntryType::Symlink, meta, 0);
            return self.emit(
                header,
                rel,
                Some(target.as_os_str().as_bytes()),
                &xattrs,
                io::empty(),
                path,
            );
        }

        let kind = if ft.is_char_device() {
            EntryType::Char
        } else if ft.is_block_device() {
            EntryType::Block
        } else if ft.is_fifo() {
            EntryType::Fifo
        } else {
            // Sockets belong to a running process, not to an image.
            return Ok(());
        };
        let mut header = self.header(kind, meta, 0);
        if kind != EntryType::Fifo {
            let (major, minor) = sys::dev_major_minor(meta.rdev());
            header
                .set_device_major(major)
                .ctx(|| "device major".to_owned())?;
            header
                .set_device_minor(minor)
                .ctx(|| "device minor".to_owned())?;
        }
        self.emit(header, rel, None, &xattrs, io::empty(), path)
    }

    fn header(&self, kind: EntryType, meta: &Metadata, size: u64) -> Header {
        let mut h = Header::new_ustar();
        h.set_entry_type(kind);
        h.set_mode(meta.mode() & 0o7777);
        h.set_uid(meta.uid() as u64);
        h.set_gid(meta.gid() as u64);
        let mtime = meta.mtime().max(0) as u64;
        h.set_mtime(self.epoch.map_or(mtime, |e| mtime.min(e)));
        h.set_size(size);
        h
    }

    fn emit(
        &mut self,
        mut header: Header,
        name: &[u8],
        link: Option<&[u8]>,
        xattrs: &[(String, Vec<u8>)],
        data: impl Read,
        source: &Path,
    ) -> Result<(), StoreError> {
        let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
        put_field(&mut header.as_old_mut().name, name, "path", &mut pax);
        if let Some(link) = link {
            put_field(
                &mut header.as_old_mut().linkname,
                link,
                "linkpath",
                &mut pax,
            );
        }
        for (key, get) in [
            ("uid", Header::uid as fn(&Header) -> io::Result<u64>),
            ("gid", Header::gid),
        ] {
            let v = get(&header).unwrap_or(0);
            if v > USTAR_MAX_ID {
                pax.push((key.to_owned(), v.to_string().into_bytes()));
            }
        }
        if pax.iter().any(|(k, _)| k == "uid") {
            header.set_uid(0);
        }
        if pax.iter().any(|(k, _)| k == "gid") {
            header.set_gid(0);
        }
        for (n, v) in xattrs {
            pax.push((format!("SCHILY.xattr.{n}"), v.clone()));
        }
        if !pax.is_empty() {
            self.builder
                .append_pax_extensions(pax.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
                .ctx(|| "write pax header".to_owned())?;
        }
        header.set_cksum();
        let size = header.size().unwrap_or(0);
        let mut counted = Counted {
            inner: data.take(size),
            n: 0,
        };
        self.builder
            .append(&header, &mut counted)
            .ctx(|| format!("write {}", source.display()))?;
        if counted.n != size {
            return Err(StoreError::UnsupportedFile {
                path: source.to_path_buf(),
                reason: "file changed size while being archived".to_owned(),
            });
        }
        Ok(())
    }
}

/// overlay's own bookkeeping and host security labels are not image content.
fn keep_xattr(name: &str) -> bool {
    !(name.starts_with("trusted.overlay.")
        || name.starts_with("user.overlay.")
        || name == "security.selinux")
}

/// Puts `value` into a fixed ustar field, or into a PAX record when it does
/// not fit (the field then keeps a truncated copy for old readers).
fn put_field(field: &mut [u8], value: &[u8], pax_key: &str, pax: &mut Vec<(String, Vec<u8>)>) {
    let n = value.len().min(field.len());
    field[..n].copy_from_slice(&value[..n]);
    if value.len() > field.len() {
        pax.push((pax_key.to_owned(), value.to_vec()));
    }
}

fn split_name(rel: &[u8]) -> (&[u8], &[u8]) {
    match rel.iter().rposition(|b| *b == b'/') {
        Some(i) => (&rel[..=i], &rel[i + 1..]),
        None => (&[], rel),
    }
}

struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}
