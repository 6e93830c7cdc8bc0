//! `build --add-host`, `--ulimit` and `--shm-size` reach every RUN, as
//! buildx passes them to each exec: the step's /etc/hosts has the extra
//! host (and nothing of it is left in the layer), its rlimits are the
//! given ones, its /dev/shm has the given size; each is part of the RUN's
//! key only when given.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::cli::stderr;
use support::env::Env;
use support::events::{fs_steps_cached, fs_steps_run};

const FLAGS: &[&str] = &[
    "--add-host",
    "registry.internal:10.1.2.3",
    "--add-host",
    "v6.internal:fd00::1",
    "--ulimit",
    "nofile=1024:2048",
    "--shm-size",
    "128m",
];

fn context(env: &Env) -> PathBuf {
    let ctx = env.path("ctx");
    fs::create_dir_all(&ctx).expect("mkdir");
    fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\n\
         RUN (cat /etc/hosts || true) > /out-hosts && ulimit -Sn > /out-nofile && ulimit -Hn >> /out-nofile\n\
         FROM busybox\n\
         COPY --from=0 /out-hosts /out-nofile /\n\
         RUN df -k /dev/shm | tail -n 1 | awk '{print $2}' > /out-shm && (grep -c registry.internal /etc/hosts || true) > /out-again\n",
    )
    .expect("Dockerfile");
    ctx
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn every_run_gets_the_extra_hosts_the_ulimit_and_the_shm_size() {
    let env = Env::new();
    let ctx = context(&env);
    let (id, _) = env.build_json(&ctx, FLAGS);
    let (root, _) = env.unpack(id.trim(), "settings");
    assert_eq!(
        read(&root.join("out-hosts")),
        "127.0.0.1\tlocalhost buildkitsandbox\n\
         ::1\tlocalhost ip6-localhost ip6-loopback\n\
         10.1.2.3\tregistry.internal\n\
         fd00::1\tv6.internal\n",
        "BuildKit's /etc/hosts with the extra hosts"
    );
    assert_eq!(read(&root.join("out-nofile")), "1024\n2048\n");
    assert_eq!(
        read(&root.join("out-shm")),
        "131072\n",
        "128m of /dev/shm in KiB"
    );
    assert_eq!(
        read(&root.join("out-again")),
        "1\n",
        "the second stage's RUN too"
    );
    assert!(
        !root.join("etc/hosts").exists(),
        "the bound /etc/hosts is not left in the layer of an image without one"
    );
}

#[test]
fn the_settings_are_part_of_the_run_key_only_when_given() {
    let env = Env::new();
    let ctx = context(&env);
    let (_, events) = env.build_json(&ctx, &[]);
    let plain_runs = fs_steps_run(&events).len();
    assert_eq!(plain_runs, 3, "two RUNs and a COPY");
    let (_, events) = env.build_json(&ctx, FLAGS);
    assert_eq!(
        fs_steps_run(&events).len(),
        3,
        "with the settings every RUN misses"
    );
    let (_, events) = env.build_json(&ctx, FLAGS);
    assert_eq!(fs_steps_run(&events), vec![], "the same settings hit");
    let (_, events) = env.build_json(&ctx, &[]);
    assert_eq!(
        fs_steps_cached(&events).len(),
        3,
        "without them, the first build's"
    );
}

#[test]
fn malformed_settings_are_usage_errors() {
    let env = Env::new();
    let ctx = context(&env);
    for bad in [
        &["--add-host", "nocolon"][..],
        &["--add-host", "name:not-an-ip"],
        &["--shm-size", "lots"],
        &["--shm-size", "0"],
        &["--ulimit", "nofile"],
    ] {
        let out = env.build(&ctx, bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
    }
}
