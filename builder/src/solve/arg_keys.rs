//! `build --cache-args=referenced` (moby/moby#20136): a RUN's key takes
//! only the build args its own text names, so a changed ARG that a step
//! never mentions no longer reruns it and every step after it.
//!
//! An arg is *referenced* when its name appears as a whole word (not inside
//! a longer name made of letters, digits and `_`) anywhere in the RUN's
//! command or in one of its heredoc bodies: `$X`, `${X}`, `${X:-d}`, but
//! also `printenv X` or a comment naming it, so the rule errs on the side
//! of keying too much. What it cannot see is a program that reads the
//! variable from its environment without the RUN naming it (a script file
//! run by name, a Makefile, `env | sort`): the arg is still in that step's
//! environment, but a change to it alone is a cache hit. Hence opt-in.
//!
//! ENV variables (and args an ENV of the same name shadows) are part of the
//! image config and stay in every key, as do mount specs, which are
//! expanded before they are keyed.

use std::collections::BTreeMap;

use strata_parser::{Command, Run};

/// Which build args a RUN's key takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CacheArgs {
    /// Every arg in scope (BuildKit's behaviour).
    #[default]
    All,
    /// Only those its text references.
    Referenced,
}

impl std::str::FromStr for CacheArgs {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "all" => Ok(Self::All),
            "referenced" => Ok(Self::Referenced),
            other => Err(format!(
                "--cache-args must be all or referenced, not {other:?}"
            )),
        }
    }
}

/// Removes from `key_env` the build args in `args` that `run` does not
/// reference and that no ENV in `env_names` shadows.
pub(super) fn drop_unreferenced(
    key_env: &mut BTreeMap<String, String>,
    run: &Run,
    args: &[(String, String)],
    env_names: &[String],
) {
    let texts = texts(run);
    for (name, _) in args {
        if env_names.contains(name) {
            continue;
        }
        if !texts.iter().any(|t| names_word(t, name)) {
            key_env.remove(name);
        }
    }
}

fn texts(run: &Run) -> Vec<&str> {
    let mut out: Vec<&str> = match &run.command {
        Command::Shell(s) => vec![s.as_str()],
        Command::Exec(argv) => argv.iter().map(String::as_str).collect(),
    };
    out.extend(run.heredocs.iter().map(|h| h.content.as_str()));
    out
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `name` occurs in `text` with no name character either side.
fn names_word(text: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(is_name_char) && !after.is_some_and(is_name_char)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_counts_only_as_a_whole_word() {
        for yes in [
            "echo $V",
            "echo ${V}",
            "echo ${V:-x}",
            "printenv V",
            "a=\"$V\"",
        ] {
            assert!(names_word(yes, "V"), "{yes}");
        }
        for no in ["echo $VERSION", "echo $MY_V", "echo V2", "echo hi"] {
            assert!(!names_word(no, "V"), "{no}");
        }
    }

    #[test]
    fn unreferenced_args_leave_the_key_and_env_stays() {
        let run = match strata_parser::parse_instruction("RUN echo $USED") {
            Ok(strata_parser::Instruction::Run(r)) => r,
            other => panic!("not a RUN: {other:?}"),
        };
        let args: Vec<(String, String)> = ["USED", "UNUSED", "SHADOWED"]
            .iter()
            .map(|n| (n.to_string(), "1".to_string()))
            .collect();
        let mut key_env: BTreeMap<String, String> = args.iter().cloned().collect();
        key_env.insert("PATH".into(), "/bin".into());
        drop_unreferenced(&mut key_env, &run, &args, &["SHADOWED".to_string()]);
        assert_eq!(
            key_env.keys().collect::<Vec<_>>(),
            ["PATH", "SHADOWED", "USED"]
        );
        assert_eq!("referenced".parse(), Ok(CacheArgs::Referenced));
        assert!("some".parse::<CacheArgs>().is_err());
    }
}
