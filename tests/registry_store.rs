//! The store-level API other crates call (the builder's FROM pulls and
//! cache export/import): pull_image, push_image, push_artifact and
//! pull_artifact against a real docker-registry.

mod support;

use std::sync::Mutex;

use strata_store::registry::{
    BlobOutcome, ClientOptions, ManifestKind, Platform, TransferEvent, pull_artifact, pull_image,
    push_artifact, push_image, silent,
};
use strata_store::{Compression, Digest, ImageRef, LayerOptions, Store};
use support::registry::TestRegistry;

fn image_store(dir: &std::path::Path) -> (Store, ImageRef, Digest) {
    let rootfs = dir.join("rootfs");
    std::fs::create_dir_all(rootfs.join("bin")).expect("mkdir");
    std::fs::write(rootfs.join("bin/tool"), b"#!/bin/sh\necho hi\n").expect("write");
    let store = Store::open(&dir.join("a")).expect("open");
    let name = ImageRef::parse("base:1").expect("name");
    let opts = LayerOptions {
        compression: Compression::default(),
        source_date_epoch: Some(0),
    };
    let digest = store
        .import_rootfs(&rootfs, Some(&name), &opts)
        .expect("import");
    (store, name, digest)
}

#[test]
fn pull_image_reports_progress_and_skips_what_the_store_has() {
    let reg = TestRegistry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, name, digest) = image_store(tmp.path());
    let image = a.resolve(&name).expect("resolve").expect("present");
    let remote = ImageRef::parse(&format!("{}/lib/base:1", reg.host())).expect("ref");
    let options = ClientOptions::default();
    let pushed = push_image(&a, &image, &remote, None, &options, &silent).expect("push");
    assert_eq!(pushed, digest);

    let b = Store::open(&tmp.path().join("b")).expect("open");
    let events = Mutex::new(Vec::new());
    let record = |e: TransferEvent| events.lock().expect("lock").push(e);
    let pulled = pull_image(&b, &remote, &Platform::host(), &options, &record).expect("pull");
    assert_eq!(pulled.manifest_digest, digest);
    assert_eq!(
        b.resolve(&remote)
            .expect("resolve")
            .map(|i| i.manifest_digest),
        Some(digest)
    );
    let layers = image.manifest.layers().len();
    let finished = |outcome| {
        events
            .lock()
            .expect("lock")
            .iter()
            .filter(|e| matches!(e, TransferEvent::Finished { outcome: o, .. } if *o == outcome))
            .count()
    };
    assert_eq!(finished(BlobOutcome::Transferred), layers);
    events.lock().expect("lock").clear();
    pull_image(&b, &remote, &Platform::host(), &options, &record).expect("pull again");
    assert_eq!(finished(BlobOutcome::Skipped), layers);
    assert_eq!(finished(BlobOutcome::Transferred), 0);

    // Pushing to another repository of the same registry mounts the layers.
    let events2 = Mutex::new(Vec::new());
    let other = ImageRef::parse(&format!("{}/team/derived:1", reg.host())).expect("ref");
    let record2 = |e: TransferEvent| events2.lock().expect("lock").push(e);
    push_image(&b, &pulled, &other, Some("lib/base"), &options, &record2).expect("push");
    let mounted = events2
        .lock()
        .expect("lock")
        .iter()
        .filter(|e| {
            matches!(
                e,
                TransferEvent::Finished {
                    outcome: BlobOutcome::Mounted,
                    ..
                }
            )
        })
        .count();
    assert_eq!(mounted, layers + 1, "config and layers mounted");
}

#[test]
fn an_artifact_round_trips_blob_for_blob_into_an_empty_store() {
    let reg = TestRegistry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let a = Store::open(&tmp.path().join("a")).expect("open");
    let config = br#"{"records":["step-1","step-2"]}"#.to_vec();
    let blobs: Vec<Vec<u8>> = vec![vec![1u8; 10_000], b"second record".to_vec()];
    let config_d = a.write_blob(&config).expect("write");
    let mut list = Vec::new();
    let mut descs = Vec::new();
    for b in &blobs {
        let d = a.write_blob(b).expect("write");
        descs.push(format!(
            r#"{{"mediaType":"application/vnd.strata.cache.record.v1","digest":"{d}","size":{}}}"#,
            b.len()
        ));
        list.push((d, b.len() as u64));
    }
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.strata.cache.v1","config":{{"mediaType":"application/vnd.strata.cache.config.v1+json","digest":"{config_d}","size":{}}},"layers":[{}]}}"#,
        config.len(),
        descs.join(",")
    );
    list.push((config_d, config.len() as u64));
    let dest = ImageRef::parse(&format!("{}/cache/app:buildcache", reg.host())).expect("ref");
    let options = ClientOptions::default();
    let digest = push_artifact(
        &a,
        &dest,
        ManifestKind::OciManifest,
        manifest.as_bytes(),
        &list,
        None,
        &options,
        &silent,
    )
    .expect("push artifact");
    assert_eq!(digest, Digest::of(manifest.as_bytes()));

    let b = Store::open(&tmp.path().join("b")).expect("open");
    let got = pull_artifact(&b, &dest, &options, &silent).expect("pull artifact");
    assert_eq!(got.manifest.digest, digest);
    assert_eq!(got.manifest.bytes, manifest.as_bytes());
    assert_eq!(b.read_blob(&config_d).expect("config"), config);
    for (desc, want) in got.blobs.iter().zip(&blobs) {
        let mut bytes = Vec::new();
        use std::io::Read;
        b.open_blob(&desc.digest)
            .expect("blob")
            .read_to_end(&mut bytes)
            .expect("read");
        assert_eq!(&bytes, want);
    }
}

