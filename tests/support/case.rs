//! One testdata/build case: build it with strata (twice: the second build
//! must be fully cached with the same digest), compare it with buildah on
//! the same Dockerfile and base image, and check the case's explicit
//! expectations (`case.json`).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::cli::ok;
use super::env::{Env, testdata};
use super::events::fs_steps_run;
use super::layout::unpack_layout;
use super::tree::{self, Entry};

/// `case.json`; every field optional.
#[derive(Debug, Default)]
pub struct Spec {
    /// Compare with buildah (default true).
    pub peer: bool,
    pub build_args: BTreeMap<String, String>,
    pub target: Option<String>,
    /// Secret id -> file in the case dir.
    pub secrets: BTreeMap<String, String>,
    /// Serve the case's `www/` over HTTP and pass BASE_URL.
    pub http: bool,
    /// Entitlements granted with `--allow` (buildx's flag too).
    pub allow: Vec<String>,
    /// Config fields where buildah is known to differ from BuildKit, each
    /// with the BuildKit rule and its source; `expect.config` says the value.
    pub peer_differs: BTreeMap<String, String>,
    /// Files where buildah is known to differ from BuildKit, likewise:
    /// left out of the comparison, `expect.files` says what they hold.
    pub peer_differs_files: BTreeMap<String, String>,
    pub expect: Value,
}

impl Spec {
    pub fn load(dir: &Path) -> Self {
        let v: Value = match std::fs::read(dir.join("case.json")) {
            Ok(b) => serde_json::from_slice(&b).expect("case.json is JSON"),
            Err(_) => Value::Null,
        };
        let map = |v: &Value| -> BTreeMap<String, String> {
            v.as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default()
        };
        Self {
            peer: v["peer"].as_bool().unwrap_or(true),
            build_args: map(&v["build_args"]),
            target: v["target"].as_str().map(str::to_string),
            secrets: map(&v["secrets"]),
            allow: v["allow"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            http: v["http"].as_bool().unwrap_or(false),
            peer_differs: map(&v["peer_differs"]),
            peer_differs_files: map(&v["peer_differs_files"]),
            expect: v["expect"].clone(),
        }
    }
}

impl Spec {
    /// The case's build args, plus BASE_URL when its `www/` is served on
    /// `port`.
    pub fn build_args_with(&self, port: Option<u16>) -> BTreeMap<String, String> {
        let mut build_args = self.build_args.clone();
        if let Some(port) = port {
            build_args.insert("BASE_URL".into(), format!("http://127.0.0.1:{port}"));
        }
        build_args
    }

