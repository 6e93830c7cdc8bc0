//! The solver end to end on FROM scratch builds (no sandbox needed).

use std::collections::HashMap;
use std::sync::Mutex;

use strata_store::Store;

use super::{BuildOptions, Event, build};

fn dockerfile_build(dockerfile: &str, files: &[(&str, &str)]) -> (super::BuildResult, Vec<Event>) {
    let t = tempfile::tempdir().unwrap();
    let store = Store::open(&t.path().join("store")).unwrap();
    let ctx = t.path().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    for (name, body) in files {
        std::fs::write(ctx.join(name), body).unwrap();
    }
    let opts = BuildOptions {
        dockerfile: dockerfile.into(),
        dockerfile_path: ctx.join("Dockerfile"),
        context: ctx,
        source_date_epoch: Some(1_700_000_000),
        ..Default::default()
    };
    let events = Mutex::new(Vec::new());
    let result = build(&store, &opts, &|e: Event| {
        events.lock().unwrap().push(e);
    })
    .unwrap();
    (result, events.into_inner().unwrap())
}

#[test]
fn the_result_holds_the_key_of_every_filesystem_step_by_stage() {
    let (result, events) = dockerfile_build(
        "FROM scratch AS a\nCOPY a /a\nENV X=1\nFROM scratch\nCOPY --from=a /a /b\nCOPY b /c\n",
        &[("a", "1"), ("b", "2")],
    );
    let mut from_events: HashMap<(usize, String), usize> = HashMap::new();
    for e in &events {
        if let Event::StepDone {
            stage,
            key: Some(key),
            ..
        } = e
        {
            *from_events.entry((*stage, key.clone())).or_default() += 1;
        }
    }
    // The metadata step (ENV) has no key; the three COPYs do.
    assert_eq!(result.steps.len(), 3, "{:?}", result.steps);
    assert_eq!(from_events.len(), 3);
    for s in &result.steps {
        assert!(
            from_events.contains_key(&(s.stage, s.key.to_string())),
            "{s:?} not among the StepDone events"
        );
    }
    let stages: Vec<usize> = result.steps.iter().map(|s| s.stage).collect();
    assert_eq!(stages, [0, 1, 1], "in the order the steps finished");
    assert_eq!(result.image_stages, [1]);
    assert!(result.cache_exports.is_empty(), "no --cache-to");
}
