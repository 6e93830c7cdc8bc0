//! Builds that must come out as `docker build` (BuildKit) makes them, on
//! cases where strata used to differ: each test names the docker, BuildKit
//! or buildah case it mirrors.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use support::cli::stderr;
use support::env::Env;
use support::tree::{self, Entry};

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(p, text).unwrap();
}

/// Builds `dockerfile` (with `files` in its context) as `t:1`; returns the
/// image's root filesystem and its config.
fn build(
    env: &Env,
    dockerfile: &str,
    files: &[(&str, &str)],
    flags: &[&str],
) -> (BTreeMap<String, Entry>, serde_json::Value) {
    let ctx = env.path("ctx");
    write(&ctx, "Dockerfile", dockerfile);
    for (name, text) in files {
        write(&ctx, name, text);
    }
    let mut args = vec!["-t", "t:1"];
    args.extend_from_slice(flags);
    env.build_json(&ctx, &args);
    let (rootfs, config) = env.unpack("t:1", "t");
    (tree::list(&rootfs), config)
}

fn content<'a>(fs: &'a BTreeMap<String, Entry>, path: &str) -> &'a str {
    &fs.get(path)
        .unwrap_or_else(|| panic!("{path} missing from the image"))
        .content
}

fn owner(fs: &BTreeMap<String, Entry>, path: &str) -> String {
    let e = fs
        .get(path)
        .unwrap_or_else(|| panic!("{path} missing from the image"));
    format!("{}:{}", e.uid, e.gid)
}

/// docker's own integration test (TestExecUser) builds `FROM busybox` +
/// `RUN rm /etc/group` and runs it; BuildKit runs every later step of such
/// an image, and one whose /etc moved away, with no names to resolve.
#[test]
fn steps_after_etc_group_or_etc_itself_is_deleted_still_run() {
    let env = Env::new();
    let (fs, _) = build(
        &env,
        "FROM busybox\n\
         RUN rm /etc/group\n\
         USER app\n\
         RUN id -u > /tmp/uid && id -g > /tmp/gid\n\
         USER root\n\
         RUN rm -r /usr/share\n\
         WORKDIR /usr/share/w\n\
         COPY f.txt sub/\n\
         RUN mv /etc /usr/\n\
         RUN echo ran > /ran\n\
         RUN --mount=type=tmpfs,target=/etc/scratch true\n\
         USER 4242\n\
         WORKDIR /made-by-4242\n",
        &[("f.txt", "f")],
        &[],
    );
    // No /etc/group: `app` still gets its passwd entry's group.
    assert_eq!(content(&fs, "/tmp/uid").trim(), "1000");
    assert_eq!(content(&fs, "/tmp/gid").trim(), "1000");
    assert_eq!(content(&fs, "/ran"), "ran\n");
    assert_eq!(content(&fs, "/usr/share/w/sub/f.txt"), "f");
    assert!(fs.contains_key("/usr/etc/passwd"));
    assert!(
        !fs.contains_key("/etc"),
        "nothing recreates /etc: not the mount target, not a lookup"
    );
    // WORKDIR is made as BuildKit's mkdir with the USER as its chown.
    assert_eq!(owner(&fs, "/made-by-4242"), "4242:4242");
}

/// The same lookup serves `strata run`: `-u app` in an image without
/// /etc/group runs with app's passwd group, and HOME from its entry.
#[test]
fn run_as_a_named_user_of_an_image_without_etc_group() {
    let env = Env::new();
    build(&env, "FROM busybox\nRUN rm /etc/group\n", &[], &[]);
    let out = support::cli::ok(env.strata().args([
        "run",
        "--rm",
        "-u",
        "app",
        "t:1",
        "sh",
        "-c",
        "echo $(id -u):$(id -g) $HOME",
    ]));
    assert_eq!(out.trim(), "1000:1000 /home/app");
}

