//! `strata ps`: rewrites podman's 040-ps cases for strata. Needs root.

mod support;

use support::containers::Lab;

/// podman 040-ps "podman ps - basic tests": running containers by
/// default, all with -a, ids only with -q, docker's columns.
#[test]
fn ps_lists_running_containers_and_all_with_a() {
    require_root!();
    let lab = Lab::new("ps_basic");
    let up = lab.ok(&["run", "-d", "--name", "up", "bb:1", "sleep", "100"]);
    let done = lab.ok(&["run", "-d", "--name", "done", "bb:1", "sh", "-c", "exit 3"]);
    let new = lab.ok(&["create", "--name", "new", "bb:1", "true"]);
    lab.ok(&["wait", "done"]);
    assert_eq!(lab.ok(&["ps", "-q"]), &up[..12]);
    let all = lab.ok(&["ps", "-a", "-q"]);
    let mut ids: Vec<&str> = all.lines().collect();
    ids.sort();
    let mut want = vec![&up[..12], &done[..12], &new[..12]];
    want.sort();
    assert_eq!(ids, want);
    let table = lab.ok(&["ps", "-a"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("CONTAINER ID   IMAGE"), "{table}");
    let row = |name: &str| *lines.iter().find(|l| l.ends_with(name)).unwrap();
    assert!(row("up").contains("Up "), "{table}");
    assert!(row("done").contains("Exited (3) "), "{table}");
    assert!(row("new").contains("Created"), "{table}");
    assert!(row("up").contains("\"sleep 100\""), "{table}");
    lab.ok(&["rm", "-f", "up"]);
}

/// podman 040-ps "podman ps --filter": status, name and label filters;
/// values of one key are alternatives, different keys must all match.
#[test]
fn ps_filters_by_status_name_and_label() {
    require_root!();
    let lab = Lab::new("ps_filter");
    lab.ok(&[
        "run", "-d", "--name", "web1", "-l", "tier=web", "bb:1", "sleep", "100",
    ]);
    lab.ok(&["create", "--name", "web2", "-l", "tier=web", "bb:1", "true"]);
    lab.ok(&[
        "create", "--name", "db", "-l", "tier=db", "-l", "backup", "bb:1", "true",
    ]);
    let names = |filters: &[&str]| {
        let mut args = vec!["ps", "-a", "--format", "json"];
        for f in filters {
            args.extend(["--filter", f]);
        }
        let rows: Vec<serde_json::Value> = serde_json::from_str(&lab.ok(&args)).unwrap();
        let mut n: Vec<String> = rows
            .iter()
            .map(|r| r["Names"][0].as_str().unwrap().to_owned())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&["status=running"]), ["web1"]);
    assert_eq!(names(&["status=created"]), ["db", "web2"]);
    assert_eq!(
        names(&["status=created", "status=running"]),
        ["db", "web1", "web2"]
    );
    assert_eq!(names(&["name=web"]), ["web1", "web2"]);
    assert_eq!(names(&["label=tier=web"]), ["web1", "web2"]);
    assert_eq!(names(&["label=backup"]), ["db"]);
    assert_eq!(names(&["label=tier=web", "status=created"]), ["web2"]);
    // A status filter shows stopped containers without -a, as docker's.
    let out = lab.ok(&["ps", "--filter", "status=created", "-q"]);
    assert_eq!(out.lines().count(), 2);
    lab.fails(1, &["ps", "--filter", "status=sleeping"]);
    lab.fails(1, &["ps", "--filter", "colour=red"]);
    lab.ok(&["rm", "-f", "web1"]);
}

/// podman 040-ps "podman ps --format json Labels": the JSON rows carry the
/// state, the exit code and the labels as a map.
#[test]
fn ps_json_rows_carry_state_exit_code_and_labels() {
    require_root!();
    let lab = Lab::new("ps_json");
    let id = lab.ok(&[
        "run", "-d", "--name", "j", "-l", "a=b", "bb:1", "sh", "-c", "exit 5",
    ]);
    lab.ok(&["wait", "j"]);
    let rows = lab.ps_all();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["Id"], id.as_str());
    assert_eq!(r["State"], "exited");
    assert_eq!(r["ExitCode"], 5);
    assert_eq!(r["Exited"], true);
    assert_eq!(r["Labels"]["a"], "b");
    assert_eq!(r["Image"], "bb:1");
    assert_eq!(r["Command"], serde_json::json!(["sh", "-c", "exit 5"]));
}
