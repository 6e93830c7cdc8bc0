//! Git repositories and URLs as build inputs, through the binary against a
//! repository made here and served by `git daemon` on 127.0.0.1:
//! `ADD git://HOST/repo.git#REF[:DIR] DEST` (with and without
//! `--keep-git-dir`; `http://HOST/repo.git` from a plain web server too),
//! the step's key following the commit the ref names,
//! and `strata build URL` with a git URL or a tarball served over http.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::cli::{ok, stderr};
use support::env::Env;
use support::events::{fs_steps_cached, fs_steps_run};
use support::git::{Repo, Server, git};

fn context(env: &Env, name: &str, dockerfile: &str) -> PathBuf {
    let ctx = env.path(name);
    fs::create_dir_all(&ctx).expect("mkdir");
    fs::write(ctx.join("Dockerfile"), dockerfile).expect("Dockerfile");
    ctx
}

fn mode(p: &Path) -> u32 {
    fs::symlink_metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o7777
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn add_of_a_git_ref_copies_its_tree_without_git_dir_and_with_it_when_asked() {
    let env = Env::new();
    let repo = Repo::new(&env.path("git"));
    repo.write("hello.txt", "hello from git\n", 0o600);
    repo.write("bin/run.sh", "#!/bin/sh\necho run\n", 0o700);
    repo.write("docs/guide.md", "# guide\n", 0o644);
    let commit = repo.commit("first");
    let ctx = context(
        &env,
        "ctx",
        &format!(
            "FROM busybox\n\
             ADD {main} /src\n\
             ADD --keep-git-dir=true {main} /kept/\n\
             ADD {docs} /docs\n",
            main = repo.url("#main"),
            docs = repo.url("#main:docs"),
        ),
    );
    let (id, _) = env.build_json(&ctx, &["-t", "git-add"]);
    let (root, _) = env.unpack(id.trim(), "git-add");
    assert_eq!(read(&root.join("src/hello.txt")), "hello from git\n");
    assert_eq!(
        mode(&root.join("src/hello.txt")),
        0o644,
        "git files are 0644"
    );
    assert_eq!(
        mode(&root.join("src/bin/run.sh")),
        0o755,
        "executables 0755"
    );
    assert_eq!(mode(&root.join("src/bin")), 0o755, "directories 0755");
    assert!(
        !root.join("src/.git").exists(),
        "no .git without --keep-git-dir"
    );
    assert!(root.join("kept/.git").is_dir(), "--keep-git-dir keeps .git");
    assert_eq!(read(&root.join("kept/hello.txt")), "hello from git\n");
    // The kept repository is at the commit the ref named.
    let head = git(&root.join("kept"), &["rev-parse", "HEAD"]);
    assert_eq!(head, commit);
    assert_eq!(read(&root.join("docs/guide.md")), "# guide\n");
    assert!(
        !root.join("docs/hello.txt").exists(),
        "a subdir takes only that dir"
    );
}

#[test]
fn the_add_step_is_keyed_by_the_commit_its_ref_resolves_to() {
    let env = Env::new();
    let repo = Repo::new(&env.path("git"));
    repo.write("version.txt", "1\n", 0o644);
    let first = repo.commit("v1");
    let ctx = context(
        &env,
        "ctx",
        &format!("FROM busybox\nADD {} /app\n", repo.url("#main")),
    );
    let (_, events) = env.build_json(&ctx, &[]);
    assert_eq!(fs_steps_run(&events).len(), 1, "first build makes the ADD");
    let (_, events) = env.build_json(&ctx, &[]);
    assert_eq!(fs_steps_run(&events), vec![], "same commit: the ADD hits");
    assert_eq!(fs_steps_cached(&events).len(), 1);

    repo.write("version.txt", "2\n", 0o644);
    repo.commit("v2");
    let (id, events) = env.build_json(&ctx, &[]);
    assert_eq!(
        fs_steps_run(&events).len(),
        1,
        "a new commit on main misses"
    );
    let (root, _) = env.unpack(id.trim(), "v2");
    assert_eq!(read(&root.join("app/version.txt")), "2\n");

    // A full commit id names the old tree, whatever main says now.
    let ctx_old = context(
        &env,
        "ctx-old",
        &format!(
            "FROM busybox\nADD {} /app\n",
            repo.url(&format!("#{first}"))
        ),
    );
    let (id, _) = env.build_json(&ctx_old, &[]);
    let (root, _) = env.unpack(id.trim(), "v1");
    assert_eq!(read(&root.join("app/version.txt")), "1\n");
}

#[test]
fn add_checksum_must_prefix_the_commit_and_a_missing_ref_fails() {
    let env = Env::new();
    let repo = Repo::new(&env.path("git"));
    repo.write("a.txt", "a\n", 0o644);
    let commit = repo.commit("a");
    let good = context(
        &env,
        "good",
        &format!(
            "FROM busybox\nADD --checksum={} {} /a\n",
            &commit[..7],
            repo.url("#main")
        ),
    );
    env.build_json(&good, &[]);

    let bad = context(
        &env,
        "bad",
        &format!(
            "FROM busybox\nADD --checksum=0000000 {} /a\n",
            repo.url("#main")
        ),
    );
    let out = env.build(&bad, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not match --checksum=0000000"),
        "{}",
        stderr(&out)
    );

    let missing = context(
        &env,
        "missing",
        &format!("FROM busybox\nADD {} /a\n", repo.url("#no-such-branch")),
    );
    let out = env.build(&missing, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("Dockerfile:2:"), "{err}");
    assert!(err.contains("ref \"no-such-branch\" not found"), "{err}");
}

#[test]
fn a_git_url_is_a_build_context_at_its_ref_and_subdir() {
    let env = Env::new();
    let repo = Repo::new(&env.path("git"));
    repo.write("README", "top\n", 0o644);
    repo.write(".dockerignore", "README\n", 0o644);
    repo.write("app/Dockerfile", "FROM busybox\nCOPY . /ctx/\n", 0o644);
    repo.write("app/main.sh", "echo main\n", 0o755);
    repo.commit("app");
    let url = repo.url("#main:app");
    let (id, _) = env.build_json(Path::new(&url), &[]);
    let (root, _) = env.unpack(id.trim(), "git-ctx");
    assert_eq!(read(&root.join("ctx/main.sh")), "echo main\n");
    assert_eq!(mode(&root.join("ctx/main.sh")), 0o755);
    assert!(
        !root.join("ctx/README").exists(),
        "the context is the subdir"
    );
    assert!(!root.join("ctx/.git").exists());

    // The whole repository, its Dockerfile named with -f inside it.
    let (id, _) = env.build_json(Path::new(&repo.url("#main")), &["-f", "app/Dockerfile"]);
    let (root, _) = env.unpack(id.trim(), "git-ctx-root");
    // BuildKit takes a git context whole: its .dockerignore does not apply.
    assert_eq!(read(&root.join("ctx/README")), "top\n");
    assert!(!root.join("ctx/.git").exists(), "a git context has no .git");
}

#[test]
fn an_http_tarball_is_a_build_context_and_a_plain_body_its_dockerfile() {
    let env = Env::new();
    let served = env.path("http");
    let tree = env.path("tree");
    fs::create_dir_all(&served).expect("mkdir");
    fs::create_dir_all(tree.join("sub")).expect("mkdir");
    fs::write(tree.join("Dockerfile"), "FROM busybox\nCOPY . /ctx/\n").expect("write");
    fs::write(tree.join("sub/data.txt"), "from the tarball\n").expect("write");
    ok(Command::new("tar")
        .arg("-czf")
        .arg(served.join("ctx.tar.gz"))
        .arg("-C")
        .arg(&tree)
        .arg("."));
    fs::write(
        served.join("Dockerfile.txt"),
        "FROM busybox\nRUN echo plain > /plain\n",
    )
    .expect("write");
    let server = Server::http(&served);
    let url = format!("http://127.0.0.1:{}/ctx.tar.gz", server.port);
    let (id, _) = env.build_json(Path::new(&url), &[]);
    let (root, _) = env.unpack(id.trim(), "tar-ctx");
    assert_eq!(read(&root.join("ctx/sub/data.txt")), "from the tarball\n");

    let url = format!("http://127.0.0.1:{}/Dockerfile.txt", server.port);
    let (id, _) = env.build_json(Path::new(&url), &[]);
    let (root, _) = env.unpack(id.trim(), "plain-ctx");
    assert_eq!(read(&root.join("plain")), "plain\n");
}

#[test]
fn an_http_url_ending_in_dot_git_is_a_repository_even_on_a_plain_web_server() {
    let env = Env::new();
    let repo = Repo::new(&env.path("git"));
    repo.write("served.txt", "over http\n", 0o644);
    repo.commit("http");
    // git's dumb http protocol: the bare repository as files, no shallow
    // fetch, served by a plain web server.
    let served = env.path("git/served");
    git(&served.join("repo.git"), &["update-server-info"]);
    let server = Server::http(&served);
    let url = format!("http://127.0.0.1:{}/repo.git#main", server.port);
    let ctx = context(&env, "ctx", &format!("FROM busybox\nADD {url} /web\n"));
    let (id, _) = env.build_json(&ctx, &[]);
    let (root, _) = env.unpack(id.trim(), "http-git");
    assert_eq!(read(&root.join("web/served.txt")), "over http\n");
    assert!(!root.join("web/.git").exists());
}

/// A stand-in for `ssh` on PATH: records the SSH_AUTH_SOCK git gave it,
/// then runs the remote command (git-upload-pack) here, in `base`, as an
/// ssh server would.
const FAKE_SSH: &str = "#!/bin/sh\n\
echo \"${SSH_AUTH_SOCK:-none}\" >> \"$FAKE_SSH_RECORD\"\n\
while [ $# -gt 0 ]; do case \"$1\" in -o|-p|-l) shift 2;; -*) shift;; *) break;; esac; done\n\
shift\n\
cd \"$FAKE_SSH_BASE\" && exec sh -c \"$*\"\n";

#[test]
fn an_scp_style_url_is_fetched_over_ssh_with_the_builds_default_agent() {
    let env = Env::new();
    let repo = Repo::new(&env.path("git"));
    repo.write("over-ssh.txt", "by ssh\n", 0o644);
    repo.commit("ssh");
    let bin = env.path("bin");
    fs::create_dir_all(&bin).expect("mkdir");
    fs::write(bin.join("ssh"), FAKE_SSH).expect("fake ssh");
    fs::set_permissions(bin.join("ssh"), fs::Permissions::from_mode(0o755)).expect("chmod");
    let record = env.path("ssh-record");
    let key = env.path("id_ed25519");
    ok(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key));
    let ctx = context(
        &env,
        "ctx",
        "FROM busybox\nADD git@git.example:repo.git#main /src\n",
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let iid = env.path("iid");
    let out = support::cli::run(
        env.strata()
            .env("PATH", &path)
            .env("SSH_AUTH_SOCK", "/the/callers/agent")
            .env("FAKE_SSH_RECORD", &record)
            .env("FAKE_SSH_BASE", env.path("git/served"))
            .arg("build")
            .arg("--ssh")
            .arg(format!("default={}", key.display()))
            .arg("--iidfile")
            .arg(&iid)
            .arg(&ctx),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let (root, _) = env.unpack(read(&iid).trim(), "ssh-git");
    assert_eq!(read(&root.join("src/over-ssh.txt")), "by ssh\n");
    // The same repository as the build context, over ssh too.
    repo.write("app/Dockerfile", "FROM busybox\nCOPY . /ctx/\n", 0o644);
    repo.commit("app");
    let out = support::cli::run(
        env.strata()
            .env("PATH", &path)
            .env("SSH_AUTH_SOCK", "/the/callers/agent")
            .env("FAKE_SSH_RECORD", &record)
            .env("FAKE_SSH_BASE", env.path("git/served"))
            .arg("build")
            .arg("--ssh")
            .arg(format!("default={}", key.display()))
            .arg("--iidfile")
            .arg(&iid)
            .arg("git@git.example:repo.git#main:app"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let (root, _) = env.unpack(read(&iid).trim(), "ssh-git-ctx");
    assert_eq!(
        read(&root.join("ctx/Dockerfile")),
        "FROM busybox\nCOPY . /ctx/\n"
    );
    let socks = read(&record);
    assert!(
        socks.lines().count() >= 4,
        "ls-remote and fetch, twice: {socks}"
    );
    for sock in socks.lines() {
        assert!(
            sock.ends_with("/agent.sock") && sock != "/the/callers/agent",
            "git's ssh got the build's own agent for --ssh default=KEY, not {sock}"
        );
    }
}

/// A superproject whose submodule `vendor/lib` is named relative to it
/// (`../lib.git`) and has a submodule of its own (`../deep.git`, relative
/// to lib), and whose submodule `tools` is named by its whole URL. lib's
/// `main` has moved past the commit the superproject records.
struct Superproject {
    repo: Repo,
    lib: String,
}

impl Superproject {
    fn new(env: &Env) -> Superproject {
        let repo = Repo::new(&env.path("git"));
        let deep = repo.sibling("deep");
        deep.write("deep.txt", "two levels down\n", 0o644);
        deep.commit("deep");
        let lib = repo.sibling("lib");
        lib.write("lib.txt", "from the lib submodule\n", 0o600);
        lib.submodule("../deep.git", "deep");
        let lib_commit = lib.commit("lib");
        let tools = repo.sibling("tools");
        tools.write("run.sh", "#!/bin/sh\necho tool\n", 0o700);
        tools.commit("tools");
        repo.write("top.txt", "superproject\n", 0o644);
        repo.write("Dockerfile", "FROM busybox\nCOPY . /ctx/\n", 0o644);
        repo.submodule("../lib.git", "vendor/lib");
        repo.submodule(&tools.url(""), "tools");
        repo.commit("super");
        // lib moves on: the superproject still names the commit it recorded.
        lib.write("lib.txt", "a later lib\n", 0o644);
        lib.commit("later");
        Superproject {
            repo,
            lib: lib_commit,
        }
    }
}

#[test]
fn add_of_a_git_ref_checks_its_submodules_out_recursively() {
    let env = Env::new();
    let sup = Superproject::new(&env);
    let ctx = context(
        &env,
        "ctx",
        &format!(
            "FROM busybox\n\
             ADD {main} /src\n\
             ADD --keep-git-dir=true {main} /kept/\n\
             ADD {lib} /lib\n",
            main = sup.repo.url("#main"),
            lib = sup.repo.url("#main:vendor/lib"),
        ),
    );
    let (id, events) = env.build_json(&ctx, &["-t", "git-submodules"]);
    assert_eq!(fs_steps_run(&events).len(), 3);
    let (root, _) = env.unpack(id.trim(), "git-submodules");
    assert_eq!(read(&root.join("src/top.txt")), "superproject\n");
    assert_eq!(
        read(&root.join("src/vendor/lib/lib.txt")),
        "from the lib submodule\n",
        "a submodule named relative to the superproject"
    );
    assert_eq!(mode(&root.join("src/vendor/lib/lib.txt")), 0o644);
    assert_eq!(
        read(&root.join("src/vendor/lib/deep/deep.txt")),
        "two levels down\n",
        "a submodule's submodule, relative to its own repository"
    );
    assert_eq!(
        read(&root.join("src/tools/run.sh")),
        "#!/bin/sh\necho tool\n",
        "a submodule named by its whole URL"
    );
    assert_eq!(mode(&root.join("src/tools/run.sh")), 0o755);
    assert!(!root.join("src/.git").exists(), "no .git");
    assert!(
        root.join("src/vendor/lib/.git").is_file(),
        "a submodule keeps its .git file (gitdir: ...), as BuildKit's does"
    );
    assert_eq!(
        read(&root.join("lib/lib.txt")),
        "from the lib submodule\n",
        "a subdir that is a submodule"
    );
    // --keep-git-dir keeps the submodules' repositories: git inside the
    // image sees each at the commit the superproject records.
    assert!(root.join("kept/.git/modules").is_dir());
    assert_eq!(
        git(&root.join("kept/vendor/lib"), &["rev-parse", "HEAD"]),
        sup.lib
    );
    assert_eq!(git(&root.join("kept"), &["status", "--porcelain"]), "");

    // The superproject's commit keys the step: nothing is fetched again.
    let (_, events) = env.build_json(&ctx, &[]);
    assert_eq!(fs_steps_run(&events), vec![], "the same commit hits");
}

#[test]
fn a_git_context_has_its_submodules() {
    let env = Env::new();
    let sup = Superproject::new(&env);
    let (id, _) = env.build_json(Path::new(&sup.repo.url("#main")), &[]);
    let (root, _) = env.unpack(id.trim(), "git-ctx-submodules");
    assert_eq!(
        read(&root.join("ctx/vendor/lib/deep/deep.txt")),
        "two levels down\n"
    );
    assert_eq!(
        read(&root.join("ctx/tools/run.sh")),
        "#!/bin/sh\necho tool\n"
    );
    assert!(!root.join("ctx/.git").exists());
}

#[test]
fn a_submodule_at_a_local_path_of_the_builder_is_refused() {
    let env = Env::new();
    let repo = Repo::new(&env.path("git"));
    let host = repo.sibling("host-secret");
    host.write("secret.txt", "of the builder's host\n", 0o644);
    host.commit("secret");
    repo.write("top.txt", "superproject\n", 0o644);
    let local = env.path("git/served/host-secret.git");
    git(
        &repo.work,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            &local.to_string_lossy(),
            "leak",
        ],
    );
    repo.commit("points at the builder's disk");
    let ctx = context(
        &env,
        "ctx",
        &format!("FROM busybox\nADD {} /src\n", repo.url("#main")),
    );
    let out = env.build(&ctx, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("Dockerfile:2:"), "{err}");
    assert!(err.contains("transport 'file' not allowed"), "{err}");
}

#[test]
fn a_kept_git_dir_never_holds_the_password_of_the_url() {
    let env = Env::new();
    let sup = Superproject::new(&env);
    let served = env.path("git/served");
    for repo in ["repo", "lib", "deep"] {
        git(&served.join(format!("{repo}.git")), &["update-server-info"]);
    }
    let web = Server::http(&served);
    let url = format!("http://me:s3cret@127.0.0.1:{}/repo.git#main", web.port);
    let ctx = context(
        &env,
        "ctx",
        &format!("FROM busybox\nADD --keep-git-dir=true {url} /kept/\n"),
    );
    let (id, _) = env.build_json(&ctx, &["-t", "kept-creds"]);
    let (root, _) = env.unpack(id.trim(), "kept-creds");
    assert_eq!(
        read(&root.join("kept/vendor/lib/deep/deep.txt")),
        "two levels down\n",
        "submodules relative to a URL with credentials"
    );
    let config = read(&root.join("kept/.git/config"));
    assert!(config.contains("http://me:xxxxx@127.0.0.1"), "{config}");
    let leaked: Vec<String> = walk(&root.join("kept/.git"))
        .into_iter()
        .filter(|p| fs::read(p).is_ok_and(|b| b.windows(7).any(|w| w == b"s3cret")))
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(leaked, Vec::<String>::new(), "no file of .git holds it");
    let listed = ok(env.strata().args(["cache", "ls", "--format", "json"]));
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("json");
    let checkout = listed
        .as_array()
        .and_then(|a| a.iter().find(|e| e["kind"] == "git_checkout"))
        .and_then(|e| e["description"].as_str())
        .unwrap_or_default()
        .to_string();
    assert!(
        checkout.contains("me:xxxxx@") && !checkout.contains("s3cret"),
        "cache ls shows the checkout's URL without it: {checkout}"
    );
    drop(sup);
}

/// Every regular file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => out.extend(walk(&p)),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
    out
}
