//! What `strata build` puts on and around the image besides its layers,
//! spelled as buildx spells it: `--label K=V` (config labels, over the
//! Dockerfile's), `--annotation [manifest[PLATFORM]:]K=V` (the manifest's
//! annotations, kept through a push; read back with `skopeo inspect
//! --raw`), and `--metadata-file FILE` (buildx's JSON keys, plus strata's
//! cache counts under `strata.cache`).

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::cli::ok;
use support::env::Env;
use support::store::inspect;

fn context(env: &Env, name: &str, dockerfile: &str) -> PathBuf {
    let dir = env.path(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("Dockerfile"), dockerfile).unwrap();
    dir
}

fn build(env: &Env, ctx: &Path, flags: &[&str]) {
    ok(env.strata().args(["build", "-q"]).args(flags).arg(ctx));
}

#[test]
fn labels_from_the_command_line_join_and_override_the_dockerfiles() {
    let env = Env::new();
    let ctx = context(&env, "labels", "FROM busybox\nLABEL a=dockerfile b=kept\n");
    build(
        &env,
        &ctx,
        &[
            "-t",
            "labels:1",
            "--label",
            "a=flag",
            "--label",
            "c=with=equals",
        ],
    );
    let labels = &inspect(&env.store, "labels:1")["Config"]["Labels"];
    assert_eq!(labels["a"], "flag", "{labels}");
    assert_eq!(labels["b"], "kept", "{labels}");
    assert_eq!(labels["c"], "with=equals", "{labels}");
}

#[test]
fn annotations_reach_the_manifest_and_survive_a_push() {
    let env = Env::new();
    let ctx = context(&env, "annotated", "FROM busybox\nRUN echo hi > /hi\n");
    let host = ok_platform(&env);
    let here = format!("manifest[{host}]:org.example.here=yes");
    build(
        &env,
        &ctx,
        &[
            "-t",
            "annotated:1",
            "--annotation",
            "org.opencontainers.image.title=demo",
            "--annotation",
            "manifest:org.example.two=2",
            "--annotation",
            &here,
        ],
    );
    let in_store = &inspect(&env.store, "annotated:1")["Manifest"]["annotations"];
    assert_eq!(in_store["org.opencontainers.image.title"], "demo");

    let layout = env.path("annotated-oci");
    ok(env
        .strata()
        .args(["push", "annotated:1"])
        .arg(format!("oci:{}:img", layout.display())));
    let raw = ok(Command::new("skopeo")
        .args(["inspect", "--raw"])
        .arg(format!("oci:{}:img", layout.display())));
    let manifest: Value = serde_json::from_str(&raw).expect("manifest JSON");
    let a = &manifest["annotations"];
    assert_eq!(a["org.opencontainers.image.title"], "demo", "{manifest}");
    assert_eq!(a["org.example.two"], "2", "{manifest}");
    assert_eq!(a["org.example.here"], "yes", "{manifest}");
}

/// This machine's platform, as the built image's config says.
fn ok_platform(env: &Env) -> String {
    let info = inspect(&env.store, "busybox");
    format!(
        "{}/{}",
        info["Os"].as_str().unwrap_or("linux"),
        info["Architecture"].as_str().unwrap_or("amd64")
    )
}

#[test]
fn without_annotations_the_manifest_has_none() {
    let env = Env::new();
    let ctx = context(&env, "plain", "FROM busybox\nRUN true\n");
    build(&env, &ctx, &["-t", "plain:1"]);
    assert!(inspect(&env.store, "plain:1")["Manifest"]["annotations"].is_null());
}

#[test]
fn the_metadata_file_has_buildxs_keys_and_strata_cache_counts() {
    let env = Env::new();
    let ctx = context(
        &env,
        "meta",
        "FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n",
    );
    let meta = env.path("meta.json");
    let iid = env.path("iid");
    let flags = |m: &Path| -> Vec<String> {
        vec![
            "-t".into(),
            "meta:1".into(),
            "-t".into(),
            "registry.example:5000/team/meta:2".into(),
            "--iidfile".into(),
            iid.display().to_string(),
            "--metadata-file".into(),
            m.display().to_string(),
        ]
    };
    let read = |m: &Path| -> Value {
        serde_json::from_slice(&fs::read(m).expect("metadata file written")).expect("JSON")
    };
    let first_flags = flags(&meta);
    build(
        &env,
        &ctx,
        &first_flags.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let first = read(&meta);
    assert_eq!(
        first["containerimage.digest"],
        fs::read_to_string(&iid).unwrap().trim()
    );
    assert_eq!(
        first["containerimage.config.digest"],
        inspect(&env.store, "meta:1")["Id"]
    );
    assert_eq!(
        first["image.name"],
        "docker.io/library/meta:1,registry.example:5000/team/meta:2"
    );
    assert_eq!(first["strata.cache"]["steps_run"], 2, "{first}");
    assert_eq!(first["strata.cache"]["steps_cached"], 0, "{first}");

    let again = env.path("again.json");
    let again_flags = flags(&again);
    build(
        &env,
        &ctx,
        &again_flags.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let second = read(&again);
    assert_eq!(
        second["containerimage.digest"],
        first["containerimage.digest"]
    );
    assert_eq!(second["strata.cache"]["steps_run"], 0, "{second}");
    assert_eq!(second["strata.cache"]["steps_cached"], 2, "{second}");
}
