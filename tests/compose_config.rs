//! `strata compose config`: the normalized model as docker compose v2 prints
//! it, and load errors that name the file, line and key path (exit 1, as
//! docker compose exits for a project it cannot load).

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("composecfg")
        .tempdir()
        .expect("tempdir");
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, text).expect("write");
    }
    dir
}

fn compose(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(dir)
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_PROFILES")
        .env_remove("COMPOSE_FILE")
        .arg("compose")
        .args(args)
        .output()
        .expect("running strata")
}

fn config_json(dir: &Path, args: &[&str]) -> Value {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["config", "--format", "json"]);
    let out = compose(dir, &all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("config prints JSON")
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = compose(dir, args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_invalid_port_names_file_line_and_key_path() {
    let d = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: busybox\n    ports:\n      - \"8080:80\"\n      - \"80:80:80\"\n",
    )]);
    let err = fails(d.path(), &["config"]);
    assert!(
        err.contains("compose.yaml:6: services.web.ports[1]: invalid port \"80:80:80\""),
        "{err}"
    );
}

#[test]
fn an_unknown_key_is_refused_with_a_suggestion() {
    let d = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: busybox\n    enviroment:\n      A: b\n",
    )]);
    let err = fails(d.path(), &["config"]);
    assert!(err.contains("compose.yaml:4: services.web: additional property \"enviroment\" is not allowed (did you mean \"environment\"?)"), "{err}");
}

#[test]
fn a_missing_required_variable_gives_its_message() {
    let d = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: \"busybox:${TAG:?set TAG to the release}\"\n",
    )]);
    let err = fails(d.path(), &["config"]);
    assert!(
        err.contains("compose.yaml:3: services.web.image: required variable TAG is missing a value: set TAG to the release"),
        "{err}"
    );
}

#[test]
fn bad_yaml_names_its_line() {
    let d = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: busybox\n   ports: [80\n",
    )]);
    let err = fails(d.path(), &["config"]);
    assert!(err.contains("compose.yaml:4:"), "{err}");
}

#[test]
fn no_file_is_an_error_that_says_what_was_looked_for() {
    let d = project(&[]);
    let err = fails(d.path(), &["config"]);
    assert!(err.contains("no configuration file provided"), "{err}");
}

#[test]
fn short_syntaxes_come_out_in_long_form() {
    let d = project(&[(
        "compose.yaml",
        r#"services:
  web:
    image: busybox
    command: httpd -f -p "80"
    ports: ["127.0.0.1:8080:80/tcp"]
    environment: [A=1, B]
    depends_on: [db]
    volumes: ["data:/data", "./site:/www:ro"]
    healthcheck:
      test: wget -q localhost
      interval: 90s
  db:
    image: busybox
    build: ./db
volumes:
  data:
"#,
    )]);
    let m = config_json(d.path(), &[]);
    let dir = std::fs::canonicalize(d.path()).unwrap();
    let name = dir.file_name().unwrap().to_string_lossy().to_lowercase();
    let web = &m["services"]["web"];
    assert_eq!(web["command"], json!(["httpd", "-f", "-p", "80"]));
    assert_eq!(web["entrypoint"], Value::Null);
    assert_eq!(
        web["ports"],
        json!([{"mode": "ingress", "host_ip": "127.0.0.1", "target": 80, "published": "8080", "protocol": "tcp"}])
    );
    assert_eq!(web["environment"], json!({"A": "1", "B": null}));
    assert_eq!(
        web["depends_on"],
        json!({"db": {"condition": "service_started", "required": true}})
    );
    assert_eq!(
        web["volumes"],
        json!([
            {"type": "volume", "source": "data", "target": "/data", "volume": {}},
            {"type": "bind", "source": format!("{}/site", dir.display()), "target": "/www", "read_only": true, "bind": {"create_host_path": true}}
        ])
    );
    assert_eq!(
        web["healthcheck"],
        json!({"test": ["CMD-SHELL", "wget -q localhost"], "interval": "1m30s"})
    );
    assert_eq!(web["networks"], json!({"default": null}));
    assert_eq!(
        m["services"]["db"]["build"],
        json!({"context": format!("{}/db", dir.display()), "dockerfile": "Dockerfile"})
    );
    assert_eq!(m["name"], json!(name));
    assert_eq!(
        m["networks"]["default"],
        json!({"name": format!("{name}_default"), "ipam": {}})
    );
    assert_eq!(
        m["volumes"]["data"],
        json!({"name": format!("{name}_data")})
    );
}

