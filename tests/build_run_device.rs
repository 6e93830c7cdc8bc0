//! `RUN --device` with CDI devices, through the binary, as BuildKit gives
//! them (frontend/dockerfile/dockerfile_rundevice_test.go and
//! client/client_cdi_test.go; the cases named after theirs mirror them):
//! specs in a directory of the test's own passed with `--cdi-spec-dir`,
//! names resolved in BuildKit's forms, the `device` entitlement, the
//! edits in the step, and the step's cache key following the spec.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::cli::stderr;
use support::env::Env;
use support::events::{fs_steps_cached, fs_steps_run};

/// A build context holding `dockerfile`, and a spec dir holding `specs`
/// (file name, text).
struct Case {
    env: Env,
    ctx: PathBuf,
    specs: PathBuf,
    /// Builds unpacked so far, for unique unpack dirs.
    unpacked: std::cell::Cell<usize>,
}

impl Case {
    fn new(dockerfile: &str, specs: &[(&str, &str)]) -> Case {
        let env = Env::new();
        let ctx = env.path("ctx");
        let spec_dir = env.path("cdi");
        fs::create_dir_all(&ctx).expect("mkdir ctx");
        fs::create_dir_all(&spec_dir).expect("mkdir cdi");
        fs::write(ctx.join("Dockerfile"), dockerfile).expect("Dockerfile");
        let case = Case {
            env,
            ctx,
            specs: spec_dir,
            unpacked: Default::default(),
        };
        for (name, text) in specs {
            case.spec(name, text);
        }
        case
    }

    fn spec(&self, name: &str, text: &str) {
        fs::write(self.specs.join(name), text).expect("spec");
    }

    fn flags<'a>(&'a self, extra: &[&'a str]) -> Vec<String> {
        let mut f = vec![
            "--cdi-spec-dir".to_string(),
            self.specs.display().to_string(),
        ];
        f.extend(extra.iter().map(|s| s.to_string()));
        f
    }

    /// Builds; the file `path` of the image, and the events.
    fn build_file(&self, extra: &[&str], path: &str) -> (String, Vec<serde_json::Value>) {
        let flags = self.flags(extra);
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let (id, events) = self.env.build_json(&self.ctx, &flags);
        let n = self.unpacked.get() + 1;
        self.unpacked.set(n);
        let (root, _) = self.env.unpack(id.trim(), &format!("img{n}"));
        let text = fs::read_to_string(root.join(path.trim_start_matches('/')))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        (text, events)
    }

    /// A build that must fail; its stderr.
    fn build_fails(&self, extra: &[&str]) -> String {
        let flags = self.flags(extra);
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let mut args = vec!["--progress", "plain"];
        args.extend(flags);
        let out = self.env.build(&self.ctx, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        err
    }

    fn dockerfile(&self) -> String {
        self.ctx.join("Dockerfile").display().to_string()
    }
}

const VENDOR1_FOO_AUTOALLOW: &str = r#"
cdiVersion: "0.6.0"
kind: "vendor1.com/device"
devices:
- name: foo
  containerEdits:
    env:
    - FOO=injected
  annotations:
    org.mobyproject.buildkit.device.autoallow: true
"#;

const VENDOR1_FOO: &str = r#"
cdiVersion: "0.6.0"
kind: "vendor1.com/device"
devices:
- name: foo
  containerEdits:
    env:
    - FOO=injected
"#;

/// testCDIFirst's and testCDIWildcard's four devices of one kind.
const VENDOR1_FOUR: &str = r#"
cdiVersion: "0.6.0"
kind: "vendor1.com/device"
devices:
- name: foo
  containerEdits:
    env:
    - FOO=injected
- name: bar
  containerEdits:
    env:
    - BAR=injected
- name: baz
  containerEdits:
    env:
    - BAZ=injected
- name: qux
  containerEdits:
    env:
    - QUX=injected
annotations:
  org.mobyproject.buildkit.device.autoallow: true
"#;

#[test]
fn device_run_env_injects_the_specs_env() {
    // testDeviceRunEnv
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=foo,required env | grep FOO > /foo.env\n",
        &[("vendor1-device.yaml", VENDOR1_FOO_AUTOALLOW)],
    );
    let (env, _) = case.build_file(&[], "/foo.env");
    assert_eq!(env, "FOO=injected\n");
}

