//! The store API as the builder and `strata run` use it: snapshots, layers,
//! images, names, gc with cache pins, fsck.

use std::fs;
use std::path::Path;

use strata_store::{
    Compression, Digest, ImageConfiguration, ImageRef, LayerOptions, Pins, SnapshotId, Store,
};

type R = Result<(), Box<dyn std::error::Error>>;

fn config_for(diff_ids: &[&Digest]) -> ImageConfiguration {
    let mut c = ImageConfiguration::default();
    let mut rootfs = c.rootfs().clone();
    rootfs.set_diff_ids(diff_ids.iter().map(|d| d.to_string()).collect());
    c.set_rootfs(rootfs);
    c
}

fn upper(
    store: &Store,
    files: &[(&str, &str)],
) -> Result<tempfile::TempDir, Box<dyn std::error::Error>> {
    let dir = store.tempdir()?;
    for (path, content) in files {
        let p = dir.path().join(path);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(p, content)?;
    }
    Ok(dir)
}

fn opts(c: Compression) -> LayerOptions {
    LayerOptions {
        compression: c,
        source_date_epoch: Some(1_700_000_000),
    }
}

#[test]
fn open_creates_an_oci_layout() -> R {
    let t = tempfile::tempdir()?;
    let store = Store::open(&t.path().join("s"))?;
    for f in [
        "oci-layout",
        "index.json",
        "blobs/sha256",
        "snapshots",
        "cache",
        "tmp",
    ] {
        assert!(store.root().join(f).exists(), "{f} missing");
    }
    assert!(store.root().is_absolute());
    // Opening again keeps what is there.
    let d = store.write_blob(b"kept")?;
    let again = Store::open(store.root())?;
    assert!(again.has_blob(&d));
    Ok(())
}

#[test]
fn commit_snapshot_renames_the_upper_dir_and_is_idempotent() -> R {
    let t = tempfile::tempdir()?;
    let store = Store::open(t.path())?;
    let id = SnapshotId::new("step-1")?;
    assert_eq!(store.snapshot_dir(&id), None);
    let up = upper(&store, &[("a/b", "1")])?;
    let inode = fs::metadata(up.path().join("a/b"))?;
    let committed = store.commit_snapshot(up.path(), &id)?;
    assert!(!up.path().exists(), "the upper dir was moved, not copied");
    assert_eq!(store.snapshot_dir(&id), Some(committed.clone()));
    assert_eq!(
        std::os::unix::fs::MetadataExt::ino(&fs::metadata(committed.join("a/b"))?),
        std::os::unix::fs::MetadataExt::ino(&inode)
    );
    // Committing the same id again leaves the second tree alone.
    let other = upper(&store, &[("c", "2")])?;
    assert_eq!(store.commit_snapshot(other.path(), &id)?, committed);
    assert!(other.path().join("c").exists());
    assert!(!committed.join("c").exists());
    assert!(SnapshotId::new("../x").is_err() && SnapshotId::new("").is_err());
    Ok(())
}

#[test]
fn layers_are_reproducible_and_remembered_per_snapshot() -> R {
    let t = tempfile::tempdir()?;
    let store = Store::open(t.path())?;
    let files = [("etc/a", "alpha"), ("usr/bin/tool", "binary")];
    let up = upper(&store, &files)?;
    let snap = store.commit_snapshot(up.path(), &SnapshotId::new("s1")?)?;
    let loose = upper(&store, &files)?;
    for c in [
        Compression::None,
        Compression::Gzip { level: 6 },
        Compression::Zstd { level: 3 },
    ] {
        let a = store.write_layer(&snap, &opts(c))?;
        let b = store.write_layer(loose.path(), &opts(c))?;
        assert_eq!(a, b, "{c}: same tree, same blob");
        assert!(store.has_blob(&Digest::from_oci(a.descriptor.digest())?));
    }
    let meta = store.snapshot_meta(&SnapshotId::new("s1")?)?;
    assert_eq!(meta.blobs.len(), 3);
    assert!(meta.diff_id.is_some());
    Ok(())
}

