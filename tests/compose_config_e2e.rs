//! docker/compose's e2e scenarios for `config` (pkg/e2e/config_test.go,
//! compose_test.go), on copies of their projects in
//! testdata/compose/docker-compose/testdata/<TestName>/: the rendered YAML
//! must contain what docker compose's tests say it contains.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scenario(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/compose/docker-compose/testdata"
    ))
    .join(name)
}

fn compose(dir: &Path, project: &str, args: &[&str]) -> Output {
    compose_with(dir, project, &[], args)
}

fn compose_with(dir: &Path, project: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(dir)
        .env_remove("WHEREAMI")
        .env_remove("IMAGE")
        .envs(env.iter().copied())
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_PROFILES")
        .env_remove("COMPOSE_FILE")
        .env_remove("PORT")
        .env_remove("MYVAR")
        .args(["compose", "-p", project])
        .args(args)
        .output()
        .expect("running strata")
}

fn output_contains(out: &Output, want: &str) {
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(want),
        "want:\n{want}\ngot (exit {:?}):\n{text}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn config_renders_the_canonical_model_with_an_absolute_context() {
    // compose_test.go TestConfig
    let dir = scenario("TestConfig");
    let out = compose(&dir, "testconfig", &["config"]);
    output_contains(
        &out,
        &format!(
            "name: testconfig\nservices:\n  nginx:\n    build:\n      context: {}\n      dockerfile: Dockerfile\n    networks:\n      default: null\nnetworks:\n  default:\n    name: testconfig_default\n",
            dir.join("nginx-build").display()
        ),
    );
}

#[test]
fn config_without_interpolation_keeps_expressions_and_still_resolves_paths() {
    // compose_test.go TestConfigInterpolate
    let dir = scenario("TestConfigInterpolate");
    let out = compose(
        &dir,
        "testconfiginterpolate",
        &["config", "--no-interpolate"],
    );
    output_contains(
        &out,
        &format!(
            "name: testconfiginterpolate\nnetworks:\n  default:\n    name: testconfiginterpolate_default\nservices:\n  nginx:\n    build:\n      context: {}\n      dockerfile: ${{MYVAR}}\n    networks:\n      default: null\n",
            dir.join("nginx-build").display()
        ),
    );
}

#[test]
fn local_compose_config_in_yaml_and_json_and_uninterpolated() {
    // config_test.go TestLocalComposeConfig
    let dir = scenario("TestLocalComposeConfig");
    output_contains(
        &compose(&dir, "local", &["config"]),
        "\n    ports:\n      - mode: ingress\n        target: 80\n        published: \"8080\"\n        protocol: tcp",
    );
    output_contains(
        &compose(&dir, "local", &["config", "--format", "json"]),
        "\"published\": \"8080\"",
    );
    output_contains(
        &compose(&dir, "local", &["config", "--no-interpolate"]),
        "- ${PORT:-8080}:80",
    );
}

#[test]
fn no_consistency_lists_what_an_incomplete_model_holds() {
    // config_test.go TestLocalComposeConfigNoConsistency
    let dir = scenario("TestLocalComposeConfigNoConsistency");
    let plain = compose(&dir, "nocons", &["config", "--services"]);
    assert_eq!(
        plain.status.code(),
        Some(1),
        "without the flag the model is refused"
    );
    output_contains(
        &compose(
            &dir,
            "nocons",
            &["config", "--no-consistency", "--services"],
        ),
        "incomplete",
    );
    output_contains(
        &compose(&dir, "nocons", &["config", "--no-consistency", "--volumes"]),
        "data",
    );
    output_contains(
        &compose(
            &dir,
            "nocons",
            &["config", "--no-consistency", "--networks"],
        ),
        "internal",
    );
    output_contains(
        &compose(&dir, "nocons", &["config", "--no-consistency", "--models"]),
        "ai/example",
    );
    output_contains(
        &compose(
            &dir,
            "nocons",
            &["config", "--no-consistency", "--hash", "*"],
        ),
        "incomplete ",
    );
    output_contains(
        &compose(
            &dir,
            "nocons",
            &[
                "--profile",
                "extra",
                "config",
                "--no-consistency",
                "--services",
            ],
        ),
        "gated",
    );
}

#[test]
fn a_shell_variable_wins_over_the_dotenv_when_interpolating() {
    // compose_environment_test.go TestEnvInterpolation
    let dir = scenario("TestEnvInterpolation");
    output_contains(
        &compose_with(&dir, "envinterp", &[("WHEREAMI", "shell")], &["config"]),
        "IMAGE: default_env:shell",
    );
}

#[test]
fn an_unset_variable_takes_the_dotenv_default() {
    // compose_environment_test.go TestEnvInterpolationDefaultValue
    let dir = scenario("TestEnvInterpolationDefaultValue");
    output_contains(
        &compose(&dir, "envdefault", &["config"]),
        "IMAGE: default_env:EnvFileDefaultValue",
    );
}
