//! The plan: stage bases, global ARG scoping and overrides, platform ARGs,
//! stage references by name and index, --target pruning, build order,
//! cycles and unknown targets.

use std::collections::BTreeMap;

use strata_parser::{Base, Plan, PlanOptions, Platform, parse, plan};

fn plan_of(text: &str, opts: &PlanOptions) -> Plan {
    let df = parse(text).unwrap_or_else(|e| panic!("parse: {e}"));
    plan(&df, opts).unwrap_or_else(|e| panic!("plan: {e}"))
}

fn opts(args: &[(&str, &str)], target: Option<&str>) -> PlanOptions {
    PlanOptions {
        build_args: args
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        target: target.map(String::from),
        target_platform: "linux/arm64/v8".parse().expect("platform"),
        build_platform: "linux/amd64".parse().expect("platform"),
        named_contexts: Default::default(),
    }
}

fn indexes(p: &Plan) -> Vec<usize> {
    p.stages.iter().map(|s| s.index).collect()
}

const MULTI: &str = "\
ARG GO=1.22
ARG DISTRO
FROM golang:${GO} AS build
RUN make
FROM alpine AS unused
RUN true
FROM build AS test
RUN go test
FROM scratch AS final
COPY --from=build /out /out
";

#[test]
fn global_args_expand_from_lines_with_defaults_and_overrides() {
    let p = plan_of(MULTI, &opts(&[], None));
    assert_eq!(p.stages[0].base, Base::Image("golang:1.22".into()));
    let p = plan_of(MULTI, &opts(&[("GO", "1.23")], None));
    assert_eq!(p.stages[0].base, Base::Image("golang:1.23".into()));
    assert_eq!(
        p.stages[0].args_in_scope.get("GO").map(String::as_str),
        Some("1.23")
    );
    assert!(
        !p.stages[0].args_in_scope.contains_key("DISTRO"),
        "declared without value stays unset"
    );
}

#[test]
fn unreachable_stages_are_pruned_and_deps_come_first() {
    let p = plan_of(MULTI, &opts(&[], None));
    assert_eq!(indexes(&p), vec![0, 3]);
    assert_eq!(p.stages[p.target].name.as_deref(), Some("final"));
    assert_eq!(p.stages[1].deps, vec![0]);
    assert_eq!(p.stages[1].base, Base::Scratch);
}

#[test]
fn target_selects_a_stage_and_its_base_chain() {
    let p = plan_of(MULTI, &opts(&[], Some("TEST")));
    assert_eq!(indexes(&p), vec![0, 2]);
    assert_eq!(p.stages[p.target].base, Base::Stage(0));
}

#[test]
fn unknown_target_is_an_error() {
    let df = parse(MULTI).expect("parse");
    let err = plan(&df, &opts(&[], Some("nope"))).expect_err("unknown target");
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn platform_args_come_from_the_options_and_can_be_overridden() {
    let text = "FROM --platform=$BUILDPLATFORM img:$TARGETARCH-$TARGETVARIANT AS a\n";
    let p = plan_of(text, &opts(&[], None));
    assert_eq!(p.stages[0].platform.as_deref(), Some("linux/amd64"));
    assert_eq!(p.stages[0].base, Base::Image("img:arm64-v8".into()));
    let p = plan_of(text, &opts(&[("TARGETARCH", "riscv64")], None));
    assert_eq!(p.stages[0].base, Base::Image("img:riscv64-v8".into()));
}

#[test]
fn stage_args_do_not_leak_into_from_lines() {
    let text = "FROM alpine AS a\nARG V=inner\nFROM busybox:${V:-outer}\n";
    let p = plan_of(text, &opts(&[], None));
    assert_eq!(p.stages[0].base, Base::Image("busybox:outer".into()));
}

#[test]
fn copy_from_by_index_and_mount_from_are_dependencies() {
    let text = "\
FROM alpine AS a
FROM alpine AS b
FROM alpine
COPY --from=0 /x /x
RUN --mount=type=bind,from=b,target=/b true
COPY --from=docker.io/library/busybox /bin/sh /sh
";
    let p = plan_of(text, &opts(&[], None));
    assert_eq!(indexes(&p), vec![0, 1, 2]);
    assert_eq!(p.stages[2].deps, vec![0, 1]);
}

#[test]
fn cycles_are_errors_naming_a_stage() {
    let text = "FROM alpine AS a\nCOPY --from=b / /\nFROM alpine AS b\nCOPY --from=a / /\n";
    let df = parse(text).expect("parse");
    let err = plan(&df, &PlanOptions::default()).expect_err("cycle");
    assert!(err.message.contains("circular dependency"), "{err}");
    assert!(err.line == 1 || err.line == 3, "{err}");
}

#[test]
fn stage_names_are_case_insensitive() {
    let text = "FROM alpine AS Build\nFROM BUILD\n";
    let p = plan_of(text, &opts(&[], None));
    assert_eq!(p.stages[1].base, Base::Stage(0));
}

#[test]
fn a_stage_named_like_its_image_is_not_its_own_base() {
    let p = plan_of("FROM node AS node\nRUN true\n", &opts(&[], None));
    assert_eq!(p.stages[0].base, Base::Image("node".into()));
}

/// The real-world corpus copied into the repository (sources and licences in
/// its SOURCES.md).
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/corpus/realworld");

/// SOURCES.tsv and SOURCES.md sit beside the Dockerfiles.
fn is_provenance(path: &std::path::Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("SOURCES."))
}

