//! `build --cache-args=referenced` (moby/moby#20136): a RUN's key takes
//! only the build args its command or heredocs name. Without it (BuildKit's
//! rule) every ARG in scope is in every later RUN's key.

mod support;

use std::path::PathBuf;

use serde_json::Value;
use support::env::Env;

/// The RUN that names VERSION comes last, so a change to it reruns that
/// step alone; the one before names NOTE in a heredoc; the first runs a
/// script that reads HIDDEN from its environment without naming it.
const DOCKERFILE: &str = "FROM busybox\n\
ARG UNUSED\nARG VERSION\nARG NOTE\nARG HIDDEN\n\
COPY show.sh /show.sh\n\
RUN sh /show.sh > /hidden\n\
RUN <<EOF\necho \"note ${NOTE:-none}\" > /note\nEOF\n\
RUN echo \"version $VERSION\" > /version\n";

fn context(env: &Env) -> PathBuf {
    let ctx = env.path("ctx");
    std::fs::create_dir_all(&ctx).expect("mkdir");
    std::fs::write(ctx.join("Dockerfile"), DOCKERFILE).expect("Dockerfile");
    std::fs::write(ctx.join("show.sh"), "echo \"hidden $HIDDEN\"\n").expect("show.sh");
    ctx
}

/// The text of each filesystem step that ran (missed the cache).
fn ran(events: &[Value]) -> Vec<String> {
    let text = |stage: &Value, step: &Value| {
        events
            .iter()
            .find(|e| e["event"] == "step_start" && e["stage"] == *stage && e["step"] == *step)
            .and_then(|e| e["text"].as_str())
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    events
        .iter()
        .filter(|e| e["event"] == "step_done" && e["cached"] == false && !e["key"].is_null())
        .map(|e| text(&e["stage"], &e["step"]))
        .collect()
}

/// Builds with the four args and any extra flags; the steps that ran.
fn build(env: &Env, args: [&str; 4], extra: &[&str]) -> Vec<String> {
    let ctx = context(env);
    let mut flags: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    for (name, value) in ["UNUSED", "VERSION", "NOTE", "HIDDEN"].iter().zip(args) {
        flags.push("--build-arg".into());
        flags.push(format!("{name}={value}"));
    }
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    ran(&env.build_json(&ctx, &flags).1)
}

const RUNS: [&str; 3] = [
    "RUN sh /show.sh > /hidden",
    "RUN <<EOF",
    "RUN echo \"version $VERSION\" > /version",
];

#[test]
fn an_unreferenced_arg_misses_every_run_by_default_and_none_with_referenced() {
    let env = Env::new();
    let all = build(&env, ["1", "1", "1", "1"], &[]);
    assert_eq!(
        all.len(),
        4,
        "the first build runs COPY and the RUNs: {all:?}"
    );
    assert_eq!(
        build(&env, ["2", "1", "1", "1"], &[]),
        RUNS,
        "by default a changed UNUSED reruns every RUN after its ARG"
    );

    let referenced = ["--cache-args", "referenced"];
    assert_eq!(
        build(&env, ["3", "1", "1", "1"], &referenced),
        RUNS,
        "keys without the unreferenced args are new keys"
    );
    assert_eq!(
        build(&env, ["4", "1", "1", "1"], &referenced),
        Vec::<String>::new(),
        "with referenced, a changed UNUSED is a hit everywhere"
    );
    assert_eq!(
        build(&env, ["4", "2", "1", "1"], &referenced),
        RUNS[2..],
        "VERSION is named by the last RUN only"
    );
    assert_eq!(
        build(&env, ["4", "2", "2", "1"], &referenced),
        RUNS[1..],
        "NOTE is named in the heredoc: that RUN and the one on top of it rerun"
    );
}

#[test]
fn referenced_misses_an_arg_that_a_script_reads_from_its_environment() {
    let env = Env::new();
    build(&env, ["1", "1", "1", "1"], &[]);
    assert_eq!(
        build(&env, ["1", "1", "1", "2"], &[]),
        RUNS,
        "by default a changed HIDDEN reruns the RUNs"
    );
    let referenced = ["--cache-args", "referenced"];
    build(&env, ["1", "1", "1", "1"], &referenced);
    assert_eq!(
        build(&env, ["1", "1", "1", "2"], &referenced),
        Vec::<String>::new(),
        "the documented limit: HIDDEN reaches show.sh unnamed, so its change is a hit"
    );
}
