//! `strata cp [-a] [-L] SRC DST`, docker's and podman's: one side is
//! `CONTAINER:PATH`, the other a host path or `-` (a tar stream on stdin
//! or stdout). The container's side is a helper (`container-cp`, see
//! copy_helper.rs); the two sides talk tar over a pipe, and docker's
//! SRC_PATH/DEST_PATH rules are applied on the destination's side before
//! anything is written there.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use miette::{Result, miette};
use strata_containers::copy::{self, CopyError, CopyPath, InRoot, Owners, Source};
use strata_store::Store;

use super::copy_helper::{SourceLine, running_init};
use super::{open, report};
use crate::cli::CpArgs;

/// One side of a copy as written on the command line.
#[derive(Debug, PartialEq, Eq)]
enum Side<'a> {
    Container { name: &'a str, path: &'a str },
    Host(&'a str),
    Stream,
}

/// docker's splitCpArg: a path that starts with `/` or `.` is the host's
/// (so a host file named with a colon stays reachable as ./a:b); else
/// what comes before the first colon names a container.
fn side(arg: &str) -> Side<'_> {
    if arg == "-" {
        return Side::Stream;
    }
    if arg.starts_with('/') || arg.starts_with('.') {
        return Side::Host(arg);
    }
    match arg.split_once(':') {
        Some((name, path)) if !name.is_empty() => Side::Container { name, path },
        _ => Side::Host(arg),
    }
}

pub fn cp(store: &Store, args: &CpArgs) -> Result<i32> {
    let usage = |msg: &str| -> Result<i32> {
        eprintln!("error: {msg}");
        Ok(2)
    };
    match (side(&args.source), side(&args.destination)) {
        (Side::Container { name, path }, dest @ (Side::Host(_) | Side::Stream)) => {
            copy_out(store, args, name, path, &dest)
        }
        (src @ (Side::Host(_) | Side::Stream), Side::Container { name, path }) => {
            copy_in(store, args, &src, name, path)
        }
        (Side::Container { .. }, Side::Container { .. }) => {
            usage("copying between containers is not supported")
        }
        _ => usage(
            "one of the paths must name a container as CONTAINER:PATH (the other is a host path, \
             or - for a tar stream)",
        ),
    }
}

