//! compose-go's dotenv tests (dotenv/godotenv_test.go, parser_test.go,
//! godotenv_var_expansion_test.go) as a table in
//! testdata/compose/compose-go/dotenv_cases.json, with its fixtures.

use std::collections::HashMap;

use serde_json::Value;
use strata_compose::dotenv;

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/compose/compose-go"
);

fn strings(v: Option<&Value>) -> HashMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn check(case: &Value, input: &str, file: bool, failures: &mut Vec<String>) {
    let name = case["case"].as_str().unwrap_or_default();
    let env = strings(case.get("env"));
    let lookup = |k: &str| env.get(k).cloned();
    let parsed = if file {
        dotenv::read(input, &lookup)
    } else {
        dotenv::parse(input, &lookup)
    };
    match (parsed, case.get("expect"), case.get("error")) {
        (Ok(got), Some(want), None) => {
            let want = strings(Some(want));
            for (k, v) in &want {
                if got.get(k) != Some(v) {
                    failures.push(format!("{name}: {k} = {:?}, want {v:?}", got.get(k)));
                }
            }
            if case["exact"].as_bool() == Some(true) && got.len() != want.len() {
                failures.push(format!("{name}: got {got:?}, want exactly {want:?}"));
            }
        }
        (Err(e), None, Some(want)) => {
            if !e.to_string().contains(want.as_str().unwrap_or_default()) {
                failures.push(format!("{name}: failed with {e}, want {want}"));
            }
        }
        (got, _, _) => failures.push(format!("{name}: {input:?} gave {got:?}")),
    }
}

#[test]
fn every_compose_go_dotenv_case_parses_as_compose_go_does() {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{DIR}/dotenv_cases.json")).expect("cases"),
    )
    .expect("json");
    let mut failures = Vec::new();
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 80, "the table lost cases");
    for case in cases {
        check(
            case,
            case["input"].as_str().unwrap_or_default(),
            false,
            &mut failures,
        );
    }
    let files = doc["files"].as_array().expect("files");
    for case in files {
        let path = format!(
            "{DIR}/dotenv/fixtures/{}",
            case["file"].as_str().unwrap_or_default()
        );
        let text = std::fs::read_to_string(&path).expect("fixture");
        check(case, &text, true, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_bom_fixture_still_has_its_bom() {
    let text = std::fs::read(format!("{DIR}/dotenv/fixtures/utf8-bom.env")).expect("fixture");
    assert!(text.starts_with("\u{feff}".as_bytes()));
}
