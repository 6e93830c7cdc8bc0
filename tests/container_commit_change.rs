//! `strata commit -c INSTRUCTION` as `docker commit --change`: CMD,
//! ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR and VOLUME change the new
//! image's config, in order, their words expanded against the image's
//! environment. podman's lifecycle set has no commit case; this follows
//! docker commit's documented behaviour. Needs root.

mod support;

use serde_json::{Value, json};
use support::cli::{stderr, stdout};
use support::containers::Lab;

fn config(lab: &Lab, image: &str) -> Value {
    lab.inspect(image)["Config"].clone()
}

#[test]
fn each_change_lands_in_the_committed_images_config() {
    require_root!();
    let lab = Lab::new("commit_change_all");
    lab.ok(&["run", "--name", "c", "bb:1", "sh", "-c", "echo hi > /f"]);
    lab.ok(&[
        "commit",
        "-c",
        "ENV GREETING=hello COPY_OF_PATH=$PATH",
        "-c",
        "ENV SECOND=${GREETING}-again",
        "-c",
        "CMD [\"cat\", \"/f\"]",
        "-c",
        "EXPOSE 80 53/udp 9000-9001",
        "-c",
        "LABEL team=\"web ops\" tier=$GREETING",
        "-c",
        "WORKDIR /srv",
        "-c",
        "WORKDIR data",
        "-c",
        "USER nobody",
        "-c",
        "VOLUME /cache",
        "-m",
        "with changes",
        "-a",
        "someone",
        "c",
        "changed:1",
    ]);
    let cfg = config(&lab, "changed:1");
    let env: Vec<String> = serde_json::from_value(cfg["Env"].clone()).unwrap();
    let path = env.iter().find(|e| e.starts_with("PATH=")).unwrap().clone();
    assert!(env.contains(&"GREETING=hello".to_owned()), "{env:?}");
    assert!(
        env.contains(&format!("COPY_OF_{path}")),
        "expanded: {env:?}"
    );
    assert!(env.contains(&"SECOND=hello-again".to_owned()), "{env:?}");
    assert_eq!(cfg["Cmd"], json!(["cat", "/f"]));
    let ports: Vec<&String> = cfg["ExposedPorts"].as_object().unwrap().keys().collect();
    assert_eq!(ports, ["53/udp", "80/tcp", "9000/tcp", "9001/tcp"]);
    assert_eq!(cfg["Labels"]["team"], "web ops");
    assert_eq!(cfg["Labels"]["tier"], "hello");
    assert_eq!(
        cfg["WorkingDir"], "/srv/data",
        "a relative WORKDIR builds on the last"
    );
    assert_eq!(cfg["User"], "nobody");
    assert!(cfg["Volumes"]["/cache"].is_object());
    let history = lab.ok(&["history", "changed:1"]);
    assert!(history.contains("with changes"), "{history}");

    // The image runs as its new config says.
    let out = lab.ok(&["run", "--rm", "-u", "root", "changed:1"]);
    assert_eq!(out, "hi");
    let out = lab.ok(&[
        "run",
        "--rm",
        "changed:1",
        "sh",
        "-c",
        "id -u; pwd; echo $SECOND",
    ]);
    assert_eq!(out, "65534\n/srv/data\nhello-again");
    lab.ok(&["run", "--rm", "changed:1", "true"]);
    assert_eq!(
        lab.ok(&["volume", "ls", "-q"]),
        "",
        "the VOLUME's anonymous volume went with --rm"
    );
}

/// A Dockerfile's rule, which docker commit keeps: ENTRYPOINT resets the
/// image's CMD, unless a CMD is given with it.
#[test]
fn entrypoint_resets_the_images_cmd_unless_one_is_given() {
    require_root!();
    let lab = Lab::new("commit_change_entrypoint");
    lab.ok(&["run", "--name", "c", "bb:1", "true"]);
    lab.ok(&["commit", "-c", "CMD [\"old\"]", "c", "base:1"]);
    lab.ok(&["run", "--name", "d", "base:1", "true"]);
    lab.ok(&[
        "commit",
        "-c",
        "ENTRYPOINT [\"/bin/echo\", \"ep\"]",
        "d",
        "ep:1",
    ]);
    let cfg = config(&lab, "ep:1");
    assert_eq!(cfg["Entrypoint"], json!(["/bin/echo", "ep"]));
    assert!(cfg["Cmd"].is_null(), "{cfg}");
    assert_eq!(lab.ok(&["run", "--rm", "ep:1"]), "ep");
    lab.ok(&[
        "commit",
        "-c",
        "CMD kept",
        "-c",
        "ENTRYPOINT echo",
        "d",
        "both:1",
    ]);
    let cfg = config(&lab, "both:1");
    assert_eq!(cfg["Cmd"], json!(["/bin/sh", "-c", "kept"]), "shell form");
    assert_eq!(cfg["Entrypoint"], json!(["/bin/sh", "-c", "echo"]));
}

/// A change docker commit does not take, or a broken one: exit 2 naming
/// the flag, and no image is written.
#[test]
fn a_bad_change_is_a_usage_error_and_writes_nothing() {
    require_root!();
    let lab = Lab::new("commit_change_bad");
    lab.ok(&["run", "--name", "c", "bb:1", "true"]);
    let images_before = lab.ok(&["images", "-q"]);
    for bad in ["RUN true", "FROM scratch", "COPY a b", "NOSUCH x", "ENV"] {
        let out = lab.run(&["commit", "-c", bad, "c", "bad:1"]);
        assert_eq!(out.status.code(), Some(2), "-c {bad:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("--change"), "{}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
    let out = lab.run(&["commit", "-c", "EXPOSE 99999", "c", "bad:1"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("EXPOSE"), "{}", stderr(&out));
    assert_eq!(
        lab.ok(&["images", "-q"]),
        images_before,
        "an image was written"
    );
}
