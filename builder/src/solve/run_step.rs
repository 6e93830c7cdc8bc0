//! RUN: the command in the executor's sandbox on an overlay of the stage's
//! snapshots, writes landing in the step's fresh upper dir. Output is
//! streamed as events; the last lines are kept for the error message.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use strata_executor::{Capability, Mount, Network, Rootfs, RunSpec, Sandbox, Security, Stdio};
use strata_network::StepCan;
use strata_parser::{Command, Heredoc, NetworkMode, Run};

use super::fs_step::{Outcome, fs_step};
use super::source_tree::source_tree;
use super::stage::StepCtx;
use super::state::StageState;
use super::{BuildError, BuildNetwork, Event, Session};
use crate::accounts::Accounts;
use crate::cache::{KeyInputs, key_text};
use crate::context::clean::{clean, clean_relative};
use crate::copy::{self, CopyRequest};
use crate::layered::LayeredFs;
use crate::tree::{Tree, resolve};

/// Lines of output kept for a failed step's message.
const TAIL_LINES: usize = 15;

pub(crate) fn run(
    session: &Session,
    state: &mut StageState,
    ctx: &StepCtx,
    run: &Run,
    inputs: &mut KeyInputs,
) -> Result<Outcome, BuildError> {
    let shell = state.config.shell();
    let (mut args, display) = command_line(&run.command, &run.heredocs, &shell);
    // `RUN <<EOF` whose body starts with `#!`: BuildKit runs the body as a
    // script file under /dev/pipes, so its own interpreter runs it.
    let script = match (&run.command, run.heredocs.as_slice()) {
        (Command::Shell(s), [h]) if is_lone_marker(s) && h.body().starts_with("#!") => {
            let target = format!("/dev/pipes/{}", h.name);
            args = vec![target.clone()];
            Some((target, h.body()))
        }
        _ => None,
    };
    let devices = super::run_devices::resolve(session, ctx, run, inputs)?;
    let network = step_network(session, ctx, run)?;
    inputs
        .extra
        .insert("network".into(), key_text::network(&network).into());
    // The content a cache mount is seeded from, by mount index.
    let mut seeds = HashMap::new();
    super::run_settings::key_inputs(session.opts, inputs);
    let security = security(session, ctx, run)?;
    if security.privileged {
        inputs.extra.insert("security".into(), "insecure".into());
    }
    for (i, m) in run.mounts.iter().enumerate() {
        inputs
            .extra
            .insert(format!("mount.{i}"), key_text::mount(m));
        match m {
            strata_parser::Mount::Bind { source, from, .. } => {
                let digest = bind_source_digest(session, ctx, source.as_deref(), from.as_deref())?;
                inputs.extra.insert(format!("mount.{i}.content"), digest);
            }
            strata_parser::Mount::Cache {
                from: Some(from),
                source,
                ..
            } => {
                let digest = bind_source_digest(session, ctx, source.as_deref(), Some(from))?;
                inputs
                    .extra
                    .insert(format!("mount.{i}.content"), digest.clone());
                seeds.insert(i, digest);
            }
            strata_parser::Mount::Secret {
                id, target, env, ..
            } => {
                let id = super::secret_keys::secret_id(id, target, env);
                if let Some(mac) = super::secret_keys::keyed_secret(session, ctx, &id)? {
                    inputs.extra.insert(format!("mount.{i}.secret"), mac);
                }
            }
            _ => {}
        }
    }
    super::cache_leases::note_cache_mounts(session, ctx.stage, &run.mounts, &seeds);
    // A new cache with `from=` starts as a copy of that stage's or image's
    // `source` dir, as BuildKit seeds it.
    let seed = |i: usize, dir: &Path| -> Result<(), String> {
        let Some(strata_parser::Mount::Cache { from, source, .. }) = run.mounts.get(i) else {
            return Ok(());
        };
        let tree = source_tree(session, ctx, from.as_deref()).map_err(|e| e.to_string())?;
        materialize(tree.as_ref(), source.as_deref().unwrap_or("/"), dir, ctx)
            .map(drop)
            .map_err(|e| e.to_string())
    };
    let env = state.run_env();
    let lowers: Vec<PathBuf> = state.stack().into();
    let user_spec = state.config.image.config.user.clone().unwrap_or_default();
    let cwd = state.config.workdir();
    let fs_view = state.fs();
    // What the programs are built for is what the stage's config says
    // (its base image's, or the platform of a FROM scratch).
    let image = &state.config.image;
    let platform =
        strata_store::Platform::new(&image.os, &image.architecture, image.variant.as_deref());
    fs_step(session, state, ctx, inputs, |upper, work| {
        // A foreign platform's programs run only through a binfmt_misc
        // handler: say so before the exec fails with a bare ENOEXEC.
        strata_executor::binfmt::check_can_run(&platform).map_err(|e| ctx.fail(e))?;
        let scratch = session.store.tempdir()?;
        let mut lower = lowers.clone();
        if lower.is_empty() {
            // overlayfs needs a lower dir even for FROM scratch.
            let empty = scratch.path().join("empty");
            std::fs::create_dir(&empty).map_err(BuildError::io(&empty))?;
            lower.push(empty);
        }
        let accounts = Accounts::of(&fs_view);
        let user = accounts.build_user(&user_spec).map_err(|e| ctx.fail(e))?;
        let mut spec = RunSpec::new(
            Rootfs::Overlay {
                lower,
                upper: upper.to_path_buf(),
                work: work.to_path_buf(),
            },
            args.clone(),
        );
        spec.env = env.clone();
        spec.cwd = cwd.clone();
        spec.user = user;
        spec.hostname = "buildkitsandbox".into();
        if network == BuildNetwork::Sandbox {
            // pasta starts while the rest of the sandbox is set up.
            session.sandboxes.prepare();
        }
        spec.security = security.clone();
        super::run_settings::apply(session.opts, &mut spec, &scratch.path().join("settings"))?;
        let mut extra_env = Vec::new();
        let (caches, locks) =
            super::cache_leases::lease_cache_mounts(session, &run.mounts, &seeds, &seed)?;
        for (i, m) in run.mounts.iter().enumerate() {
            let dir = scratch.path().join(format!("mount{i}"));
            let found = sandbox_mount(session, ctx, m, &dir, &cwd, &mut extra_env, caches.get(&i))?;
            if let Some(mount) = found {
                spec.mounts.push(mount);
            }
        }
        let ssh = super::ssh_mount::ssh_mounts(
            session,
            ctx,
            &run.mounts,
            &scratch.path().join("ssh"),
            &cwd,
        )?;
        spec.mounts.extend(ssh.mounts.iter().cloned());
        extra_env.extend(ssh.env.clone());
        spec.env.extend(extra_env);
        if let Some(edits) = &devices {
            super::run_devices::apply(edits, &mut spec, ctx)?;
        }
        // runc's init sets HOME from the user's passwd entry ("/" without
        // one) when the environment lacks it, so BuildKit's RUN has it.
        // It follows from the user and the layers, both in the key already.
        if !spec.env.iter().any(|e| e.starts_with("HOME=")) {
            let home = accounts.home(spec.user.uid);
            spec.env
                .push(format!("HOME={}", home.as_deref().unwrap_or("/")));
        }
        if let Some((target, text)) = &script {
            let file = scratch.path().join("script");
            std::fs::write(&file, text).map_err(BuildError::io(&file))?;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755))
                .map_err(BuildError::io(&file))?;
            spec.mounts.push(Mount::Bind {
                source: file,
                target: PathBuf::from(target),
                readonly: true,
                options: Default::default(),
            });
        }
        // Held until the step's processes are gone, then given back.
        let mut sandbox_net = None;
        spec.network = match &network {
            BuildNetwork::Fixed(n) => n.clone(),
            BuildNetwork::Sandbox => {
                let net = session
                    .sandboxes
                    .take(sandbox_use(&security))
                    .map_err(|e| ctx.fail(sandbox_failed(&e)))?;
                let n = Network::Userspace {
                    netns: net.netns().to_path_buf(),
                    resolv_conf: net.resolv_conf().to_path_buf(),
                };
                sandbox_net = Some(net);
                n
            }
        };
        let status = spawn_and_stream(session, ctx, &spec, &display);
        drop(sandbox_net);
        drop(locks);
        drop(ssh);
        remove_mountpoints(upper, &fs_view, &spec.mounts);
        status?;
        super::opaque::drop_idle_opaque_marks(upper, &fs_view).map_err(BuildError::io(upper))?;
        Ok(())
    })
}

