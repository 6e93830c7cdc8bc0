//! JSONArgsRecommended, MaintainerDeprecated, LegacyKeyValueFormat,
//! SecretsUsedInArgOrEnv, ExposeProtoCasing, ExposeInvalidFormat.

use super::finding;
use crate::dockerfile::Dockerfile;
use crate::instruction::{Command, Instruction};
use crate::lint::Finding;

const SECRET_WORDS: &[&str] = &[
    "apikey",
    "auth",
    "credential",
    "credentials",
    "key",
    "password",
    "pass",
    "pwd",
    "secret",
    "token",
];

/// A name made of `_`-separated words with a secret-sounding one and no
/// `public` one (so `PUBLIC_KEY` and `GPG_KEY_FILE`-like names are spared).
pub(crate) fn looks_secret(name: &str) -> bool {
    let words: Vec<String> = name.split('_').map(str::to_ascii_lowercase).collect();
    words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
        && !words
            .iter()
            .any(|w| w == "public" || w == "file" || w == "path" || w == "id")
}

pub(super) fn check(df: &Dockerfile, out: &mut Vec<Finding>) {
    for n in &df.ast.nodes {
        let kw = n.lower_keyword();
        if (kw == "env" || kw == "label") && n.values().get(2) == Some(&"") {
            let up = kw.to_ascii_uppercase();
            out.push(finding(
                "LegacyKeyValueFormat",
                n.start_line,
                n.column,
                format!(
                    "\"{up} key=value\" should be used instead of legacy \"{up} key value\" format"
                ),
            ));
        }
    }
    let all = df
        .global_arg_lines
        .iter()
        .chain(df.stages_raw.iter().flat_map(|s| s.instructions.iter()));
    for i in all {
        let (line, col) = (i.line, i.column);
        match &i.value {
            Instruction::Cmd(Command::Shell(_)) | Instruction::Entrypoint(Command::Shell(_)) => {
                out.push(finding(
                    "JSONArgsRecommended",
                    line,
                    col,
                    format!(
                        "JSON arguments recommended for {} to prevent unintended behavior related to OS signals",
                        i.value.keyword()
                    ),
                ));
            }
            Instruction::Maintainer(_) => out.push(finding(
                "MaintainerDeprecated",
                line,
                col,
                "MAINTAINER instruction is deprecated in favor of using label",
            )),
            Instruction::Arg(decls) => {
                for d in decls.iter().filter(|d| looks_secret(&d.name)) {
                    out.push(secret(line, col, "ARG", &d.name));
                }
            }
            Instruction::Env(pairs) => {
                for (k, _) in pairs.iter().filter(|(k, _)| looks_secret(k)) {
                    out.push(secret(line, col, "ENV", k));
                }
            }
            Instruction::Expose(ports) => {
                for p in ports {
                    if p.matches(':').count() >= 1 && !p.contains('$') {
                        out.push(finding(
                            "ExposeInvalidFormat",
                            line,
                            col,
                            format!("EXPOSE instruction should not define an IP address or host-port mapping, found '{p}'"),
                        ));
                    }
                    if let Some((_, proto)) = p.split_once('/')
                        && proto != proto.to_ascii_lowercase()
                    {
                        out.push(finding(
                            "ExposeProtoCasing",
                            line,
                            col,
                            format!(
                                "Defined protocol '{p}' in EXPOSE instruction should be lowercase"
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
}

fn secret(line: usize, col: usize, kw: &str, name: &str) -> Finding {
    finding(
        "SecretsUsedInArgOrEnv",
        line,
        col,
        format!("Do not use ARG or ENV instructions for sensitive data ({kw} \"{name}\")"),
    )
}

#[cfg(test)]
mod tests {
    use super::looks_secret;

    #[test]
    fn secret_names() {
        assert!(looks_secret("AWS_SECRET_ACCESS_KEY"));
        assert!(looks_secret("GITHUB_TOKEN"));
        assert!(!looks_secret("PUBLIC_KEY"));
        assert!(!looks_secret("MONKEY"));
    }
}
