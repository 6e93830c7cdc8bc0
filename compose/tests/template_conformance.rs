//! compose-go's template and interpolation tests (template/template_test.go,
//! interpolation/interpolation_test.go), as a table in
//! testdata/compose/compose-go/template_cases.json: each case names its Go test.

use std::collections::HashMap;

use serde_json::Value;
use strata_compose::template::substitute;

fn cases() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/compose/compose-go/template_cases.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("template cases")).expect("json")
}

fn strings(v: &Value) -> HashMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_compose_go_template_case_gives_its_result_or_error() {
    let doc = cases();
    let defaults = strings(&doc["env"]);
    let mut failures = Vec::new();
    let all = doc["cases"].as_array().expect("cases");
    assert!(all.len() >= 100, "the table lost cases");
    for case in all {
        let name = case["case"].as_str().unwrap_or_default();
        let template = case["template"].as_str().unwrap_or_default();
        // A case with its own env replaces the defaults (compose-go's custom mappings).
        let env = if case.get("env").is_some() {
            strings(&case["env"])
        } else {
            defaults.clone()
        };
        let mapping = |k: &str| env.get(k).cloned();
        let got = substitute(template, &mapping);
        match (&got, case.get("result"), case.get("error")) {
            (Ok((out, unset)), Some(want), None) => {
                if out != want.as_str().unwrap_or_default() {
                    failures.push(format!("{name}: {template:?} gave {out:?}, want {want}"));
                }
                if let Some(warn) = case.get("warnings") {
                    let want: Vec<String> =
                        serde_json::from_value(warn.clone()).unwrap_or_default();
                    if &want != unset {
                        failures.push(format!(
                            "{name}: {template:?} warned about {unset:?}, want {want:?}"
                        ));
                    }
                }
            }
            (Err(e), None, Some(want)) => {
                if !e.to_string().contains(want.as_str().unwrap_or_default()) {
                    failures.push(format!("{name}: {template:?} failed with {e}, want {want}"));
                }
            }
            _ => failures.push(format!("{name}: {template:?} gave {got:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
