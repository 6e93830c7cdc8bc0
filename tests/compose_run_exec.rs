//! `strata compose run` (one-off containers) and `compose exec`, mirroring
//! docker/compose's pkg/e2e compose_run_test.go and compose_exec_test.go on
//! their projects (testdata/compose/docker-compose/testdata/). Needs root
//! and Debian's netavark, aardvark-dns and iptables.

mod support;

use serde_json::Value;
use support::cli::stderr;
use support::compose_project::Project;
use support::netenv::out;

fn oneoffs(p: &Project, service: &str) -> Vec<Value> {
    p.ps()
        .into_iter()
        .filter(|r| r["Service"] == service && r["Labels"]["com.docker.compose.oneoff"] == "True")
        .collect()
}

fn services(p: &Project) -> Vec<String> {
    p.service_states().into_iter().map(|(s, _)| s).collect()
}

/// compose_run_test.go TestComposeRun.
#[test]
fn run_starts_the_dependencies_and_runs_a_one_off_container() {
    require_network!();
    let p = Project::from_fixture("composerun", "testdata/TestComposeRun/compose.yaml");
    let got = p.compose_ok(&["run", "back"]);
    assert!(got.contains("Hello there!!"), "{got}");
    // db (a dependency) runs; front was never made.
    assert_eq!(
        p.service_states(),
        [
            ("back".to_owned(), "exited".to_owned()),
            ("db".to_owned(), "running".to_owned())
        ]
    );
    let first = oneoffs(&p, "back");
    assert_eq!(first.len(), 1, "{first:?}");
    let name = first[0]["Name"].as_str().unwrap();
    let id = name.strip_prefix("composerun-back-run-").unwrap();
    assert_eq!(id.len(), 12, "{name}");
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{name}");
    // A one-off is no replica: it has no container number.
    assert!(first[0]["Labels"]["com.docker.compose.container-number"].is_null());

    let got = p.compose_ok(&["run", "back", "echo", "Hello one more time"]);
    assert_eq!(got, "Hello one more time\n");
    let got = p.compose_ok(&["run", "--rm", "back", "echo", "Hello and gone"]);
    assert_eq!(got, "Hello and gone\n");
    // --rm took its own container, and left the earlier one-offs alone.
    assert_eq!(oneoffs(&p, "back").len(), 2);

    let dir = p.dir.display().to_string();
    let mount = format!("{dir}:/foo");
    let got = p.compose_ok(&[
        "run", "--rm", "-v", &mount, "back", "/bin/sh", "-c", "ls /foo",
    ]);
    assert!(got.contains("compose.yaml"), "{got}");
    let got = p.compose_ok(&["run", "--rm", "--env", "FOO=BAR", "front", "env"]);
    assert!(got.lines().any(|l| l == "FOO=BAR"), "{got}");

    // The command's exit code is strata's.
    let o = p.compose(&["run", "--rm", "--no-deps", "back", "sh", "-c", "exit 7"]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    // A new entrypoint drops the service's command; --name names it.
    let got = p.compose_ok(&[
        "run",
        "--name",
        "named-oneoff",
        "--entrypoint",
        "echo 'via entrypoint'",
        "back",
    ]);
    assert_eq!(got, "via entrypoint\n");
    assert!(p.ps().iter().any(|r| r["Name"] == "named-oneoff"));
    // `up` leaves the one-offs alone and makes back-1 beside them.
    p.compose_ok(&["up", "-d", "back"]);
    assert_eq!(oneoffs(&p, "back").len(), 3);
    assert!(p.ps().iter().any(|r| r["Name"] == "composerun-back-1"));
}

/// compose_run_test.go TestComposeRunDeps.
#[test]
fn run_starts_only_its_dependency_chain_and_no_deps_none() {
    require_network!();
    let p = Project::from_fixture("composerundeps", "testdata/TestComposeRunDeps/compose.yaml");
    // The fixture's shared_dep runs bash's default command (a shell that
    // exits at once); busybox has none, so it gets one.
    let text = std::fs::read_to_string(p.dir.join("compose.yaml")).unwrap();
    p.write(&text.replace(
        "  shared_dep:\n    image: bb:1\n",
        "  shared_dep:\n    image: bb:1\n    command: [\"true\"]\n",
    ));
    let o = p.compose(&["run", "service_a"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("shared_dep"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("service_b"), "{}", stderr(&o));
    assert_eq!(services(&p), ["service_a", "shared_dep"]);
    let dep = p.ps().into_iter().find(|r| r["Service"] == "shared_dep");
    let dep_id = dep.unwrap()["ID"].clone();

    let o = p.compose(&["run", "--no-deps", "service_a"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("shared_dep"), "{}", stderr(&o));
    assert_eq!(services(&p), ["service_a", "service_a", "shared_dep"]);
    let dep = p.ps().into_iter().find(|r| r["Service"] == "shared_dep");
    assert_eq!(dep.unwrap()["ID"], dep_id);
}

/// compose_exec_test.go TestLocalComposeExec (its /usr/bin/env is `env`:
/// the test image's busybox applets are all in /bin).
#[test]
fn exec_runs_in_the_service_container_with_its_exit_code() {
    require_network!();
    let p = Project::from_fixture("composeexec", "testdata/TestLocalComposeExec/compose.yaml");
    p.compose_ok(&["up", "-d"]);
    p.compose_ok(&["exec", "simple", "/bin/true"]);
    let o = p.compose(&["exec", "simple", "/bin/false"]);
    assert_eq!(o.status.code(), Some(1));
    let o = support::cli::run(
        p.command(&["exec", "-e", "FOO", "simple", "env"])
            .env("FOO", "BAR"),
    );
    assert!(out(&o).lines().any(|l| l == "FOO=BAR"), "{}", out(&o));
    let got = p.compose_ok(&["exec", "-e", "FOO", "simple", "env"]);
    assert!(!got.contains("FOO="), "{got}");
    // -w and -u, as `strata exec` takes them.
    let got = p.compose_ok(&[
        "exec",
        "-w",
        "/etc",
        "-u",
        "nobody",
        "simple",
        "sh",
        "-c",
        "pwd; id -un",
    ]);
    assert_eq!(got, "/etc\nnobody\n");
    // --index picks the replica.
    p.compose_ok(&["up", "-d", "--scale", "simple=2"]);
    let got = p.compose_ok(&["exec", "--index", "2", "simple", "hostname"]);
    let inspect = p.env.json(&["inspect", "composeexec-simple-2"]);
    assert_eq!(got.trim(), inspect["Config"]["Hostname"].as_str().unwrap());
}

/// compose_exec_test.go TestLocalComposeExecOneOff.
#[test]
fn exec_reaches_a_one_off_but_index_only_replicas() {
    require_network!();
    let p = Project::from_fixture(
        "composeexec1",
        "testdata/TestLocalComposeExecOneOff/compose.yaml",
    );
    let name = p.compose_ok(&["run", "-d", "simple", "top"]);
    assert!(name.starts_with("composeexec1-simple-run-"), "{name}");
    let running = oneoffs(&p, "simple");
    assert_eq!(running[0]["State"], "running", "{running:?}");
    let got = p.compose_ok(&["exec", "-e", "FOO", "simple", "env"]);
    assert!(!got.contains("FOO="), "{got}");
    let o = p.compose(&["exec", "--index", "1", "-e", "FOO", "simple", "env"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(r#"service "simple" is not running container #1"#),
        "{}",
        stderr(&o)
    );
}

#[test]
fn run_and_exec_name_the_service_they_cannot_use() {
    require_network!();
    let p = Project::new(
        "composerunbad",
        "services:\n  app:\n    image: bb:1\n    command: [\"sleep\", \"1000\"]\n",
    );
    for args in [&["run", "nope"][..], &["exec", "nope", "true"]] {
        let o = p.compose(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&o).contains("no such service: nope"),
            "{}",
            stderr(&o)
        );
    }
    // Not started: exec has no container to use.
    let o = p.compose(&["exec", "app", "true"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(r#"service "app" is not running"#),
        "{}",
        stderr(&o)
    );
    // A service with neither image nor build cannot run.
    p.write("services:\n  empty:\n    command: [\"true\"]\n");
    let o = p.compose(&["run", "empty"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(r#"service "empty" has neither an image nor a build context"#),
        "{}",
        stderr(&o)
    );
    let all = support::cli::ok(&mut p.env.strata(&["ps", "-a", "-q"]));
    assert_eq!(all.trim(), "");
}

/// compose_run_test.go TestComposeRunPorts: a one-off publishes only what
/// -p asks, or with --service-ports the service's own ports.
#[test]
fn run_publishes_ports_only_when_asked() {
    require_network!();
    let p = Project::from_fixture(
        "composerunports",
        "testdata/TestComposeRunPorts/compose.yaml",
    );
    let sleep = ["/bin/sh", "-c", "sleep 30"];
    let adhoc =
        p.compose_ok(&[&["run", "--publish", "8081:80", "-d", "back"][..], &sleep].concat());
    let ports = support::cli::ok(&mut p.env.strata(&["port", adhoc.trim()]));
    assert_eq!(ports, "80/tcp -> 0.0.0.0:8081\n");
    let model = p.compose_ok(&[&["run", "--service-ports", "-d", "back"][..], &sleep].concat());
    let ports = support::cli::ok(&mut p.env.strata(&["port", model.trim()]));
    assert_eq!(ports, "80/tcp -> 0.0.0.0:8082\n");
    let plain = p.compose_ok(&[&["run", "-d", "back"][..], &sleep].concat());
    let ports = support::cli::ok(&mut p.env.strata(&["port", plain.trim()]));
    assert_eq!(ports, "");
}
