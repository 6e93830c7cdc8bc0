//! A `git-context` case's prepared context committed into a repository of
//! its own and served by `git daemon` on 127.0.0.1 while the case builds;
//! both builders build its URL. The commit's author, committer and dates
//! are fixed, so its id is the same every run. A `git-submodules` case's
//! listed directories become repositories of their own, served beside it
//! and added back as submodules.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The daemon, stopped when dropped.
pub struct Served {
    child: Child,
    pub url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("GIT_AUTHOR_DATE", "2020-09-13T12:26:40Z")
        .env("GIT_COMMITTER_DATE", "2020-09-13T12:26:40Z")
        .args([
            "-c",
            "user.name=strata",
            "-c",
            "user.email=strata@example.com",
        ])
        .args(args)
        .output()
        .map_err(|e| format!("git: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A directory of the context that is committed as a repository of its
/// own and added to the context's repository as a submodule at its path.
pub struct Submodule {
    pub path: String,
    /// Named in `.gitmodules` by its whole `git://` URL, not `../NAME.git`.
    pub absolute: bool,
}

/// Commits `tree` (the case's prepared context) as `main` of
/// `work/served/repo.git`, each of `submodules` as `main` of a repository
/// beside it, and serves them.
pub fn serve(tree: &Path, work: &Path, submodules: &[Submodule]) -> Result<Served, String> {
    let served = work.join("served");
    let bare = served.join("repo.git");
    std::fs::create_dir_all(&bare).map_err(|e| e.to_string())?;
    git(&bare, &["init", "-q", "--bare", "-b", "main"])?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())?;
    let child = Command::new("git")
        .arg("daemon")
        .arg("--export-all")
        .arg("--reuseaddr")
        .arg(format!("--base-path={}", served.display()))
        .arg(format!("--port={port}"))
        .arg("--listen=127.0.0.1")
        .arg(&served)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("git daemon: {e}"))?;
    let base = format!("git://127.0.0.1:{port}");
    let served_daemon = Served {
        child,
        url: format!("{base}/repo.git"),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!("git daemon on port {port} never listened"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    git(tree, &["init", "-q", "-b", "main"])?;
    git(tree, &["remote", "add", "origin", &served_daemon.url])?;
    for sub in submodules {
        let name = sub.path.replace('/', "-");
        let src = work.join("submodules").join(&name);
        std::fs::create_dir_all(work.join("submodules")).map_err(|e| e.to_string())?;
        std::fs::rename(tree.join(&sub.path), &src)
            .map_err(|e| format!("submodule {}: {e}", sub.path))?;
        let sub_bare = served.join(format!("{name}.git"));
        std::fs::create_dir_all(&sub_bare).map_err(|e| e.to_string())?;
        git(&sub_bare, &["init", "-q", "--bare", "-b", "main"])?;
        git(&src, &["init", "-q", "-b", "main"])?;
        git(&src, &["add", "-A"])?;
        git(&src, &["commit", "-q", "-m", "differential submodule"])?;
        let sub_bare_s = sub_bare.to_string_lossy().into_owned();
        git(&src, &["push", "-q", &sub_bare_s, "HEAD:refs/heads/main"])?;
        let url = match sub.absolute {
            true => format!("{base}/{name}.git"),
            false => format!("../{name}.git"),
        };
        git(
            tree,
            &["submodule", "add", "-q", "-b", "main", &url, &sub.path],
        )?;
    }
    git(tree, &["add", "-A"])?;
    git(tree, &["commit", "-q", "-m", "differential case"])?;
    let bare_s = bare.to_string_lossy().into_owned();
    git(tree, &["push", "-q", &bare_s, "HEAD:refs/heads/main"])?;
    Ok(served_daemon)
}
