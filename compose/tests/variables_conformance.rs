//! compose-go's template/variables_test.go TestExtractVariables as a table
//! (testdata/compose/compose-go/variables_cases.json).

use std::collections::BTreeMap;

use serde_json::Value;
use strata_compose::{variables, yaml};

#[test]
fn every_extract_variables_case_finds_what_compose_go_finds() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/compose/compose-go/variables_cases.json"
    );
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("cases")).expect("json");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 18, "the table lost cases");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["case"].as_str().unwrap_or_default();
        let text = case["dict"].to_string();
        let tree = yaml::parse(&text, 0)
            .expect("JSON is YAML")
            .expect("a document");
        let mut found = BTreeMap::new();
        variables::in_tree(&tree, &mut found);
        let got = serde_json::to_value(&found).expect("serializable");
        if got != case["expected"] {
            failures.push(format!("{name}: got {got}, want {}", case["expected"]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
