//! `created_by` history text as BuildKit's Dockerfile frontend writes it.

use strata_parser::{Command, Instruction, go_quote};

fn quoted_list(items: &[String]) -> String {
    let q: Vec<String> = items.iter().map(|s| go_quote(s)).collect();
    format!("[{}]", q.join(" "))
}

fn pairs(p: &[(String, String)]) -> String {
    p.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `created_by` for an expanded instruction. `shell` is the stage's shell;
/// `run_args` the build args a RUN sees (BuildKit prefixes them as `|N`).
pub fn created_by(
    inst: &Instruction,
    original: &str,
    shell: &[String],
    run_args: &[(String, String)],
) -> String {
    match inst {
        Instruction::Run(run) => {
            let cmd = match &run.command {
                Command::Exec(args) => args.join(" "),
                Command::Shell(s) => format!("{} {s}", shell.join(" ")),
            };
            let prefix = if run_args.is_empty() {
                String::new()
            } else {
                format!("|{} {} ", run_args.len(), pairs(run_args))
            };
            format!("RUN {prefix}{cmd} # buildkit")
        }
        Instruction::Copy(_) | Instruction::Add(_) => {
            let body = original
                .split_once(char::is_whitespace)
                .map_or("", |x| x.1)
                .trim();
            format!("{} {body} # buildkit", inst.keyword())
        }
        Instruction::Env(p) => format!("ENV {}", pairs(p)),
        Instruction::Label(p) => format!("LABEL {}", pairs(p)),
        Instruction::Arg(decls) => {
            let parts: Vec<String> = decls
                .iter()
                .map(|d| match &d.default {
                    Some(v) => format!("{}={v}", d.name),
                    None => d.name.clone(),
                })
                .collect();
            format!("ARG {}", parts.join(" "))
        }
        Instruction::Expose(ports) => {
            let items: Vec<String> = ports.iter().map(|p| format!("{p}:{{}}")).collect();
            format!("EXPOSE map[{}]", items.join(" "))
        }
        Instruction::Volume(v) => format!("VOLUME [{}]", v.join(" ")),
        Instruction::User(u) => format!("USER {u}"),
        Instruction::Workdir(w) => format!("WORKDIR {w}"),
        Instruction::Cmd(c) | Instruction::Entrypoint(c) => {
            let list = match c {
                Command::Exec(a) => a.clone(),
                Command::Shell(s) => {
                    let mut v = shell.to_vec();
                    v.push(s.clone());
                    v
                }
            };
            format!("{} {}", inst.keyword(), quoted_list(&list))
        }
        Instruction::Shell(s) => format!("SHELL [{}]", s.join(" ")),
        Instruction::StopSignal(s) => format!("STOPSIGNAL {s}"),
        Instruction::Onbuild(o) => format!("ONBUILD {}", o.raw),
        Instruction::Maintainer(m) => format!("MAINTAINER {m}"),
        Instruction::Healthcheck(_) | Instruction::From(_) => original.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_parser::parse_instruction;

    fn cb(line: &str, args: &[(String, String)]) -> String {
        let inst = parse_instruction(line).unwrap();
        created_by(&inst, line, &["/bin/sh".into(), "-c".into()], args)
    }

    #[test]
    fn buildkit_spellings() {
        assert_eq!(cb("RUN echo hi", &[]), "RUN /bin/sh -c echo hi # buildkit");
        assert_eq!(
            cb("RUN echo $A", &[("A".into(), "1".into())]),
            "RUN |1 A=1 /bin/sh -c echo $A # buildkit"
        );
        assert_eq!(cb(r#"CMD ["a", "b c"]"#, &[]), r#"CMD ["a" "b c"]"#);
        assert_eq!(cb("CMD echo hi", &[]), r#"CMD ["/bin/sh" "-c" "echo hi"]"#);
        assert_eq!(
            cb("COPY --chown=1 a b", &[]),
            "COPY --chown=1 a b # buildkit"
        );
        assert_eq!(cb("ENV A=1 B=2", &[]), "ENV A=1 B=2");
    }
}