#[test]
fn a_json_spec_works_as_a_yaml_one() {
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=foo,required env | grep FOO > /foo.env\n",
        &[(
            "vendor1-device.json",
            r#"{"cdiVersion":"0.6.0","kind":"vendor1.com/device","devices":[{"name":"foo",
               "annotations":{"org.mobyproject.buildkit.device.autoallow":"true"},
               "containerEdits":{"env":["FOO=from-json"]}}]}"#,
        )],
    );
    assert_eq!(case.build_file(&[], "/foo.env").0, "FOO=from-json\n");
}

#[test]
fn cdi_not_allowed_without_autoallow_or_allow_device() {
    // testCDINotAllowed
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=foo env > /env\n",
        &[("vendor1-device.yaml", VENDOR1_FOO)],
    );
    let err = case.build_fails(&[]);
    for want in [
        "device vendor1.com/device=foo is requested by the build but not allowed",
        "--allow device",
        &format!("{}:2:1", case.dockerfile()),
    ] {
        assert!(err.contains(want), "no {want:?} in:\n{err}");
    }
    // `--allow device` grants every device.
    let (env, _) = case.build_file(&["--allow", "device"], "/env");
    assert!(env.contains("FOO=injected\n"), "{env}");
}

#[test]
fn cdi_entitlement_grants_just_the_devices_it_names() {
    // testCDIEntitlement: --allow device=KIND, then one device by name.
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=foo env > /env\n",
        &[(
            "vendor1-device.yaml",
            "cdiVersion: \"0.6.0\"\nkind: vendor1.com/device\ndevices:\n- name: foo\n  containerEdits:\n    env: [FOO=injected]\n- name: bar\n  containerEdits:\n    env: [BAR=injected]\n",
        )],
    );
    let (env, _) = case.build_file(&["--allow", "device=vendor1.com/device=foo"], "/env");
    assert!(
        env.contains("FOO=injected\n") && !env.contains("BAR="),
        "{env}"
    );
    fs::write(
        case.ctx.join("Dockerfile"),
        "FROM busybox\nRUN --device=vendor1.com/device=bar env > /env\n",
    )
    .expect("Dockerfile");
    let err = case.build_fails(&["--allow", "device=vendor1.com/device=foo"]);
    assert!(
        err.contains("device vendor1.com/device=bar is requested by the build but not allowed"),
        "{err}"
    );
}

#[test]
fn an_alias_grant_lets_a_step_ask_by_the_alias() {
    let case = Case::new(
        "FROM busybox\nRUN --device=gpu,required env > /env\n",
        &[("vendor1-device.yaml", VENDOR1_FOO)],
    );
    let (env, _) = case.build_file(
        &["--allow", "device=vendor1.com/device=foo,alias=gpu"],
        "/env",
    );
    assert!(env.contains("FOO=injected\n"), "{env}");
}

#[test]
fn cdi_first_takes_the_first_device_of_the_kind() {
    // testCDIFirst: the devices are listed sorted, so bar comes first.
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device env > /env\n",
        &[("vendor1-device.yaml", VENDOR1_FOUR)],
    );
    let (env, _) = case.build_file(&[], "/env");
    assert!(env.contains("BAR=injected\n"), "{env}");
    for absent in ["FOO=", "BAZ=", "QUX="] {
        assert!(!env.contains(absent), "{absent} in {env}");
    }
}

