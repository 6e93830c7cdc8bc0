//! `ps --format TEMPLATE` (docker's Go-template subset, with the `table`
//! prefix) and `--filter exited=N`. Rewrites podman's 040-ps "podman ps -
//! basic tests" (the formatted line), "podman ps --filter" (exited=0,
//! exited=1) and "podman ps --format label". Needs root.

mod support;

use support::containers::Lab;

#[test]
fn ps_formats_fields_from_a_template_and_filters_by_exit_code() {
    require_root!();
    let lab = Lab::new("ps_format");
    let cid = lab.ok(&[
        "run",
        "-d",
        "--name",
        "rand",
        "-l",
        "mylabel=v123",
        "bb:1",
        "sleep",
        "300",
    ]);
    assert_eq!(
        lab.ok(&[
            "ps",
            "--no-trunc",
            "--format",
            "{{.ID}} {{.Image}} {{.Command}} {{.Names}} {{.State}}",
        ]),
        format!("{cid} bb:1 sleep 300 rand running")
    );
    assert_eq!(
        lab.ok(&["ps", "--format", "{{ .Label \"mylabel\" }}"]),
        "v123"
    );
    assert_eq!(lab.ok(&["ps", "--format", "{{.Labels}}"]), "mylabel=v123");

    lab.ok(&["run", "--name", "stopped", "bb:1", "true"]);
    lab.run(&["run", "--name", "failed", "bb:1", "sh", "-c", "exit 1"]);
    let names = |filter: &str| {
        lab.ok(&[
            "ps",
            "--filter",
            "status=exited",
            "--filter",
            filter,
            "--format",
            "{{.Names}}",
        ])
    };
    assert_eq!(names("exited=0"), "stopped");
    assert_eq!(names("exited=1"), "failed");

    // table: a header row, columns aligned on the tabs.
    let table = lab.ok(&["ps", "-a", "--format", "table {{.Names}}\\t{{.State}}"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "NAMES     STATE");
    let mut rows = lines[1..].to_vec();
    rows.sort();
    assert_eq!(
        rows,
        ["failed    exited", "rand      running", "stopped   exited"]
    );

    lab.fails(1, &["ps", "--format", "{{.Nope}}"]);
    lab.fails(1, &["ps", "--filter", "exited=zero"]);
    lab.ok(&["rm", "-f", "rand", "stopped", "failed"]);
}
