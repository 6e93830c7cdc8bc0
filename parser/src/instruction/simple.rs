//! Instructions with no flags and simple argument shapes.

use super::{ArgDecl, Instruction, command, need_exactly_one, need_some, pairs, suggest_keyword};
use crate::ast::Node;

pub(super) fn parse(kw: &str, node: &Node, values: &[&str]) -> Result<Instruction, String> {
    let upper = kw.to_ascii_uppercase();
    Ok(match kw {
        "env" => {
            need_some(&upper, values)?;
            Instruction::Env(pairs(values))
        }
        "label" => {
            need_some(&upper, values)?;
            Instruction::Label(pairs(values))
        }
        "arg" => {
            need_some(&upper, values)?;
            let mut decls = Vec::new();
            for w in values {
                let decl = match w.split_once('=') {
                    Some(("", _)) => return Err("ARG names can not be blank".into()),
                    Some((n, v)) => ArgDecl {
                        name: n.to_string(),
                        default: Some(v.to_string()),
                    },
                    None => ArgDecl {
                        name: w.to_string(),
                        default: None,
                    },
                };
                decls.push(decl);
            }
            Instruction::Arg(decls)
        }
        "expose" => {
            need_some(&upper, values)?;
            Instruction::Expose(values.iter().map(|s| s.to_string()).collect())
        }
        "volume" => {
            need_some(&upper, values)?;
            if values.iter().any(|v| v.trim().is_empty()) {
                return Err("VOLUME specified can not be an empty string".into());
            }
            Instruction::Volume(values.iter().map(|s| s.to_string()).collect())
        }
        "user" => Instruction::User(need_exactly_one(&upper, values)?),
        "workdir" => Instruction::Workdir(need_exactly_one(&upper, values)?),
        "stopsignal" => Instruction::StopSignal(need_exactly_one(&upper, values)?),
        "maintainer" => Instruction::Maintainer(need_exactly_one(&upper, values)?),
        "cmd" => Instruction::Cmd(command(node, values)),
        "entrypoint" => Instruction::Entrypoint(command(node, values)),
        "shell" => {
            if !node.json {
                return Err("SHELL requires the arguments to be in JSON form".into());
            }
            need_some(&upper, values)?;
            Instruction::Shell(values.iter().map(|s| s.to_string()).collect())
        }
        _ => {
            let hint = suggest_keyword(&node.keyword)
                .map(|k| format!(" (did you mean {}?)", k.to_ascii_uppercase()))
                .unwrap_or_default();
            return Err(format!("unknown instruction: {}{hint}", node.keyword));
        }
    })
}