/// buildah's tests/bud/copy-chown/Containerfile.chown_user ("bud copy chown
/// with newuser", its `useradd` written out, as busybox has none): a user
/// added by a RUN owns what `COPY --chown=USER` copies, with the group of its
/// passwd entry, as BuildKit's file op reads it; a bare number is its own
/// group. `USER:` gets gid 0 from BuildKit (checked with docker 20.10's: its
/// LLB sends the empty group by id, 0), where buildah gives the user's group.
#[test]
fn chown_by_name_takes_the_group_from_the_passwd_entry() {
    let env = Env::new();
    let (fs, _) = build(
        &env,
        "FROM busybox AS src\n\
         RUN echo from-stage > /s.txt\n\
         FROM busybox\n\
         ENV MYUSER=myuser\n\
         RUN echo \"$MYUSER:x:1500:50::/$MYUSER:/bin/sh\" >> /etc/passwd\n\
         COPY --chown=\"${MYUSER}\" ./copychown.txt /somewhere\n\
         ADD --chown=myuser added.txt /added\n\
         COPY --from=src --chown=myuser /s.txt /from-stage\n\
         COPY --chown=myuser: copychown.txt /no-group\n\
         COPY --chown=1500 copychown.txt /numeric\n\
         COPY --chown=myuser:app copychown.txt /named-group\n",
        &[("copychown.txt", "c"), ("added.txt", "a")],
        &[],
    );
    assert_eq!(owner(&fs, "/somewhere"), "1500:50");
    assert_eq!(owner(&fs, "/added"), "1500:50");
    assert_eq!(owner(&fs, "/from-stage"), "1500:50");
    assert_eq!(owner(&fs, "/no-group"), "1500:0");
    assert_eq!(owner(&fs, "/numeric"), "1500:1500");
    assert_eq!(owner(&fs, "/named-group"), "1500:1000");
}

/// `--chown` of an unknown user is still an error, with its name.
#[test]
fn chown_to_an_unknown_user_names_it() {
    let env = Env::new();
    let ctx = env.path("ctx");
    write(
        &ctx,
        "Dockerfile",
        "FROM busybox\nCOPY --chown=ghost f /f\n",
    );
    write(&ctx, "f", "");
    let out = env.build(&ctx, &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("ghost"), "{}", stderr(&out));
}

/// BuildKit's dispatchRun: a heredoc with a command after its marker
/// (`RUN <<EOT bash`) is handed to the shell whole, so the command named
/// reads the body as its script; a marker alone (also with an fd, `3<<EOT`,
/// which the parser's heredoc rule accepts) makes the body the script.
#[test]
fn a_heredoc_feeds_the_command_after_its_marker() {
    let env = Env::new();
    let (fs, _) = build(
        &env,
        "FROM busybox\n\
         RUN printf '#!/bin/sh\\necho \"bash ran: $*\" > /bash-ran\\nexec sh \"$@\"\\n' > /bin/bash \\\n\
          && chmod 755 /bin/bash\n\
         RUN <<EOT bash -e\n\
         echo script > /script-ran\n\
         EOT\n\
         RUN 3<<EOT\n\
         echo body > /fd-body-ran\n\
         EOT\n",
        &[],
        &[],
    );
    assert_eq!(content(&fs, "/bash-ran"), "bash ran: -e\n");
    assert_eq!(content(&fs, "/script-ran"), "script\n");
    assert_eq!(content(&fs, "/fd-body-ran"), "body\n");
}

/// containers/buildah#4491 (podman#16969), where docker build mounts a
/// secret with a relative `dst` under WORKDIR; BuildKit's dispatchRunMounts
/// joins every other mount type's relative target with WORKDIR the same way.
/// The mount points leave nothing behind in the image.
#[test]
fn relative_mount_targets_are_under_workdir() {
    let env = Env::new();
    let secrets = env.path("secrets");
    write(&secrets, "secret1.txt", "secret:foo\n");
    write(&secrets, "secret2.txt", "secret:bar\n");
    let foo = format!(
        "id=secret-foo,src={}",
        secrets.join("secret1.txt").display()
    );
    let bar = format!(
        "id=secret-bar,src={}",
        secrets.join("secret2.txt").display()
    );
    let (fs, _) = build(
        &env,
        "FROM busybox\n\
         WORKDIR /somedir\n\
         RUN --mount=type=secret,id=secret-foo,dst=secret1.txt \\\n\
             --mount=type=secret,id=secret-bar,dst=secret2.txt \\\n\
             cp secret1.txt /root/secret-foo.txt && cp /somedir/secret2.txt /root/secret-bar.txt\n\
         RUN --mount=type=tmpfs,target=scratch touch /somedir/scratch/x && ! [ -e /scratch ] \\\n\
             && echo tmpfs > /tmpfs-seen\n\
         RUN --mount=type=cache,target=./cache echo c > /somedir/cache/f && cat cache/f > /cache-seen\n\
         RUN --mount=type=bind,source=ctx.txt,target=sub/bound.txt cat /somedir/sub/bound.txt > /bound-seen\n",
        &[("ctx.txt", "from context\n")],
        &["--secret", &foo, "--secret", &bar],
    );
    assert_eq!(content(&fs, "/root/secret-foo.txt"), "secret:foo\n");
    assert_eq!(content(&fs, "/root/secret-bar.txt"), "secret:bar\n");
    assert_eq!(content(&fs, "/tmpfs-seen"), "tmpfs\n");
    assert_eq!(content(&fs, "/cache-seen"), "c\n");
    assert_eq!(content(&fs, "/bound-seen"), "from context\n");
    let left: Vec<&String> = fs.keys().filter(|k| k.starts_with("/somedir/")).collect();
    assert!(left.is_empty(), "mount points left in the image: {left:?}");
}

