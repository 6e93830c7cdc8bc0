//! `COPY --link` / `ADD --link` (BuildKit's reference, "COPY --link"): the
//! layer is copied onto an empty directory and stacked over its parent, so
//! a new base image reuses it as it is (same diff_id, same blob, the step
//! cached) while the steps after it build again; where BuildKit says the
//! results are the same, the root filesystem equals a plain COPY's; where
//! it says they differ (a symlink in the destination's parents), the
//! --link path is made of directories only.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::env::Env;
use support::store::inspect;
use support::tree::{diff, list};

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(p, bytes).unwrap();
}

/// A context dir holding `dockerfile` and the given files.
fn context(env: &Env, name: &str, dockerfile: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let dir = env.path(name);
    write(&dir, "Dockerfile", dockerfile);
    for (f, bytes) in files {
        write(&dir, f, bytes);
    }
    dir
}

fn build_tag(env: &Env, ctx: &Path, tag: &str) -> Vec<Value> {
    env.build_json(ctx, &["-t", tag]).1
}

/// The `step_done` event of step `step` of the last stage.
fn step_done(events: &[Value], step: u64) -> Value {
    let last_stage = events
        .iter()
        .filter(|e| e["event"] == "step_done")
        .filter_map(|e| e["stage"].as_u64())
        .max()
        .unwrap_or(0);
    events
        .iter()
        .find(|e| e["event"] == "step_done" && e["stage"] == last_stage && e["step"] == step)
        .cloned()
        .unwrap_or_else(|| panic!("no step_done for step {step} in {events:?}"))
}

