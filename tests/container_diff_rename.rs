//! `diff` (what a container changed, from its upper dir), `rename`, and
//! `ps --filter ancestor=`. Follows docker's documented output (A/C/D);
//! podman's 040-ps "--filter" covers ancestor. Needs root.

mod support;

use support::containers::Lab;

#[test]
fn diff_lists_added_changed_and_deleted_paths() {
    require_root!();
    let lab = Lab::new("diff");
    lab.ok(&[
        "run",
        "--name",
        "d",
        "bb:1",
        "sh",
        "-c",
        "echo x > /new; echo extra >> /etc/passwd; rm /etc/group; mkdir -p /opt/app",
    ]);
    let out = lab.ok(&["diff", "d"]);
    let lines: Vec<&str> = out.lines().collect();
    for want in [
        "A /new",
        "C /etc",
        "C /etc/passwd",
        "D /etc/group",
        "A /opt",
        "A /opt/app",
    ] {
        assert!(lines.contains(&want), "no {want:?} in {out}");
    }
    assert!(!out.contains("/bin"), "only what changed: {out}");
    lab.ok(&["create", "--name", "fresh", "bb:1", "true"]);
    assert_eq!(lab.ok(&["diff", "fresh"]), "");
}

#[test]
fn rename_keeps_names_unique() {
    require_root!();
    let lab = Lab::new("rename");
    let id = lab.ok(&["create", "--name", "old", "bb:1", "true"]);
    lab.ok(&["create", "--name", "taken", "bb:1", "true"]);
    lab.ok(&["rename", "old", "new"]);
    assert_eq!(lab.inspect("new")["Id"], id.as_str());
    lab.fails(1, &["inspect", "old"]);
    let err = lab.fails(1, &["rename", "new", "taken"]);
    assert!(err.contains("already in use"), "{err}");
    let err = lab.fails(1, &["rename", "new", "a b"]);
    assert!(err.contains("invalid container name"), "{err}");
    assert_eq!(lab.inspect("new")["Name"], "new");
}

#[test]
fn ps_filters_by_ancestor_image() {
    require_root!();
    let lab = Lab::new("ps_ancestor");
    lab.ok(&["tag", "bb:1", "other:2"]);
    lab.ok(&["create", "--name", "a", "bb:1", "true"]);
    lab.ok(&["create", "--name", "b", "other:2", "true"]);
    let names = |f: &str| -> Vec<String> {
        let rows: Vec<serde_json::Value> =
            serde_json::from_str(&lab.ok(&["ps", "-a", "--format", "json", "--filter", f]))
                .unwrap();
        rows.iter()
            .map(|r| r["Names"][0].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names("ancestor=bb:1"), ["a"]);
    let digest = lab.inspect("a")["Image"].as_str().unwrap().to_owned();
    let mut both = names(&format!("ancestor={digest}"));
    both.sort();
    assert_eq!(both, ["a", "b"], "one image under two names");
}
