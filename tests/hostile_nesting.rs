//! Input-driven nesting has a stated bound instead of the stack's: a
//! `${A:-${A:-...}}` 10,000 deep, a chain of 20,000 ONBUILDs, nested JSON
//! arrays and thousands of heredocs neither crash `parse`, `check` nor
//! `build`; what is too deep is an error that says so and where.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Output;

use support::cli::*;
use support::hostile::flat;

fn dockerfile(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let ctx = dir.path().join(name);
    std::fs::create_dir_all(&ctx).expect("mkdir");
    std::fs::write(ctx.join("Dockerfile"), text).expect("write");
    ctx
}

fn assert_no_crash(out: &Output, what: &str) {
    assert_eq!(
        out.status.signal(),
        None,
        "{what}: killed by a signal (stack overflow?)"
    );
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{what}: {}",
        out.status
    );
}

fn nested_default(depth: usize) -> String {
    format!("{}x{}", "${A:-".repeat(depth), "}".repeat(depth))
}

#[test]
fn a_substitution_nested_10000_deep_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let store = dir.path().join("store");
    let one_line = format!("FROM scratch\nENV B={}\n", nested_default(10_000));
    // Continuation lines get past the 64 KiB limit on one line.
    let continued = format!(
        "FROM scratch\nENV B={}x{}\n",
        "${A:-\\\n".repeat(20_000),
        "}".repeat(20_000)
    );
    for (name, text) in [("one-line", one_line), ("continued", continued)] {
        let ctx = dockerfile(&dir, name, &text);
        let df = ctx.join("Dockerfile");
        for cmd in ["parse", "check"] {
            let out = run(strata_bin().arg(cmd).arg(&df));
            assert_no_crash(&out, &format!("{cmd} {name}"));
        }
        let out = run(strata(&store)
            .args(["build", "--progress", "plain"])
            .arg(&ctx));
        assert_no_crash(&out, &format!("build {name}"));
        assert!(!out.status.success(), "build {name} succeeded");
        let err = flat(&out.stderr);
        assert!(
            err.contains("nested deeper than 100 levels"),
            "{name}: {err}"
        );
        assert!(err.contains("line 2"), "{name}: {err}");
    }

    // Up to the limit, nesting works as before.
    let ctx = dockerfile(
        &dir,
        "shallow",
        &format!("FROM scratch\nENV B={}\n", nested_default(99)),
    );
    let iid = dir.path().join("iid");
    ok(strata(&store)
        .args(["build", "--progress", "plain", "--iidfile"])
        .arg(&iid)
        .arg(&ctx));
    let id = std::fs::read_to_string(&iid).expect("iid");
    let config = ok(strata(&store).args(["inspect", id.trim()]));
    assert!(config.contains("B=x"), "{config}");
}

#[test]
fn deep_onbuild_chains_json_arrays_and_many_heredocs_do_not_crash_the_parser() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let onbuild = format!(
        "FROM scratch\nONBUILD {}RUN x\n",
        "ONBUILD \\\n".repeat(20_000)
    );
    let ctx = dockerfile(&dir, "onbuild", &onbuild);
    for cmd in ["parse", "check"] {
        let out = run(strata_bin().arg(cmd).arg(ctx.join("Dockerfile")));
        assert_no_crash(&out, cmd);
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        let err = flat(&out.stderr);
        assert!(
            err.contains("2:1: ONBUILD nested deeper than 100 levels"),
            "{cmd}: {err}"
        );
    }

    let json = format!(
        "FROM scratch\nCMD {}\"a\"{}\n",
        "[\\\n".repeat(20_000),
        "]".repeat(20_000)
    );
    let heredocs = {
        let n = 20_000;
        let markers: Vec<String> = (0..n).map(|i| format!("<<E{i}")).collect();
        let bodies: String = (0..n).map(|i| format!("x\nE{i}\n")).collect();
        format!("FROM scratch\nRUN cat {}\n{bodies}", markers.join(" \\\n"))
    };
    for (name, text) in [("json", json), ("heredocs", heredocs)] {
        let ctx = dockerfile(&dir, name, &text);
        for cmd in ["parse", "check"] {
            let out = run(strata_bin().arg(cmd).arg(ctx.join("Dockerfile")));
            assert_no_crash(&out, &format!("{cmd} {name}"));
        }
    }
}