/// The helper for container `name`, its stdin or stdout piped to us.
fn helper(
    store: &Store,
    name: &str,
    extra: &[String],
    stdin: Stdio,
    stdout: Stdio,
) -> Result<Child> {
    let containers = open(store)?;
    let c = containers.find(name).map_err(report)?;
    let stopped = running_init(&c.refresh().map_err(report)?).is_none();
    let exe = std::env::current_exe().map_err(|e| miette!("locate the strata binary: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.arg("--root").arg(store.root()).arg("container-cp");
    if stopped {
        cmd.arg("--stopped");
    }
    cmd.arg(format!("--shown-as={name}"))
        .args(extra)
        .arg(c.id())
        .stdin(stdin)
        .stdout(stdout)
        .stderr(Stdio::inherit());
    cmd.spawn()
        .map_err(|e| miette!("start the copy helper: {e}"))
}

fn finish(mut child: Child) -> Result<i32> {
    let status = child
        .wait()
        .map_err(|e| miette!("wait for the copy helper: {e}"))?;
    Ok(status.code().unwrap_or(1))
}

fn copy_out(store: &Store, args: &CpArgs, name: &str, path: &str, dest: &Side) -> Result<i32> {
    let mut extra = vec![format!("--out={path}")];
    if args.follow_link {
        extra.push("--follow-link".into());
    }
    let mut child = helper(store, name, &extra, Stdio::null(), Stdio::piped())?;
    let Some(stdout) = child.stdout.take() else {
        return Err(miette!("the copy helper has no stdout"));
    };
    let mut stream = BufReader::new(stdout);
    let mut line = String::new();
    let read = stream.read_line(&mut line);
    // No line: the helper failed and said why on stderr.
    if !matches!(read, Ok(n) if n > 0) {
        return finish(child);
    }
    let source: SourceLine =
        serde_json::from_str(line.trim_end()).map_err(|e| miette!("the copy helper: {e}"))?;
    let written = match dest {
        Side::Host(raw) => {
            let host = host_root()?;
            let dest = host_path(raw)?;
            let plan = copy::plan(
                &host,
                &dest,
                Some(&Source {
                    is_dir: source.dir,
                    top: source.top,
                    path: format!("{name}:{path}").into(),
                }),
            );
            let owners = if args.archive {
                Owners::Keep
            } else {
                Owners::Caller
            };
            plan.and_then(|plan| copy::extract(&host, &plan, owners, &mut stream))
                .map_err(|e| miette!("{e}"))
        }
        _ => {
            let mut out = std::io::stdout().lock();
            std::io::copy(&mut stream, &mut out)
                .and_then(|_| out.flush())
                .map_err(|e| miette!("write the tar stream: {e}"))
        }
    };
    if let Err(e) = written {
        let _ = child.kill();
        let _ = child.wait();
        return Err(e);
    }
    finish(child)
}

fn copy_in(store: &Store, args: &CpArgs, src: &Side, name: &str, path: &str) -> Result<i32> {
    let mut extra = vec![format!("--into={path}")];
    if args.archive {
        extra.push("--archive".into());
    }
    let Side::Host(raw) = src else {
        // A tar stream on our stdin goes to the helper as it is.
        let child = helper(store, name, &extra, Stdio::inherit(), Stdio::null())?;
        return finish(child);
    };
    let host = host_root()?;
    let src = host_path(raw)?;
    let kind = copy::source_kind(&host, &src, args.follow_link).map_err(|e| match e {
        CopyError::Missing(_) => miette!("could not find the file {raw} on the host"),
        e => miette!("{e}"),
    })?;
    extra.push(format!("--source-top={}", src.top_name()));
    extra.push(format!("--source-path={raw}"));
    if kind == copy::SourceKind::Dir {
        extra.push("--source-dir".into());
    }
    let mut child = helper(store, name, &extra, Stdio::piped(), Stdio::null())?;
    let Some(stdin) = child.stdin.take() else {
        return Err(miette!("the copy helper has no stdin"));
    };
    let sent = copy::archive(
        &host,
        &src,
        args.follow_link,
        std::io::BufWriter::new(stdin),
    );
    let code = finish(child)?;
    match sent {
        // A helper that refused the destination closed the pipe early; its
        // own message says why.
        Err(_) if code != 0 => Ok(code),
        Err(e) => Err(miette!("{e}")),
        Ok(()) => Ok(code),
    }
}

fn host_root() -> Result<InRoot> {
    InRoot::open(Path::new("/")).map_err(|e| miette!("{e}"))
}

/// A host path made absolute (from the working directory), its trailing
/// `/` or `/.` kept for docker's rules.
fn host_path(raw: &str) -> Result<CopyPath> {
    if raw.starts_with('/') {
        return Ok(CopyPath::parse(raw));
    }
    let cwd = std::env::current_dir().map_err(|e| miette!("the working directory: {e}"))?;
    let cwd = cwd.to_string_lossy();
    Ok(CopyPath::parse(&format!(
        "{}/{raw}",
        cwd.trim_end_matches('/')
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_split_as_docker_splits_them() {
        assert_eq!(
            side("web:/etc/hosts"),
            Side::Container {
                name: "web",
                path: "/etc/hosts"
            }
        );
        assert_eq!(side("./a:b"), Side::Host("./a:b"));
        assert_eq!(side("/tmp/x"), Side::Host("/tmp/x"));
        assert_eq!(side("file"), Side::Host("file"));
        assert_eq!(side("-"), Side::Stream);
    }
}