/// Whether a step may change the namespace it is handed: only with
/// CAP_NET_ADMIN (addresses, routes, links, netfilter) or CAP_SYS_ADMIN
/// (it could remount /proc/sys writable and set sysctls). Without them
/// it gives the namespace back for the next step (ARCHITECTURE.md).
fn sandbox_use(security: &Security) -> StepCan {
    let caps = security.capabilities();
    let changes = [Capability::CAP_NET_ADMIN, Capability::CAP_SYS_ADMIN];
    if security.privileged || changes.iter().any(|c| caps.contains(c)) {
        StepCan::Change
    } else {
        StepCan::OnlyUse
    }
}

fn sandbox_failed(e: &strata_network::Error) -> String {
    match e {
        strata_network::Error::PastaMissing(_) => format!(
            "the step's network namespace: {e}; or build with --network host to run \
             the steps on the host's network"
        ),
        e => format!("the step's network namespace: {e}"),
    }
}

/// RUN's confinement: Docker's defaults (no_new_privs off, as BuildKit),
/// or privileged for `--security=insecure` when the build was allowed it.
fn security(session: &Session, ctx: &StepCtx, run: &Run) -> Result<Security, BuildError> {
    match run.security {
        Some(strata_parser::Security::Insecure) if session.opts.allow_insecure => {
            Ok(Security::privileged())
        }
        Some(strata_parser::Security::Insecure) => Err(ctx.fail(
            "RUN --security=insecure needs the security.insecure entitlement: \
             run strata build --allow security.insecure",
        )),
        Some(strata_parser::Security::Sandbox) | None => Ok(Security::default()),
    }
}