    /// `strata build` flags for the case in `dir`, tagging `case:strata`.
    pub fn flags(&self, dir: &Path, build_args: &BTreeMap<String, String>) -> Vec<String> {
        let mut args: Vec<String> = vec!["-t".into(), "case:strata".into()];
        for (k, v) in build_args {
            args.push("--build-arg".into());
            args.push(format!("{k}={v}"));
        }
        if let Some(t) = &self.target {
            args.push("--target".into());
            args.push(t.clone());
        }
        for entitlement in &self.allow {
            args.push("--allow".into());
            args.push(entitlement.clone());
        }
        for (id, file) in &self.secrets {
            args.push("--secret".into());
            args.push(format!("id={id},src={}", dir.join(file).display()));
        }
        args
    }
}

/// Files buildah leaves behind as mount points of its RUN containers.
const PEER_MOUNTPOINTS: &[&str] = &[
    "/dev",
    "/proc",
    "/sys",
    "/run",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/resolv.conf",
];

/// Config fields compared with the peer.
const CONFIG_FIELDS: &[&str] = &[
    "Env",
    "Cmd",
    "Entrypoint",
    "WorkingDir",
    "User",
    "ExposedPorts",
    "Volumes",
    "Labels",
    "StopSignal",
];

pub fn run_case(name: &str) {
    let dir = testdata().join(name);
    let spec = Spec::load(&dir);
    let env = Env::new();
    let server = spec.http.then(|| serve(dir.join("www")));
    let build_args = spec.build_args_with(server);
    let args = spec.flags(&dir, &build_args);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();

    let context_before = tree::list(&dir);
    let (id, first) = env.build_json(&dir, &argv);
    assert!(
        !fs_steps_run(&first).is_empty() || first.iter().any(|e| e["event"] == "image_written")
    );
    let (again, second) = env.build_json(&dir, &argv);
    assert_eq!(
        again, id,
        "{name}: a rebuild from the cache gives the same image"
    );
    assert!(
        fs_steps_run(&second).is_empty(),
        "{name}: the rebuild ran steps {:?}",
        fs_steps_run(&second)
    );

    assert!(
        tree::diff(&tree::list(&dir), &context_before).is_empty(),
        "{name}: the build changed its context"
    );
    let (rootfs, config) = env.unpack("case:strata", "strata");
    let ours = tree::list(&rootfs);
    if spec.peer {
        let (theirs, peer_config) = buildah(&env, &dir, &build_args, &spec);
        let mut theirs = theirs;
        for p in PEER_MOUNTPOINTS {
            let empty = theirs.get(*p).is_some_and(|e| e.size == 0 || e.kind == 'd');
            if empty && !ours.contains_key(*p) {
                theirs.remove(*p);
                let prefix = format!("{p}/");
                theirs.retain(|k, _| !k.starts_with(&prefix));
            }
        }
        let mut compared = ours.clone();
        for p in spec.peer_differs_files.keys() {
            assert!(
                spec.expect["files"][p].is_object(),
                "{name}: peer_differs_files {p} needs expect.files.{p}"
            );
            compared.remove(p);
            theirs.remove(p);
        }
        let d = tree::diff(&compared, &theirs);
        assert!(
            d.is_empty(),
            "{name}: root filesystems differ:\n{}",
            d.join("\n")
        );
        for field in CONFIG_FIELDS {
            if spec.peer_differs.contains_key(*field) {
                assert!(
                    !spec.expect["config"][*field].is_null(),
                    "{name}: peer_differs {field} needs expect.config.{field}"
                );
                continue;
            }
            let a = normalize(field, &config["config"][*field]);
            let b = normalize(field, &peer_config["config"][*field]);
            assert_eq!(a, b, "{name}: config {field} differs (strata vs buildah)");
        }
    }
    check_expectations(name, &spec.expect, &ours, &config);
}

/// Missing, null, empty: all "unset". Buildah's own label is not ours.
fn normalize(field: &str, v: &Value) -> Value {
    let mut v = v.clone();
    if field == "Labels"
        && let Some(o) = v.as_object_mut()
    {
        o.remove("io.buildah.version");
    }
    // Env is a set of distinct names: its order only says where each
    // variable was first set, which depends on the base image's config.
    if field == "Env"
        && let Some(a) = v.as_array_mut()
    {
        a.sort_by_key(|x| x.as_str().unwrap_or_default().to_string());
    }
    match &v {
        Value::Null => Value::Null,
        Value::String(s) if s.is_empty() => Value::Null,
        Value::Array(a) if a.is_empty() => Value::Null,
        Value::Object(o) if o.is_empty() => Value::Null,
        _ => v,
    }
}

fn check_expectations(name: &str, expect: &Value, ours: &BTreeMap<String, Entry>, config: &Value) {
    if let Some(files) = expect["files"].as_object() {
        for (path, want) in files {
            let got = ours
                .get(path)
                .unwrap_or_else(|| panic!("{name}: {path} missing from the image"));
            if let Some(t) = want["type"].as_str() {
                assert_eq!(got.kind.to_string(), t, "{name}: type of {path}");
            }
            if let Some(m) = want["mode"].as_str() {
                let m = u32::from_str_radix(m, 8).expect("octal mode in case.json");
                assert_eq!(got.mode, m, "{name}: mode of {path} ({:o})", got.mode);
            }
            if let Some(o) = want["owner"].as_str() {
                assert_eq!(
                    format!("{}:{}", got.uid, got.gid),
                    o,
                    "{name}: owner of {path}"
                );
            }
            if let Some(c) = want["content"].as_str() {
                assert_eq!(got.content, c, "{name}: content of {path}");
            }
            if let Some(l) = want["link"].as_str() {
                assert_eq!(got.link, l, "{name}: link target of {path}");
            }
        }
    }
    if let Some(absent) = expect["absent"].as_array() {
        for p in absent.iter().filter_map(Value::as_str) {
            assert!(
                !ours.contains_key(p),
                "{name}: {p} must not be in the image"
            );
        }
    }
    if let Some(fields) = expect["config"].as_object() {
        for (k, want) in fields {
            assert_eq!(&config["config"][k], want, "{name}: config {k}");
        }
    }
}

fn buildah(
    env: &Env,
    dir: &Path,
    build_args: &BTreeMap<String, String>,
    spec: &Spec,
) -> (BTreeMap<String, Entry>, Value) {
    let root = env.path("buildah-root");
    let runroot = env.path("buildah-run");
    let b = || {
        let mut c = Command::new("buildah");
        c.arg("--root")
            .arg(&root)
            .arg("--runroot")
            .arg(&runroot)
            .arg("--storage-driver")
            .arg("overlay");
        c
    };
    let base = env.path("base-oci");
    ok(env
        .strata()
        .arg("push")
        .arg("busybox:latest")
        .arg(format!("oci:{}:busybox", base.display())));
    ok(Command::new("skopeo")
        .args(["copy", "--quiet"])
        .arg(format!("oci:{}:busybox", base.display()))
        .arg(format!(
            "containers-storage:[overlay@{}+{}]docker.io/library/busybox:latest",
            root.display(),
            runroot.display()
        )));
    let mut bud = b();
    bud.args([
        "bud",
        "--pull=false",
        "--runtime",
        "/usr/sbin/runc",
        "--isolation",
        "oci",
        "--format",
        "docker",
        "-t",
        "case:peer",
    ]);
    for (k, v) in build_args {
        bud.arg("--build-arg").arg(format!("{k}={v}"));
    }
    if let Some(t) = &spec.target {
        bud.arg("--target").arg(t);
    }
    for (id, file) in &spec.secrets {
        bud.arg("--secret")
            .arg(format!("id={id},src={}", dir.join(file).display()));
    }
    ok(bud.arg(dir));
    let layout = env.path("peer-oci");
    ok(b()
        .args(["push", "case:peer"])
        .arg(format!("oci:{}:img", layout.display())));
    let (rootfs, config) = unpack_layout(&layout, &env.path("peer-rootfs"));
    (tree::list(&rootfs), config)
}

/// Serves the files of `dir` on 127.0.0.1 for the life of the test
/// process; returns the port.
pub fn serve(dir: PathBuf) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let file = dir.join(path.trim_start_matches('/'));
            let mut s = stream;
            let _ = match std::fs::read(&file) {
                Ok(body) => s
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nLast-Modified: Tue, 14 Nov 2023 22:13:20 GMT\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|_| s.write_all(&body)),
                Err(_) => s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
            };
        }
    });
    port
}
