//! Every Dockerfile in testdata/differential/ built by strata (through the
//! binary) and by BuildKit (docker.io 20.10's, in a private dockerd this
//! test starts once and stops), from the same base images: the root
//! filesystems (type, mode, owner, content, link target, device, xattrs,
//! mtimes of what came from an input, hardlink groups, opaque markers) and
//! the configs (Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts,
//! Volumes, Labels, StopSignal, Healthcheck, OnBuild, Shell) must match.
//! The rules for what is allowed to differ are in compare.rs; the case
//! format in testdata/differential/README.md.
//!
//! A case with a `known-bug` file is a strata bug being fixed: it must
//! still differ (the test says when it stops differing, so the file gets
//! deleted). `STRATA_DIFF_CASES=a,b` runs only the named cases;
//! `STRATA_DIFF_KEEP=1` keeps the work directory (the images of each case).

#[path = "support/mod.rs"]
mod support;

#[path = "differential_buildkit/bases.rs"]
mod bases;
#[path = "differential_buildkit/case.rs"]
mod case;
#[path = "differential_buildkit/compare.rs"]
mod compare;
#[path = "differential_buildkit/dockerd.rs"]
mod dockerd;
#[path = "differential_buildkit/image.rs"]
mod image;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use case::Case;
use dockerd::Dockerd;
use support::cli::{run, strata};

/// Cases built at once. Each build is mostly waiting on processes and the
/// disk; more than three only adds contention on two cores.
const JOBS: usize = 3;

enum Outcome {
    Same,
    Differs(Vec<String>),
    /// BuildKit could not build the case: the case itself is wrong.
    Broken(String),
}

/// One case's result: name, outcome, wall time, its known bug.
type Report = (String, Outcome, Duration, Option<String>);

struct Ctx<'a> {
    work: &'a Path,
    store: &'a Path,
    dockerd: &'a Dockerd,
}

/// The work directory: removed at the end unless STRATA_DIFF_KEEP is set
/// (to look at what the builders made).
enum Keep {
    Temp(tempfile::TempDir),
    Dir(PathBuf),
}