/// argv for the command, and the text shown for it in messages.
fn command_line(cmd: &Command, heredocs: &[Heredoc], shell: &[String]) -> (Vec<String>, String) {
    match cmd {
        Command::Exec(a) => (a.clone(), a.join(" ")),
        Command::Shell(s) => {
            let script = if heredocs.is_empty() {
                s.clone()
            } else if heredocs.len() == 1 && is_lone_marker(s) {
                // `RUN <<EOF`: the body is the script.
                heredocs[0].body()
            } else {
                // Heredocs feeding a command: hand the shell the whole text
                // and let it do the redirections.
                let mut text = s.clone();
                for h in heredocs {
                    text.push('\n');
                    text.push_str(&h.body());
                    text.push_str(&h.name);
                }
                text
            };
            let mut argv = shell.to_vec();
            argv.push(script.clone());
            (argv, script)
        }
    }
}

/// Whether the command is one heredoc marker and nothing else, by
/// BuildKit's rule (dockerfile2llb's dispatchRun asks
/// `parser.MustParseHeredoc` of the whole command line): optional fd
/// digits, `<<`, optional `-`, optional blanks, then a single shell word
/// without `<`. Only then is the body the script; `<<EOT bash`,
/// `python3 <<EOF` and the like go to the shell whole, so the command
/// they name reads the body.
fn is_lone_marker(s: &str) -> bool {
    let t = s.trim();
    let t = t.trim_start_matches(|c: char| c.is_ascii_digit());
    let Some(rest) = t.strip_prefix("<<") else {
        return false;
    };
    let rest = rest.strip_prefix('-').unwrap_or(rest).trim_start();
    !rest.is_empty() && !rest.contains('<') && is_one_word(rest)
}

/// No blank outside quotes: what a shell lexer reads as one word.
fn is_one_word(s: &str) -> bool {
    let mut quote = None;
    let mut escaped = false;
    for c in s.chars() {
        match (quote, c) {
            _ if escaped => escaped = false,
            (None, '\\') | (Some('"'), '\\') => escaped = true,
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, _) if c.is_whitespace() => return false,
            _ => {}
        }
    }
    true
}

fn spawn_and_stream(
    session: &Session,
    ctx: &StepCtx,
    spec: &RunSpec,
    display: &str,
) -> Result<(), BuildError> {
    let (read, write) = rustix::pipe::pipe().map_err(|e| ctx.fail(e))?;
    let write2 = write.try_clone().map_err(|e| ctx.fail(e))?;
    let running = Sandbox::spawn(
        spec,
        Stdio {
            stdin: None,
            stdout: Some(write),
            stderr: Some(write2),
        },
    )
    .map_err(|e| ctx.fail(e))?;
    let tail = Arc::new(Mutex::new(VecDeque::new()));
    let status = std::thread::scope(|s| {
        let tail = tail.clone();
        s.spawn(move || {
            let reader = BufReader::new(std::fs::File::from(read));
            for line in reader.split(b'\n').map_while(Result::ok) {
                let line = String::from_utf8_lossy(&line).into_owned();
                let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                if t.len() == TAIL_LINES {
                    t.pop_front();
                }
                t.push_back(line.clone());
                drop(t);
                session.events.emit(Event::StepOutput {
                    stage: ctx.stage,
                    step: ctx.step,
                    line,
                });
            }
        });
        running.wait()
    });
    let status = status.map_err(|e| ctx.fail(e))?;
    if status.success() {
        return Ok(());
    }
    let tail = tail
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .cloned()
        .collect();
    Err(BuildError::RunFailed {
        step: ctx.label(),
        line: ctx.line,
        column: ctx.column,
        command: display.to_string(),
        status: status.to_string(),
        tail,
    })
}

