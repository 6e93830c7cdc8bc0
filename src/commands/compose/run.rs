//! `strata compose run [--rm] [-d] [-e K=V] [--entrypoint CMD] [--no-deps]
//! [-T] [--name N] [-P] [-p PORT] [-v VOL] SERVICE [CMD...]`: a one-off container of the
//! service, as docker compose makes it: named PROJECT-SERVICE-run-ID,
//! labelled `oneoff=True` with no container number (so `up` never takes it
//! for a replica), no published ports unless -P, no service-name alias on
//! the networks; the services it depends on are brought up first (as `up
//! -d` would), and strata exits with the command's code.

use std::io::{IsTerminal, Read};

use clap::{CommandFactory, Parser};
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
    let Some((mut project, model)) = super::project(args)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    let pull = r.pull.as_deref().filter(|p| *p != "policy");
    super::image_pull::apply(&mut project, pull, false, false);
    let project = project;
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
    let one = std::collections::BTreeSet::from([name.to_owned()]);
    let shown = super::image_pull::Shown::of(args, r.quiet_pull);
    super::image_pull::before_up(store, &project, &one, shown)?;
    super::build_jobs::build_services(
        store,
        &project,
        &[name.to_owned()],
        super::build::When::Needed,
        &super::build::Flags {
            progress: super::progress(args),
            ..Default::default()
        },
    )?;
    // With --no-deps (or none to start) no `up` made them.
    super::up::networks(store, &project)?;
    super::up::volumes(store, &project)?;
    let spec = service_args::Container {
        project: &project,
        service_name: name,
        service,
        number: 1,
        hash: "",
        anonymous: Default::default(),
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
    let grammar = RunLine::command();
    let mut words = flags.iter().skip(3);
    while let Some(flag) = words.next() {
        let value = if takes_value(&grammar, flag) {
            words.next()
        } else {
            None
        };
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

/// Whether `run`'s grammar gives the long flag a value (service_args.rs
/// writes every flag but -d long, a value as the next word).
fn takes_value(grammar: &clap::Command, flag: &str) -> bool {
    let long = flag.trim_start_matches("--");
    grammar
        .get_arguments()
        .find(|a| a.get_long() == Some(long))
        .is_none_or(|a| a.get_action().takes_values())
}

/// Twelve hex digits, as docker compose's one-off names end.
fn random_id() -> Result<String> {
    let mut bytes = [0u8; 6];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| miette!("read /dev/urandom: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use strata_compose::model::Project;

    fn oneoff(service: serde_json::Value, cli: &[&str]) -> Vec<String> {
        let project = Project::from_json(json!({
            "name": "proj",
            "services": {"svc": service},
            "networks": {"default": {"name": "proj_default"}},
        }))
        .unwrap();
        let svc = &project.services["svc"];
        let spec = service_args::Container {
            project: &project,
            service_name: "svc",
            service: svc,
            number: 1,
            hash: "h",
            anonymous: Default::default(),
        };
        #[derive(Parser)]
        struct Line {
            #[command(flatten)]
            run: ComposeRunArgs,
        }
        let r = Line::try_parse_from(std::iter::once("run").chain(cli.iter().copied()))
            .unwrap()
            .run;
        oneoff_argv(spec.argv().unwrap(), &r, "proj-svc-run-1", svc).unwrap()
    }

    fn after<'a>(argv: &'a [String], flag: &str) -> Vec<&'a str> {
        argv.windows(2)
            .filter(|w| w[0] == flag)
            .map(|w| w[1].as_str())
            .collect()
    }

    fn tail(argv: &[String]) -> Vec<&str> {
        let at = argv.iter().position(|a| a == "--").unwrap();
        argv[at + 1..].iter().map(String::as_str).collect()
    }

    #[test]
    fn a_one_off_has_no_number_ports_or_alias_and_switches_stay_alone() {
        let argv = oneoff(
            json!({
                "image": "bb:1",
                "init": true,
                "read_only": true,
                "ports": [{"target": 80, "published": "8080", "protocol": "tcp", "mode": "ingress"}],
                "networks": {"default": {"aliases": ["db"]}},
                "healthcheck": {"disable": true},
                "command": ["serve"],
            }),
            &["-e", "A=1", "svc"],
        );
        assert_eq!(after(&argv, "--name"), ["proj-svc-run-1"]);
        let labels = after(&argv, "--label");
        assert!(
            labels.contains(&"com.docker.compose.oneoff=True"),
            "{labels:?}"
        );
        assert!(!labels.iter().any(|l| l.contains("container-number")));
        assert!(after(&argv, "--publish").is_empty());
        assert!(after(&argv, "--network-alias").is_empty());
        assert_eq!(after(&argv, "--network"), ["proj_default"]);
        assert_eq!(after(&argv, "--env"), ["A=1"]);
        for switch in ["--init", "--read-only", "--no-healthcheck"] {
            assert!(argv.iter().any(|a| a == switch), "{switch}: {argv:?}");
        }
        assert_eq!(tail(&argv), ["bb:1", "serve"]);
    }

    #[test]
    fn the_command_replaces_the_services_and_a_new_entrypoint_drops_it() {
        let service = json!({"image": "bb:1", "entrypoint": ["sh", "-c"], "command": ["echo hi"]});
        let argv = oneoff(service.clone(), &["svc", "echo bye"]);
        assert_eq!(after(&argv, "--entrypoint"), ["sh"]);
        assert_eq!(tail(&argv), ["bb:1", "-c", "echo bye"]);
        let argv = oneoff(service.clone(), &["--entrypoint", "env -i", "svc"]);
        assert_eq!(after(&argv, "--entrypoint"), ["env"]);
        assert_eq!(tail(&argv), ["bb:1", "-i"]);
        let argv = oneoff(service, &["-P", "svc"]);
        assert_eq!(tail(&argv), ["bb:1", "-c", "echo hi"]);
    }
}
