//! `build --platform linux/amd64,linux/arm64` end to end (issue 18's
//! "done when"): a base index made from Debian's amd64 and arm64
//! busybox-static, a RUN that writes `uname -m` built for both platforms
//! (arm64 through qemu-user-static, registered in a private binfmt_misc),
//! the cross-compile pattern (`FROM --platform=$BUILDPLATFORM` stage, a
//! shell script for the compiler) whose platform-independent step runs
//! once, a second build fully cached, the result pushed to a local
//! docker-registry and read back with skopeo.

mod support;

use std::process::{Command, Output};

use serde_json::Value;
use support::cli::{ok, ok_trimmed, stderr, stdout, strata, tool};
use support::foreign::import_two_platform_index;
use support::hostile::flat;
use support::registry::TestRegistry;

const DOCKERFILE: &str = r#"FROM --platform=$BUILDPLATFORM base AS compiler
# The toolchain: depends on no TARGET arg, so both platforms share it.
RUN cat /proc/sys/kernel/random/uuid > /toolchain-id
ARG TARGETARCH
COPY compile.sh /compile.sh
RUN /compile.sh $TARGETARCH > /app

FROM base
ARG TARGETPLATFORM
ARG TARGETARCH
ARG BUILDPLATFORM
RUN echo "$TARGETPLATFORM $TARGETARCH $(uname -m) built on $BUILDPLATFORM" > /arch
COPY --from=compiler /app /app
COPY --from=compiler /toolchain-id /toolchain-id
"#;

/// Stands for a cross-compiler: says what it built, and where it ran.
const COMPILER: &str = "#!/bin/sh\necho \"binary for $1 compiled on $(uname -m)\"\n";

struct Lab {
    _tmp: tempfile::TempDir,
    root: std::path::PathBuf,
    ctx: std::path::PathBuf,
}

fn lab() -> Lab {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("store");
    import_two_platform_index(tmp.path(), &root, "base");
    let ctx = tmp.path().join("ctx");
    std::fs::create_dir(&ctx).expect("mkdir");
    std::fs::write(ctx.join("Dockerfile"), DOCKERFILE).expect("write");
    std::fs::write(ctx.join("compile.sh"), COMPILER).expect("write");
    std::fs::set_permissions(
        ctx.join("compile.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    Lab {
        _tmp: tmp,
        root,
        ctx,
    }
}

/// Runs `script` (sh; `$STRATA` the binary, `$ROOT` the store, `$CTX` the
/// context) in a user and mount namespace with its own binfmt_misc.
fn in_private_binfmt(lab: &Lab, script: &str) -> Output {
    let full =
        format!("mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || exit 99\n{script}");
    Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "--propagation",
            "private",
        ])
        .args(["sh", "-ec", &full])
        .env("STRATA", env!("CARGO_BIN_EXE_strata"))
        .env("ROOT", &lab.root)
        .env("CTX", &lab.ctx)
        .output()
        .expect("run unshare")
}

/// The `step_done` events of a `--progress json` build.
fn steps_done(events: &str) -> Vec<Value> {
    events
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["event"] == "step_done")
        .collect()
}

const BUILD: &str = r#"$STRATA --root "$ROOT" build --progress json --platform linux/amd64,linux/arm64 -t app "$CTX""#;

