//! `pull_policy` and `up --pull` against a real docker-registry on
//! 127.0.0.1 (support/registry.rs): a tag the registry moves is followed
//! by `always` on every `up` (the container's image changes), kept by
//! `missing`, refreshed by `every_<d>` only once the last pull (any pull,
//! `strata pull`'s too) is older than that; `never` without the image fails before anything is made;
//! a bad value is refused at its file, line and column. The services run
//! with `network_mode: none` in the host's namespace (no network is made).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::cli::{ok, run, stderr};
use support::env::Env;
use support::registry::TestRegistry;

/// A registry, a store that builds and pushes (`source`), and a project
/// directory whose `compose` runs on a second, empty store.
struct World {
    /// The compose project's name (each test its own).
    name: &'static str,
    reg: TestRegistry,
    env: Env,
    project: PathBuf,
    store: PathBuf,
}

impl World {
    fn new(name: &'static str) -> Self {
        let env = Env::new();
        let project = env.path("project");
        std::fs::create_dir_all(&project).unwrap();
        let store = env.path("compose-store");
        World {
            name,
            reg: TestRegistry::start(),
            env,
            project,
            store,
        }
    }

    fn image(&self, repo: &str) -> String {
        format!("{}/lib/{repo}", self.reg.host())
    }

    /// Builds an image whose /v says `word` and pushes it as `repo`.
    fn publish(&self, repo: &str, word: &str) {
        let ctx = self.env.path(&format!("ctx-{word}"));
        std::fs::create_dir_all(&ctx).unwrap();
        std::fs::write(
            ctx.join("Dockerfile"),
            format!("FROM busybox:latest\nRUN echo {word} > /v\n"),
        )
        .unwrap();
        let tag = format!("local/{word}:1");
        let o = self.env.build(&ctx, &["-q", "-t", &tag]);
        assert!(o.status.success(), "{}", stderr(&o));
        ok(strata(&self.env.store)
            .args(["push", &tag])
            .arg(format!("docker://{}", self.image(repo))));
    }

    fn write(&self, compose: &str) {
        std::fs::write(self.project.join("compose.yaml"), compose).unwrap();
    }

    fn compose(&self, args: &[&str]) -> Output {
        let mut c = strata(&self.store);
        c.args(["compose", "-p", self.name])
            .args(args)
            .current_dir(&self.project);
        run(&mut c)
    }

    fn compose_ok(&self, args: &[&str]) -> String {
        let o = self.compose(args);
        assert!(o.status.success(), "compose {args:?}: {}", stderr(&o));
        stderr(&o)
    }

    /// Sets the store's one record of a pull two hours back.
    fn last_pull_two_hours_back(&self) {
        let records = self.store.join("pulled");
        let files: Vec<PathBuf> = std::fs::read_dir(&records)
            .unwrap_or_else(|e| panic!("{}: {e}", records.display()))
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        ok(Command::new("touch")
            .args(["-d", "2 hours ago"])
            .arg(&files[0]));
    }

