//! Typed instructions: one struct per instruction, flags checked, argument
//! counts and values validated, errors in BuildKit's words.

mod canonical;
mod copy;
mod expand;
pub(crate) mod flags;
mod from;
mod health;
mod mount;
mod run;
mod run_device;
mod simple;

use serde::Serialize;

use crate::ast::{Arg, Heredoc, Node};

pub use copy::{Add, Copy};
pub use from::From;
pub use health::{Healthcheck, HealthcheckOptions};
pub use mount::{Mount, Sharing, parse_mount};
pub use run::{NetworkMode, Run, Security};
pub use run_device::{RunDevice, parse_device};

/// A command for RUN, CMD and ENTRYPOINT: exec form (JSON array, never
/// expanded) or shell form (one string handed to the SHELL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Command {
    Exec(Vec<String>),
    Shell(String),
}

/// `ARG name[=default]`; the default is kept as written (quotes included)
/// and expanded when the ARG is evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArgDecl {
    pub name: String,
    pub default: Option<String>,
}

/// ONBUILD: the trigger instruction and its text, as stored in image configs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Onbuild {
    pub trigger: Box<Instruction>,
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Instruction {
    From(From),
    Run(Run),
    Copy(Copy),
    Add(Add),
    /// Pairs in order; values as written until expanded.
    Env(Vec<(String, String)>),
    Arg(Vec<ArgDecl>),
    Label(Vec<(String, String)>),
    Expose(Vec<String>),
    Volume(Vec<String>),
    User(String),
    Workdir(String),
    Entrypoint(Command),
    Cmd(Command),
    Shell(Vec<String>),
    StopSignal(String),
    Healthcheck(Healthcheck),
    Onbuild(Onbuild),
    Maintainer(String),
}

impl Instruction {
    /// The instruction keyword in upper case.
    pub fn keyword(&self) -> &'static str {
        match self {
            Instruction::From(_) => "FROM",
            Instruction::Run(_) => "RUN",
            Instruction::Copy(_) => "COPY",
            Instruction::Add(_) => "ADD",
            Instruction::Env(_) => "ENV",
            Instruction::Arg(_) => "ARG",
            Instruction::Label(_) => "LABEL",
            Instruction::Expose(_) => "EXPOSE",
            Instruction::Volume(_) => "VOLUME",
            Instruction::User(_) => "USER",
            Instruction::Workdir(_) => "WORKDIR",
            Instruction::Entrypoint(_) => "ENTRYPOINT",
            Instruction::Cmd(_) => "CMD",
            Instruction::Shell(_) => "SHELL",
            Instruction::StopSignal(_) => "STOPSIGNAL",
            Instruction::Healthcheck(_) => "HEALTHCHECK",
            Instruction::Onbuild(_) => "ONBUILD",
            Instruction::Maintainer(_) => "MAINTAINER",
        }
    }
}

pub(crate) const KEYWORDS: &[&str] = &[
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

fn need_exactly_one(kw: &str, args: &[&str]) -> Result<String, String> {
    match args {
        [one] => Ok(one.to_string()),
        _ => Err(format!("{kw} requires exactly one argument")),
    }
}

fn need_some(kw: &str, args: &[&str]) -> Result<(), String> {
    if args.is_empty() {
        Err(format!("{kw} requires at least one argument"))
    } else {
        Ok(())
    }
}

fn no_flags(kw: &str, node: &Node) -> Result<(), String> {
    flags::parse_flags(&node.flags, &[])
        .map(|_| ())
        .map_err(|e| format!("{kw}: {e}"))
}

fn pairs(values: &[&str]) -> Vec<(String, String)> {
    values
        .chunks(3)
        .filter(|c| c.len() >= 2)
        .map(|c| (c[0].to_string(), c[1].to_string()))
        .collect()
}

fn command(node: &Node, values: &[&str]) -> Command {
    if node.json {
        Command::Exec(values.iter().map(|s| s.to_string()).collect())
    } else {
        Command::Shell(values.join(" "))
    }
}

/// Turns one AST node into a typed instruction.
pub fn from_node(node: &Node) -> Result<Instruction, String> {
    let kw = node.lower_keyword();
    let upper = kw.to_ascii_uppercase();
    let values = node.values();
    let heredocs: &[Heredoc] = &node.heredocs;
    Ok(match kw.as_str() {
        "from" => Instruction::From(from::parse(node, &values)?),
        "run" => Instruction::Run(run::parse(node, &values, heredocs)?),
        "copy" => Instruction::Copy(copy::parse_copy(node, &values, heredocs)?),
        "add" => Instruction::Add(copy::parse_add(node, &values, heredocs)?),
        "healthcheck" => Instruction::Healthcheck(health::parse(node, &values)?),
        "onbuild" => {
            no_flags(&upper, node)?;
            let Some(Arg::Node(child)) = node.args.first() else {
                return Err("ONBUILD requires at least one argument".into());
            };
            match child.lower_keyword().as_str() {
                "onbuild" => {
                    return Err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed".into());
                }
                k @ ("from" | "maintainer") => {
                    return Err(format!(
                        "{} isn't allowed as an ONBUILD trigger",
                        k.to_ascii_uppercase()
                    ));
                }
                _ => {}
            }
            let trigger = from_node(child)?;
            let mut raw = child.original.trim().to_string();
            for h in &child.heredocs {
                raw.push('\n');
                raw.push_str(&h.content);
                raw.push_str(&h.name);
            }
            Instruction::Onbuild(Onbuild {
                trigger: Box::new(trigger),
                raw,
            })
        }
        other => {
            no_flags(&upper, node)?;
            simple::parse(other, node, &values)?
        }
    })
}

/// The instruction keywords, for did-you-mean hints.
pub(crate) fn suggest_keyword(word: &str) -> Option<&'static str> {
    let lower = word.to_ascii_lowercase();
    KEYWORDS
        .iter()
        .copied()
        .filter(|k| flags::edit_distance(k, &lower) <= 2)
        .min_by_key(|k| flags::edit_distance(k, &lower))
}
