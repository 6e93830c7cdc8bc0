//! Export, layout and adopt together: a record made in one store becomes a
//! usable record, with the same files, in another.

use std::collections::BTreeMap;

use strata_store::{LayerOptions, SnapshotId, Store};

use super::*;
use crate::cache::record::StepOrigin;
use crate::cache::{CacheDir, CacheRecord, KeyInputs, Parent};

fn inputs(instruction: &str) -> KeyInputs {
    KeyInputs {
        parent: Parent::Scratch,
        instruction: instruction.into(),
        env: BTreeMap::new(),
        sources: None,
        files: BTreeMap::new(),
        extra: BTreeMap::new(),
    }
}

/// A store with one step record whose snapshot holds `/hello`.
fn store_with_record(dir: &std::path::Path) -> (Store, CacheDir, CacheRecord) {
    let store = Store::open(&dir.join("store")).unwrap();
    let upper = dir.join("upper");
    std::fs::create_dir_all(upper.join("etc")).unwrap();
    std::fs::write(upper.join("etc/hello"), "hello\n").unwrap();
    let id = SnapshotId::new("step-test").unwrap();
    store.commit_snapshot(&upper, &id).unwrap();
    let cache = CacheDir::open(&store).unwrap();
    let record = CacheRecord::new(
        inputs("RUN make hello"),
        StepOrigin::default(),
        Some(id.as_str().to_string()),
    );
    cache.put(&record).unwrap();
    (store, cache, record)
}

#[test]
fn an_exported_record_is_adopted_with_its_files_in_another_store() {
    let a = tempfile::tempdir().unwrap();
    let (store, cache, record) = store_with_record(a.path());
    let layer = LayerOptions {
        compression: Default::default(),
        source_date_epoch: Some(0),
    };
    let artifact = export(&store, &cache, &[record.key, record.key], &layer).unwrap();
    assert_eq!(artifact.records, 1, "a key listed twice is exported once");
    assert_eq!(artifact.blobs.len(), 2, "the config and one layer");
    let layout = a.path().join("layout");
    write_layout(&store, &artifact, &layout).unwrap();

    let b = tempfile::tempdir().unwrap();
    let other = Store::open(b.path()).unwrap();
    let mut imported = Imported::default();
    imported.add(read_layout(&other, &layout).unwrap());
    assert_eq!(imported.len(), 1);
    let other_cache = CacheDir::open(&other).unwrap();
    let unknown = inputs("RUN something else").key();
    assert!(
        adopt(&other, &other_cache, &imported, &unknown)
            .unwrap()
            .is_none()
    );

    let adopted = adopt(&other, &other_cache, &imported, &record.key)
        .unwrap()
        .expect("the key was exported");
    assert_eq!(adopted.created, record.created, "timestamps travel");
    let stored = other_cache.get(&record.key).unwrap().expect("written");
    assert_eq!(stored.snapshot, adopted.snapshot);
    assert_eq!(
        stored
            .pins
            .snapshots
            .iter()
            .map(|s| s.as_str().to_string())
            .collect::<Vec<_>>(),
        adopted.snapshot.iter().cloned().collect::<Vec<_>>(),
        "the record keeps the unpacked snapshot from gc"
    );
    let snapshot = SnapshotId::new(adopted.snapshot.as_deref().unwrap()).unwrap();
    let dir = other
        .snapshot_dir(&snapshot)
        .expect("the layer was unpacked");
    assert_eq!(
        std::fs::read_to_string(dir.join("etc/hello")).unwrap(),
        "hello\n"
    );
    let exported = &artifact.blobs[1].0;
    let meta = other.snapshot_meta(&snapshot).unwrap();
    assert!(
        meta.blobs
            .iter()
            .any(|b| b.source_date_epoch == Some(0) && b.digest == *exported),
        "the snapshot knows its blob in the exported variant: {meta:?}"
    );
    let again = other.write_layer(&dir, &layer).unwrap();
    assert_eq!(again.descriptor.digest().to_string(), exported.to_string());
}

#[test]
fn records_whose_key_is_not_the_hash_of_their_inputs_are_dropped() {
    let t = tempfile::tempdir().unwrap();
    let (store, cache, record) = store_with_record(t.path());
    let layer = LayerOptions::default();
    let artifact = export(&store, &cache, &[record.key], &layer).unwrap();
    let config_digest = &artifact.blobs[0].0;
    let mut config: CacheConfig =
        serde_json::from_slice(&store.read_blob(config_digest).unwrap()).unwrap();
    config.records[0].inputs.instruction = "RUN something else".into();
    let forged = serde_json::to_vec(&config).unwrap();
    assert!(
        CacheConfig::parse("test", &forged)
            .unwrap()
            .records
            .is_empty()
    );
    assert!(CacheConfig::parse("test", b"{}").is_err());
}