#[test]
fn cdi_wildcard_takes_every_device_of_the_kind() {
    // testCDIWildcard
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=* env > /env\n",
        &[("vendor1-device.yaml", VENDOR1_FOUR)],
    );
    let (env, _) = case.build_file(&[], "/env");
    for want in [
        "FOO=injected",
        "BAR=injected",
        "BAZ=injected",
        "QUX=injected",
    ] {
        assert!(env.contains(want), "no {want} in {env}");
    }
}

#[test]
fn cdi_class_selects_by_the_class_annotation() {
    // testCDIClass
    let case = Case::new(
        "FROM busybox\nRUN --device=class1 env > /env\n",
        &[(
            "vendor1-device.yaml",
            r#"
cdiVersion: "0.6.0"
kind: "vendor1.com/device"
annotations:
  org.mobyproject.buildkit.device.autoallow: true
devices:
- name: foo
  annotations:
    org.mobyproject.buildkit.device.class: class1
  containerEdits:
    env:
    - FOO=injected
- name: bar
  annotations:
    org.mobyproject.buildkit.device.class: class1
  containerEdits:
    env:
    - BAR=injected
- name: baz
  annotations:
    org.mobyproject.buildkit.device.class: class2
  containerEdits:
    env:
    - BAZ=injected
- name: qux
  containerEdits:
    env:
    - QUX=injected
"#,
        )],
    );
    let (env, _) = case.build_file(&[], "/env");
    assert!(
        env.contains("FOO=injected") && env.contains("BAR=injected"),
        "{env}"
    );
    assert!(!env.contains("BAZ=") && !env.contains("QUX="), "{env}");
}

#[test]
fn cdi_optional_missing_warns_and_required_missing_fails_at_its_line() {
    // testCDI: vendor3.com/device=baz is optional and nobody defines it.
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=foo --device=vendor3.com/device=baz env > /env\n",
        &[("vendor1-device.yaml", VENDOR1_FOO_AUTOALLOW)],
    );
    let flags = case.flags(&["--progress", "plain"]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let out = case.env.build(&case.ctx, &flags);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("optional device \"vendor3.com/device=baz\" is not registered"),
        "{err}"
    );
    fs::write(
        case.ctx.join("Dockerfile"),
        "FROM busybox\nRUN true\nRUN --device=vendor3.com/device=baz,required env > /env\n",
    )
    .expect("Dockerfile");
    let err = case.build_fails(&[]);
    assert!(
        err.contains("required device \"vendor3.com/device=baz\" is not registered"),
        "{err}"
    );
    assert!(err.contains(&format!("{}:3:1", case.dockerfile())), "{err}");
}

#[test]
fn spec_level_edits_apply_once_with_the_devices() {
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=* env | sort > /env\n",
        &[(
            "vendor1-device.yaml",
            "cdiVersion: \"0.6.0\"\nkind: vendor1.com/device\nannotations:\n  org.mobyproject.buildkit.device.autoallow: \"true\"\ncontainerEdits:\n  env: [SPEC=once]\ndevices:\n- name: a\n  containerEdits: {env: [A=1]}\n- name: b\n  containerEdits: {env: [B=1]}\n",
        )],
    );
    let (env, _) = case.build_file(&[], "/env");
    assert_eq!(env.matches("SPEC=once").count(), 1, "{env}");
    assert!(env.contains("A=1\n") && env.contains("B=1\n"), "{env}");
}

#[test]
fn a_mount_edit_binds_the_host_dir_into_the_step() {
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=libs ls /opt/vendor > /listing && cat /opt/vendor/lib.txt >> /listing\n",
        &[],
    );
    let host = case.env.path("vendor-libs");
    fs::create_dir_all(&host).expect("mkdir");
    fs::write(host.join("lib.txt"), "vendor library\n").expect("lib");
    case.spec(
        "vendor1-device.yaml",
        &format!(
            "cdiVersion: \"0.6.0\"\nkind: vendor1.com/device\ndevices:\n- name: libs\n  annotations:\n    org.mobyproject.buildkit.device.autoallow: \"true\"\n  containerEdits:\n    mounts:\n    - hostPath: {}\n      containerPath: /opt/vendor\n      options: [ro, nosuid, nodev, bind]\n",
            host.display()
        ),
    );
    let (listing, _) = case.build_file(&[], "/listing");
    assert_eq!(listing, "lib.txt\nvendor library\n");
}

