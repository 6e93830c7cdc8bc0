//! Dockerfile text to AST, parser directives, heredocs, word expansion and the
//! stage DAG. Pure: no I/O, no unsafe, so it can be fuzzed and reused.
//!
//! The layers follow BuildKit's frontend: [`ast`] (lines, continuations,
//! directives, heredocs: the node tree), [`instruction`] (typed instructions
//! with checked flags), [`shell`] (word expansion), [`plan`] (stages, ARG
//! scoping and the dependency DAG) and [`lint`] (build checks).

#![forbid(unsafe_code)]

pub mod ast;
pub mod directives;
mod dockerfile;
mod error;
mod goquote;
pub mod instruction;
pub mod lint;
pub mod plan;
pub mod shell;
pub mod size;

pub use ast::{Ast, Heredoc, Node, parse_ast};
pub use directives::Directives;
pub use dockerfile::{Dockerfile, Located, RawStage, parse, parse_instruction};
pub use error::ParseError;
pub use goquote::go_quote;
pub use instruction::{
    Add, ArgDecl, Command, Copy, From, Healthcheck, HealthcheckOptions, Instruction, Mount,
    NetworkMode, Onbuild, Run, RunDevice, Security, Sharing, parse_device,
};
pub use plan::{Base, Plan, PlanError, PlanOptions, Platform, Stage, plan};
pub use shell::{Env, ExpandError};