#[test]
fn every_stage_of_every_realworld_dockerfile_plans() {
    let dir = std::path::PathBuf::from(CORPUS);
    let mut planned = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus dir") {
        let path = entry.expect("entry").path();
        if is_provenance(&path) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let df = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let targets: Vec<Option<String>> = std::iter::once(None)
            .chain(
                df.stages_raw
                    .iter()
                    .filter_map(|s| s.name.clone())
                    .map(Some),
            )
            .collect();
        for target in targets {
            let o = PlanOptions {
                target: target.clone(),
                build_args: BTreeMap::new(),
                ..PlanOptions::default()
            };
            let p = plan(&df, &o)
                .unwrap_or_else(|e| panic!("{} target {target:?}: {e}", path.display()));
            // Dependencies always come before their dependents.
            for (k, s) in p.stages.iter().enumerate() {
                for d in &s.deps {
                    let pos = p
                        .stages
                        .iter()
                        .position(|x| x.index == *d)
                        .expect("dep kept");
                    assert!(pos < k, "{}: order", path.display());
                }
            }
            planned += 1;
        }
    }
    assert!(planned > 500, "planned only {planned}");
}

#[test]
fn platforms_parse_and_print() {
    let p: Platform = "linux/arm/v7".parse().expect("valid");
    assert_eq!(p.to_string(), "linux/arm/v7");
    assert!("linux".parse::<Platform>().is_err());
}

/// Throughput of parse + plan + lint over the corpus; run with
/// `cargo test -p strata-parser --release --test plan -- --ignored --nocapture`.
#[test]
#[ignore = "measurement, not a check"]
fn measure_corpus_throughput() {
    let dir = std::path::PathBuf::from(CORPUS);
    let texts: Vec<String> = std::fs::read_dir(&dir)
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| !is_provenance(p))
        .map(|p| std::fs::read_to_string(p).expect("read"))
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let rounds = 20;
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        for t in &texts {
            let df = parse(t).expect("parse");
            let _ = plan(&df, &PlanOptions::default()).expect("plan");
            let _ = strata_parser::lint::check(&df);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    for t in &texts {
        let _ = strata_parser::parse_ast(t).expect("ast");
    }
    let ast_only = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    for t in &texts {
        let _ = parse(t).expect("parse");
    }
    let parse_only = t.elapsed().as_secs_f64();
    println!(
        "one round: ast {:.1} ms, parse {:.1} ms",
        ast_only * 1e3,
        parse_only * 1e3
    );
    println!(
        "{} files, {} bytes, {rounds} rounds: {:.1} ms per round, {:.1} MB/s, {:.0} us per file",
        texts.len(),
        bytes,
        secs * 1000.0 / rounds as f64,
        (bytes * rounds) as f64 / secs / 1e6,
        secs * 1e6 / (rounds * texts.len()) as f64
    );
}

/// BuildKit's rule for `--build-context NAME=...`: a stage of that name is
/// the named context (its own lines never run) and a FROM naming an image
/// of that name starts from it.
#[test]
fn a_named_context_overrides_a_stage_and_an_image_of_its_name() {
    let text = "FROM busybox AS base\nRUN echo never\nFROM base\nRUN echo after\n";
    let named = |names: &[&str]| PlanOptions {
        named_contexts: names.iter().map(|n| n.to_string()).collect(),
        ..opts(&[], None)
    };
    let p = plan_of(text, &named(&["base"]));
    assert_eq!(indexes(&p), vec![0, 1]);
    assert_eq!(p.stages[0].base, Base::Context("base".into()));
    assert!(p.stages[0].instructions.is_empty());
    assert!(p.stages[0].deps.is_empty());
    assert_eq!(p.stages[1].base, Base::Stage(0));
    let p = plan_of(text, &named(&["busybox"]));
    assert_eq!(p.stages[0].base, Base::Context("busybox".into()));
    assert_eq!(
        p.stages[0].instructions.len(),
        1,
        "only the base is replaced"
    );
    let p = plan_of("FROM alpine:3\n", &named(&["alpine:3"]));
    assert_eq!(p.stages[0].base, Base::Context("alpine:3".into()));
    let p = plan_of(text, &named(&[]));
    assert_eq!(p.stages[0].base, Base::Image("busybox".into()));
}