#[test]
fn the_step_is_cached_while_the_spec_is_unchanged_and_rebuilt_when_it_changes() {
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=foo env | grep FOO > /foo.env\n",
        &[("vendor1-device.yaml", VENDOR1_FOO_AUTOALLOW)],
    );
    let (first, events) = case.build_file(&[], "/foo.env");
    assert_eq!(first, "FOO=injected\n");
    assert_eq!(fs_steps_run(&events).len(), 1);
    let (again, events) = case.build_file(&[], "/foo.env");
    assert_eq!(again, first);
    assert_eq!(fs_steps_run(&events).len(), 0, "same spec: a cache hit");
    assert_eq!(fs_steps_cached(&events).len(), 1);
    case.spec(
        "vendor1-device.yaml",
        &VENDOR1_FOO_AUTOALLOW.replace("FOO=injected", "FOO=edited"),
    );
    let (edited, events) = case.build_file(&[], "/foo.env");
    assert_eq!(edited, "FOO=edited\n");
    assert_eq!(
        fs_steps_run(&events).len(),
        1,
        "edited spec: the step reruns"
    );
}

#[test]
fn a_bad_spec_file_is_named_in_the_error() {
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=foo,required true\n",
        &[(
            "broken.yaml",
            "cdiVersion: \"0.6.0\"\nkind: vendor1.com/device\ndevices:\n- name: foo\n  containerEdits: {env: [FOO=injected]\n",
        )],
    );
    let err = case.build_fails(&["--allow", "device"]);
    let file = case.specs.join("broken.yaml").display().to_string();
    assert!(err.contains(&format!("CDI spec {file}: line ")), "{err}");
    assert!(err.contains("vendor1.com/device=foo"), "{err}");
    // A spec that parses but breaks CDI's rules is named too.
    case.spec(
        "broken.yaml",
        "cdiVersion: \"0.6.0\"\nkind: no-vendor\ndevices:\n- name: foo\n",
    );
    let err = case.build_fails(&["--allow", "device"]);
    assert!(
        err.contains(&format!("CDI spec {file}: invalid kind")),
        "{err}"
    );
}

#[test]
fn a_hook_is_refused_naming_the_spec_and_the_device() {
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=hooked true\n",
        &[(
            "hooked.yaml",
            "cdiVersion: \"0.6.0\"\nkind: vendor1.com/device\ndevices:\n- name: hooked\n  containerEdits:\n    hooks:\n    - hookName: createContainer\n      path: /usr/bin/true\n",
        )],
    );
    let err = case.build_fails(&["--allow", "device"]);
    let file = case.specs.join("hooked.yaml").display().to_string();
    assert!(
        err.contains(&format!(
            "CDI spec {file}: device vendor1.com/device=hooked: has a createContainer hook"
        )),
        "{err}"
    );
}

/// /dev/kmsg is the device, as in container_devices.rs: the device
/// policy denies it and it is on every host. Opening it write-only needs
/// no CAP_SYSLOG (dmesg_restrict guards reading) and `:` writes nothing,
/// so the device cgroup is the only thing that decides.
const OPEN_KMSG: &str = "(: > /dev/kmsg) 2>&1 && echo opened";