#[test]
fn images_resolve_by_name_and_digest_and_unpack_into_snapshots() -> R {
    let t = tempfile::tempdir()?;
    let store = Store::open(t.path())?;
    let base = upper(&store, &[("etc/os-release", "base"), ("bin/sh", "sh")])?;
    let l1 = store.write_layer(base.path(), &opts(Compression::default()))?;
    let top = upper(&store, &[("app/main", "main")])?;
    let l2 = store.write_layer(top.path(), &opts(Compression::Zstd { level: 3 }))?;
    let config = config_for(&[&l1.diff_id, &l2.diff_id]);
    let layers = [l1.descriptor.clone(), l2.descriptor.clone()];
    let digest = store.write_image(&config, &layers)?;
    assert_eq!(
        store.write_image(&config, &layers)?,
        digest,
        "canonical JSON: same digest"
    );

    let name = ImageRef::parse("app:1")?;
    assert!(store.resolve(&name)?.is_none());
    store.tag(&name, &digest)?;
    let img = store.resolve(&name)?.ok_or("not found by name")?;
    assert_eq!(img.manifest_digest, digest);
    let by_digest = ImageRef::parse(&format!("app@{digest}"))?;
    assert_eq!(
        store.resolve(&by_digest)?.map(|i| i.config_digest),
        Some(img.config_digest)
    );

    let dirs = store.layer_snapshots(&img)?;
    assert_eq!(dirs.len(), 2);
    assert_eq!(fs::read_to_string(dirs[0].join("etc/os-release"))?, "base");
    assert_eq!(fs::read_to_string(dirs[1].join("app/main"))?, "main");
    assert_eq!(store.layer_snapshots(&img)?, dirs, "unpacked once");

    // A config that does not match the layers is refused.
    assert!(
        store
            .write_image(&config_for(&[&l1.diff_id]), &layers)
            .is_err()
    );
    Ok(())
}

fn image_with(store: &Store, content: &str) -> Result<Digest, Box<dyn std::error::Error>> {
    let up = upper(store, &[("f", content)])?;
    let l = store.write_layer(up.path(), &opts(Compression::None))?;
    Ok(store.write_image(&config_for(&[&l.diff_id]), &[l.descriptor])?)
}

#[test]
fn gc_keeps_what_names_and_cache_pins_reach_and_removes_the_rest() -> R {
    let t = tempfile::tempdir()?;
    let store = Store::open(t.path())?;
    let named = image_with(&store, "named")?;
    store.tag(&ImageRef::parse("keep")?, &named)?;
    let orphan = image_with(&store, "orphan")?;
    let named_img = store.image(&named)?;
    let named_snaps = store.layer_snapshots(&named_img)?;
    let orphan_snaps = store.layer_snapshots(&store.image(&orphan)?)?;

    // A build cache record pins a snapshot and a blob.
    let cached = upper(&store, &[("cached", "c")])?;
    let cached_id = SnapshotId::new("cache-step")?;
    let cached_dir = store.commit_snapshot(cached.path(), &cached_id)?;
    let pinned_blob = store.write_blob(b"pinned")?;
    let record = serde_json::json!({"key": "whatever", "pins": Pins { snapshots: vec![cached_id.clone()], blobs: vec![pinned_blob] }});
    fs::write(store.cache_dir().join("rec.json"), record.to_string())?;
    // A file of a git checkout or a cache mount that looks like a record
    // is content, not a record: it pins nothing.
    let mounted_blob = store.write_blob(b"named by a file a build wrote")?;
    let fake = serde_json::json!({"pins": Pins { snapshots: vec![], blobs: vec![mounted_blob] }});
    for dir in [
        "git/0123456789abcdef0123456789abcdef01234567",
        "mounts/pkgs-0123",
    ] {
        fs::create_dir_all(store.cache_dir().join(dir))?;
        fs::write(
            store.cache_dir().join(dir).join("package.json"),
            fake.to_string(),
        )?;
    }
    let loose_snap = upper(&store, &[("x", "x")])?;
    store.commit_snapshot(loose_snap.path(), &SnapshotId::new("unpinned")?)?;

    let report = store.gc()?;
    assert!(report.blobs_removed >= 3, "{report:?}"); // orphan manifest, config, layer
    assert_eq!(report.snapshots_removed, 2, "{report:?}");
    assert!(store.image(&named).is_ok());
    assert!(named_snaps.iter().all(|d| d.exists()));
    assert!(orphan_snaps.iter().all(|d| !d.exists()));
    assert!(!store.has_blob(&orphan));
    assert!(cached_dir.exists() && store.has_blob(&pinned_blob));
    assert!(!store.has_blob(&mounted_blob), "content pins nothing");
    assert!(store.fsck()?.is_clean());
    assert_eq!(store.gc()?.blobs_removed, 0, "gc is idempotent");
    Ok(())
}

