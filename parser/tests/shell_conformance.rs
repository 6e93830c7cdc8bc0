//! BuildKit's word-expansion vectors (shell/envVarTest and shell/wordsTest)
//! give exactly the expected word, words or error.

use std::collections::BTreeMap;
use std::path::PathBuf;

use strata_parser::shell::{expand, expand_words};

/// BuildKit's vectors, copied into the repository (see their SOURCES.md).
fn buildkit_shell() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/conformance/buildkit/shell"
    ))
}

fn vectors(name: &str) -> String {
    let path = buildkit_shell().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn env_of(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn every_env_var_vector_for_unix_expands_as_buildkit_does() {
    let env = env_of(&[
        ("PWD", "/home"),
        ("SHELL", "bash"),
        ("KOREAN", "한국어"),
        ("NULL", ""),
    ]);
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in vectors("envVarTest").lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.splitn(3, '|').collect();
        let [platform, input, expected] = parts[..] else {
            panic!("malformed vector: {line}")
        };
        if platform.trim() == "W" {
            continue;
        }
        let (input, expected) = (input.trim(), expected.trim());
        checked += 1;
        let got = expand(input, &env, '\\');
        let ok = match (&got, expected) {
            (Err(_), "error") => true,
            (Ok(w), e) => w == e,
            _ => false,
        };
        if !ok {
            failures.push(format!("{input:?}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(checked > 200, "only {checked} vectors found");
    assert!(
        failures.is_empty(),
        "{} of {checked} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_words_vector_splits_as_buildkit_does() {
    let mut env = BTreeMap::new();
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in vectors("wordsTest").lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(assign) = line.strip_prefix("ENV ") {
            let (k, v) = assign.split_once('=').expect("ENV k=v");
            env.insert(k.to_string(), v.to_string());
            continue;
        }
        let (input, expected) = line.split_once('|').expect("input | words");
        // Trailing blanks of the expected words are significant.
        let (input, expected) = (input.trim(), expected.trim_start());
        checked += 1;
        let got = expand_words(input, &env, '\\');
        let ok = match (&got, expected) {
            (Err(_), "error") => true,
            (Ok(words), e) => words.join(",") == e,
            _ => false,
        };
        if !ok {
            failures.push(format!("{input:?}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(checked >= 20, "only {checked} vectors found");
    assert!(
        failures.is_empty(),
        "{} of {checked} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