#[test]
fn a_device_node_edit_gives_the_step_dev_kmsg() {
    if !support::sandbox::is_root() || !Path::new("/dev/kmsg").exists() {
        eprintln!("skipped: needs root and /dev/kmsg");
        return;
    }
    let case = Case::new(
        &format!(
            "FROM busybox\n\
             RUN --device=vendor1.com/device=bound sh -c '{OPEN_KMSG}' > /bound || true\n\
             RUN --device=vendor1.com/device=kmsg sh -c 'ls -l /dev/kmsg; {OPEN_KMSG}' > /given\n"
        ),
        &[(
            "kmsg.yaml",
            "cdiVersion: \"0.6.0\"\nkind: vendor1.com/device\n\
             annotations:\n  org.mobyproject.buildkit.device.autoallow: \"true\"\n\
             devices:\n\
             - name: kmsg\n  containerEdits:\n    deviceNodes:\n    - path: /dev/kmsg\n      permissions: w\n\
             - name: bound\n  containerEdits:\n    mounts:\n    - {hostPath: /dev/kmsg, containerPath: /dev/kmsg, options: [bind]}\n",
        )],
    );
    let (given, _) = case.build_file(&[], "/given");
    assert!(given.starts_with('c'), "a character device node: {given}");
    assert!(given.ends_with("opened\n"), "{given}");
    // The same node bound in from the host is no way around the cgroup.
    let (bound, _) = case.build_file(&[], "/bound");
    assert!(bound.contains("Operation not permitted"), "EPERM: {bound}");
}

/// Rootless: no device cgroup, the host node bound in (the executor's
/// rule for `--device`), so a node the user may open works in the step.
/// As the test user, in a store under `d` (which it owns): imports
/// `rootfs` as busybox, builds `ctx` with the specs in `specs` and
/// `extra` flags, and returns the built image's file `file`.
fn build_as_test_user(
    d: &Path,
    rootfs: &Path,
    specs: &Path,
    ctx: &Path,
    extra: &[&str],
    file: &str,
) -> String {
    use support::rootless::as_user;
    let store = d.join("store");
    let store_s = store.to_string_lossy().into_owned();
    let said = |out: &std::process::Output| format!("{}{}", support::cli::stdout(out), stderr(out));
    let user = |args: &[&str]| {
        let mut all = vec!["--root", store_s.as_str()];
        all.extend(args);
        as_user(d, &all)
    };
    let imported = user(&["import", &rootfs.to_string_lossy(), "busybox:latest"]);
    assert!(imported.status.success(), "import: {}", said(&imported));
    let iid = d.join("iid");
    let (specs, iid_s, ctx) = (
        specs.to_string_lossy(),
        iid.to_string_lossy(),
        ctx.to_string_lossy(),
    );
    let mut args = vec!["build", "--progress", "plain", "--cdi-spec-dir", &specs];
    args.extend(extra);
    args.extend(["--iidfile", &iid_s, &ctx]);
    let built = user(&args);
    assert!(built.status.success(), "rootless build: {}", said(&built));
    let id = fs::read_to_string(&iid).expect("iid");
    let layout = d.join("out");
    let pushed = user(&["push", id.trim(), &format!("oci:{}:img", layout.display())]);
    assert!(pushed.status.success(), "push: {}", said(&pushed));
    let (root, _) = support::layout::unpack_layout(&layout, &d.join("rootfs"));
    fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("/{file}: {e}"))
}