#[test]
fn a_two_platform_build_makes_an_index_of_native_and_emulated_images() {
    let lab = lab();
    let out = in_private_binfmt(
        &lab,
        &format!(
            r#"$STRATA system binfmt --install >/dev/null
{BUILD} >"$ROOT/../first.json" 2>&1
{BUILD} >"$ROOT/../second.json" 2>&1
for p in linux/amd64 linux/arm64; do
  $STRATA --root "$ROOT" run --rm --platform $p app cat /arch /app /toolchain-id
done"#
        ),
    );
    let dir = lab.root.parent().expect("parent");
    let first = std::fs::read_to_string(dir.join("first.json")).unwrap_or_default();
    let stdout = stdout(&out);
    assert!(out.status.success(), "{stdout}\n{}\n{first}", stderr(&out));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{stdout}");
    assert_eq!(lines[0], "linux/amd64 amd64 x86_64 built on linux/amd64");
    assert_eq!(lines[1], "binary for amd64 compiled on x86_64");
    assert_eq!(lines[3], "linux/arm64 arm64 aarch64 built on linux/amd64");
    assert_eq!(
        lines[4], "binary for arm64 compiled on x86_64",
        "the compiler stage ran natively"
    );
    assert_eq!(
        lines[2], lines[5],
        "one toolchain step served both platforms"
    );

    // Stage 0's first step (the toolchain RUN) ran once; the other
    // platform's build took it from the cache.
    let toolchain: Vec<bool> = steps_done(&first)
        .iter()
        .filter(|e| e["stage"] == 0 && e["step"] == 0)
        .map(|e| e["cached"].as_bool().unwrap_or(false))
        .collect();
    assert_eq!(toolchain.len(), 2, "{first}");
    assert_eq!(toolchain.iter().filter(|c| !**c).count(), 1, "{first}");

    let second = std::fs::read_to_string(dir.join("second.json")).unwrap_or_default();
    let done = steps_done(&second);
    assert!(!done.is_empty(), "{second}");
    assert!(
        done.iter()
            .all(|e| e["cached"] == true || e["key"].is_null()),
        "a second build is fully cached: {second}"
    );

    let inspect: Value =
        serde_json::from_str(&ok(strata(&lab.root).args(["inspect", "app"]))).expect("json");
    let arches: Vec<&str> = inspect["Manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .map(|m| m["Architecture"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(arches, ["amd64", "arm64"], "each config says its platform");
    let platforms: Vec<String> = inspect["Index"]["manifests"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|m| format!("{}/{}", m["platform"]["os"], m["platform"]["architecture"]))
        .collect();
    assert_eq!(platforms, ["\"linux\"/\"amd64\"", "\"linux\"/\"arm64\""]);

    ok(strata(&lab.root).args(["system", "fsck"]));

    // To a registry, and back with skopeo.
    let reg = TestRegistry::start();
    let remote = format!("docker://{}/team/app:1", reg.host());
    let pushed = ok_trimmed(strata(&lab.root).args(["push", "app", &remote]));
    let raw: Value = serde_json::from_str(&ok(tool("skopeo").args([
        "inspect",
        "--tls-verify=false",
        "--raw",
        &remote,
    ])))
    .expect("json");
    assert_eq!(raw["mediaType"], "application/vnd.oci.image.index.v1+json");
    assert_eq!(raw["manifests"].as_array().map(Vec::len), Some(2));
    let arm = ok(tool("skopeo").args([
        "inspect",
        "--tls-verify=false",
        "--override-arch",
        "arm64",
        &remote,
    ]));
    assert!(arm.contains("\"Architecture\": \"arm64\""), "{arm}");
    let copy = dir.join("copy");
    ok(tool("skopeo")
        .args(["copy", "--all", "--src-tls-verify=false", &remote])
        .arg(format!("oci:{}:app", copy.display())));
    let copied = ok(tool("skopeo")
        .args(["inspect", "--raw"])
        .arg(format!("oci:{}:app", copy.display())));
    assert!(
        copied.contains("\"arm64\"") && copied.contains("\"amd64\""),
        "{copied}"
    );
    assert!(pushed.starts_with("sha256:"), "{pushed}");
}

#[test]
fn a_foreign_run_step_without_a_handler_fails_saying_how_to_register_one() {
    let lab = lab();
    let out = in_private_binfmt(
        &lab,
        r#"$STRATA --root "$ROOT" build --progress plain --platform linux/arm64 -t app "$CTX""#,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = flat(&out.stderr);
    assert!(err.contains("cannot run programs of linux/arm64"), "{err}");
    assert!(err.contains("strata system binfmt --install"), "{err}");
    assert!(err.contains("(line 12: RUN echo"), "names the step: {err}");
}

#[test]
fn one_foreign_platform_builds_an_image_for_it_alone() {
    let lab = lab();
    let out = in_private_binfmt(
        &lab,
        r#"$STRATA system binfmt --install >/dev/null
$STRATA --root "$ROOT" build --progress quiet --platform linux/aarch64 -t one "$CTX" >/dev/null
$STRATA --root "$ROOT" run --rm one cat /arch"#,
    );
    let stdout = stdout(&out);
    assert!(out.status.success(), "{stdout}\n{}", stderr(&out));
    assert_eq!(
        stdout.trim(),
        "linux/arm64 arm64 aarch64 built on linux/amd64"
    );
    let inspect: Value =
        serde_json::from_str(&ok(strata(&lab.root).args(["inspect", "one"]))).expect("json");
    assert_eq!(inspect["Architecture"], "arm64");
}

#[test]
fn each_platform_pulls_its_own_base_from_a_registry_index() {
    let lab = lab();
    let reg = TestRegistry::start();
    let base = format!("{}/team/base:1", reg.host());
    ok(strata(&lab.root)
        .args(["push", "base"])
        .arg(format!("docker://{base}")));
    let ctx = lab.ctx.parent().expect("parent").join("pull-ctx");
    std::fs::create_dir(&ctx).expect("mkdir");
    std::fs::write(
        ctx.join("Dockerfile"),
        format!("FROM {base}\nCOPY Dockerfile /\n"),
    )
    .expect("write");
    // A fresh store: both bases come from the registry, one per platform.
    let fresh = lab.root.parent().expect("parent").join("fresh");
    ok(strata(&fresh)
        .args([
            "build",
            "--progress",
            "plain",
            "--platform",
            "linux/amd64,linux/arm64",
        ])
        .args(["-t", "pulled"])
        .arg(&ctx));
    let inspect: Value =
        serde_json::from_str(&ok(strata(&fresh).args(["inspect", "pulled"]))).expect("json");
    let arches: Vec<&str> = inspect["Manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .map(|m| m["Architecture"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        arches,
        ["amd64", "arm64"],
        "each image is built on its own base"
    );
    let bases = ok(strata(&fresh).args(["images", "--format", "json"]));
    assert!(
        bases.contains("\"linux/amd64\",\n      \"linux/arm64\""),
        "{bases}"
    );
}