#[test]
fn fsck_reports_corrupt_and_missing_blobs() -> R {
    let t = tempfile::tempdir()?;
    let store = Store::open(t.path())?;
    let d = image_with(&store, "x")?;
    store.tag(&ImageRef::parse("x")?, &d)?;
    assert!(store.fsck()?.is_clean());
    let img = store.image(&d)?;
    let layer = Digest::from_oci(img.manifest.layers()[0].digest())?;
    fs::write(store.blob_path(&layer), b"tampered")?;
    let report = store.fsck()?;
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains(&layer.to_string())),
        "{report:?}"
    );
    fs::remove_file(store.blob_path(&img.config_digest))?;
    let report = store.fsck()?;
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains(&img.config_digest.to_string())),
        "{report:?}"
    );
    assert!(store.gc().is_err(), "gc refuses to run on a broken store");
    Ok(())
}

#[test]
fn default_root_is_var_lib_strata_for_root() {
    let root = Store::default_root();
    if rustix_is_root() {
        assert_eq!(root, Path::new("/var/lib/strata"));
    } else {
        assert!(root.ends_with("strata"));
    }
}

fn rustix_is_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// Rewrites a snapshot's meta.json as if it had been written in another boot.
fn pretend_written_in_another_boot(store: &Store, id: &SnapshotId) -> R {
    let mut meta = store.snapshot_meta(id)?;
    assert!(
        meta.written_in_boot.is_some(),
        "a deferred commit names its boot"
    );
    meta.written_in_boot = Some("another-boot".into());
    store.set_snapshot_meta(id, &meta)?;
    Ok(())
}

#[test]
fn a_deferred_snapshot_is_trusted_in_its_boot_and_after_a_sync_only() -> R {
    let t = tempfile::tempdir()?;
    let store = Store::open(t.path())?;
    let (synced, unsynced) = (SnapshotId::new("synced")?, SnapshotId::new("unsynced")?);
    for id in [&synced, &unsynced] {
        let up = upper(&store, &[("f", "data")])?;
        let dir = store.commit_snapshot_deferred(up.path(), id)?;
        assert_eq!(store.snapshot_dir(id), Some(dir), "trusted in this boot");
    }
    store.sync_snapshots(std::slice::from_ref(&synced))?;
    pretend_written_in_another_boot(&store, &synced)?;
    pretend_written_in_another_boot(&store, &unsynced)?;
    assert!(
        store.snapshot_dir(&synced).is_some(),
        "synced: kept after a crash"
    );
    assert_eq!(
        store.snapshot_dir(&unsynced),
        None,
        "never synced, from another boot: its files may be lost"
    );
    let report = store.fsck()?;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // The step can be made again under the same id.
    let again = upper(&store, &[("f", "new data")])?;
    let dir = store.commit_snapshot_deferred(again.path(), &unsynced)?;
    assert_eq!(fs::read_to_string(dir.join("f"))?, "new data");
    assert_eq!(store.snapshot_dir(&unsynced), Some(dir));
    Ok(())
}