/// compose-go's DeviceMapping: the short `HOST[:CONTAINER[:PERMS]]` in
/// long form, target defaulting to the source and permissions to rwm; an
/// override file replaces the mapping of the same target.
#[test]
fn devices_come_out_as_device_mappings_merged_by_target() {
    let d = project(&[
        (
            "compose.yaml",
            r#"services:
  web:
    image: busybox
    devices: ["/dev/kmsg", "/dev/null:/dev/n", "/dev/zero:/dev/z:r", {source: /dev/full, target: /dev/f}]
    device_cgroup_rules: ["c 1:11 r"]
"#,
        ),
        (
            "compose.override.yaml",
            "services:\n  web:\n    devices: [\"/dev/urandom:/dev/n:rw\"]\n",
        ),
    ]);
    let m = config_json(d.path(), &[]);
    let web = &m["services"]["web"];
    assert_eq!(
        web["devices"],
        json!([
            {"source": "/dev/kmsg", "target": "/dev/kmsg", "permissions": "rwm"},
            {"source": "/dev/urandom", "target": "/dev/n", "permissions": "rw"},
            {"source": "/dev/zero", "target": "/dev/z", "permissions": "r"},
            {"source": "/dev/full", "target": "/dev/f", "permissions": "rwm"},
        ])
    );
    assert_eq!(web["device_cgroup_rules"], json!(["c 1:11 r"]));
}

#[test]
fn yaml_output_prints_ports_as_compose_does() {
    // docker/compose pkg/e2e/config_test.go TestLocalComposeConfig
    let d = project(&[(
        "compose.yaml",
        "services:\n  test:\n    image: busybox\n    ports:\n      - ${PORT:-8080}:80\n",
    )]);
    let out = compose(d.path(), &["config"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\n    ports:\n      - mode: ingress\n        target: 80\n        published: \"8080\"\n        protocol: tcp\n"), "{text}");
    let raw = compose(d.path(), &["config", "--no-interpolate"]);
    assert!(
        String::from_utf8_lossy(&raw.stdout).contains("${PORT:-8080}"),
        "--no-interpolate keeps the expression"
    );
}

#[test]
fn anchors_merge_keys_and_extension_fields() {
    let d = project(&[(
        "compose.yaml",
        "x-base: &base\n  image: busybox\n  restart: always\n  labels: {tier: web}\nservices:\n  a:\n    <<: *base\n    restart: \"no\"\n  b: *base\n",
    )]);
    let m = config_json(d.path(), &[]);
    assert_eq!(m["services"]["a"]["restart"], "no");
    assert_eq!(m["services"]["a"]["image"], "busybox");
    assert_eq!(m["services"]["b"]["labels"], json!({"tier": "web"}));
    assert!(
        m.get("x-base").is_none(),
        "extension fields are not part of the model"
    );
}

#[test]
fn several_files_merge_by_the_spec_rules() {
    let d = project(&[
        (
            "compose.yaml",
            "services:\n  web:\n    image: busybox\n    command: [a]\n    environment: {A: \"1\", B: \"2\"}\n    ports: [\"8080:80\"]\n",
        ),
        (
            "override.yaml",
            "services:\n  web:\n    command: [b]\n    environment: [B=3]\n    ports: [\"8081:81\"]\n",
        ),
    ]);
    let m = config_json(d.path(), &["-f", "compose.yaml", "-f", "override.yaml"]);
    let web = &m["services"]["web"];
    assert_eq!(web["command"], json!(["b"]));
    assert_eq!(web["environment"], json!({"A": "1", "B": "3"}));
    assert_eq!(web["ports"].as_array().map(Vec::len), Some(2));
}