/// (diff_id, blob digest) of each layer of `image`, lowest first.
fn layers(env: &Env, image: &str) -> Vec<(String, String)> {
    let info = inspect(&env.store, image);
    let diff_ids = info["RootFS"]["diff_ids"].as_array().expect("diff_ids");
    let blobs = info["Manifest"]["layers"].as_array().expect("layers");
    assert_eq!(diff_ids.len(), blobs.len());
    diff_ids
        .iter()
        .zip(blobs)
        .map(|(d, b)| {
            (
                d.as_str().unwrap_or_default().to_string(),
                b["digest"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Two base images with different content and a different number of
/// layers, so the linked layer sits at another index over each.
fn two_bases(env: &Env) {
    let one = context(
        env,
        "base-one",
        "FROM busybox\nRUN echo one > /marker\n",
        &[],
    );
    build_tag(env, &one, "base:one");
    let two = context(
        env,
        "base-two",
        "FROM busybox\nRUN echo two > /marker\nRUN mkdir -p /app/old && echo x > /app/old/f\n",
        &[],
    );
    build_tag(env, &two, "base:two");
}

#[test]
fn a_new_base_image_reuses_the_linked_layer_as_it_is_and_rebuilds_what_follows() {
    let env = Env::new();
    two_bases(&env);
    let payload: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
    let dockerfile = |base: &str| {
        format!(
            "FROM {base}\n\
             COPY --link payload.bin /app/payload.bin\n\
             COPY plain.txt /plain.txt\n\
             RUN cat /marker > /seen && wc -c < /app/payload.bin >> /seen\n"
        )
    };
    let ctx = context(
        &env,
        "app",
        &dockerfile("base:one"),
        &[("payload.bin", &payload), ("plain.txt", b"plain\n")],
    );
    let first = build_tag(&env, &ctx, "app:one");
    assert_eq!(step_done(&first, 0)["cached"], false);

    write(&ctx, "Dockerfile", dockerfile("base:two"));
    let second = build_tag(&env, &ctx, "app:two");
    let linked = step_done(&second, 0);
    assert_eq!(
        linked["cached"], true,
        "the --link step is reused over the new base: {linked}"
    );
    assert_eq!(linked["key"], step_done(&first, 0)["key"]);
    assert_eq!(
        step_done(&second, 1)["cached"],
        false,
        "a plain COPY builds on its parent, so a new base misses it"
    );
    assert_eq!(
        step_done(&second, 2)["cached"],
        false,
        "what follows a linked layer depends on the base below it too"
    );

    let (one, two) = (layers(&env, "app:one"), layers(&env, "app:two"));
    let (base_one, base_two) = (layers(&env, "base:one"), layers(&env, "base:two"));
    assert_eq!(one.len(), base_one.len() + 3);
    assert_eq!(two.len(), base_two.len() + 3);
    assert_eq!(
        one[base_one.len()],
        two[base_two.len()],
        "the linked layer has the same diff_id and blob over both bases"
    );
    assert_eq!(&two[..base_two.len()], &base_two[..]);

    let (rootfs, _) = env.unpack("app:two", "app-two");
    assert_eq!(
        fs::read_to_string(rootfs.join("seen")).unwrap(),
        "two\n2000000\n",
        "the RUN after the linked layer sees the new base and the layer"
    );
    assert_eq!(fs::read(rootfs.join("app/payload.bin")).unwrap(), payload);
    assert_eq!(
        fs::read_to_string(rootfs.join("app/old/f")).unwrap(),
        "x\n",
        "a linked layer's directories merge with the base's"
    );
}

#[test]
fn a_linked_add_is_reused_over_a_new_base_too() {
    let env = Env::new();
    two_bases(&env);
    let dockerfile = |base: &str| format!("FROM {base}\nADD --link notes.txt /srv/\n");
    let ctx = context(
        &env,
        "add",
        &dockerfile("base:one"),
        &[("notes.txt", b"n\n")],
    );
    let first = build_tag(&env, &ctx, "add:one");
    write(&ctx, "Dockerfile", dockerfile("base:two"));
    let second = build_tag(&env, &ctx, "add:two");
    assert_eq!(step_done(&first, 0)["cached"], false);
    assert_eq!(step_done(&second, 0)["cached"], true);
    assert_eq!(
        layers(&env, "add:one").last(),
        layers(&env, "add:two").last()
    );
}

/// Builds `dockerfile` with and without `--link` on every COPY/ADD;
/// returns both root filesystems.
fn with_and_without_link(env: &Env, name: &str, dockerfile: &str) -> (PathBuf, PathBuf) {
    let files: &[(&str, &[u8])] = &[
        ("a.txt", b"a\n"),
        ("tree/one", b"1\n"),
        ("tree/sub/two", b"2\n"),
    ];
    let plain = context(env, &format!("{name}-plain"), dockerfile, files);
    let linked_text = dockerfile
        .replace("COPY ", "COPY --link ")
        .replace("ADD ", "ADD --link ");
    assert_ne!(linked_text, dockerfile);
    let linked = context(env, &format!("{name}-link"), &linked_text, files);
    build_tag(env, &plain, &format!("{name}:plain"));
    build_tag(env, &linked, &format!("{name}:link"));
    let (a, _) = env.unpack(&format!("{name}:plain"), &format!("{name}-plain"));
    let (b, _) = env.unpack(&format!("{name}:link"), &format!("{name}-link"));
    (a, b)
}

/// BuildKit: "If you don't rely on the behavior of following symlinks in
/// the destination path, using --link is always recommended" — with new
/// destinations and parents that are plain directories, the two agree.
#[test]
fn where_the_destination_is_new_a_linked_copy_equals_a_plain_one() {
    let env = Env::new();
    let (plain, linked) = with_and_without_link(
        &env,
        "same",
        "FROM busybox\n\
         WORKDIR /work\n\
         COPY a.txt rel/\n\
         COPY --chown=1000:1000 --chmod=640 a.txt /new/share/app/a.txt\n\
         COPY tree /opt/tree\n\
         COPY tree/ /srv/flat/\n\
         ADD a.txt /etc/added.txt\n\
         RUN test -f /work/rel/a.txt && test -f /opt/tree/sub/two\n",
    );
    let d = diff(&list(&linked), &list(&plain));
    assert!(d.is_empty(), "--link differs from a plain COPY:\n{d:#?}");
    assert!(plain.join("opt/tree/sub/two").is_file());
}

/// BuildKit: "if in previous state the destination directory was a path
/// that contained a symlink, COPY/ADD can not follow it. In the final
/// image the destination path created with --link will always be a path
/// containing only directories."
#[test]
fn a_linked_copy_does_not_follow_a_symlink_in_the_destination() {
    let env = Env::new();
    let ctx = context(
        &env,
        "symlink",
        "FROM busybox\n\
         RUN mkdir /real && ln -s /real /via\n\
         COPY a.txt /via/plain.txt\n\
         COPY --link a.txt /via/linked.txt\n",
        &[("a.txt", b"a\n")],
    );
    build_tag(&env, &ctx, "symlink:1");
    let (rootfs, _) = env.unpack("symlink:1", "symlink");
    let via = fs::symlink_metadata(rootfs.join("via")).unwrap();
    assert!(via.is_dir(), "/via is a directory made by the linked layer");
    assert!(rootfs.join("via/linked.txt").is_file());
    assert!(
        rootfs.join("real/plain.txt").is_file(),
        "the plain COPY followed the symlink"
    );
    assert!(!rootfs.join("via/plain.txt").exists());
}

/// The parents of a linked destination are made in the empty directory
/// the layer starts from (with the `--chown` owner, as `mkdir -p` with a
/// chown in BuildKit's copy), and stacked over the base they replace its
/// directories' metadata: the price of not reading the base.
#[test]
fn a_linked_copy_makes_its_parents_afresh() {
    let env = Env::new();
    let ctx = context(
        &env,
        "parents",
        "FROM busybox\n\
         RUN mkdir -m 0700 /private && echo kept > /private/old\n\
         COPY --link --chown=1000:1000 a.txt /private/app/a.txt\n",
        &[("a.txt", b"a\n")],
    );
    build_tag(&env, &ctx, "parents:1");
    let (rootfs, _) = env.unpack("parents:1", "parents");
    let entries = list(&rootfs);
    let private = &entries["/private"];
    assert_eq!((private.mode, private.uid), (0o755, 1000), "{private}");
    assert_eq!(entries["/private/app/a.txt"].uid, 1000);
    assert_eq!(
        fs::read_to_string(rootfs.join("private/old")).unwrap(),
        "kept\n",
        "the base's files under the parent stay"
    );
}

/// A build without a changed base reuses every step; the chain through a
/// linked layer is stable.
#[test]
fn an_unchanged_rebuild_reuses_every_step_after_a_linked_layer() {
    let env = Env::new();
    let ctx = context(
        &env,
        "stable",
        "FROM busybox\nCOPY --link a.txt /a.txt\nRUN cat /a.txt > /b\n",
        &[("a.txt", b"a\n")],
    );
    let (first, _) = env.build_json(&ctx, &[]);
    let (again, events) = env.build_json(&ctx, &[]);
    assert_eq!(first, again);
    assert!(support::events::fs_steps_run(&events).is_empty());
}
