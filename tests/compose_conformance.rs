//! compose-go's loader conformance through `strata compose config --format
//! json`: every file of compose-go's loader/testdata (copied into
//! testdata/compose/compose-go/loader/testdata) loads, or fails where
//! compose-go's tests expect it to, and the values compose-go's loader tests
//! assert hold. The table is testdata/compose/compose-go/loader_cases.json;
//! each case names the Go test it mirrors (see support/compose_case.rs).

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::compose_case;

fn loader_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/compose/compose-go/loader"
    ))
}

fn cases() -> Vec<Value> {
    compose_case::table(&loader_dir().with_file_name("loader_cases.json"))
}

#[test]
fn compose_go_loader_cases_hold_through_strata_compose_config() {
    let all = cases();
    assert!(all.len() >= 50, "the table lost cases");
    compose_case::check_all(&loader_dir(), &all);
}

fn yaml_files(dir: &Path, root: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("testdata dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            yaml_files(&p, root, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            let rel = p.strip_prefix(root).expect("under the root");
            out.push(rel.to_string_lossy().into_owned());
        }
    }
}

#[test]
fn every_file_of_compose_go_loader_testdata_has_a_case() {
    let mut files = Vec::new();
    yaml_files(&loader_dir().join("testdata"), &loader_dir(), &mut files);
    assert!(
        files.len() >= 30,
        "testdata was not copied whole: {files:?}"
    );
    let named: Vec<String> = cases()
        .iter()
        .flat_map(|c| c["files"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f.as_str().map(String::from))
        .collect();
    let missing: Vec<&String> = files.iter().filter(|f| !named.contains(f)).collect();
    assert!(missing.is_empty(), "loaded by no case: {missing:?}");
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/compose/docker-compose/fixtures"
    ))
}

fn fixture_cases() -> Vec<Value> {
    compose_case::table(&fixtures_dir().with_file_name("fixtures_cases.json"))
}

#[test]
fn docker_compose_e2e_fixtures_load_and_normalize() {
    let all = fixture_cases();
    assert!(all.len() >= 60, "the table lost cases");
    compose_case::check_all(&fixtures_dir(), &all);
}

#[test]
fn every_compose_file_of_the_fixtures_has_a_case() {
    let mut files = Vec::new();
    yaml_files(&fixtures_dir(), &fixtures_dir(), &mut files);
    assert!(
        files.len() >= 50,
        "fixtures were not copied whole: {files:?}"
    );
    let named: Vec<String> = fixture_cases()
        .iter()
        .flat_map(|c| {
            let cwd = c["cwd"].as_str().unwrap_or(".").to_string();
            c["files"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(move |f| {
                    f.as_str().map(|f| {
                        Path::new(&cwd)
                            .join(f)
                            .to_string_lossy()
                            .trim_start_matches("./")
                            .to_string()
                    })
                })
        })
        .collect();
    let missing: Vec<&String> = files.iter().filter(|f| !named.contains(f)).collect();
    assert!(missing.is_empty(), "loaded by no case: {missing:?}");
}

#[test]
fn compose_go_attribute_tests_hold_through_strata_compose_config() {
    let base = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/compose/compose-go"
    ));
    let all = compose_case::table(&base.join("attributes_cases.json"));
    assert!(all.len() >= 40, "the table lost cases");
    compose_case::check_all(&base, &all);
}

#[test]
fn docker_compose_e2e_scenario_projects_load_and_normalize() {
    let base = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/compose/docker-compose"
    ));
    let all = compose_case::table(&base.join("scenarios_cases.json"));
    assert!(all.len() >= 150, "the table lost cases");
    compose_case::check_all(&base.join("testdata"), &all);
}