#[test]
fn a_layer_that_is_not_what_its_config_says_is_refused_and_nothing_is_named() {
    use strata_store::registry::{RegistryClient, Target};
    let reg = TestRegistry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let c = RegistryClient::new(&reg.host(), &ClientOptions::default());
    // A valid gzip stream of an empty tar, but the config claims another diff_id.
    let layer = {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&[0u8; 1024]).expect("gzip");
        gz.finish().expect("gzip")
    };
    let lie = Digest::of(b"some other layer");
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{lie}"]}}}}"#
    );
    let ld = Digest::of(&layer);
    let cd = Digest::of(config.as_bytes());
    for b in [&layer[..], config.as_bytes()] {
        c.push_blob(
            "evil/app",
            &Digest::of(b),
            b.len() as u64,
            &mut &b[..],
            None,
        )
        .expect("push blob");
    }
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cd}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{ld}","size":{}}}]}}"#,
        config.len(),
        layer.len()
    );
    c.put_manifest(
        "evil/app",
        &Target::Tag("1".into()),
        ManifestKind::OciManifest,
        manifest.as_bytes(),
    )
    .expect("put");

    let b = Store::open(&tmp.path().join("b")).expect("open");
    let remote = ImageRef::parse(&format!("{}/evil/app:1", reg.host())).expect("ref");
    let err = pull_image(
        &b,
        &remote,
        &Platform::host(),
        &ClientOptions::default(),
        &silent,
    )
    .expect_err("diff_id mismatch");
    assert!(err.to_string().contains(&lie.to_string()), "{err}");
    assert!(b.resolve(&remote).expect("resolve").is_none());
    assert!(!b.has_blob(&ld), "the refused layer's blob was not kept");
    assert!(b.pulled_ago(&remote).is_none(), "a refused pull is no pull");
}

#[test]
fn every_pull_records_its_time_by_reference_whoever_asked() {
    let reg = TestRegistry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, name, _) = image_store(tmp.path());
    let image = a.resolve(&name).expect("resolve").expect("present");
    let remote = ImageRef::parse(&format!("{}/lib/base:1", reg.host())).expect("ref");
    let options = ClientOptions::default();
    push_image(&a, &image, &remote, None, &options, &silent).expect("push");
    assert!(a.pulled_ago(&remote).is_none(), "a push is no pull");

    let b = Store::open(&tmp.path().join("b")).expect("open");
    assert!(b.pulled_ago(&remote).is_none());
    pull_image(&b, &remote, &Platform::host(), &options, &silent).expect("pull");
    let ago = b.pulled_ago(&remote).expect("recorded");
    assert!(ago < std::time::Duration::from_secs(60), "{ago:?}");
    // The record is the reference's, not the image's: another name of the
    // same image was never pulled.
    let other = ImageRef::parse(&format!("{}/lib/base:2", reg.host())).expect("ref");
    assert!(b.pulled_ago(&other).is_none());

    let c = Store::open(&tmp.path().join("c")).expect("open");
    strata_store::registry::pull_all_platforms(&c, &remote, &options, &silent).expect("pull");
    assert!(c.pulled_ago(&remote).is_some(), "pull --all-platforms too");
}

#[test]
fn ensure_image_follows_the_pull_policy() {
    use strata_store::registry::{PullPolicy, ensure_image};
    let reg = TestRegistry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, name, first) = image_store(tmp.path());
    let options = ClientOptions::default();
    let remote = ImageRef::parse(&format!("{}/lib/base:1", reg.host())).expect("ref");
    let image = a.resolve(&name).expect("resolve").expect("present");
    push_image(&a, &image, &remote, None, &options, &silent).expect("push");

    let b = Store::open(&tmp.path().join("b")).expect("open");
    let host = Platform::host();
    let never = ensure_image(&b, &remote, PullPolicy::Never, &host, &options, &silent);
    assert!(
        never
            .expect_err("not local")
            .to_string()
            .contains("--pull=never")
    );
    let got =
        ensure_image(&b, &remote, PullPolicy::Missing, &host, &options, &silent).expect("pulled");
    assert_eq!(got.manifest_digest, first);

    // The tag moves on the registry.
    let rootfs2 = tmp.path().join("rootfs2");
    std::fs::create_dir_all(&rootfs2).expect("mkdir");
    std::fs::write(rootfs2.join("v2"), b"second version").expect("write");
    let opts = LayerOptions {
        compression: Compression::default(),
        source_date_epoch: Some(0),
    };
    let v2 = a
        .import_rootfs(&rootfs2, Some(&name), &opts)
        .expect("import");
    let image2 = a.image(&v2).expect("image");
    push_image(&a, &image2, &remote, None, &options, &silent).expect("push v2");

    let kept =
        ensure_image(&b, &remote, PullPolicy::Missing, &host, &options, &silent).expect("local");
    assert_eq!(
        kept.manifest_digest, first,
        "missing: the local image is used"
    );
    let fresh =
        ensure_image(&b, &remote, PullPolicy::Always, &host, &options, &silent).expect("pulled");
    assert_eq!(
        fresh.manifest_digest, v2,
        "always: the moved tag is followed"
    );
    drop(reg);
    let offline =
        ensure_image(&b, &remote, PullPolicy::Never, &host, &options, &silent).expect("local");
    assert_eq!(offline.manifest_digest, v2);
}