/// The executor mount for one `RUN --mount`; `None` when an optional
/// secret is absent.
fn sandbox_mount(
    session: &Session,
    ctx: &StepCtx,
    m: &strata_parser::Mount,
    scratch: &Path,
    workdir: &str,
    env: &mut Vec<String>,
    cache_dir: Option<&PathBuf>,
) -> Result<Option<Mount>, BuildError> {
    use strata_parser::Mount as M;
    let target_of = |t: &str| mount_target(t, workdir).map_err(|e| ctx.fail(e));
    Ok(Some(match m {
        M::Bind {
            target,
            source,
            from,
            rw,
        } => {
            let src = source.as_deref().unwrap_or(".");
            let host = match (from, rw) {
                (None, false) => {
                    let rel = resolve(&session.context, &clean_relative(src), true)?;
                    session
                        .context
                        .lstat(&rel)
                        .ok_or_else(|| ctx.fail(format!("bind mount source {src} not found")))?
                        .host
                }
                _ => {
                    // A stage's files, or writable context files: a private
                    // copy, so nothing the command writes survives the step.
                    let from_tree = source_tree(session, ctx, from.as_deref())?;
                    materialize(from_tree.as_ref(), src, scratch, ctx)?
                }
            };
            Mount::Bind {
                source: host,
                target: target_of(target)?,
                readonly: !rw,
                options: Default::default(),
            }
        }
        M::Cache { target, ro, .. } => {
            let dir = cache_dir
                .ok_or_else(|| ctx.fail(format!("cache mount {target} was not leased")))?;
            Mount::Bind {
                source: dir.clone(),
                target: target_of(target)?,
                readonly: *ro,
                options: Default::default(),
            }
        }
        M::Tmpfs { target, size } => Mount::Tmpfs {
            target: target_of(target)?,
            size: *size,
            options: Default::default(),
        },
        M::Secret {
            id,
            target,
            env: env_name,
            required,
            mode,
            uid,
            gid,
        } => {
            let id = super::secret_keys::secret_id(id, target, env_name);
            let Some(src) = session.opts.secrets.get(&id) else {
                if *required {
                    return Err(ctx.fail(format!(
                        "secret {id} is required but was not given (--secret id={id},src=...)"
                    )));
                }
                return Ok(None);
            };
            let content = std::fs::read(src).map_err(BuildError::io(src))?;
            if let Some(name) = env_name {
                env.push(format!("{name}={}", String::from_utf8_lossy(&content)));
                if target.is_none() {
                    return Ok(None);
                }
            }
            std::fs::create_dir_all(scratch).map_err(BuildError::io(scratch))?;
            let file = scratch.join("secret");
            std::fs::write(&file, &content).map_err(BuildError::io(&file))?;
            std::fs::set_permissions(
                &file,
                std::fs::Permissions::from_mode(mode.unwrap_or(0o400)),
            )
            .map_err(BuildError::io(&file))?;
            std::os::unix::fs::chown(&file, Some(uid.unwrap_or(0)), Some(gid.unwrap_or(0)))
                .map_err(BuildError::io(&file))?;
            Mount::Bind {
                source: file,
                target: target_of(target.as_deref().unwrap_or(&format!("/run/secrets/{id}")))?,
                readonly: true,
                options: Default::default(),
            }
        }
        // Relayed sockets, made by ssh_mount.rs for all of the step's.
        M::Ssh { .. } => return Ok(None),
    }))
}

/// Where a `--mount` lands: a relative target is under WORKDIR, as
/// BuildKit's dispatchRunMounts joins it (and docker does for secrets,
/// buildah since containers/buildah#4491); `/` itself cannot be a target.
fn mount_target(target: &str, workdir: &str) -> Result<PathBuf, String> {
    let abs = if target.starts_with('/') {
        clean(target)
    } else {
        clean(&format!("/{workdir}/{target}"))
    };
    if abs == "/" {
        return Err(format!("invalid mount target {target:?}"));
    }
    Ok(PathBuf::from(abs))
}

