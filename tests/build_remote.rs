//! Builds that reach registries, through the binary against a real
//! docker-registry on 127.0.0.1: `FROM HOST/REPO:TAG` pulls what the store
//! lacks (`--pull`), and `--cache-to`/`--cache-from` carry the build cache
//! to an empty store, where every step is a hit and no RUN executes.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::cli::{ok, run};
use support::env::Env;
use support::events::{fs_steps_cached, fs_steps_run};
use support::registry::{TestRegistry, put_platform_index};

const EPOCH: &str = "1700000000";

/// The binary on store `root`, blind to the developer's docker logins.
fn strata(root: &Path) -> Command {
    let mut c = support::cli::strata(root);
    c.env("DOCKER_CONFIG", root.with_extension("no-docker-config"));
    c.env_remove("REGISTRY_AUTH_FILE");
    c
}

/// `strata build --progress json` with SOURCE_DATE_EPOCH; (image id, events).
fn build_json(root: &Path, context: &Path, extra: &[&str]) -> (String, Vec<Value>) {
    let out = build(root, context, extra);
    assert!(
        out.status.success(),
        "build failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let events: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let id = events
        .iter()
        .rev()
        .find(|e| e["event"] == "image_written")
        .and_then(|e| e["manifest"].as_str())
        .unwrap_or_else(|| panic!("no image_written event in:\n{stdout}"))
        .to_owned();
    (id, events)
}

fn build(root: &Path, context: &Path, extra: &[&str]) -> Output {
    run(strata(root)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args(["build", "--progress", "json"])
        .args(extra)
        .arg(context))
}

/// busybox pushed to `HOST/base/busybox:1`; the name a Dockerfile uses.
fn base_in_registry(env: &Env, reg: &TestRegistry) -> (String, String) {
    let name = format!("{}/base/busybox:1", reg.host());
    let digest = ok(strata(&env.store)
        .args(["push", "busybox:latest"])
        .arg(format!("docker://{name}")))
    .trim()
    .to_owned();
    (name, digest)
}

/// A context whose RUN needs secret `flag` to say "first": run again with
/// another secret, it fails, so a build that passes with "second" reused it.
fn context(dir: &Path, dockerfile: &str) -> PathBuf {
    let ctx = dir.join("ctx");
    fs::create_dir_all(&ctx).expect("mkdir");
    fs::write(ctx.join("Dockerfile"), dockerfile).expect("Dockerfile");
    fs::write(ctx.join("a.txt"), "from the context\n").expect("a.txt");
    for word in ["first", "second"] {
        fs::write(dir.join(word), format!("{word}\n")).expect("secret");
    }
    ctx
}

/// Builds `dockerfile` as `tag` in the env's own store, from a context
/// dir `name` that holds only the Dockerfile.
fn build_into_env(env: &Env, name: &str, dockerfile: &str, tag: &str) {
    let dir = env.path(name);
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(dir.join("Dockerfile"), dockerfile).expect("Dockerfile");
    ok(strata(&env.store)
        .args(["build", "-q", "-t", tag])
        .arg(&dir));
}

fn secret(dir: &Path, word: &str) -> String {
    format!("id=flag,src={}", dir.join(word).display())
}

const ONLY_FIRST: &str = "RUN --mount=type=secret,id=flag grep -q first /run/secrets/flag";

#[test]
fn from_a_registry_image_pulls_it_into_an_empty_store() {
    let env = Env::new();
    let reg = TestRegistry::start();
    let (base, pushed) = base_in_registry(&env, &reg);

    let pulled_root = env.path("pulled");
    let pulled = ok(strata(&pulled_root)
        .arg("pull")
        .arg(format!("docker://{base}")));
    assert_eq!(pulled.trim(), pushed, "pull keeps the manifest digest");

    let ctx = context(
        env.dir.path(),
        &format!("FROM {base}\nRUN echo built > /built\n"),
    );
    let empty = env.path("empty");
    let (_, events) = build_json(&empty, &ctx, &[]);
    assert_eq!(
        fs_steps_run(&events).len(),
        1,
        "the RUN ran on the pulled base"
    );
    let pulls: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "image_pulled")
        .collect();
    assert_eq!(pulls.len(), 1, "{events:?}");
    assert_eq!(pulls[0]["manifest"], pushed.as_str());
    assert!(
        pulls[0]["name"]
            .as_str()
            .unwrap_or_default()
            .contains("base/busybox:1")
    );
    let images = ok(strata(&empty).args(["images", "--format", "json"]));
    assert!(
        images.contains(&pushed) && images.contains("base/busybox"),
        "the base is in the store under its name: {images}"
    );

    let copy_ctx = env.path("copy-ctx");
    fs::create_dir_all(&copy_ctx).expect("mkdir");
    fs::write(
        copy_ctx.join("Dockerfile"),
        format!("FROM scratch\nCOPY --from={base} /etc/passwd /passwd\n"),
    )
    .expect("Dockerfile");
    let copy_root = env.path("copy-from");
    let (_, events) = build_json(&copy_root, &copy_ctx, &[]);
    assert_eq!(fs_steps_run(&events).len(), 1);
    let images = ok(strata(&copy_root).args(["images", "--format", "json"]));
    assert!(images.contains(&pushed), "COPY --from pulled it: {images}");

    let never = env.path("never");
    let out = build(&never, &ctx, &["--pull", "never"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("base/busybox:1") && err.contains("--pull=never"),
        "{err}"
    );
}

#[test]
fn registry_cache_makes_every_step_of_a_build_in_an_empty_store_a_hit() {
    let env = Env::new();
    let reg = TestRegistry::start();
    let (base, _) = base_in_registry(&env, &reg);
    let dir = env.dir.path();
    let ctx = context(
        dir,
        &format!(
            "FROM {base}\nCOPY a.txt /a.txt\n{ONLY_FIRST} && cp /a.txt /b.txt\n\
             ENV X=1\nRUN echo $X >> /b.txt\n"
        ),
    );
    let cache = format!("{}/app/cache:buildcache", reg.host());
    let (first, events) = build_json(
        &env.store,
        &ctx,
        &[
            "--secret",
            &secret(dir, "first"),
            "--cache-to",
            &format!("type=registry,ref={cache}"),
        ],
    );
    assert_eq!(fs_steps_run(&events).len(), 3);

    let empty = env.path("empty");
    let (second, events) = build_json(
        &empty,
        &ctx,
        &[
            "--secret",
            &secret(dir, "second"),
            "--cache-from",
            &format!("type=registry,ref={cache}"),
        ],
    );
    assert_eq!(fs_steps_run(&events), vec![], "no step ran: {events:?}");
    assert_eq!(fs_steps_cached(&events).len(), 3);
    assert!(
        !events.iter().any(|e| e["event"] == "log"),
        "no RUN printed anything: {events:?}"
    );
    assert_eq!(second, first, "same image digest from the imported cache");
}

/// A fresh store holding only `env`'s busybox (the same manifest digest,
/// so the same cache keys).
fn same_busybox(env: &Env, name: &str) -> PathBuf {
    let layout = env.path("busybox-oci");
    if !layout.exists() {
        ok(strata(&env.store)
            .args(["push", "busybox:latest"])
            .arg(format!("oci:{}:img", layout.display())));
    }
    let root = env.path(name);
    ok(strata(&root)
        .arg("pull")
        .arg(format!("oci:{}:img", layout.display()))
        .arg("busybox:latest"));
    root
}

/// Two stages: the image's, and a tool stage only COPY --from reads.
fn two_stages(dir: &Path) -> PathBuf {
    context(
        dir,
        &format!(
            "FROM busybox AS tool\nRUN echo tool > /tool\n\
             FROM busybox\nCOPY --from=tool /tool /tool\nCOPY a.txt /a.txt\n\
             {ONLY_FIRST} && cat /tool /a.txt > /out\n"
        ),
    )
}

#[test]
fn local_cache_mode_max_carries_every_stage_and_min_only_the_image_stages() {
    let env = Env::new();
    let dir = env.dir.path();
    let ctx = two_stages(dir);
    let max = env.path("cache-max");
    let min = env.path("cache-min");
    let (first, events) = build_json(
        &env.store,
        &ctx,
        &[
            "--secret",
            &secret(dir, "first"),
            "--cache-to",
            &format!("type=local,dest={},mode=max", max.display()),
            "--cache-to",
            &format!("type=local,dest={}", min.display()),
        ],
    );
    assert_eq!(fs_steps_run(&events).len(), 4);
    assert!(max.join("index.json").is_file() && max.join("oci-layout").is_file());

    let with_max = same_busybox(&env, "with-max");
    let (second, events) = build_json(
        &with_max,
        &ctx,
        &[
            "--secret",
            &secret(dir, "second"),
            "--cache-from",
            &format!("type=local,src={}", max.display()),
        ],
    );
    assert_eq!(fs_steps_run(&events), vec![], "mode=max: nothing ran");
    assert_eq!(second, first);

    // The tool stage's RUN was not exported, so it runs again; what
    // follows it then depends on how the builder keys COPY --from.
    let with_min = same_busybox(&env, "with-min");
    let (_, events) = build_json(
        &with_min,
        &ctx,
        &[
            "--secret",
            &secret(dir, "first"),
            "--cache-from",
            &format!("type=local,src={}", min.display()),
        ],
    );
    assert!(
        fs_steps_run(&events).contains(&(0, 0)),
        "mode=min: the tool stage's RUN ran: {events:?}"
    );
    assert!(
        records(&min) < records(&max),
        "mode=min exports fewer records"
    );
}

/// How many records the cache artifact of layout `dir` carries.
fn records(dir: &Path) -> usize {
    let read = |p: PathBuf| -> Value {
        serde_json::from_slice(&fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
            .expect("json")
    };
    let blob = |v: &Value| {
        dir.join("blobs/sha256")
            .join(v.as_str().unwrap_or_default().trim_start_matches("sha256:"))
    };
    let index = read(dir.join("index.json"));
    let manifest = read(blob(&index["manifests"][0]["digest"]));
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.strata.cache.config.v1+json"
    );
    let config = read(blob(&manifest["config"]["digest"]));
    config["records"].as_array().map_or(0, Vec::len)
}

#[test]
fn a_cache_source_that_is_missing_is_a_warning_and_the_build_runs() {
    let env = Env::new();
    let ctx = context(env.dir.path(), "FROM busybox\nRUN echo ran > /ran\n");
    let out = build(
        &env.store,
        &ctx,
        &[
            "--cache-from",
            &format!("type=local,src={}", env.path("nowhere").display()),
            "--cache-to",
            &format!("type=local,dest={}", env.path("out").display()),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: --cache-from") && err.contains("nowhere"),
        "{err}"
    );
    assert!(
        err.contains("cache: 1 records to"),
        "the export says what it wrote: {err}"
    );

    let bad = build(&env.store, &ctx, &["--cache-to", "type=s3,ref=x"]);
    assert_eq!(bad.status.code(), Some(2), "a bad spec is a usage error");
}

#[test]
fn pull_missing_keeps_the_stored_base_and_pull_always_follows_a_moved_tag() {
    let env = Env::new();
    let reg = TestRegistry::start();
    let (base, first) = base_in_registry(&env, &reg);
    let ctx = context(
        env.dir.path(),
        &format!("FROM {base}\nRUN cat /etc/v || true\n"),
    );
    let root = env.path("builder");
    build_json(&root, &ctx, &[]);

    // The tag moves to an image with one more layer.
    build_into_env(
        &env,
        "moved",
        "FROM busybox\nRUN echo 2 > /etc/v\n",
        "busybox:2",
    );
    let second = ok(strata(&env.store)
        .args(["push", "busybox:2"])
        .arg(format!("docker://{base}")))
    .trim()
    .to_owned();
    assert_ne!(first, second);

    let stored = |root: &Path| ok(strata(root).args(["images", "--format", "json"]));
    build_json(&root, &ctx, &["--pull", "missing"]);
    assert!(
        stored(&root).contains(&first),
        "missing: the stored base is used"
    );
    build_json(&root, &ctx, &["--pull", "always"]);
    assert!(
        stored(&root).contains(&second),
        "always: the moved tag is pulled"
    );
}

#[test]
fn authfile_credentials_reach_the_base_pull_and_the_cache() {
    let env = Env::new();
    let reg = TestRegistry::start_with_basic_auth("ci", "hunter2-long");
    let authfile = env.path("auth.json");
    let mut login = strata(&env.store);
    login
        .args(["login", "-u", "ci", "-p", "hunter2-long", "--authfile"])
        .arg(&authfile)
        .arg(reg.host());
    ok(&mut login);
    let base = format!("{}/base/busybox:1", reg.host());
    ok(strata(&env.store)
        .args(["push", "--authfile"])
        .arg(&authfile)
        .arg("busybox:latest")
        .arg(format!("docker://{base}")));
    let ctx = context(env.dir.path(), &format!("FROM {base}\nRUN echo x > /x\n"));
    let auth = authfile.display().to_string();
    let cache = format!("type=registry,ref={}/app/cache:1", reg.host());

    let denied = build(&env.path("anonymous"), &ctx, &[]);
    assert_eq!(denied.status.code(), Some(1));
    let err = String::from_utf8_lossy(&denied.stderr);
    assert!(err.contains("base/busybox:1"), "{err}");

    let (first, _) = build_json(
        &env.path("a"),
        &ctx,
        &["--authfile", &auth, "--cache-to", &cache],
    );
    let (second, events) = build_json(
        &env.path("b"),
        &ctx,
        &["--authfile", &auth, "--cache-from", &cache],
    );
    assert_eq!(fs_steps_run(&events), vec![]);
    assert_eq!(first, second);
}

#[test]
fn run_mount_from_a_registry_image_pulls_it() {
    let env = Env::new();
    let reg = TestRegistry::start();
    let (base, pushed) = base_in_registry(&env, &reg);
    let ctx = context(
        env.dir.path(),
        &format!(
            "FROM busybox\nRUN --mount=type=bind,from={base},target=/m cp /m/etc/group /copied\n"
        ),
    );
    let before = ok(strata(&env.store).args(["images", "--format", "json"]));
    assert!(!before.contains("base/busybox"), "{before}");
    let (_, events) = build_json(&env.store, &ctx, &[]);
    assert_eq!(fs_steps_run(&events).len(), 1);
    let after = ok(strata(&env.store).args(["images", "--format", "json"]));
    assert!(
        after.contains("base/busybox") && after.contains(&pushed),
        "{after}"
    );
}

#[test]
fn platform_picks_the_base_from_a_multi_platform_index() {
    let env = Env::new();
    let reg = TestRegistry::start();
    build_into_env(
        &env,
        "arm-ctx",
        "FROM busybox\nRUN echo arm > /arch\n",
        "busybox:arm",
    );
    let repo = format!("{}/multi/bb", reg.host());
    let mut pushed = Vec::new();
    for (image, tag) in [("busybox:latest", "amd"), ("busybox:arm", "arm")] {
        let digest = ok(strata(&env.store)
            .args(["push", image])
            .arg(format!("docker://{repo}:{tag}")));
        pushed.push(digest.trim().to_owned());
    }
    put_platform_index(
        &reg.host(),
        "multi/bb",
        &[("amd", "amd64"), ("arm", "arm64")],
    );

    let ctx = context(
        env.dir.path(),
        &format!("FROM {repo}:latest\nRUN cat /arch 2>/dev/null || echo none\n"),
    );
    let root = env.path("arm-store");
    build_json(&root, &ctx, &["--platform", "linux/arm64"]);
    // The name's digest is the index's (as podman shows a platform pulled
    // through one); its RepoDigests name the manifest it took.
    let inspect = ok(strata(&root).args(["inspect", &format!("{repo}:latest")]));
    let manifest = |d: &str| format!("{repo}@{d}");
    assert!(
        inspect.contains(&manifest(&pushed[1])) && !inspect.contains(&manifest(&pushed[0])),
        "the arm64 entry was pulled: {inspect}"
    );
}
