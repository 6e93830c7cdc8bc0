//! Bad input to the container commands: a clear message, exit 1 (2 for
//! usage), nothing half-made. Mirrors podman's 050-stop "stop --ignore"
//! (unknown container), 130-kill "kill - rejects invalid args" and
//! 055-rm "rm --force bogus". Needs root.

mod support;

use support::containers::Lab;

fn tmp_entries(lab: &Lab) -> usize {
    std::fs::read_dir(lab.store().join("tmp")).unwrap().count()
}

#[test]
fn an_unknown_container_is_named_in_a_one_line_error() {
    require_root!();
    let lab = Lab::new("bad_unknown");
    for cmd in [
        "start", "stop", "restart", "kill", "rm", "wait", "logs", "inspect",
    ] {
        let err = lab.fails(1, &[cmd, "nosuch"]);
        assert!(
            err.contains("no container with name or id \"nosuch\"")
                || (cmd == "inspect" && err.contains("nosuch not found")),
            "{cmd}: {err}"
        );
    }
    let err = lab.fails(1, &["rm", "-f", "bogus"]);
    assert!(err.contains("\"bogus\""), "{err}");
}

#[test]
fn a_taken_name_is_refused_and_nothing_is_made() {
    require_root!();
    let lab = Lab::new("bad_name_taken");
    let id = lab.ok(&["create", "--name", "web", "bb:1", "true"]);
    let tmp_before = tmp_entries(&lab);
    let err = lab.fails(1, &["create", "--name", "web", "bb:1", "true"]);
    assert!(
        err.contains(&format!(
            "the name \"web\" is already in use by container {}",
            &id[..12]
        )),
        "{err}"
    );
    let err = lab.fails(1, &["run", "-d", "--name", "web", "bb:1", "true"]);
    assert!(err.contains("already in use"), "{err}");
    assert_eq!(lab.container_dirs(), std::slice::from_ref(&id));
    assert_eq!(tmp_entries(&lab), tmp_before, "no staging dir left");
    let pins = std::fs::read_dir(lab.store().join("cache/containers"))
        .unwrap()
        .count();
    assert_eq!(pins, 1, "one pin, for the one container");
    let err = lab.fails(1, &["create", "--name", "a/b", "bb:1", "true"]);
    assert!(err.contains("invalid container name \"a/b\""), "{err}");
    lab.fsck_clean();
}

#[test]
fn a_missing_image_makes_no_container() {
    require_root!();
    let lab = Lab::new("bad_image");
    let err = lab.fails(1, &["create", "--name", "x", "nosuch:1", "true"]);
    assert!(err.contains("nosuch:1"), "{err}");
    let err = lab.fails(1, &["run", "-d", "nosuch:1", "true"]);
    assert!(err.contains("nosuch:1"), "{err}");
    assert!(lab.container_dirs().is_empty());
    assert!(lab.ps_all().is_empty());
}

#[test]
fn commands_that_need_a_running_container_say_it_is_not() {
    require_root!();
    let lab = Lab::new("bad_state");
    let id = lab.ok(&["run", "-d", "--name", "done", "bb:1", "sh", "-c", "exit 4"]);
    lab.ok(&["wait", "done"]);
    let before = lab.inspect("done")["State"].clone();
    let err = lab.fails(1, &["stop", "done"]);
    assert!(
        err.contains(&format!("container {id} is not running")),
        "{err}"
    );
    let err = lab.fails(1, &["kill", "done"]);
    assert!(err.contains("is not running"), "{err}");
    assert_eq!(
        lab.inspect("done")["State"],
        before,
        "a refused stop changes nothing"
    );
    lab.ok(&["create", "--name", "new", "bb:1", "true"]);
    lab.fails(1, &["stop", "new"]);
    lab.ok(&["run", "-d", "--name", "up", "bb:1", "sleep", "100"]);
    let err = lab.fails(1, &["start", "up"]);
    assert!(err.contains("is already running"), "{err}");
    let err = lab.fails(1, &["kill", "-s", "NOPE", "up"]);
    assert!(err.contains("unknown signal \"NOPE\""), "{err}");
    assert_eq!(lab.status("up"), "running");
    // One bad name among good ones: the others are still handled.
    let err = lab.fails(1, &["rm", "-f", "up", "nosuch", "done"]);
    assert!(err.contains("nosuch"), "{err}");
    assert_eq!(lab.container_dirs().len(), 1, "only `new` is left");
}

#[test]
fn usage_errors_exit_2() {
    require_root!();
    let lab = Lab::new("bad_usage");
    lab.fails(2, &["stop"]);
    lab.fails(2, &["create"]);
    lab.fails(2, &["ps", "--format", "xml"]);
    lab.fails(2, &["stop", "-t", "soon", "x"]);
    lab.fails(2, &["logs", "--tail", "-3", "x"]);
}

#[test]
fn a_monitored_container_on_a_network_that_does_not_exist_is_refused_at_create() {
    require_root!();
    let lab = Lab::new("bad_network");
    for args in [
        &["run", "-d", "--network", "nosuchnet", "bb:1", "true"][..],
        &["create", "--network", "mynet", "bb:1", "true"][..],
    ] {
        let err = lab.fails(1, args);
        assert!(err.contains("no network named"), "{args:?}: {err}");
    }
    assert!(lab.container_dirs().is_empty(), "nothing is made");
}

// A monitored container may have pasta (tests/network_rootless_detached.rs);
// the flags pasta has no use for are refused at create, before a record
// exists, as the foreground run refuses them.
#[test]
fn a_monitored_container_on_pasta_refuses_the_flags_pasta_cannot_serve() {
    require_root!();
    let lab = Lab::new("bad_pasta");
    for (args, flag) in [
        (
            &[
                "run",
                "-d",
                "--network",
                "pasta",
                "--ip",
                "10.9.0.9",
                "bb:1",
                "true",
            ][..],
            "--ip",
        ),
        (
            &[
                "create",
                "--network",
                "pasta",
                "--network-alias",
                "web",
                "-p",
                "8998:80",
                "bb:1",
                "true",
            ][..],
            "--network-alias",
        ),
    ] {
        let err = lab.fails(1, args);
        assert!(
            err.contains(&format!("{flag} is not supported with --network pasta")),
            "{args:?}: {err}"
        );
    }
    assert!(lab.container_dirs().is_empty(), "nothing is made");
}
