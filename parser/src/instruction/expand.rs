//! Build-time expansion: exactly the fields BuildKit expands for each
//! instruction. Exec-form commands, RUN/CMD/ENTRYPOINT shell strings, COPY
//! `--from`, `--exclude`, `--network` and `--security` are left alone.

use super::mount::{csv_fields, parse_mount};
use super::{Add, ArgDecl, Copy, Instruction, Run};
use crate::ast::Heredoc;
use crate::shell::{Env, ExpandError, Lexer, expand, expand_words};

fn opt(v: &Option<String>, env: &dyn Env, escape: char) -> Result<Option<String>, ExpandError> {
    v.as_ref().map(|s| expand(s, env, escape)).transpose()
}

fn all(v: &[String], env: &dyn Env, escape: char) -> Result<Vec<String>, ExpandError> {
    v.iter().map(|s| expand(s, env, escape)).collect()
}

fn pairs(
    v: &[(String, String)],
    env: &dyn Env,
    escape: char,
) -> Result<Vec<(String, String)>, ExpandError> {
    v.iter()
        .map(|(k, val)| Ok((expand(k, env, escape)?, expand(val, env, escape)?)))
        .collect()
}

/// COPY/ADD heredoc bodies: variables only, quotes kept as written.
fn heredocs(v: &[Heredoc], env: &dyn Env, escape: char) -> Result<Vec<Heredoc>, ExpandError> {
    let mut lex = Lexer::new(escape);
    lex.skip_process_quotes = true;
    v.iter()
        .map(|h| {
            let mut h = h.clone();
            if h.expand {
                h.content = lex.expand(&h.content, env)?.word;
            }
            Ok(h)
        })
        .collect()
}

/// Expands every field value of a `--mount` spec except `from`.
fn mount_spec(spec: &str, env: &dyn Env, escape: char) -> Result<String, ExpandError> {
    let fields = csv_fields(spec).map_err(ExpandError::Invalid)?;
    let mut out = Vec::new();
    for f in fields {
        let expanded = match f.split_once('=') {
            Some((k, v)) if !k.trim().eq_ignore_ascii_case("from") => {
                format!("{k}={}", expand(v, env, escape)?)
            }
            _ => f,
        };
        out.push(if expanded.contains([',', '"']) {
            format!("\"{}\"", expanded.replace('"', "\"\""))
        } else {
            expanded
        });
    }
    Ok(out.join(","))
}

impl Instruction {
    /// This instruction with its expandable fields expanded against `env`.
    pub fn expand(&self, env: &dyn Env, escape: char) -> Result<Instruction, ExpandError> {
        let e = escape;
        Ok(match self {
            Instruction::Env(p) => Instruction::Env(pairs(p, env, e)?),
            Instruction::Label(p) => Instruction::Label(pairs(p, env, e)?),
            Instruction::Arg(decls) => Instruction::Arg(
                decls
                    .iter()
                    .map(|d| {
                        Ok(ArgDecl {
                            name: d.name.clone(),
                            default: opt(&d.default, env, e)?,
                        })
                    })
                    .collect::<Result<_, ExpandError>>()?,
            ),
            Instruction::Expose(ports) => {
                let mut out = Vec::new();
                for p in ports {
                    out.extend(expand_words(p, env, e)?);
                }
                Instruction::Expose(out)
            }
            Instruction::Volume(v) => Instruction::Volume(all(v, env, e)?),
            Instruction::User(s) => Instruction::User(expand(s, env, e)?),
            Instruction::Workdir(s) => Instruction::Workdir(expand(s, env, e)?),
            Instruction::StopSignal(s) => Instruction::StopSignal(expand(s, env, e)?),
            Instruction::From(f) => {
                let mut f = f.clone();
                f.image = expand(&f.image, env, e)?;
                f.platform = opt(&f.platform, env, e)?;
                Instruction::From(f)
            }
            Instruction::Copy(c) => Instruction::Copy(Copy {
                sources: all(&c.sources, env, e)?,
                dest: expand(&c.dest, env, e)?,
                chown: opt(&c.chown, env, e)?,
                chmod: opt(&c.chmod, env, e)?,
                heredocs: heredocs(&c.heredocs, env, e)?,
                ..c.clone()
            }),
            Instruction::Add(a) => Instruction::Add(Add {
                sources: all(&a.sources, env, e)?,
                dest: expand(&a.dest, env, e)?,
                chown: opt(&a.chown, env, e)?,
                chmod: opt(&a.chmod, env, e)?,
                checksum: opt(&a.checksum, env, e)?,
                heredocs: heredocs(&a.heredocs, env, e)?,
                ..a.clone()
            }),
            Instruction::Run(r) => {
                let specs = r
                    .mount_specs
                    .iter()
                    .map(|s| mount_spec(s, env, e))
                    .collect::<Result<Vec<_>, _>>()?;
                let mounts = specs
                    .iter()
                    .map(|s| parse_mount(s).map_err(ExpandError::Invalid))
                    .collect::<Result<Vec<_>, _>>()?;
                Instruction::Run(Run {
                    mounts,
                    mount_specs: specs,
                    ..r.clone()
                })
            }
            other => other.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::instruction::{Command, Instruction, Mount};
    use crate::parse_instruction;

    fn env() -> BTreeMap<String, String> {
        [("A", "x"), ("U", "1000")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn env_values_expand_and_lose_quotes() {
        let i = parse_instruction("ENV B=\"$A y\" C=${A:-z}").unwrap();
        assert_eq!(
            i.expand(&env(), '\\').unwrap(),
            Instruction::Env(vec![("B".into(), "x y".into()), ("C".into(), "x".into())])
        );
    }

    #[test]
    fn run_command_is_left_alone_but_mounts_expand() {
        let i = parse_instruction("RUN --mount=type=cache,target=/c/$A,uid=$U echo $A").unwrap();
        let Instruction::Run(r) = i.expand(&env(), '\\').unwrap() else {
            panic!("not RUN")
        };
        assert_eq!(r.command, Command::Shell("echo $A".into()));
        let Mount::Cache { target, uid, .. } = &r.mounts[0] else {
            panic!("not cache")
        };
        assert_eq!((target.as_str(), *uid), ("/c/x", Some(1000)));
    }

    #[test]
    fn copy_from_is_not_expanded() {
        let i = parse_instruction("COPY --from=$A $A /d/").unwrap();
        let Instruction::Copy(c) = i.expand(&env(), '\\').unwrap() else {
            panic!("not COPY")
        };
        assert_eq!(
            (c.from.as_deref(), c.sources[0].as_str()),
            (Some("$A"), "x")
        );
    }
}
