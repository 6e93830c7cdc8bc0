//! Git repositories made by a test and served on 127.0.0.1: `git daemon`
//! over a directory of bare repositories (several, for submodules), each
//! with a work tree to commit from, and python's web server for git's dumb
//! http protocol.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::cli::ok;

/// A free port on 127.0.0.1 (free when asked; the server binds it next).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A server process, stopped when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    pub fn start(cmd: &mut Command, port: u16) -> Server {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start server");
        let server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "server on port {port} never listened"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// python's plain web server over `dir` on a free port.
    pub fn http(dir: &Path) -> Server {
        let port = free_port();
        Server::start(
            Command::new("python3")
                .args([
                    "-m",
                    "http.server",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--directory",
                ])
                .arg(dir),
            port,
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    ok(Command::new("git")
        .arg("-C")
        .arg(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args))
    .trim()
    .to_string()
}

/// A repository `NAME.git` under `base`, served by git daemon, with a work
/// tree to commit from (whose `origin` is the served URL).
pub struct Repo {
    pub work: PathBuf,
    base: PathBuf,
    name: String,
    server: Rc<Server>,
}

impl Repo {
    pub fn new(dir: &Path) -> Repo {
        let base = dir.join("served");
        fs::create_dir_all(&base).expect("mkdir");
        let port = free_port();
        let server = Server::start(
            Command::new("git")
                .arg("daemon")
                .arg("--export-all")
                .arg("--enable=receive-pack")
                .arg("--reuseaddr")
                .arg(format!("--base-path={}", base.display()))
                .arg(format!("--port={port}"))
                .arg("--listen=127.0.0.1")
                .arg(&base),
            port,
        );
        Repo::make(dir, base, "repo", Rc::new(server))
    }

    /// Another repository, `NAME.git`, served by the same daemon.
    pub fn sibling(&self, name: &str) -> Repo {
        let dir = self.base.parent().expect("served has a parent");
        Repo::make(dir, self.base.clone(), name, self.server.clone())
    }

    fn make(dir: &Path, base: PathBuf, name: &str, server: Rc<Server>) -> Repo {
        let work = match name {
            "repo" => dir.join("work"),
            _ => dir.join(format!("work-{name}")),
        };
        fs::create_dir_all(&work).expect("mkdir");
        ok(Command::new("git")
            .args(["init", "-q", "--bare", "-b", "main"])
            .arg(base.join(format!("{name}.git"))));
        git(&work, &["init", "-q", "-b", "main"]);
        let repo = Repo {
            work,
            base,
            name: name.to_string(),
            server,
        };
        git(&repo.work, &["remote", "add", "origin", &repo.url("")]);
        repo
    }

    pub fn url(&self, fragment: &str) -> String {
        format!(
            "git://127.0.0.1:{}/{}.git{fragment}",
            self.server.port, self.name
        )
    }

    pub fn write(&self, rel: &str, body: &str, mode: u32) {
        let p = self.work.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, body).expect("write");
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).expect("chmod");
    }

    /// Adds the repository at `url` (relative to this one's, or whole) as
    /// a submodule at `path`, at its current `main`.
    pub fn submodule(&self, url: &str, path: &str) {
        git(
            &self.work,
            &["submodule", "add", "-q", "-b", "main", url, path],
        );
    }

    /// Commits everything and pushes `main`; the commit id.
    pub fn commit(&self, message: &str) -> String {
        git(&self.work, &["add", "-A"]);
        git(&self.work, &["commit", "-q", "-m", message]);
        git(
            &self.work,
            &["push", "-q", "origin", "HEAD:refs/heads/main"],
        );
        git(&self.work, &["rev-parse", "HEAD"])
    }
}
