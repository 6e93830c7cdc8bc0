//! `rmi` of an image a container uses (the issue: refused unless -f), and
//! gc around containers: a container keeps its image's content. Needs root.

mod support;

use support::cli::stdout;
use support::containers::Lab;
use support::sandbox::is_root;

#[test]
fn rmi_refuses_the_last_name_of_an_image_a_container_uses() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let lab = Lab::new("rmi_in_use");
    lab.ok(&["create", "--name", "user", "bb:1", "echo", "still runs"]);
    let err = lab.fails(1, &["rmi", "bb:1"]);
    assert!(
        err.contains("image bb:1 is used by container user"),
        "{err}"
    );
    assert!(lab.ok(&["images"]).contains("bb "), "the name stays");

    // Another name of it may go: the image keeps one.
    lab.ok(&["tag", "bb:1", "other:1"]);
    lab.ok(&["rmi", "bb:1"]);
    lab.fails(1, &["rmi", "other:1"]);

    // -f removes the name; the container keeps the content, also across gc.
    lab.ok(&["rmi", "-f", "other:1"]);
    lab.ok(&["system", "gc"]);
    let out = lab.run(&["start", "-a", "user"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), "still runs\n");
    lab.fsck_clean();
    lab.ok(&["rm", "user"]);
    let gc = lab.ok(&["system", "gc"]);
    assert!(
        !gc.starts_with("removed 0 blobs"),
        "the content goes with the container: {gc}"
    );
    lab.fsck_clean();
}
