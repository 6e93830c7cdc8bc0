//! `system fsck` checks container records too (the issue's "system fsck
//! checks container state"). Needs root.

mod support;

use support::cli::stdout;
use support::containers::Lab;
use support::sandbox::is_root;

#[test]
fn fsck_reports_container_records_that_do_not_hold_together() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let lab = Lab::new("fsck_containers");
    let id = lab.ok(&["create", "--name", "c", "bb:1", "true"]);
    let out = lab.ok(&["system", "fsck"]);
    assert!(out.ends_with("checked 1 containers: ok"), "{out}");

    let pin = lab
        .store()
        .join("cache/containers")
        .join(format!("{id}.json"));
    let saved = std::fs::read(&pin).unwrap();
    std::fs::remove_file(&pin).unwrap();
    let out = lab.run(&["system", "fsck"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("its image is not pinned"),
        "{}",
        stdout(&out)
    );
    std::fs::write(&pin, saved).unwrap();

    let orphan = lab.store().join("cache/containers/0123abcd.json");
    std::fs::write(&orphan, r#"{"pins":{}}"#).unwrap();
    let out = lab.run(&["system", "fsck"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("cache/containers/0123abcd.json: a pin of no container"),
        "{}",
        stdout(&out)
    );
    std::fs::remove_file(&orphan).unwrap();

    std::fs::remove_dir_all(lab.store().join("containers").join(&id).join("work")).unwrap();
    let out = lab.run(&["system", "fsck"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("no work/ dir"), "{}", stdout(&out));
    lab.ok(&["rm", "c"]);
    let out = lab.ok(&["system", "fsck"]);
    assert!(out.ends_with("checked 0 containers: ok"), "{out}");
}
