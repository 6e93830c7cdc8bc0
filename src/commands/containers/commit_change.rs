//! `commit -c`: the parsed instructions turned into config changes, their
//! words expanded against the image's environment (and the ENV changes
//! before them), as docker's commit dispatches them.

use miette::{Result, miette};
use strata_containers::ConfigChange;
use strata_parser::{Command, Instruction};

const ESCAPE: char = '\\';

pub fn changes(given: &[Instruction], image_env: &[String]) -> Result<Vec<ConfigChange>> {
    let mut env: Vec<(String, String)> = image_env
        .iter()
        .filter_map(|e| e.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    let mut out = Vec::new();
    for instr in given {
        let word = |w: &str, env: &Vec<(String, String)>| {
            strata_parser::shell::expand(w, env, ESCAPE)
                .map_err(|e| miette!("-c {}: {w:?}: {e}", instr.keyword()))
        };
        let change = match instr {
            Instruction::Cmd(c) => ConfigChange::Cmd(argv(c)),
            Instruction::Entrypoint(c) => ConfigChange::Entrypoint(argv(c)),
            Instruction::Env(pairs) => {
                let mut set = Vec::new();
                for (k, v) in pairs {
                    let v = word(v, &env)?;
                    env.retain(|(ek, _)| ek != k);
                    env.push((k.clone(), v.clone()));
                    set.push((k.clone(), v));
                }
                ConfigChange::Env(set)
            }
            Instruction::Label(pairs) => ConfigChange::Label(
                pairs
                    .iter()
                    .map(|(k, v)| Ok((word(k, &env)?, word(v, &env)?)))
                    .collect::<Result<_>>()?,
            ),
            Instruction::Expose(ports) => {
                let mut specs = Vec::new();
                for p in ports {
                    specs.extend(port_specs(&word(p, &env)?)?);
                }
                ConfigChange::Expose(specs)
            }
            Instruction::User(u) => ConfigChange::User(word(u, &env)?),
            Instruction::Workdir(d) => ConfigChange::Workdir(word(d, &env)?),
            Instruction::Volume(v) => {
                ConfigChange::Volume(v.iter().map(|p| word(p, &env)).collect::<Result<_>>()?)
            }
            other => return Err(miette!("-c {}: not a config change", other.keyword())),
        };
        out.push(change);
    }
    Ok(out)
}

/// Exec form as written; shell form through /bin/sh -c, as a build does.
fn argv(c: &Command) -> Vec<String> {
    match c {
        Command::Exec(v) => v.clone(),
        Command::Shell(s) => vec!["/bin/sh".to_owned(), "-c".to_owned(), s.clone()],
    }
}

/// `80`, `53/udp`, `9000-9001/tcp` as the config's `PORT/PROTO` keys.
fn port_specs(spec: &str) -> Result<Vec<String>> {
    let bad = || miette!("-c EXPOSE {spec:?}: expected PORT[-PORT][/tcp|udp|sctp]");
    let (range, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
    let proto = proto.to_ascii_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(bad());
    }
    let (lo, hi) = range.split_once('-').unwrap_or((range, range));
    let lo: u16 = lo.parse().map_err(|_| bad())?;
    let hi: u16 = hi.parse().map_err(|_| bad())?;
    if lo > hi {
        return Err(bad());
    }
    Ok((lo..=hi).map(|p| format!("{p}/{proto}")).collect())
}