/// The node is made by the test (as root) and given to the test user.
#[test]
fn a_rootless_build_gets_a_cdi_node_the_user_may_open() {
    use std::os::unix::fs::PermissionsExt;
    use support::rootless::{chown_tree, test_user};
    if !support::sandbox::is_root() {
        eprintln!("skipped: needs root (to make the test user and its node)");
        return;
    }
    test_user();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let rootfs = support::busybox::busybox_rootfs(d, &support::busybox::BUILD);
    let node = d.join("mine");
    let made = std::process::Command::new("mknod")
        .arg(&node)
        .args(["c", "1", "3"])
        .output()
        .expect("mknod");
    assert!(made.status.success(), "mknod: {}", stderr(&made));
    let (ctx, specs) = (d.join("ctx"), d.join("cdi"));
    fs::create_dir_all(&ctx).expect("ctx");
    fs::create_dir_all(&specs).expect("cdi");
    fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\nRUN --device=vendor1.com/device=mine,required sh -c 'echo hi > /dev/mine && ls -l /dev/mine' > /mine\n",
    )
    .expect("Dockerfile");
    fs::write(
        specs.join("mine.yaml"),
        format!(
            "cdiVersion: \"0.6.0\"\nkind: vendor1.com/device\ndevices:\n- name: mine\n  containerEdits:\n    deviceNodes:\n    - {{path: /dev/mine, hostPath: {}}}\n",
            node.display()
        ),
    )
    .expect("spec");
    chown_tree(d);
    fs::set_permissions(&node, fs::Permissions::from_mode(0o600)).expect("chmod");
    let listing = build_as_test_user(d, &rootfs, &specs, &ctx, &["--allow", "device"], "mine");
    assert!(listing.starts_with('c'), "a character device: {listing}");
}

#[test]
fn additional_gids_join_the_steps_groups_and_a_broken_spec_beside_is_a_warning() {
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=video id -G > /groups\nRUN --device=vendor1.com/device=video true\n",
        &[
            (
                "vendor1-device.yaml",
                "cdiVersion: \"0.7.0\"\nkind: vendor1.com/device\ndevices:\n- name: video\n  annotations:\n    org.mobyproject.buildkit.device.autoallow: \"true\"\n  containerEdits:\n    additionalGids: [0, 44]\n",
            ),
            ("other.json", "{\"cdiVersion\": \"0.6.0\", \"kind\": "),
        ],
    );
    let (groups, _) = case.build_file(&[], "/groups");
    let groups: Vec<&str> = groups.split_whitespace().collect();
    assert!(groups.contains(&"44"), "{groups:?}");
    let flags = case.flags(&["--progress", "plain", "--no-cache"]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let out = case.env.build(&case.ctx, &flags);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let other = case.specs.join("other.json").display().to_string();
    let warning = format!("warning: RUN --device: CDI spec {other}: ");
    assert_eq!(err.matches(&warning).count(), 1, "once a build:\n{err}");
}

/// A spec of one kind whose devices each bind `host` at their own
/// `containerPath` with their own options: (name, container path, options).
fn mount_devices(host: &Path, devices: &[(&str, &str, &str)]) -> String {
    let mut text = String::from(
        "cdiVersion: \"0.6.0\"\nkind: vendor1.com/device\nannotations:\n  org.mobyproject.buildkit.device.autoallow: \"true\"\ndevices:\n",
    );
    for (name, at, options) in devices {
        text.push_str(&format!(
            "- name: {name}\n  containerEdits:\n    mounts:\n    - {{hostPath: {}, containerPath: {at}, options: [{options}]}}\n",
            host.display()
        ));
    }
    text
}

/// The per-mount options mountinfo lists for the mount at `at`, from a
/// `grep` of /proc/self/mountinfo the step wrote (field 6).
fn mount_options_at<'a>(mountinfo: &'a str, at: &str) -> Vec<&'a str> {
    let line = mountinfo
        .lines()
        .find(|l| l.split(' ').nth(4) == Some(at))
        .unwrap_or_else(|| panic!("no mount at {at} in:\n{mountinfo}"));
    line.split(' ').nth(5).unwrap_or("").split(',').collect()
}