#[test]
fn dotenv_and_env_file_feed_interpolation_and_the_process_environment_wins() {
    let d = project(&[
        (
            "compose.yaml",
            "services:\n  web:\n    image: \"busybox:${TAG}\"\n    environment:\n      WHO: ${WHO-nobody}\n",
        ),
        (".env", "TAG=1.36\nWHO=dotenv\n"),
        ("other.env", "TAG=other\n"),
    ]);
    let m = config_json(d.path(), &[]);
    assert_eq!(m["services"]["web"]["image"], "busybox:1.36");
    assert_eq!(m["services"]["web"]["environment"]["WHO"], "dotenv");
    let m = config_json(d.path(), &["--env-file", "other.env"]);
    assert_eq!(m["services"]["web"]["image"], "busybox:other");
    assert_eq!(
        m["services"]["web"]["environment"]["WHO"], "nobody",
        "--env-file replaces .env"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(d.path())
        .env("TAG", "env")
        .args(["compose", "config", "--format", "json"])
        .output()
        .unwrap();
    let m: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(m["services"]["web"]["image"], "busybox:env");
}

#[test]
fn the_project_name_comes_from_the_flag_the_environment_the_file_then_the_directory() {
    let d = project(&[(
        "My App/compose.yaml",
        "name: fromfile\nservices:\n  web:\n    image: busybox\n",
    )]);
    let dir = d.path().join("My App");
    assert_eq!(config_json(&dir, &[])["name"], "fromfile");
    assert_eq!(config_json(&dir, &["-p", "flag"])["name"], "flag");
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(&dir)
        .env("COMPOSE_PROJECT_NAME", "fromenv")
        .args(["compose", "config", "--format", "json"])
        .output()
        .unwrap();
    let m: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(m["name"], "fromenv");
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  web:\n    image: busybox\n",
    )
    .unwrap();
    assert_eq!(
        config_json(&dir, &[])["name"],
        "myapp",
        "the directory's name, normalized"
    );
    let out = compose(&dir, &["-p", "Bad Name", "config"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn profiles_select_services_and_lists_print_one_a_line() {
    let d = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: busybox\n  debug:\n    image: alpine\n    profiles: [dev]\n  tools:\n    build: .\n    profiles: [ops]\nvolumes:\n  v1: {}\n",
    )]);
    let lines =
        |args: &[&str]| String::from_utf8_lossy(&compose(d.path(), args).stdout).into_owned();
    assert_eq!(lines(&["config", "--services"]), "web\n");
    assert_eq!(
        lines(&["--profile", "dev", "config", "--services"]),
        "debug\nweb\n"
    );
    assert_eq!(
        lines(&["--profile", "*", "config", "--services"]),
        "debug\ntools\nweb\n"
    );
    assert_eq!(lines(&["config", "--profiles"]), "dev\nops\n");
    assert_eq!(lines(&["config", "--volumes"]), "v1\n");
    let name = std::fs::canonicalize(d.path())
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_lowercase();
    assert_eq!(
        lines(&["--profile", "ops", "config", "--images"]),
        format!("{name}-tools\nbusybox\n")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(d.path())
        .env("COMPOSE_PROFILES", "dev,ops")
        .args(["compose", "config", "--services"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "debug\ntools\nweb\n");
}

#[test]
fn a_compose_file_is_found_in_a_parent_directory() {
    let d = project(&[
        (
            "docker-compose.yml",
            "services:\n  web:\n    image: busybox\n",
        ),
        ("sub/dir/.keep", ""),
    ]);
    let m = config_json(&d.path().join("sub/dir"), &[]);
    assert_eq!(m["services"]["web"]["image"], "busybox");
}

#[test]
fn compose_file_on_standard_input() {
    let d = project(&[]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(d.path())
        .args(["compose", "-p", "stdin", "-f", "-", "config", "--services"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"services:\n  a:\n    image: x\n  b:\n    image: y\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a\nb\n");
}

#[test]
fn interpolated_numbers_and_booleans_are_cast_where_the_spec_wants_them() {
    // compose-go interpolation/interpolation_test.go TestInterpolateWithCast
    let d = project(&[
        (
            "compose.yaml",
            "services:\n  web:\n    image: busybox\n    init: $REQUIRED\n    deploy:\n      replicas: $count\n    extra_hosts: [\"db:10.0.0.2\", \"cache=10.0.0.3\"]\n",
        ),
        (".env", "count=5\nREQUIRED=true\n"),
    ]);
    let m = config_json(d.path(), &[]);
    assert_eq!(m["services"]["web"]["deploy"]["replicas"], 5);
    assert_eq!(m["services"]["web"]["init"], true);
    assert_eq!(
        m["services"]["web"]["extra_hosts"],
        json!(["db=10.0.0.2", "cache=10.0.0.3"])
    );
}

#[test]
fn quiet_config_only_validates() {
    let d = project(&[("compose.yaml", "services:\n  web:\n    image: busybox\n")]);
    let out = compose(d.path(), &["config", "-q"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "-q prints nothing");
    std::fs::write(
        d.path().join("compose.yaml"),
        "services:\n  web:\n    ports: [\"x\"]\n    image: busybox\n",
    )
    .unwrap();
    let out = compose(d.path(), &["config", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("services.web.ports[0]: invalid port \"x\"")
    );
}

#[test]
fn reset_and_override_tags_as_the_merge_chapter_shows() {
    // compose-spec 13-merge.md, "Reset value" and "Replace value"
    let d = project(&[
        (
            "compose.yaml",
            "services:\n  app:\n    image: myapp\n    ports:\n      - \"8080:80\"\n    environment:\n      FOO: BAR\n",
        ),
        (
            "reset.yaml",
            "services:\n  app:\n    image: myapp\n    ports: !reset []\n    environment:\n      FOO: !reset null\n",
        ),
        (
            "override.yaml",
            "services:\n  app:\n    ports: !override\n      - \"8443:443\"\n",
        ),
    ]);
    let m = config_json(d.path(), &["-f", "compose.yaml", "-f", "reset.yaml"]);
    assert!(
        m["services"]["app"].get("ports").is_none(),
        "{}",
        m["services"]["app"]
    );
    assert!(
        m["services"]["app"].get("environment").is_none(),
        "{}",
        m["services"]["app"]
    );
    let m = config_json(d.path(), &["-f", "compose.yaml", "-f", "override.yaml"]);
    assert_eq!(
        m["services"]["app"]["ports"],
        json!([{"mode": "ingress", "target": 443, "published": "8443", "protocol": "tcp"}])
    );
}

#[test]
fn config_hash_changes_with_an_edit_not_with_scale() {
    let d = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: busybox\n    environment: {A: \"1\"}\n  db:\n    image: busybox\n",
    )]);
    let hashes = |d: &Path| {
        String::from_utf8_lossy(&compose(d, &["config", "--hash", "*"]).stdout).into_owned()
    };
    let before = hashes(d.path());
    let lines: Vec<&str> = before.lines().collect();
    assert_eq!(lines.len(), 2, "{before}");
    assert!(
        lines[0].starts_with("db ") && lines[1].starts_with("web "),
        "sorted by service: {before}"
    );
    std::fs::write(d.path().join("compose.yaml"), "services:\n  web:\n    image: busybox\n    environment: {A: \"1\"}\n    scale: 3\n  db:\n    image: busybox\n").unwrap();
    assert_eq!(hashes(d.path()), before, "scaling is not a change");
    std::fs::write(d.path().join("compose.yaml"), "services:\n  web:\n    image: busybox\n    environment: {A: \"2\"}\n  db:\n    image: busybox\n").unwrap();
    let after = hashes(d.path());
    assert_eq!(after.lines().next(), Some(lines[0]), "db is unchanged");
    assert_ne!(
        after.lines().nth(1),
        Some(lines[1]),
        "web's environment changed"
    );
    let one = compose(d.path(), &["config", "--hash", "web"]);
    assert_eq!(String::from_utf8_lossy(&one.stdout).lines().count(), 1);
    assert_eq!(
        compose(d.path(), &["config", "--hash", "nope"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn a_billion_laughs_file_is_refused_quickly() {
    let mut text = String::from("x-a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        text.push_str(&format!(
            "x-a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    text.push_str("services:\n  web:\n    image: busybox\n    command: *a9\n");
    let d = project(&[("compose.yaml", &text)]);
    let started = std::time::Instant::now();
    let err = fails(d.path(), &["config"]);
    assert!(err.contains("excessive aliasing"), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_service_may_only_name_declared_networks_volumes_secrets_and_configs() {
    for (body, what) in [
        ("    networks: [back]\n", "refers to undefined network back"),
        (
            "    volumes: [\"data:/data\"]\n",
            "refers to undefined volume data",
        ),
        ("    secrets: [token]\n", "refers to undefined secret token"),
        ("    configs: [conf]\n", "refers to undefined config conf"),
    ] {
        let d = project(&[(
            "compose.yaml",
            &format!("services:\n  web:\n    image: busybox\n{body}"),
        )]);
        let err = fails(d.path(), &["config"]);
        assert!(
            err.contains(&format!("service \"web\" {what}: invalid compose project")),
            "{err}"
        );
    }
    let d = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: busybox\n    networks: [back]\n    volumes: [\"data:/data\", \"/anon\"]\nnetworks:\n  back: {}\nvolumes:\n  data: {}\n",
    )]);
    config_json(d.path(), &[]);
}

#[test]
fn the_last_file_naming_the_project_names_it_for_every_file() {
    // compose-go loader_test.go TestProjectNameInterpolation "project name interpolation with override"
    let d = project(&[
        (
            "a.yaml",
            "name: interpolated\nservices:\n  web:\n    image: web\n    container_name: ${COMPOSE_PROJECT_NAME}-web\n",
        ),
        (
            "b.yaml",
            "name: overrided\nservices:\n  db:\n    image: db\n    container_name: ${COMPOSE_PROJECT_NAME}-db\n",
        ),
        (
            "c.yaml",
            "services:\n  proxy:\n    image: proxy\n    container_name: ${COMPOSE_PROJECT_NAME}-proxy\n",
        ),
    ]);
    let m = config_json(d.path(), &["-f", "a.yaml", "-f", "b.yaml", "-f", "c.yaml"]);
    assert_eq!(m["name"], "overrided");
    for (svc, want) in [
        ("web", "overrided-web"),
        ("db", "overrided-db"),
        ("proxy", "overrided-proxy"),
    ] {
        assert_eq!(m["services"][svc]["container_name"], want);
    }
}

#[test]
fn a_build_without_context_builds_the_project_directory_even_when_extended() {
    // compose-go loader_test.go TestLoadExtendsMultipleFiles
    let d = project(&[
        ("a/compose.yaml", "services:\n  a:\n    build: .\n"),
        (
            "b/compose.yaml",
            "services:\n  b:\n    build:\n      target: fake\n",
        ),
        (
            "compose.yaml",
            "services:\n  a:\n    extends:\n      file: ./a/compose.yaml\n      service: a\n  b:\n    extends:\n      file: ./b/compose.yaml\n      service: b\n",
        ),
    ]);
    let dir = std::fs::canonicalize(d.path()).unwrap();
    let m = config_json(d.path(), &["-p", "project"]);
    assert_eq!(
        m["services"]["a"]["build"]["context"],
        json!(dir.join("a").to_string_lossy())
    );
    assert_eq!(
        m["services"]["b"]["build"]["context"],
        json!(dir.to_string_lossy())
    );
}

#[test]
fn a_reader_that_goes_away_is_no_crash() {
    // `config --format json | head -1`: the pipe closes before strata has
    // written; docker compose just stops, strata must not panic (101).
    let d = project(&[("compose.yaml", "services:\n  web:\n    image: busybox\n")]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(d.path())
        .env_remove("COMPOSE_FILE")
        .args(["compose", "config", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running strata");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {err}", out.status);
    assert!(!err.contains("panicked"), "{err}");
}