impl Keep {
    fn path(&self) -> &Path {
        match self {
            Keep::Temp(t) => t.path(),
            Keep::Dir(d) => d,
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn cases() -> Vec<Case> {
    let root = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/differential"
    ));
    let only: Option<Vec<String>> = std::env::var("STRATA_DIFF_CASES")
        .ok()
        .map(|s| s.split(',').map(str::to_string).collect());
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .filter(|p| {
            only.as_ref().is_none_or(|o| {
                p.file_name()
                    .is_some_and(|n| o.iter().any(|x| *x == n.to_string_lossy()))
            })
        })
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|d| Case::load(d).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

#[test]
fn every_differential_case_builds_as_buildkit_builds_it() {
    assert!(
        rustix::process::geteuid().is_root(),
        "the differential test runs dockerd: run it as root"
    );
    let started = Instant::now();
    let mut cases = cases();
    // Busybox cases first: the Debian base is made meanwhile.
    cases.sort_by_key(|c| c.debian);
    let min_cases = if std::env::var_os("STRATA_DIFF_CASES").is_some() {
        1
    } else {
        60
    };
    assert!(cases.len() >= min_cases, "only {} cases", cases.len());

    let work = tempfile::Builder::new()
        .prefix("strata-differential-")
        .tempdir_in("/var/tmp")
        .expect("tempdir");
    let work = if std::env::var_os("STRATA_DIFF_KEEP").is_some() {
        let kept = work.keep();
        println!("keeping {}", kept.display());
        Keep::Dir(kept)
    } else {
        Keep::Temp(work)
    };
    let store = work.path().join("store");
    let dockerd = Dockerd::start(&work.path().join("docker")).unwrap_or_else(|e| panic!("{e}"));
    let ctx = Ctx {
        work: work.path(),
        store: &store,
        dockerd: &dockerd,
    };
    bases::busybox(ctx.work, ctx.store, ctx.dockerd);
    let busybox_ready = now();

    // Ready time of the Debian base, or why it could not be made.
    let debian: (Mutex<Option<Result<u64, String>>>, Condvar) = (Mutex::new(None), Condvar::new());
    let results: Mutex<Vec<Report>> = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        if cases.iter().any(|c| c.debian) {
            s.spawn(|| {
                let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    bases::debian(ctx.work, ctx.store, ctx.dockerd)
                }))
                .map(|()| now())
                .map_err(|e| {
                    e.downcast_ref::<String>()
                        .cloned()
                        .unwrap_or_else(|| "making the Debian base panicked".into())
                });
                *debian.0.lock().expect("lock") = Some(made);
                debian.1.notify_all();
            });
        }
        for _ in 0..JOBS {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = cases.get(i) else { break };
                    let t = Instant::now();
                    let ready = if case.debian {
                        let mut g = debian.0.lock().expect("lock");
                        while g.is_none() {
                            g = debian.1.wait(g).expect("lock");
                        }
                        g.clone().expect("set above")
                    } else {
                        Ok(busybox_ready)
                    };
                    let outcome = match ready {
                        Ok(ready) => run_case(&ctx, case, ready),
                        Err(e) => Outcome::Broken(format!("no Debian base: {e}")),
                    };
                    results.lock().expect("lock").push((
                        case.name.clone(),
                        outcome,
                        t.elapsed(),
                        case.known_bug.clone(),
                    ));
                }
            });
        }
    });

    let mut results = results.into_inner().expect("lock");
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut failures = Vec::new();
    let (mut same, mut known) = (0, 0);
    for (name, outcome, took, bug) in &results {
        let took = took.as_secs_f32();
        match (outcome, bug) {
            (Outcome::Same, None) => {
                same += 1;
                println!("same       {name} ({took:.1}s)");
            }
            (Outcome::Same, Some(_)) => failures.push(format!(
                "{name}: matches BuildKit now; delete testdata/differential/{name}/known-bug"
            )),
            (Outcome::Differs(d), Some(bug)) => {
                known += 1;
                println!(
                    "known bug  {name} ({took:.1}s): {}\n    {}",
                    bug.lines().next().unwrap_or_default(),
                    d.join("\n    ")
                );
            }
            (Outcome::Differs(d), None) => failures.push(format!(
                "{name}: differs from BuildKit:\n  {}",
                d.join("\n  ")
            )),
            (Outcome::Broken(e), _) => failures.push(format!("{name}: {e}")),
        }
    }
    println!(
        "{} cases: {same} same, {known} differ by a known strata bug, {} failed; {:.0}s",
        results.len(),
        failures.len(),
        started.elapsed().as_secs_f32()
    );
    drop(dockerd);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn run_case(ctx: &Ctx, case: &Case, ready: u64) -> Outcome {
    let dir = ctx.work.join("cases").join(&case.name);
    let context = dir.join("context");
    if let Err(e) = case.prepare_context(&context) {
        return Outcome::Broken(e);
    }
    let tag = format!("diff-{}", case.name.replace('_', "-"));

    let mut bk = ctx.dockerd.docker();
    bk.arg("build")
        .arg(format!("--network={}", case.network))
        .args(["-q", "-t", &tag, "-f"])
        .arg(case.buildkit_dockerfile(&context));
    let mut st = strata(ctx.store);
    st.args(["build", "--network", &case.network, "--cache-limit", "none"])
        .args(["-q", "-t", &tag, "-f"])
        .arg(context.join("Dockerfile"))
        .arg("--output")
        .arg(format!(
            "type=docker-archive,dest={}",
            dir.join("strata.tar").display()
        ));
    for c in [&mut bk, &mut st] {
        for a in &case.build_args {
            c.arg("--build-arg").arg(a);
        }
        if let Some(t) = &case.target {
            c.arg("--target").arg(t);
        }
        for s in &case.secrets {
            c.arg("--secret").arg(s);
        }
        c.arg(&context);
    }
    if let Err(e) = checked(&mut bk, "BuildKit build") {
        return Outcome::Broken(e);
    }
    if let Err(e) = checked(
        ctx.dockerd
            .docker()
            .arg("save")
            .arg("-o")
            .arg(dir.join("buildkit.tar"))
            .arg(&tag),
        "docker save",
    ) {
        return Outcome::Broken(e);
    }
    let theirs = match unpack(&dir.join("buildkit.tar"), &dir.join("buildkit")) {
        Ok(i) => i,
        Err(e) => return Outcome::Broken(e),
    };
    if let Err(e) = checked(&mut st, "strata build") {
        return Outcome::Differs(vec![e]);
    }
    let ours = match unpack(&dir.join("strata.tar"), &dir.join("strata")) {
        Ok(i) => i,
        Err(e) => return Outcome::Differs(vec![format!("strata's image: {e}")]),
    };
    let targets = case.mount_targets(&context);
    // What the case built is no longer needed: keep the disk use flat.
    if std::env::var_os("STRATA_DIFF_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let d = compare::differences(&ours, &theirs, ready, &targets);
    if d.is_empty() {
        Outcome::Same
    } else {
        Outcome::Differs(d)
    }
}

fn checked(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = run(cmd);
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn unpack(archive: &Path, to: &Path) -> Result<image::Image, String> {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    checked(
        Command::new("tar")
            .arg("-xf")
            .arg(archive)
            .arg("-C")
            .arg(to),
        "tar -x",
    )?;
    image::read_docker_archive(to)
}
