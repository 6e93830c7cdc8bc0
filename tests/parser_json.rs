//! `strata parse --format json`: the typed instructions, as the builder
//! sees them, come out of the binary.

use std::process::Command;

use serde_json::Value;

fn parse_json(name: &str) -> Value {
    let file = format!("{}/testdata/parse/{name}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["parse", "--format", "json", &file])
        .output()
        .expect("running strata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

#[test]
fn typed_instructions_carry_flags_mounts_and_heredocs() {
    let v = parse_json("typed.Dockerfile");
    assert_eq!(v["directives"]["syntax"]["value"], "docker/dockerfile:1");
    assert_eq!(v["global_args"][0]["name"], "GO");
    assert_eq!(v["global_args"][0]["default"], "1.22");
    let stage = &v["stages_raw"][0];
    assert_eq!(stage["name"], "build");
    assert_eq!(stage["from"]["value"]["image"], "golang:${GO}");
    let inst = stage["instructions"].as_array().expect("instructions");

    let run = &inst[0];
    assert_eq!(
        (run["line"].as_u64(), run["end_line"].as_u64()),
        (Some(4), Some(6))
    );
    let run = &run["value"]["Run"];
    assert_eq!(run["mounts"][0]["type"], "cache");
    assert_eq!(run["mounts"][0]["sharing"], "locked");
    assert_eq!(run["mounts"][0]["id"], "gocache");
    assert_eq!(run["network"], "none");
    // Leading blanks of the joined command are trimmed, as BuildKit does.
    assert_eq!(run["command"]["Shell"], "go build ./...");

    let copy = &inst[1]["value"]["Copy"];
    assert_eq!(copy["from"], "build");
    assert_eq!(copy["chown"], "10:10");
    assert_eq!(copy["chmod"], "0755");
    assert_eq!(copy["link"], true);
    assert_eq!(copy["exclude"][0], "*.md");
    assert_eq!(copy["sources"][0], "src/");
    assert_eq!(copy["dest"], "/app/");

    let heredoc = &inst[2]["value"]["Copy"]["heredocs"][0];
    assert_eq!(heredoc["name"], "EOF");
    assert_eq!(heredoc["chomp"], true);
    assert_eq!(heredoc["expand"], false);
    assert_eq!(heredoc["content"], "\thello $USER\n");

    let health = &inst[3]["value"]["Healthcheck"]["Check"];
    assert_eq!(health["retries"], 3);
    assert_eq!(health["interval"]["secs"], 30);
    assert_eq!(health["test"]["Exec"][0], "curl");

    assert_eq!(inst[4]["value"]["Entrypoint"]["Exec"][0], "/app/server");
}