#[test]
fn a_noexec_mount_edit_cannot_run_a_script_and_the_same_edit_without_it_can() {
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=exec --device=vendor1.com/device=noexec \
         sh -c '/opt/exec/run.sh > /out; /opt/noexec/run.sh 2>> /out; grep \" /opt/\" /proc/self/mountinfo > /mountinfo'\n",
        &[],
    );
    let host = case.env.path("vendor-bin");
    fs::create_dir_all(&host).expect("mkdir");
    let script = host.join("run.sh");
    fs::write(&script, "#!/bin/sh\necho ran\n").expect("script");
    fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    case.spec(
        "vendor1-device.yaml",
        &mount_devices(
            &host,
            &[
                ("exec", "/opt/exec", "ro, nosuid, bind"),
                ("noexec", "/opt/noexec", "ro, nosuid, noexec, bind"),
            ],
        ),
    );
    let (out, _) = case.build_file(&[], "/out");
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("ran"), "{out}");
    assert!(
        lines
            .next()
            .is_some_and(|l| l.contains("Permission denied")),
        "{out}"
    );
    let (mountinfo, _) = case.build_file(&[], "/mountinfo");
    let exec = mount_options_at(&mountinfo, "/opt/exec");
    let noexec = mount_options_at(&mountinfo, "/opt/noexec");
    assert!(
        exec.contains(&"nosuid") && !exec.contains(&"noexec"),
        "{exec:?}"
    );
    for flag in ["ro", "nosuid", "noexec"] {
        assert!(noexec.contains(&flag), "{flag} in {noexec:?}");
    }
}

#[test]
fn a_nodev_mount_edit_cannot_open_a_device_node_on_it() {
    if !support::sandbox::is_root() {
        eprintln!("skipped: making a device node needs root");
        return;
    }
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=dev --device=vendor1.com/device=nodev \
         sh -c '(: > /opt/dev/null) > /out 2>&1 && echo opened >> /out; (: > /opt/nodev/null) >> /out 2>&1 || echo refused >> /out'\n",
        &[],
    );
    let host = case.env.path("vendor-dev");
    fs::create_dir_all(&host).expect("mkdir");
    // /dev/null's numbers: the device policy allows them, so only the
    // mount's nodev can refuse the open.
    let made = std::process::Command::new("mknod")
        .arg(host.join("null"))
        .args(["c", "1", "3"])
        .status()
        .expect("mknod");
    assert!(made.success());
    case.spec(
        "vendor1-device.yaml",
        &mount_devices(
            &host,
            &[
                ("dev", "/opt/dev", "bind"),
                ("nodev", "/opt/nodev", "nodev, bind"),
            ],
        ),
    );
    let (out, _) = case.build_file(&[], "/out");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "opened", "{out}");
    assert!(lines[1].contains("Permission denied"), "{out}");
    assert_eq!(lines[2], "refused", "{out}");
}

#[test]
fn a_mount_edits_propagation_is_applied() {
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=shared --device=vendor1.com/device=flat \
         grep \" /opt/\" /proc/self/mountinfo > /mountinfo\n",
        &[],
    );
    let host = case.env.path("vendor-tree");
    fs::create_dir_all(&host).expect("mkdir");
    case.spec(
        "vendor1-device.yaml",
        &mount_devices(
            &host,
            &[
                ("shared", "/opt/shared", "rbind, rshared"),
                ("flat", "/opt/flat", "bind, rprivate"),
            ],
        ),
    );
    let (mountinfo, _) = case.build_file(&[], "/mountinfo");
    let optional = |at: &str| {
        let line = mountinfo
            .lines()
            .find(|l| l.split(' ').nth(4) == Some(at))
            .unwrap_or_else(|| panic!("no mount at {at} in:\n{mountinfo}"));
        // Between the options (field 6) and the " - " separator.
        line.split(" - ")
            .next()
            .unwrap_or("")
            .split(' ')
            .skip(6)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert!(
        optional("/opt/shared")
            .iter()
            .any(|f| f.starts_with("shared:")),
        "{mountinfo}"
    );
    assert!(optional("/opt/flat").is_empty(), "private: {mountinfo}");
}

