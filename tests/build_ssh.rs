//! `RUN --mount=type=ssh` with `build --ssh`, through the binary, against
//! an ssh-agent started here with a key made by ssh-keygen: the step talks
//! to the agent through a socket at SSH_AUTH_SOCK (a static helper asks
//! it for its identities, as `ssh-add -l` would) and the key file never
//! appears in the image. `--ssh ID=KEYFILE` has strata load the key into
//! an agent of its own.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::cli::{run, stderr};
use support::env::Env;

/// An ssh-agent of the test's own with one fresh ed25519 key loaded.
struct Agent {
    child: Child,
    socket: PathBuf,
    key: PathBuf,
    comment: String,
}

impl Agent {
    fn start(dir: &Path, load: bool) -> Agent {
        fs::create_dir_all(dir).expect("mkdir");
        let comment = format!("strata-test-{}", std::process::id());
        let key = dir.join("id_ed25519");
        let made = run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", &comment, "-f"])
            .arg(&key));
        assert!(made.status.success(), "ssh-keygen: {}", stderr(&made));
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "ssh-agent never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        let agent = Agent {
            child,
            socket,
            key,
            comment,
        };
        if load {
            let added = run(Command::new("ssh-add")
                .arg("-q")
                .arg(&agent.key)
                .env("SSH_AUTH_SOCK", &agent.socket));
            assert!(added.status.success(), "ssh-add: {}", stderr(&added));
        }
        agent
    }

    /// The base64 body of the private key file, which no layer may hold.
    fn private_body(&self) -> String {
        let text = fs::read_to_string(&self.key).expect("key");
        text.lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .join("")
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A context with the helper (gcc -static of testdata/differential/run_mount_ssh/agent_ask.c)
/// and `dockerfile`.
fn context(env: &Env, name: &str, dockerfile: &str) -> PathBuf {
    let ctx = env.path(name);
    fs::create_dir_all(&ctx).expect("mkdir");
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/differential/run_mount_ssh/agent_ask.c");
    let made = run(Command::new("gcc")
        .args(["-static", "-O1", "-o"])
        .arg(ctx.join("agent_ask"))
        .arg(&src));
    assert!(made.status.success(), "gcc: {}", stderr(&made));
    fs::write(ctx.join("Dockerfile"), dockerfile).expect("Dockerfile");
    ctx
}

const ASK: &str = "--mount=type=bind,source=agent_ask,target=/usr/bin/agent-ask";

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// No file under `root` holds `needle`.
fn assert_nowhere(root: &Path, needle: &str) {
    for entry in walk(root) {
        if let Ok(bytes) = fs::read(&entry) {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(needle),
                "{} holds the private key",
                entry.display()
            );
        }
    }
}

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

#[test]
fn ssh_default_forwards_the_environments_agent_and_no_key_enters_the_image() {
    let env = Env::new();
    let agent = Agent::start(&env.path("agent"), true);
    let ctx = context(
        &env,
        "ctx",
        &format!(
            "FROM busybox\n\
             RUN {ASK} --mount=type=ssh agent-ask > /ids && echo \"$SSH_AUTH_SOCK\" > /sock \
             && ls -l /run/buildkit/ssh_agent.0 | cut -c1-10 > /mode\n"
        ),
    );
    let mut cmd = env.strata();
    cmd.env("SSH_AUTH_SOCK", &agent.socket);
    let iid = env.path("iid");
    let out = run(cmd
        .args(["build", "--ssh", "default", "--iidfile"])
        .arg(&iid)
        .arg(&ctx));
    assert!(out.status.success(), "{}", stderr(&out));
    let id = read(&iid);
    let (root, config) = env.unpack(id.trim(), "ssh-default");
    assert_eq!(
        read(&root.join("ids")),
        format!("keys 1\nssh-ed25519 {}\n", agent.comment),
        "the step sees the agent's key"
    );
    assert_eq!(read(&root.join("sock")), "/run/buildkit/ssh_agent.0\n");
    assert_eq!(
        read(&root.join("mode")),
        "srw-------\n",
        "a 0600 socket, as BuildKit's"
    );
    assert!(
        !root.join("run/buildkit/ssh_agent.0").exists(),
        "the socket is not left in the layer"
    );
    assert_nowhere(&root, &agent.private_body());
    assert!(!config.to_string().contains(&agent.private_body()));
}

#[test]
fn ssh_keyfile_is_loaded_into_an_agent_of_the_builds_own() {
    let env = Env::new();
    // Only its key is used: this agent holds nothing and is not named.
    let agent = Agent::start(&env.path("agent"), false);
    let ctx = context(
        &env,
        "ctx",
        &format!(
            "FROM busybox\n\
             RUN {ASK} --mount=type=ssh,id=deploy,target=/tmp/agent.sock,mode=0666 \
             agent-ask > /ids && echo \"$SSH_AUTH_SOCK\" > /sock\n"
        ),
    );
    let mut cmd = env.strata();
    cmd.env_remove("SSH_AUTH_SOCK");
    let iid = env.path("iid");
    let out = run(cmd
        .arg("build")
        .arg("--ssh")
        .arg(format!("deploy={}", agent.key.display()))
        .arg("--iidfile")
        .arg(&iid)
        .arg(&ctx));
    assert!(out.status.success(), "{}", stderr(&out));
    let (root, _) = env.unpack(read(&iid).trim(), "ssh-key");
    assert_eq!(
        read(&root.join("ids")),
        format!("keys 1\nssh-ed25519 {}\n", agent.comment)
    );
    assert_eq!(read(&root.join("sock")), "/tmp/agent.sock\n");
    assert_nowhere(&root, &agent.private_body());
}

#[test]
fn an_optional_ssh_mount_without_an_agent_is_left_out() {
    let env = Env::new();
    let ctx = context(
        &env,
        "ctx",
        "FROM busybox\nRUN --mount=type=ssh test ! -e /run/buildkit/ssh_agent.0 && echo none > /r\n",
    );
    let mut cmd = env.strata();
    cmd.env_remove("SSH_AUTH_SOCK");
    let out = run(cmd.arg("build").arg(&ctx));
    assert!(out.status.success(), "{}", stderr(&out));
}
