//! Records written before the one `Digest` type (by main at a8b8f9e, see
//! testdata/records/SOURCES.md) still load, and write back byte for byte:
//! a store's cache and a `--cache-to` artifact outlive the change.

use std::path::PathBuf;

use strata_builder::cache::CacheRecord;
use strata_builder::cache::remote::CacheConfig;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/records")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_step_record_of_main_loads_and_writes_back_the_same_bytes() {
    let bytes = fixture("step-record.json");
    let record: CacheRecord = serde_json::from_slice(&bytes).expect("an old record loads");
    assert!(!record.layers.is_empty(), "the fixture records a layer");
    for layer in record.layers.values() {
        assert!(layer.digest.to_string().starts_with("sha256:"));
        assert!(layer.diff_id.to_string().starts_with("sha256:"));
    }
    // The key is still the hash of the inputs: keys did not change.
    assert_eq!(record.inputs.key(), record.key);
    let again = serde_json::to_vec_pretty(&record).expect("serialize");
    assert_eq!(
        String::from_utf8_lossy(&again),
        String::from_utf8_lossy(&bytes)
    );
}

#[test]
fn a_cache_to_config_of_main_loads_and_keeps_every_record() {
    let bytes = fixture("cache-config.json");
    let raw: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    let written = raw["records"].as_array().map_or(0, Vec::len);
    let config = CacheConfig::parse("fixture", &bytes).expect("an old cache config loads");
    // parse() drops records whose key is not their inputs' hash: none is.
    assert!(written > 0);
    assert_eq!(config.records.len(), written);
    let again = serde_json::to_vec(&config).expect("serialize");
    assert_eq!(
        String::from_utf8_lossy(&again),
        String::from_utf8_lossy(&bytes)
    );
}