/// BuildKit's emptyImage (dockerfile2llb/image.go): a `FROM scratch` stage
/// starts with WorkingDir "/" and the default PATH, and the image keeps
/// them.
#[test]
fn a_scratch_image_has_workdir_root_and_the_default_path() {
    let env = Env::new();
    let (_, config) = build(&env, "FROM scratch\nCOPY f /f\n", &[("f", "x")], &[]);
    assert_eq!(config["config"]["WorkingDir"], "/");
    assert_eq!(
        config["config"]["Env"],
        serde_json::json!(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
    );
}

/// BuildKit shows `COPY a.txt` CACHED when only a build arg changed: an
/// arg reaches COPY only through what it expands, and RUN through its
/// environment. The RUN that sees it runs again, and the COPY after that
/// RUN misses for its parent, not for the arg.
#[test]
fn a_changed_build_arg_misses_only_the_run_that_sees_it_and_what_follows() {
    let env = Env::new();
    let ctx = env.path("ctx");
    write(&ctx, "a.txt", "a");
    write(&ctx, "b.txt", "b");
    write(
        &ctx,
        "Dockerfile",
        "FROM busybox\nARG V\nCOPY a.txt /a\nRUN echo $V > /v\nCOPY b.txt /b\n",
    );
    env.build_json(&ctx, &["--build-arg", "V=1"]);
    let (_, events) = env.build_json(&ctx, &["--explain-cache", "--build-arg", "V=2"]);
    // Steps: 0 ARG, 1 COPY a.txt, 2 RUN, 3 COPY b.txt.
    assert_eq!(support::events::fs_steps_cached(&events), vec![(0, 1)]);
    assert_eq!(support::events::fs_steps_run(&events), vec![(0, 2), (0, 3)]);
    let reasons = support::events::explanations(&events);
    assert_eq!(
        reasons,
        vec![
            (2, "changed: build arg V".to_string()),
            (3, "changed: parent (an earlier step changed)".to_string()),
        ]
    );
}

/// buildah's tests/bud/buildkit-mount-from Dockerfilecachefrom and
/// Dockerfilemultistagefromcache: a new cache mount with `from=` starts
/// as a copy of that stage's (or, in BuildKit, image's) `source` dir; what
/// a step writes stays in the cache for the next step, and never reaches
/// the stage it was seeded from.
#[test]
fn a_new_cache_mount_is_seeded_from_its_from_stage_or_image() {
    let env = Env::new();
    let (fs, _) = build(
        &env,
        "FROM busybox AS builder\n\
         RUN mkdir -p /subdir/subdir2\n\
         COPY hello /\n\
         COPY hello /subdir/\n\
         COPY hello2 /subdir/subdir2/\n\
         FROM busybox\n\
         RUN --mount=type=cache,from=builder,target=/test cat /test/hello > /whole\n\
         RUN --mount=type=cache,id=1,source=/subdir,from=builder,target=/test \\\n\
             cat /test/hello /test/subdir2/hello2 > /sub && echo more > /test/written\n\
         RUN --mount=type=cache,id=1,source=/subdir,from=builder,target=/test \\\n\
             cat /test/written > /kept\n\
         RUN --mount=type=cache,id=2,source=/subdir/subdir2,from=builder,target=/test \\\n\
             cat /test/hello2 > /deeper && ! [ -e /test/written ]\n\
         RUN --mount=type=cache,id=3,source=/etc,from=busybox,target=/img \\\n\
             grep -c app /img/passwd > /from-image\n\
         COPY --from=builder /subdir /builder-subdir\n",
        &[("hello", "hello\n"), ("hello2", "hello2\n")],
        &[],
    );
    assert_eq!(content(&fs, "/whole"), "hello\n");
    assert_eq!(content(&fs, "/sub"), "hello\nhello2\n");
    assert_eq!(content(&fs, "/kept"), "more\n");
    assert_eq!(content(&fs, "/deeper"), "hello2\n");
    assert_eq!(content(&fs, "/from-image"), "1\n");
    assert!(
        !fs.contains_key("/builder-subdir/written"),
        "the cache's writes stay out of the stage it came from"
    );
}

/// In BuildKit ENV and LABEL make no LLB op: a COPY after `ENV A=$V` (or
/// after a changed LABEL) is CACHED when V changes; the RUN that sees A
/// runs again, naming A.
#[test]
fn a_metadata_step_misses_only_the_steps_that_see_what_it_changed() {
    let env = Env::new();
    let ctx = env.path("ctx");
    write(&ctx, "a.txt", "a");
    let dockerfile = |label: &str| {
        format!(
            "FROM busybox\nARG V\nENV A=$V\nLABEL l={label}\nCOPY a.txt /a\nRUN echo $A > /a-seen\n"
        )
    };
    write(&ctx, "Dockerfile", &dockerfile("1"));
    env.build_json(&ctx, &["--build-arg", "V=1"]);
    write(&ctx, "Dockerfile", &dockerfile("2"));
    let (_, events) = env.build_json(
        &ctx,
        &["--explain-cache", "-t", "t:1", "--build-arg", "V=2"],
    );
    // Steps: 0 ARG, 1 ENV, 2 LABEL, 3 COPY, 4 RUN.
    assert_eq!(support::events::fs_steps_cached(&events), vec![(0, 3)]);
    assert_eq!(support::events::fs_steps_run(&events), vec![(0, 4)]);
    assert_eq!(
        support::events::explanations(&events),
        vec![(4, "changed: env A, build arg V".to_string())]
    );
    let (rootfs, config) = env.unpack("t:1", "t");
    let fs = tree::list(&rootfs);
    assert_eq!(content(&fs, "/a-seen"), "2\n");
    assert_eq!(config["config"]["Labels"]["l"], "2");
    assert!(
        config["config"]["Env"]
            .as_array()
            .is_some_and(|e| e.iter().any(|v| v == "A=2")),
        "{config}"
    );
}

/// The differential cases multistage_copy_from_name and
/// copy_from_stage_metadata: `COPY --from=STAGE` without --chown keeps the
/// uid/gid the files have in the stage (BuildKit's copier has no chown
/// function then), while the context's files become root's. The owners are
/// in the step's key: a stage that changes only an owner misses the cache.
#[test]
fn copy_from_a_stage_keeps_the_owners_the_stage_gave() {
    let env = Env::new();
    let dockerfile = |owner: &str| {
        format!(
            "FROM busybox AS build\n\
             RUN mkdir -p /out/sub && echo built > /out/sub/result && chown {owner} /out/sub/result\n\
             FROM busybox\n\
             COPY --from=build /out /artifacts\n\
             COPY --from=build /out/sub/result /single\n\
             COPY --from=build --chown=7:8 /out/sub/result /chowned\n\
             COPY ctx.txt /ctx\n"
        )
    };
    let ctx = env.path("ctx");
    write(&ctx, "ctx.txt", "c");
    fs::set_permissions(
        ctx.join("ctx.txt"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    std::os::unix::fs::chown(ctx.join("ctx.txt"), Some(1234), Some(1234)).unwrap();
    let (fs, _) = build(&env, &dockerfile("1000:50"), &[], &[]);
    assert_eq!(owner(&fs, "/artifacts/sub/result"), "1000:50");
    assert_eq!(owner(&fs, "/artifacts/sub"), "0:0");
    assert_eq!(owner(&fs, "/single"), "1000:50");
    assert_eq!(owner(&fs, "/chowned"), "7:8");
    assert_eq!(owner(&fs, "/ctx"), "0:0", "the context's files are root's");

    let (fs, _) = build(&env, &dockerfile("1001:51"), &[], &[]);
    assert_eq!(owner(&fs, "/artifacts/sub/result"), "1001:51");
    assert_eq!(owner(&fs, "/single"), "1001:51");
}

/// The differential case run_environment: BuildKit's RUN has HOME from the
/// user's passwd entry when the image's env does not set it (runc's init
/// sets it; "/" for a uid without an entry), and an ENV HOME wins.
#[test]
fn run_steps_get_home_from_the_users_passwd_entry() {
    let env = Env::new();
    let (fs, _) = build(
        &env,
        "FROM busybox\n\
         RUN echo $HOME > /home-root\n\
         USER app\n\
         RUN echo $HOME > /tmp/home-app\n\
         USER 4242\n\
         RUN echo $HOME > /tmp/home-4242\n\
         ENV HOME=/custom\n\
         RUN echo $HOME > /tmp/home-env\n",
        &[],
        &[],
    );
    assert_eq!(content(&fs, "/home-root"), "/root\n");
    assert_eq!(content(&fs, "/tmp/home-app"), "/home/app\n");
    assert_eq!(content(&fs, "/tmp/home-4242"), "/\n");
    assert_eq!(content(&fs, "/tmp/home-env"), "/custom\n");
}

/// The differential case arg_env_precedence: BuildKit's dispatchArg adds an
/// ARG's value to the build state's env, so an ARG after an ENV of the same
/// name overrides it for RUN and for later expansions, an ENV after the ARG
/// wins again, and the image config keeps the ENV's value.
#[test]
fn an_arg_after_an_env_of_its_name_overrides_it_until_the_next_env() {
    let env = Env::new();
    let (fs, config) = build(
        &env,
        "FROM busybox\n\
         ARG V=from-arg\n\
         ENV V=from-env\n\
         RUN echo \"$V\" > /v\n\
         ARG V=second-arg\n\
         RUN echo \"$V\" > /v2\n\
         WORKDIR /w-$V\n\
         ENV V=env-again\n\
         RUN echo \"$V\" > /v3\n\
         ARG V\n\
         RUN echo \"$V\" > /v4\n",
        &[],
        &["--build-arg", "V=from-cli"],
    );
    assert_eq!(content(&fs, "/v"), "from-env\n");
    assert_eq!(content(&fs, "/v2"), "from-cli\n");
    assert!(
        fs.contains_key("/w-from-cli"),
        "WORKDIR expands the ARG's value"
    );
    assert_eq!(content(&fs, "/v3"), "env-again\n");
    assert_eq!(content(&fs, "/v4"), "from-cli\n");
    let envs = config["config"]["Env"].as_array().unwrap();
    assert!(envs.iter().any(|e| e == "V=env-again"), "{envs:?}");
}

/// The differential cases run_user_ownership and user_forms: BuildKit's RUN
/// (executor/oci/user.go GetUser) has as supplementary groups only those
/// /etc/group lists a user named without a group in, none for `uid:gid` or
/// `name:group`, and not the primary gid. `strata run` follows docker run
/// (moby's getUser): the primary gid first, then the same lookup's groups.
#[test]
fn supplementary_groups_of_run_steps_and_of_strata_run() {
    let env = Env::new();
    let groups = "sed -n 's/^Groups:[[:space:]]*//p' /proc/self/status";
    let (fs, _) = build(
        &env,
        &format!(
            "FROM busybox\n\
             RUN echo 'tester:x:1500:1500::/home/t:/bin/sh' >> /etc/passwd \\\n\
              && echo 'tgrp:x:1500:' >> /etc/group && echo 'crew:x:3000:tester' >> /etc/group\n\
             USER tester\n\
             RUN {groups} > /tmp/g-name\n\
             USER 1500\n\
             RUN {groups} > /tmp/g-uid\n\
             USER 1500:1500\n\
             RUN {groups} > /tmp/g-uid-gid\n\
             USER tester:crew\n\
             RUN {groups} > /tmp/g-name-group\n\
             USER root\n"
        ),
        &[],
        &[],
    );
    assert_eq!(content(&fs, "/tmp/g-name").trim(), "3000");
    assert_eq!(content(&fs, "/tmp/g-uid").trim(), "3000");
    assert_eq!(content(&fs, "/tmp/g-uid-gid").trim(), "");
    assert_eq!(content(&fs, "/tmp/g-name-group").trim(), "");
    let run = |user: &str| {
        support::cli::ok(
            env.strata()
                .args(["run", "--rm", "-u", user, "t:1", "sh", "-c", groups]),
        )
        .trim()
        .to_string()
    };
    assert_eq!(run("tester"), "1500 3000");
    assert_eq!(run("tester:crew"), "3000");
    assert_eq!(run("1500:42"), "42");
}
