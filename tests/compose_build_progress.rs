//! `compose build`'s output says whose each line is, as docker compose's
//! plain progress does (`[web 1/2] RUN ...`): the builds of several
//! services run at once and interleave. `--progress json` puts the
//! service in each object, `build -q` shows nothing. Builds only, in the
//! host's namespace (support/env.rs's store).

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use serde_json::Value;
use support::cli::{run, stderr, stdout, strata};
use support::env::Env;

fn project(env: &Env) -> std::path::PathBuf {
    let dir = env.path("project");
    for (svc, dockerfile) in [
        ("one", "FROM busybox:latest\nRUN echo said-by-one\n"),
        (
            "two",
            "FROM busybox:latest AS base\nRUN echo said-by-two\nFROM base\nRUN echo two-again\n",
        ),
    ] {
        std::fs::create_dir_all(dir.join(svc)).unwrap();
        std::fs::write(dir.join(svc).join("Dockerfile"), dockerfile).unwrap();
    }
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  one:\n    build: ./one\n  two:\n    build: ./two\n",
    )
    .unwrap();
    dir
}

fn compose(store: &Path, dir: &Path, args: &[&str]) -> Output {
    let mut c = strata(store);
    c.arg("compose").args(args).current_dir(dir);
    let o = run(&mut c);
    assert!(o.status.success(), "compose {args:?}: {}", stderr(&o));
    o
}

#[test]
fn each_build_line_names_its_service() {
    let env = Env::new();
    let dir = project(&env);
    let err = stderr(&compose(&env.store, &dir, &["build", "--no-cache"]));
    let lines: Vec<&str> = err.lines().collect();
    // The step lines, as docker compose's: the service, then the stage.
    for (svc, step) in [
        ("one", "RUN echo said-by-one"),
        ("two", "RUN echo said-by-two"),
        ("two", "RUN echo two-again"),
    ] {
        let mine: Vec<&&str> = lines.iter().filter(|l| l.contains(step)).collect();
        assert!(!mine.is_empty(), "no {step:?} in {err}");
        for l in mine {
            assert!(l.starts_with(&format!("[{svc} ")), "{l:?} in {err}");
        }
    }
    // A RUN's own output, and whatever else a build prints.
    for (svc, said) in [("one", "said-by-one"), ("two", "said-by-two")] {
        let line = lines
            .iter()
            .find(|l| l.ends_with(&format!("| {said}")))
            .unwrap_or_else(|| panic!("no output {said:?} in {err}"));
        assert!(
            line.trim_start().starts_with(&format!("{svc} ")),
            "{line:?}"
        );
    }
    for l in &lines {
        let l = l.trim_start();
        let whose = [
            "[one ",
            "[two ",
            "one ",
            "two ",
            "Service one ",
            "Service two ",
        ];
        assert!(
            whose.iter().any(|w| l.starts_with(w)),
            "a line without its service: {l:?} in {err}"
        );
    }
}

#[test]
fn json_progress_tags_each_object_and_quiet_shows_nothing() {
    let env = Env::new();
    let dir = project(&env);
    let o = compose(
        &env.store,
        &dir,
        &["--progress", "json", "build", "--no-cache"],
    );
    let mut services = BTreeSet::new();
    for line in stdout(&o).lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        let svc = v["service"].as_str().unwrap_or_else(|| panic!("{line}"));
        services.insert(svc.to_owned());
    }
    assert_eq!(services, BTreeSet::from(["one".into(), "two".into()]));

    let o = compose(&env.store, &dir, &["build", "-q", "--no-cache"]);
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o), "");
}
