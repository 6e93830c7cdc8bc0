//! Applying layer tars onto a merged tree (whiteouts delete) and onto an
//! overlay lower dir (whiteouts stay markers).

use std::fs;
use std::path::Path;

use strata_store::layer::{ApplyOptions, WhiteoutMode, apply_layer, write_tar};
use tar::{Builder, EntryType, Header};

type R = Result<(), Box<dyn std::error::Error>>;

fn tar(entries: &[(&str, EntryType, &str)]) -> Vec<u8> {
    let mut b = Builder::new(Vec::new());
    for (path, kind, data) in entries {
        let mut h = Header::new_ustar();
        h.set_entry_type(*kind);
        h.set_mode(if *kind == EntryType::Directory {
            0o755
        } else {
            0o644
        });
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_000_000);
        h.set_size(data.len() as u64);
        let r = if *kind == EntryType::Symlink || *kind == EntryType::Link {
            h.set_size(0);
            b.append_link(&mut h, path, data)
        } else {
            b.append_data(&mut h, path, data.as_bytes())
        };
        r.unwrap_or_else(|e| panic!("append {path}: {e}"));
    }
    b.into_inner().unwrap_or_default()
}

fn merged() -> ApplyOptions {
    ApplyOptions {
        whiteouts: WhiteoutMode::Remove,
        ..ApplyOptions::default()
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn whiteouts_delete_and_opaque_dirs_hide_only_lower_content_in_a_merged_tree() -> R {
    let t = tempfile::tempdir()?;
    let root = t.path();
    let base = tar(&[
        ("etc/", EntryType::Directory, ""),
        ("etc/old", EntryType::Regular, "old"),
        ("etc/keep", EntryType::Regular, "keep"),
        ("var/", EntryType::Directory, ""),
        ("var/lib/", EntryType::Directory, ""),
        ("var/lib/a", EntryType::Regular, "a"),
        ("var/lib/b", EntryType::Regular, "b"),
    ]);
    apply_layer(&base[..], root, &merged())?;
    let top = tar(&[
        ("etc/.wh.old", EntryType::Regular, ""),
        ("var/lib/", EntryType::Directory, ""),
        ("var/lib/.wh..wh..opq", EntryType::Regular, ""),
        ("var/lib/new", EntryType::Regular, "new"),
    ]);
    apply_layer(&top[..], root, &merged())?;
    assert_eq!(names(&root.join("etc")), ["keep"]);
    assert_eq!(names(&root.join("var/lib")), ["new"]);
    Ok(())
}

#[test]
fn later_entries_replace_earlier_ones_and_links_resolve_inside() -> R {
    let t = tempfile::tempdir()?;
    let root = t.path();
    let layer = tar(&[
        ("usr/", EntryType::Directory, ""),
        ("usr/lib/", EntryType::Directory, ""),
        ("lib", EntryType::Symlink, "usr/lib"),
        // Written through an in-root symlink: lands in usr/lib.
        ("lib/libc.so", EntryType::Regular, "libc"),
        ("x", EntryType::Regular, "first"),
        ("x", EntryType::Regular, "second"),
        ("y", EntryType::Link, "x"),
    ]);
    apply_layer(&layer[..], root, &merged())?;
    assert_eq!(fs::read_to_string(root.join("usr/lib/libc.so"))?, "libc");
    assert!(
        fs::symlink_metadata(root.join("lib"))?
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read_to_string(root.join("y"))?, "second");
    Ok(())
}

#[test]
fn the_diff_id_is_the_digest_of_the_stream_and_survives_a_round_trip() -> R {
    let t = tempfile::tempdir()?;
    let src = t.path().join("src");
    fs::create_dir_all(src.join("a/b"))?;
    fs::write(src.join("a/b/f"), "data")?;
    std::os::unix::fs::symlink("b/f", src.join("a/l"))?;
    let bytes = write_tar(&src, Vec::new(), Some(1_700_000_000))?;
    let dest = t.path().join("dest");
    fs::create_dir(&dest)?;
    let diff_id = apply_layer(&bytes[..], &dest, &ApplyOptions::default())?;
    assert_eq!(diff_id, strata_store::Digest::of(&bytes));
    assert_eq!(write_tar(&dest, Vec::new(), Some(1_700_000_000))?, bytes);
    Ok(())
}