/// Copies `src` of a tree into `dir`, returning the host path to mount.
fn materialize(
    tree: &dyn Tree,
    src: &str,
    dir: &Path,
    ctx: &StepCtx,
) -> Result<PathBuf, BuildError> {
    std::fs::create_dir_all(dir).map_err(BuildError::io(dir))?;
    let rel = resolve(tree, &clean_relative(src), true)?;
    let node = tree
        .lstat(&rel)
        .ok_or_else(|| ctx.fail(format!("bind mount source {src} not found")))?;
    let dest = if node.meta.is_dir() {
        "/".to_string()
    } else {
        "/file".to_string()
    };
    let req = CopyRequest {
        sources: vec![rel],
        dest: dest.clone(),
        workdir: "/".into(),
        ..Default::default()
    };
    let empty = LayeredFs::default();
    let plan = copy::plan(tree, &empty, &req).map_err(|e| ctx.fail(e))?;
    copy::write(&plan, dir, &empty).map_err(|e| ctx.fail(e))?;
    Ok(if node.meta.is_dir() {
        dir.to_path_buf()
    } else {
        dir.join("file")
    })
}

/// The content digest of a bind mount's source, so that changing the
/// mounted files misses the cache as BuildKit does.
fn bind_source_digest(
    session: &Session,
    ctx: &StepCtx,
    source: Option<&str>,
    from: Option<&str>,
) -> Result<String, BuildError> {
    let tree = source_tree(session, ctx, from)?;
    let req = CopyRequest {
        sources: vec![source.unwrap_or(".").to_string()],
        dest: "/m/".into(),
        workdir: "/".into(),
        ..Default::default()
    };
    let empty = LayeredFs::default();
    let plan = copy::plan(tree.as_ref(), &empty, &req).map_err(|e| ctx.fail(e))?;
    let digest = plan.digest(&session.stat_cache).map_err(|e| ctx.fail(e))?;
    Ok(digest.to_string())
}

/// Where the sandbox mounts its own filesystems; created in the upper dir
/// when the image lacks them.
const SANDBOX_MOUNTPOINTS: &[&str] = &[
    "proc",
    "dev",
    "sys",
    "etc/hosts",
    "etc/hostname",
    "etc/resolv.conf",
];

/// Removes the mount points the sandbox had to create in the upper dir
/// (left empty): they belong to the mounts, not to the image.
fn remove_mountpoints(upper: &Path, image: &LayeredFs, mounts: &[Mount]) {
    let targets = mounts
        .iter()
        .map(|m| match m {
            Mount::Bind { target, .. } | Mount::Tmpfs { target, .. } => {
                target.to_string_lossy().into_owned()
            }
        })
        .chain(SANDBOX_MOUNTPOINTS.iter().map(|s| s.to_string()));
    for target in targets {
        let mut rel = clean_relative(&target);
        while rel != "." {
            if image.lstat(&rel).is_some() {
                break;
            }
            let host = upper.join(&rel);
            let removable = match std::fs::symlink_metadata(&host) {
                Ok(md) if md.is_dir() => std::fs::remove_dir(&host).is_ok(),
                Ok(md) if md.is_file() && md.len() == 0 => std::fs::remove_file(&host).is_ok(),
                _ => false,
            };
            if !removable {
                break;
            }
            rel = match rel.rsplit_once('/') {
                Some((p, _)) => p.to_string(),
                None => ".".to_string(),
            };
        }
    }
}

/// The step's network: its own `--network`, else the build's. The host's
/// only when asked twice, as BuildKit's `network.host` entitlement wants:
/// by the step and by the build (`--allow network.host`, or `--network
/// host`, which asks for it for every step).
fn step_network(session: &Session, ctx: &StepCtx, run: &Run) -> Result<BuildNetwork, BuildError> {
    match run.network {
        Some(NetworkMode::None) => Ok(BuildNetwork::Fixed(Network::None)),
        Some(NetworkMode::Host) if session.opts.allow_network_host => {
            Ok(BuildNetwork::Fixed(Network::Host))
        }
        Some(NetworkMode::Host) => Err(ctx.fail(
            "RUN --network=host needs the network.host entitlement: \
             run strata build --allow network.host",
        )),
        Some(NetworkMode::Default) | None => Ok(session.opts.network.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::is_lone_marker;

    #[test]
    fn only_a_marker_alone_makes_the_body_the_script() {
        for alone in [
            "<<EOT",
            "<<-EOT",
            "3<<EOT",
            "<<'EOT'",
            "<<\"E O T\"",
            " <<EOT ",
        ] {
            assert!(is_lone_marker(alone), "{alone:?}");
        }
        for with_words in [
            "<<EOT bash",
            "<<EOT bash -e",
            "python3 <<EOF",
            "<<A<<B",
            "<< EOT x",
        ] {
            assert!(!is_lone_marker(with_words), "{with_words:?}");
        }
    }
}
