//! Two strata processes naming images in one store at the same time lose
//! no name: index.json changes are read-modify-write under a file lock.

mod store_support;

use std::process::Stdio;

use store_support::*;

#[test]
fn two_processes_adding_100_names_each_keep_all_200() {
    let t = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let rootfs = t.path().join("tiny");
    std::fs::create_dir_all(rootfs.join("etc")).expect("mkdir");
    std::fs::write(rootfs.join("etc/hostname"), "tiny\n").expect("write");
    let store = t.path().join("store");
    let digest = ok(strata(&store).arg("import").arg(&rootfs).arg("base"));

    let spawn = |prefix: &str| {
        let names: Vec<String> = (0..100).map(|i| format!("{prefix}/n{i}:v{i}")).collect();
        strata(&store)
            .arg("tag")
            .arg("base")
            .args(&names)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn strata tag")
    };
    let (a, b) = (spawn("alpha"), spawn("beta"));
    for child in [a, b] {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let listed: serde_json::Value =
        serde_json::from_str(&ok(strata(&store).args(["images", "--format", "json"])))
            .expect("json");
    let names: Vec<&str> = listed
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    for prefix in ["alpha", "beta"] {
        for i in 0..100 {
            let want = format!("docker.io/{prefix}/n{i}:v{i}");
            assert!(names.contains(&want.as_str()), "{want} lost");
        }
    }
    assert_eq!(names.len(), 201);
    assert!(
        listed
            .as_array()
            .expect("array")
            .iter()
            .all(|i| i["digest"] == digest.as_str())
    );
    ok(strata(&store).args(["system", "fsck"]));
}