#[test]
fn an_unknown_mount_option_is_refused_naming_the_spec_and_the_device() {
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=mapped true\n",
        &[],
    );
    let host = case.env.path("vendor-mapped");
    fs::create_dir_all(&host).expect("mkdir");
    case.spec(
        "vendor1-device.yaml",
        &mount_devices(&host, &[("mapped", "/opt/mapped", "bind, idmap")]),
    );
    let err = case.build_fails(&[]);
    let file = case.specs.join("vendor1-device.yaml").display().to_string();
    assert!(
        err.contains(&format!(
            "CDI spec {file}: device vendor1.com/device=mapped: mount /opt/mapped: unsupported mount option \"idmap\""
        )),
        "{err}"
    );
}

/// Lazily unmounts the tmpfs a test mounted, before its tempdir goes.
struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .output();
    }
}

/// The host dir is on a nosuid,nodev tmpfs: in the build's user namespace
/// the kernel locks those flags, so the remount that adds ro and noexec
/// must keep them (runc's locked flags) or it fails with EPERM.
#[test]
fn a_rootless_build_adds_mount_flags_keeping_the_locked_ones() {
    use support::rootless::{chown_tree, test_user};
    if !support::sandbox::is_root() {
        eprintln!("skipped: needs root (to make the test user and its tmpfs)");
        return;
    }
    test_user();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let rootfs = support::busybox::busybox_rootfs(d, &support::busybox::BUILD);
    let locked = d.join("locked");
    fs::create_dir_all(&locked).expect("mkdir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "nosuid,nodev,mode=755", "tmpfs"])
        .arg(&locked)
        .output()
        .expect("mount");
    assert!(mounted.status.success(), "mount: {}", stderr(&mounted));
    let _unmount = Unmount(locked.clone());
    let (ctx, specs) = (d.join("ctx"), d.join("cdi"));
    fs::create_dir_all(&ctx).expect("ctx");
    fs::create_dir_all(&specs).expect("cdi");
    fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\nRUN --device=vendor1.com/device=locked grep \" /opt/locked \" /proc/self/mountinfo > /mountinfo\n",
    )
    .expect("Dockerfile");
    fs::write(
        specs.join("locked.yaml"),
        mount_devices(&locked, &[("locked", "/opt/locked", "ro, noexec, bind")]),
    )
    .expect("spec");
    chown_tree(d);
    let mountinfo = build_as_test_user(d, &rootfs, &specs, &ctx, &[], "mountinfo");
    let flags = mount_options_at(&mountinfo, "/opt/locked");
    for flag in ["ro", "noexec", "nosuid", "nodev"] {
        assert!(flags.contains(&flag), "{flag} in {flags:?}");
    }
}

#[test]
fn a_bind_mount_edit_leaves_out_the_mounts_below_its_source_and_rbind_brings_them() {
    if !support::sandbox::is_root() {
        eprintln!("skipped: mounting below the host dir needs root");
        return;
    }
    let case = Case::new(
        "FROM busybox\nRUN --device=vendor1.com/device=flat --device=vendor1.com/device=deep \
         sh -c 'ls /opt/deep/sub > /listing; ls /opt/flat/sub >> /listing'\n",
        &[],
    );
    let host = case.env.path("vendor-tree");
    let sub = host.join("sub");
    fs::create_dir_all(&sub).expect("mkdir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "tmpfs"])
        .arg(&sub)
        .output()
        .expect("mount");
    assert!(mounted.status.success(), "mount: {}", stderr(&mounted));
    let _unmount = Unmount(sub.clone());
    fs::write(sub.join("on-the-submount"), "").expect("file");
    case.spec(
        "vendor1-device.yaml",
        &mount_devices(
            &host,
            &[
                ("flat", "/opt/flat", "bind"),
                ("deep", "/opt/deep", "rbind"),
            ],
        ),
    );
    let (listing, _) = case.build_file(&[], "/listing");
    assert_eq!(
        listing, "on-the-submount\n",
        "only rbind shows the submount"
    );
}
