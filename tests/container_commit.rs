//! `strata commit`: a container's changes become one new layer, and the
//! image runs with them. Docker's lifecycle ends create → start → stop →
//! commit; podman's system tests have no commit case in the lifecycle set,
//! so this follows `docker commit`'s documented behaviour. Needs root.

mod support;

use serde_json::Value;
use support::containers::Lab;

#[test]
fn a_committed_container_runs_as_an_image_with_its_changes() {
    require_root!();
    let lab = Lab::new("commit_basic");
    lab.ok(&[
        "run",
        "--name",
        "c",
        "bb:1",
        "sh",
        "-c",
        "echo hello > /hello; rm /etc/group; mkdir -p /d/e; echo x > /d/e/f",
    ]);
    let digest = lab.ok(&["commit", "-m", "added hello", "-a", "me", "c", "app:2"]);
    assert!(digest.starts_with("sha256:"), "{digest}");
    let out = lab.ok(&[
        "run", "--rm", "app:2", "sh", "-c",
        "cat /hello /d/e/f; test -e /etc/group && echo group-still-there; test -e /etc/passwd && echo passwd",
    ]);
    assert_eq!(
        out, "hello\nx\npasswd",
        "changes and deletions carried over"
    );
    let base = lab.inspect("bb:1");
    let image = lab.inspect("app:2");
    assert_eq!(image["Digest"], digest.as_str());
    let layers = |v: &Value| v["Manifest"]["layers"].as_array().unwrap().clone();
    assert_eq!(
        layers(&image).len(),
        layers(&base).len() + 1,
        "one new layer"
    );
    assert_eq!(
        layers(&image)[..layers(&base).len()],
        layers(&base)[..],
        "the base's layers as they were"
    );
    let history = lab.ok(&["history", "app:2"]);
    assert!(
        history.lines().nth(1).unwrap().contains("added hello"),
        "{history}"
    );
    // The container is untouched and can still be removed.
    assert_eq!(lab.status("c"), "exited");
    lab.ok(&["rm", "c"]);
    assert_eq!(
        lab.ok(&["run", "--rm", "app:2", "cat", "/hello"]),
        "hello",
        "the image outlives it"
    );
    lab.fsck_clean();
}

#[test]
fn the_new_layer_costs_what_the_container_changed() {
    require_root!();
    let lab = Lab::new("commit_diff");
    // A base with a 32 MiB file; the container changes 4 KiB elsewhere.
    lab.ok(&[
        "run",
        "--name",
        "big",
        "bb:1",
        "sh",
        "-c",
        "dd if=/dev/zero of=/big bs=1M count=32 2>/dev/null",
    ]);
    lab.ok(&["commit", "big", "base:big"]);
    lab.ok(&[
        "run",
        "--name",
        "small",
        "base:big",
        "sh",
        "-c",
        "dd if=/dev/zero of=/small bs=4k count=1 2>/dev/null",
    ]);
    lab.ok(&["commit", "small", "app:small"]);
    let image = lab.inspect("app:small");
    let last = image["Manifest"]["layers"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let size = last["size"].as_u64().unwrap();
    assert!(
        size < 64 * 1024,
        "the layer holds the 4 KiB change, not the base: {size} bytes"
    );
    assert_eq!(
        lab.ok(&[
            "run",
            "--rm",
            "app:small",
            "sh",
            "-c",
            "wc -c < /small; wc -c < /big"
        ]),
        "4096\n33554432"
    );
}

#[test]
fn a_running_container_is_committed_and_keeps_running() {
    require_root!();
    let lab = Lab::new("commit_running");
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "live",
        "bb:1",
        "sh",
        "-c",
        "echo state > /state; echo READY; sleep 100",
    ]);
    lab.wait_for_log("live", "READY");
    lab.ok(&["commit", "live", "snap:1"]);
    assert_eq!(
        lab.status("live"),
        "running",
        "paused only while committing"
    );
    assert_eq!(lab.ok(&["run", "--rm", "snap:1", "cat", "/state"]), "state");
    lab.ok(&["rm", "-f", "live"]);
}

#[test]
fn commit_refuses_bad_input_and_makes_nothing() {
    require_root!();
    let lab = Lab::new("commit_bad");
    let err = lab.fails(1, &["commit", "nosuch", "x:1"]);
    assert!(
        err.contains("no container with name or id \"nosuch\""),
        "{err}"
    );
    lab.ok(&["create", "--name", "c", "bb:1", "true"]);
    let blobs = || {
        std::fs::read_dir(lab.store().join("blobs/sha256"))
            .unwrap()
            .count()
    };
    let before = blobs();
    lab.fails(1, &["commit", "c", "Bad Name!"]);
    assert_eq!(blobs(), before, "no layer written for a refused name");
    lab.fails(2, &["commit"]);
}
