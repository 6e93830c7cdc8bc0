//! `strata compose build` and `up`'s builds: the services' builds run at
//! once and share the store's cache (a step their Dockerfiles share runs
//! once), the `build` section's fields (file secrets too) reach the builder, the image is
//! named `image` or PROJECT-SERVICE, and `pull_policy: build` rebuilds on
//! every `up`. Needs root and Debian's netavark, aardvark-dns and iptables
//! (the test's namespace and store come from support/netenv.rs).

mod support;

use serde_json::Value;
use support::cli::{ok, run, stderr};
use support::compose_project::Project;
use support::netenv::out;

/// `cat FILES` in a throwaway container of `image`.
fn cat(p: &Project, image: &str, files: &[&str]) -> String {
    let mut c = p
        .env
        .strata(&["run", "--rm", "--network", "none", image, "cat"]);
    c.args(files);
    let o = run(&mut c);
    assert!(o.status.success(), "cat in {image}: {}", stderr(&o));
    out(&o)
}

/// Seconds since boot, from a `/proc/uptime` line.
fn uptime(line: &str) -> f64 {
    line.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn three_builds_run_at_once_and_their_shared_first_step_runs_once() {
    require_network!();
    let services = ["one", "two", "three"];
    let mut compose = String::from("services:\n");
    for s in services {
        compose.push_str(&format!(
            "  {s}:\n    build: ./{s}\n    command: [\"true\"]\n"
        ));
    }
    let p = Project::new("composepar", &compose);
    for s in services {
        // The first RUN is the same in all three: its output (the time it
        // ran) is one layer if it ran once. The second tells when each
        // build's own step ran, to see them overlap.
        p.file(
            &format!("{s}/Dockerfile"),
            &format!(
                "FROM bb:1\n\
                 RUN cat /proc/uptime > /stamp; sleep 1\n\
                 RUN echo {s} > /who; cat /proc/uptime > /start; sleep 3; cat /proc/uptime > /end\n"
            ),
        );
    }
    p.compose_ok(&["build"]);

    let mut stamps = Vec::new();
    let mut spans = Vec::new();
    for s in services {
        let text = cat(
            &p,
            &format!("composepar-{s}"),
            &["/who", "/stamp", "/start", "/end"],
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], s, "{text}");
        stamps.push(lines[1].to_owned());
        spans.push((uptime(lines[2]), uptime(lines[3])));
    }
    assert!(
        stamps.iter().all(|st| *st == stamps[0]),
        "the shared step ran more than once: {stamps:?}"
    );
    let overlap = |a: (f64, f64), b: (f64, f64)| a.0 < b.1 && b.0 < a.1;
    assert!(
        overlap(spans[0], spans[1]) || overlap(spans[0], spans[2]) || overlap(spans[1], spans[2]),
        "no two builds ran at once: {spans:?}"
    );
}

#[test]
fn the_build_sections_fields_reach_the_builder() {
    require_network!();
    let p = Project::new(
        "composefields",
        r#"
services:
  app:
    image: example/app:1
    build:
      context: ./app
      dockerfile_inline: |
        FROM bb:1 AS base
        ARG WORD
        ARG OTHER=unset
        RUN echo base $$WORD $$OTHER > /what
        FROM base
        RUN echo final > /what
      target: base
      args: ["WORD=hello", "OTHER=there"]
      labels:
        org.example.team: compose
      tags: ["example/app:extra"]
    command: ["true"]
  plain:
    build:
      context: ./plain
      secrets:
        - token
        - source: token
          target: again
    command: ["true"]
secrets:
  token:
    file: ./token.txt
"#,
    );
    p.file(
        "app/unused",
        "the context exists; its Dockerfile is inline\n",
    );
    p.file(
        "plain/Dockerfile",
        "FROM bb:1\n\
         RUN --mount=type=secret,id=token --mount=type=secret,id=again \
             cat /run/secrets/token /run/secrets/again > /secrets\n",
    );
    p.file("token.txt", "s3cret\n");
    p.compose_ok(&["build"]);

    let images = ok(&mut p.env.strata(&["images"]));
    // `image` names the built image; without it, PROJECT-SERVICE.
    for name in ["example/app", "composefields-plain"] {
        assert!(images.contains(name), "{name} missing from {images}");
    }
    // The target stage, with the list-form args.
    assert_eq!(cat(&p, "example/app:1", &["/what"]), "base hello there\n");
    assert_eq!(
        cat(&p, "example/app:extra", &["/what"]),
        "base hello there\n"
    );
    // A file secret under its name, and under its target.
    assert_eq!(
        cat(&p, "composefields-plain", &["/secrets"]),
        "s3cret\ns3cret\n"
    );
    let inspect: Value =
        serde_json::from_str(&ok(&mut p.env.strata(&["inspect", "example/app:1"]))).unwrap();
    let text = inspect.to_string();
    assert!(
        text.contains(r#""org.example.team":"compose""#),
        "no label in {inspect}"
    );
}

#[test]
fn pull_policy_build_rebuilds_on_every_up() {
    require_network!();
    let p = Project::new(
        "composepolicy",
        r#"
services:
  app:
    build: ./app
    pull_policy: build
    command: ["cat", "/built"]
"#,
    );
    let dockerfile = |word: &str| {
        p.file(
            "app/Dockerfile",
            &format!("FROM bb:1\nRUN echo {word} > /built\n"),
        )
    };
    dockerfile("first");
    p.compose_ok(&["up", "-d"]);
    p.wait_for_log(&["app"], "app-1 | first");
    // Without --build, the edited Dockerfile is built: the policy asks it.
    dockerfile("second");
    p.compose_ok(&["up", "-d"]);
    p.wait_for_log(&["app"], "app-1 | second");
    p.compose_ok(&["down"]);
}