    /// What /v says in the running container of `service`.
    fn word(&self, service: &str) -> String {
        let o = self.compose(&["exec", "-T", service, "cat", "/v"]);
        assert!(o.status.success(), "exec {service}: {}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).trim().to_owned()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = self.compose(&["down"]);
    }
}

/// strata on `root`, blind to the developer's docker logins.
fn strata(root: &Path) -> Command {
    let mut c = support::cli::strata(root);
    c.env("DOCKER_CONFIG", root.with_extension("no-docker-config"));
    c.env_remove("REGISTRY_AUTH_FILE");
    c
}

fn service(name: &str, image: &str, policy: &str) -> String {
    let policy = if policy.is_empty() {
        String::new()
    } else {
        format!("    pull_policy: {policy}\n")
    };
    format!(
        "  {name}:\n    image: {image}\n{policy}    network_mode: none\n    command: [\"sleep\", \"600\"]\n"
    )
}

#[test]
fn always_follows_a_moved_tag_on_every_up_and_missing_keeps_the_local_image() {
    let w = World::new("pullalways");
    for repo in ["always:1", "missing:1", "default:1"] {
        w.publish(repo, "one");
    }
    let always = w.image("always:1");
    let missing = w.image("missing:1");
    let default = w.image("default:1");
    w.write(&format!(
        "services:\n{}{}{}",
        service("fresh", &always, "always"),
        service("kept", &missing, "missing"),
        service("plain", &default, "")
    ));
    // The store has none of them: every policy but never pulls a missing image.
    w.compose_ok(&["up", "-d"]);
    for s in ["fresh", "kept", "plain"] {
        assert_eq!(w.word(s), "one", "{s}");
    }

    for repo in ["always:1", "missing:1", "default:1"] {
        w.publish(repo, "two");
    }
    let err = w.compose_ok(&["up", "-d"]);
    assert_eq!(w.word("fresh"), "two", "always pulls again: {err}");
    assert!(
        err.contains("Container pullalways-fresh-1  Recreated"),
        "{err}"
    );
    assert_eq!(w.word("kept"), "one", "missing keeps the store's image");
    assert_eq!(w.word("plain"), "one", "no pull_policy is missing");
    assert!(!err.contains(&missing) && !err.contains(&default), "{err}");

    // `up --pull always` is every service's policy for this up.
    w.compose_ok(&["up", "-d", "--pull", "always"]);
    assert_eq!(w.word("kept"), "two");
    assert_eq!(w.word("plain"), "two");
}

#[test]
fn never_without_the_image_fails_before_anything_is_made() {
    let w = World::new("pullnever");
    let image = w.image("never:1");
    w.publish("never:1", "one");
    w.write(&format!(
        "services:\n{}{}",
        service("first", &w.image("other:1"), "never"),
        service("offline", &image, "never")
    ));
    let o = w.compose(&["up", "-d"]);
    assert_eq!(o.status.code(), Some(1));
    let err = support::hostile::flat(&o.stderr);
    assert!(
        err.contains(&format!(
            "service first: image {} is not in the store and its pull_policy is never",
            w.image("other:1")
        )),
        "{err}"
    );
    assert!(!err.contains("Pulling"), "{err}");
    let ps = w.compose_ok(&["ps", "-a", "-q"]);
    assert!(ps.trim().is_empty(), "nothing was created: {ps}");

    // compose pull skips never; once pulled otherwise, never is content
    // with the store's image.
    w.write(&format!(
        "services:\n{}",
        service("offline", &image, "never")
    ));
    let err = w.compose_ok(&["pull"]);
    assert!(err.contains(&format!("Image {image}  Skipped")), "{err}");
    ok(strata(&w.store)
        .arg("pull")
        .arg(format!("docker://{image}")));
    w.compose_ok(&["up", "-d"]);
    assert_eq!(w.word("offline"), "one");
}

#[test]
fn every_duration_pulls_again_once_the_last_pull_is_older_than_it() {
    let w = World::new("pullevery");
    let image = w.image("every:1");
    w.publish("every:1", "one");
    w.write(&format!(
        "services:\n{}",
        service("refreshed", &image, "every_1h")
    ));
    w.compose_ok(&["up", "-d"]);
    w.publish("every:1", "two");
    // Pulled a moment ago: not due.
    let err = w.compose_ok(&["up", "-d"]);
    assert_eq!(w.word("refreshed"), "one", "{err}");
    // The last pull two hours back: due.
    w.last_pull_two_hours_back();
    w.compose_ok(&["up", "-d"]);
    assert_eq!(w.word("refreshed"), "two");
}

#[test]
fn a_plain_pull_of_the_same_image_resets_the_refresh_clock() {
    // docker compose reads the image's last pull time, whoever pulled it.
    let w = World::new("pullplain");
    let image = w.image("plain:1");
    w.publish("plain:1", "one");
    w.write(&format!(
        "services:\n{}",
        service("refreshed", &image, "every_1h")
    ));
    w.compose_ok(&["up", "-d"]);
    w.last_pull_two_hours_back();
    w.publish("plain:1", "two");
    ok(strata(&w.store)
        .arg("pull")
        .arg(format!("docker://{image}")));
    w.publish("plain:1", "three");
    // Pulled a moment ago, by `strata pull`: not due, so the store's
    // image (two) runs, not the registry's (three).
    let err = w.compose_ok(&["up", "-d"]);
    assert!(!err.contains("Pulling"), "{err}");
    assert_eq!(w.word("refreshed"), "two", "{err}");
}

#[test]
fn compose_pull_follows_the_policies_as_docker_compose_pull_does() {
    let w = World::new("pullcmd");
    w.publish("a:1", "one");
    w.publish("b:1", "one");
    let a = w.image("a:1");
    let b = w.image("b:1");
    std::fs::create_dir_all(w.project.join("app")).unwrap();
    std::fs::write(w.project.join("app/Dockerfile"), "FROM scratch\n").unwrap();
    w.write(&format!(
        "services:\n{}{}  buildable:\n    image: {}\n    build: ./app\n  local:\n    build: ./app\n",
        service("pinned", &a, "missing"),
        service("plain", &b, ""),
        w.image("built:1")
    ));
    let err = w.compose_ok(&["pull", "--ignore-buildable"]);
    assert!(err.contains(&format!("Image {a}  Pulled")), "{err}");
    assert!(
        err.contains(&format!(
            "Image {}  Skipped - Image can be built",
            w.image("built:1")
        )),
        "{err}"
    );
    assert!(
        err.contains("local  Skipped - No image to be pulled"),
        "{err}"
    );
    // TestPullImagePresentLocally: missing skips what the store has; a
    // service without a policy is pulled again (the command's default).
    let err = w.compose_ok(&["pull", "pinned", "plain"]);
    assert!(
        err.contains(&format!(
            "Image {a}  Skipped - Image is already present locally"
        )),
        "{err}"
    );
    assert!(err.contains(&format!("Image {b}  Pulled")), "{err}");
    // --policy always overrides the file's missing.
    let err = w.compose_ok(&["pull", "--policy", "always", "pinned"]);
    assert!(err.contains(&format!("Image {a}  Pulled")), "{err}");
    // The buildable service's image is not on the registry: a warning
    // that names the build to run instead.
    let err = w.compose_ok(&["pull", "buildable"]);
    assert!(
        err.contains("must be built from source by running:\n    strata compose build buildable"),
        "{err}"
    );
}

#[test]
fn a_bad_pull_policy_is_refused_at_its_key() {
    let w = World::new("pullbad");
    w.write(
        "services:\n  web:\n    image: busybox:latest\n    pull_policy: xalways\n  job:\n    image: busybox:latest\n",
    );
    let o = w.compose(&["config"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("compose.yaml:4:5: services.web.pull_policy: invalid pull_policy \"xalways\""),
        "{err}"
    );
    w.write("services:\n  web:\n    image: busybox:latest\n    pull_policy: every_12x\n");
    let err = stderr(&w.compose(&["up", "-d"]));
    assert!(
        err.contains("compose.yaml:4:5: services.web.pull_policy: invalid pull_policy \"every_12x\": every_ takes a duration"),
        "{err}"
    );
}

#[test]
fn build_and_image_pull_first_and_build_only_what_the_registry_lacks() {
    // build.md "Using build and image": without pull_policy the image is
    // pulled, and built when the registry does not have it either.
    let w = World::new("pullbuild");
    w.publish("base:1", "pulled");
    let base = w.image("base:1");
    std::fs::create_dir_all(w.project.join("app")).unwrap();
    std::fs::write(
        w.project.join("app/Dockerfile"),
        format!("FROM {base}\nRUN echo built > /v\n"),
    )
    .unwrap();
    let with_build = |name: &str, image: &str, policy: &str| {
        let mut s = service(name, image, policy);
        s.push_str("    build: ./app\n");
        s
    };
    w.write(&format!(
        "services:\n{}{}{}",
        with_build("onregistry", &base, ""),
        with_build("absent", &w.image("absent:1"), ""),
        with_build("never", &w.image("never:1"), "never")
    ));
    let err = w.compose_ok(&["up", "-d"]);
    assert_eq!(w.word("onregistry"), "pulled", "{err}");
    assert_eq!(w.word("absent"), "built", "{err}");
    assert!(
        err.contains("service absent"),
        "its failed pull is a warning: {err}"
    );
    assert_eq!(w.word("never"), "built", "{err}");
    assert!(!err.contains("service never"), "never is not pulled: {err}");
}

#[test]
fn run_pulls_as_up_does_and_run_pull_always_follows_a_moved_tag() {
    // docker/compose's TestComposeRunPullAlways, against the local registry.
    let w = World::new("pullrun");
    let image = w.image("oneoff:1");
    w.publish("oneoff:1", "one");
    w.write(&format!("services:\n{}", service("job", &image, "")));
    let cat = |extra: &[&str]| {
        let mut args = vec!["run", "--rm", "-T"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["job", "cat", "/v"]);
        let o = w.compose(&args);
        assert!(o.status.success(), "run {extra:?}: {}", stderr(&o));
        (
            String::from_utf8_lossy(&o.stdout).trim().to_owned(),
            stderr(&o),
        )
    };
    // The store lacks it: pulled, as `up` would.
    assert_eq!(cat(&[]).0, "one");
    w.publish("oneoff:1", "two");
    assert_eq!(cat(&[]).0, "one", "missing: the store's image");
    let (word, err) = cat(&["--pull", "always"]);
    assert_eq!(word, "two");
    assert!(err.contains(&format!("Image {image}  Pulled")), "{err}");
}

#[test]
fn quiet_pull_keeps_the_decisions_and_quiet_progress_silences_the_pull() {
    // docker/compose's TestComposeRunQuietPull.
    let w = World::new("pullquiet");
    let image = w.image("quiet:1");
    w.publish("quiet:1", "one");
    w.write(&format!("services:\n{}", service("job", &image, "always")));
    let blob_lines = |err: &str| err.lines().filter(|l| l.starts_with("sha256:")).count();
    let run = |env: Option<(&str, &str)>, extra: &[&str]| {
        let mut c = strata(&w.store);
        c.args(["compose", "-p", w.name, "run", "--rm", "-T"])
            .args(extra)
            .args(["job", "true"])
            .current_dir(&w.project);
        if let Some((k, v)) = env {
            c.env(k, v);
        }
        let o = support::cli::run(&mut c);
        assert!(o.status.success(), "{}", stderr(&o));
        stderr(&o)
    };
    let all = run(None, &[]);
    assert!(blob_lines(&all) > 0, "each blob is shown: {all}");
    let decisions = run(None, &["--quiet-pull"]);
    assert!(
        decisions.contains(&format!("Image {image}  Pulled")),
        "{decisions}"
    );
    assert_eq!(blob_lines(&decisions), 0, "{decisions}");
    let nothing = run(Some(("COMPOSE_PROGRESS", "quiet")), &[]);
    assert!(!nothing.contains("Pull"), "{nothing}");
    assert_eq!(blob_lines(&nothing), 0, "{nothing}");
}
