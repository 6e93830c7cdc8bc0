//! `strata compose run [--rm] [-d] [-e K=V] [--entrypoint CMD] [--no-deps]
//! [-T] [--name N] [-P] [-p PORT] [-v VOL] SERVICE [CMD...]`: a one-off container of the
//! service, as docker compose makes it: named PROJECT-SERVICE-run-ID,
//! labelled `oneoff=True` with no container number (so `up` never takes it
//! for a replica), no published ports unless -P, no service-name alias on
//! the networks; the services it depends on are brought up first (as `up
//! -d` would), and strata exits with the command's code.

use std::io::{IsTerminal, Read};

use clap::Parser;
use miette::{Result, miette};
use strata_compose::model::Service;
use strata_store::Store;

use super::labels::{NUMBER, ONEOFF};
use super::service_args;
use crate::cli::{ComposeArgs, ComposeRunArgs, ComposeUpArgs, RunArgs};

#[derive(Parser)]
#[command(name = "run", no_binary_name = true)]
struct RunLine {
    #[command(flatten)]
    run: RunArgs,
}

pub fn run(store: &Store, args: &ComposeArgs, r: &ComposeRunArgs) -> Result<i32> {
    let Some((project, model)) = super::project(args)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    let name = r.service.as_str();
    let service = project
        .services
        .get(name)
        .ok_or_else(|| miette!("no such service: {name}"))?;
    if !r.no_deps {
        let deps = strata_compose::order::dependencies(&model["services"][name]);
        if !deps.is_empty() {
            let up = ComposeUpArgs {
                detach: true,
                services: deps.into_iter().collect(),
                ..ComposeUpArgs::default()
            };
            match super::up::run(store, args, &up)? {
                0 => {}
                code => return Ok(code),
            }
        }
    }
    super::build::build_if_needed(store, &project, name, service, false)?;
    // With --no-deps (or none to start) no `up` made them.
    super::up::networks(store, &project)?;
    super::up::volumes(store, &project)?;
    let spec = service_args::Container {
        project: &project,
        service_name: name,
        service,
        number: 1,
        hash: "",
    };
    let container_name = match &r.name {
        Some(n) => n.clone(),
        None => format!("{}-{name}-run-{}", project.name, random_id()?),
    };
    let argv = oneoff_argv(spec.argv()?, r, &container_name, service)?;
    let run_args = RunLine::try_parse_from(&argv)
        .map(|l| l.run)
        .map_err(|e| miette!("service {name}: {}", e.render()))?;
    if r.detach {
        let containers = crate::commands::containers::open(store)?;
        crate::commands::containers::run_detached(store, &containers, &run_args)?;
        println!("{container_name}");
        return Ok(0);
    }
    crate::commands::containers::run(store, &run_args)
}

/// The service's `run -d` flags made into the one-off's: attached (with a
/// terminal when ours is one, unless -T), its name, `oneoff=True` and no
/// number, no ports (unless -P) or aliases, -e and --entrypoint added, the
/// command replaced when one is given.
fn oneoff_argv(
    service_argv: Vec<String>,
    r: &ComposeRunArgs,
    name: &str,
    service: &Service,
) -> Result<Vec<String>> {
    let split = service_argv
        .iter()
        .position(|a| a == "--")
        .ok_or_else(|| miette!("service {}: no image in its flags", r.service))?;
    let (flags, rest) = service_argv.split_at(split);
    let image = rest
        .get(1)
        .ok_or_else(|| miette!("service {}: no image in its flags", r.service))?;
    let mut out: Vec<String> = vec!["--name".into(), name.to_owned(), "-i".into()];
    if r.rm {
        out.push("--rm".into());
    }
    if r.detach {
        out.push("-d".into());
    } else if !r.no_tty && std::io::stdin().is_terminal() {
        out.push("-t".into());
    }
    // The service's flags from -d/--name on are pairs or lone switches:
    // walk them, dropping what a one-off does not take.
    let mut words = flags.iter().skip(3).peekable();
    while let Some(flag) = words.next() {
        let takes_value = !matches!(
            flag.as_str(),
            "--read-only" | "--init" | "--privileged" | "--no-healthcheck"
        );
        let value = if takes_value { words.next() } else { None };
        let drop = match (flag.as_str(), value.map(String::as_str)) {
            ("--label", Some(v)) => v.starts_with(&format!("{NUMBER}=")),
            ("--publish", _) => !r.service_ports,
            ("--network-alias", _) => true,
            ("--entrypoint", _) => r.entrypoint.is_some(),
            _ => false,
        };
        if drop {
            continue;
        }
        out.push(flag.clone());
        if let Some(v) = value {
            if flag == "--label" && v == &format!("{ONEOFF}=False") {
                out.push(format!("{ONEOFF}=True"));
            } else {
                out.push(v.clone());
            }
        }
    }
    let extra = [
        ("--env", &r.env),
        ("--publish", &r.publish),
        ("--volume", &r.volumes),
    ];
    for (flag, values) in extra {
        for v in values {
            out.push(flag.into());
            out.push(v.clone());
        }
    }
    // After the image: a list entrypoint's tail, then the command. A new
    // entrypoint drops the service's command unless one is given (docker
    // compose's run resets it, as docker does an image's CMD).
    let mut command: Vec<String> = match &r.entrypoint {
        Some(ep) => {
            let words = strata_compose::shellwords::shell_split(ep)
                .map_err(|e| miette!("--entrypoint {ep:?}: {e}"))?;
            out.push("--entrypoint".into());
            out.push(words.first().cloned().unwrap_or_default());
            words.into_iter().skip(1).collect()
        }
        None => match service.entrypoint.as_deref() {
            Some([_, tail @ ..]) => tail.to_vec(),
            _ => Vec::new(),
        },
    };
    if !r.command.is_empty() {
        command.extend(r.command.iter().cloned());
    } else if r.entrypoint.is_none() {
        command.extend(service.command.iter().flatten().cloned());
    }
    out.push("--".into());
    out.push(image.clone());
    out.extend(command);
    Ok(out)
}

/// Twelve hex digits, as docker compose's one-off names end.
fn random_id() -> Result<String> {
    let mut bytes = [0u8; 6];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| miette!("read /dev/urandom: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
