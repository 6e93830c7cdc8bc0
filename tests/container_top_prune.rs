//! `top` lists a running container's processes with the host's `ps`
//! (podman's 030-run "podman top does not use nsenter from image": nothing
//! of the image runs, so a doctored image cannot lie), and `container
//! prune` removes the containers that are not running (docker's `container
//! prune`, with its label, label! and until filters; podman's lifecycle
//! tests have no case for it). Needs root.

mod support;

use support::cli::{stderr, stdout};
use support::containers::Lab;

#[test]
fn top_shows_the_containers_processes_only_and_never_runs_the_images_ps() {
    require_root!();
    let lab = Lab::new("top_processes");
    // The container's own ps is replaced by one that lies.
    lab.ok(&[
        "run",
        "-d",
        "--name",
        "c",
        "bb:1",
        "sh",
        "-c",
        "rm /bin/ps; printf '#!/bin/sh\\necho fake\\n' > /bin/ps; chmod +x /bin/ps; \
         sleep 300 & echo READY; exec sleep 301",
    ]);
    lab.wait_for_log("c", "READY");
    let out = lab.ok(&["top", "c"]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].contains("PID") && lines[0].contains("CMD"),
        "{out}"
    );
    assert!(!out.contains("fake"), "{out}");
    assert!(out.contains("sleep 300"), "{out}");
    assert!(out.contains("sleep 301"), "{out}");
    // Only the container's: the header, its init, the two sleeps.
    assert_eq!(lines.len(), 4, "{out}");
    let me = std::process::id().to_string();
    assert!(!out.split_whitespace().any(|w| w == me), "{out}");

    // ps options pass through; without a PID column there is nothing to
    // filter by, which is said.
    let out = lab.ok(&["top", "c", "-o", "pid,args"]);
    assert!(out.lines().next().unwrap().contains("PID"), "{out}");
    assert!(out.contains("sleep 301"), "{out}");
    let err = lab.fails(1, &["top", "c", "-o", "args"]);
    assert!(err.contains("no PID column"), "{err}");

    lab.ok(&["stop", "-t", "1", "c"]);
    let err = lab.fails(1, &["top", "c"]);
    assert!(err.contains("not running"), "{err}");
    lab.fails(1, &["top", "nosuch"]);
}

#[test]
fn container_prune_removes_created_and_exited_containers_and_keeps_running_ones() {
    require_root!();
    let lab = Lab::new("container_prune");
    let running = lab.ok(&["run", "-d", "--name", "up", "bb:1", "sleep", "300"]);
    let created = lab.ok(&["create", "--name", "new", "bb:1", "true"]);
    let kept = lab.ok(&["create", "--name", "kept", "-l", "keep=yes", "bb:1", "true"]);
    lab.ok(&["run", "--name", "done", "bb:1", "true"]);
    let done = lab.inspect("done")["Id"].as_str().unwrap().to_owned();

    // Without -f it asks, and a "no" removes nothing.
    let mut ask = lab.strata(&["container", "prune"]);
    let out = ask.stdin(std::process::Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Are you sure"), "{}", stderr(&out));
    assert_eq!(lab.ps_all().len(), 4);

    let out = lab.run(&["container", "prune", "-f", "--filter", "label!=keep"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut removed: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    removed.sort();
    let mut expected = vec![created, done];
    expected.sort();
    assert_eq!(removed, expected);
    lab.ok(&["inspect", &kept]);
    lab.ok(&["inspect", &running]);

    // until= keeps what was created after the time.
    assert_eq!(
        lab.ok(&["container", "prune", "-f", "--filter", "until=1h"]),
        ""
    );
    assert_eq!(lab.ok(&["container", "prune", "-f"]), kept);
    assert_eq!(lab.ps_all().len(), 1, "the running container stays");
    lab.fails(1, &["container", "prune", "-f", "--filter", "color=red"]);
    lab.ok(&["rm", "-f", "up"]);
    lab.fsck_clean();
}
