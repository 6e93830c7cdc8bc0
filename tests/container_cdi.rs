//! `strata run/create --device VENDOR/CLASS=NAME`: a CDI-qualified name
//! goes through CDI (docker 25+ and podman do the same), the container
//! gets the device's edits; a host path stays a host device
//! (container_devices.rs). Specs are written to a dir of the test's own,
//! passed with `--cdi-spec-dir`.

mod support;

use std::path::{Path, PathBuf};

use support::containers::Lab;

fn spec_dir(lab: &Lab, text: &str) -> PathBuf {
    let dir = lab.dir.join("cdi");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("vendor1-device.yaml"), text).unwrap();
    dir
}

const ENV_AND_LIBS: &str = "cdiVersion: \"0.6.0\"\nkind: vendor1.com/device\ncontainerEdits:\n  env: [SPEC=1]\ndevices:\n- name: foo\n  containerEdits:\n    env: [FOO=injected]\n    mounts:\n    - {hostPath: HOST, containerPath: /opt/vendor, options: [ro, bind]}\n";

#[test]
fn run_with_a_cdi_name_gets_the_devices_env_and_mounts() {
    let lab = Lab::new("cdi_run_env");
    let host = lab.dir.join("libs");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("lib.txt"), "vendor library\n").unwrap();
    let dir = spec_dir(&lab, &ENV_AND_LIBS.replace("HOST", &host.to_string_lossy()));
    let dir = dir.to_string_lossy();
    let out = lab.ok(&[
        "run",
        "--rm",
        "--cdi-spec-dir",
        &dir,
        "--device",
        "vendor1.com/device=foo",
        "bb:1",
        "sh",
        "-c",
        "echo $SPEC $FOO; cat /opt/vendor/lib.txt; touch /opt/vendor/x 2>&1 || true",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..2], ["1 injected", "vendor library"], "{out}");
    assert!(lines[2].contains("Read-only file system"), "ro bind: {out}");
}

#[test]
fn create_keeps_the_cdi_edits_for_start() {
    let lab = Lab::new("cdi_create_env");
    let host = lab.dir.join("libs");
    std::fs::create_dir_all(&host).unwrap();
    let dir = spec_dir(&lab, &ENV_AND_LIBS.replace("HOST", &host.to_string_lossy()));
    let dir = dir.to_string_lossy();
    lab.ok(&[
        "create",
        "--name",
        "c",
        "--cdi-spec-dir",
        &dir,
        "--device",
        "vendor1.com/device=foo",
        "bb:1",
        "sh",
        "-c",
        "echo $FOO",
    ]);
    // The spec is read at create: changing it later does not change c.
    std::fs::remove_dir_all(lab.dir.join("cdi")).unwrap();
    assert_eq!(lab.ok(&["start", "-a", "c"]), "injected");
}

#[test]
fn an_unknown_cdi_name_fails_naming_it() {
    let lab = Lab::new("cdi_run_unknown");
    let dir = spec_dir(&lab, &ENV_AND_LIBS.replace("HOST", "/tmp"));
    let dir = dir.to_string_lossy();
    let out = lab.run(&[
        "run",
        "--rm",
        "--cdi-spec-dir",
        &dir,
        "--device",
        "vendor1.com/device=nope",
        "bb:1",
        "true",
    ]);
    let err = support::cli::stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("required device \"vendor1.com/device=nope\" is not registered"),
        "{err}"
    );
}

#[test]
fn run_with_a_cdi_device_node_opens_dev_kmsg() {
    if !support::sandbox::is_root() || !Path::new("/dev/kmsg").exists() {
        eprintln!("skipped: needs root and /dev/kmsg");
        return;
    }
    let lab = Lab::new("cdi_run_kmsg");
    let dir = spec_dir(
        &lab,
        "cdiVersion: \"0.6.0\"\nkind: vendor1.com/device\ndevices:\n- name: kmsg\n  containerEdits:\n    deviceNodes: [{path: /dev/kmsg, permissions: w}]\n",
    );
    let dir = dir.to_string_lossy();
    // Write-only: no CAP_SYSLOG needed, and `:` writes nothing.
    let open = "(: > /dev/kmsg) 2>&1 && echo opened";
    let without = lab.run(&[
        "run",
        "--rm",
        "-v",
        "/dev/kmsg:/dev/kmsg",
        "bb:1",
        "sh",
        "-c",
        open,
    ]);
    assert!(
        support::cli::stdout(&without).contains("Operation not permitted"),
        "{}",
        support::cli::stdout(&without)
    );
    let with = lab.ok(&[
        "run",
        "--rm",
        "--cdi-spec-dir",
        &dir,
        "--device",
        "vendor1.com/device=kmsg",
        "bb:1",
        "sh",
        "-c",
        open,
    ]);
    assert_eq!(with, "opened");
}

#[test]
fn run_with_a_cdi_mount_gets_its_noexec_and_nosuid() {
    let lab = Lab::new("cdi_run_noexec");
    let host = lab.dir.join("bin");
    std::fs::create_dir_all(&host).unwrap();
    let script = host.join("run.sh");
    std::fs::write(&script, "#!/bin/sh\necho ran\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let host = host.to_string_lossy();
    let dir = spec_dir(
        &lab,
        &format!(
            "cdiVersion: \"0.6.0\"\nkind: vendor1.com/device\ndevices:\n\
             - name: exec\n  containerEdits:\n    mounts: [{{hostPath: {host}, containerPath: /opt/exec, options: [bind]}}]\n\
             - name: noexec\n  containerEdits:\n    mounts: [{{hostPath: {host}, containerPath: /opt/noexec, options: [nosuid, noexec, bind]}}]\n"
        ),
    );
    let dir = dir.to_string_lossy();
    let out = lab.ok(&[
        "run",
        "--rm",
        "--cdi-spec-dir",
        &dir,
        "--device",
        "vendor1.com/device=exec",
        "--device",
        "vendor1.com/device=noexec",
        "bb:1",
        "sh",
        "-c",
        "/opt/exec/run.sh; /opt/noexec/run.sh 2>&1; grep ' /opt/noexec ' /proc/self/mountinfo | cut -d' ' -f6",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "ran", "{out}");
    assert!(lines[1].contains("Permission denied"), "{out}");
    let flags: Vec<&str> = lines[2].split(',').collect();
    assert!(
        flags.contains(&"nosuid") && flags.contains(&"noexec"),
        "{out}"
    );
}
