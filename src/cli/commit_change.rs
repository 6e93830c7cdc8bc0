//! `commit -c INSTRUCTION` as a clap value: a Dockerfile instruction, of
//! those docker commit --change takes. A bad one is a usage error (exit 2).

use strata_parser::Instruction;

pub fn change_arg(text: &str) -> Result<Instruction, String> {
    let instr = strata_parser::parse_instruction(text).map_err(|e| format!("{text:?}: {e}"))?;
    match instr {
        Instruction::Cmd(_)
        | Instruction::Entrypoint(_)
        | Instruction::Env(_)
        | Instruction::Expose(_)
        | Instruction::Label(_)
        | Instruction::User(_)
        | Instruction::Workdir(_)
        | Instruction::Volume(_) => Ok(instr),
        other => Err(format!(
            "{} cannot be a change: use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR or VOLUME",
            other.keyword()
        )),
    }
}
