//! UndefinedArgInFrom, InvalidDefaultArgInFrom, RedundantTargetPlatform,
//! FromPlatformFlagConstDisallowed: what global ARGs do to FROM lines.

use std::collections::{BTreeMap, BTreeSet};

use super::finding;
use crate::dockerfile::Dockerfile;
use crate::instruction::Instruction;
use crate::lint::Finding;
use crate::shell::Lexer;

const PLATFORM_ARGS: &[&str] = &[
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "BUILDOSVERSION",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "TARGETOSVERSION",
    "TARGETSTAGE",
];

/// A reference that cannot name an image: empty, blanks, or a dangling
/// `:`/`@` left by an empty variable.
fn invalid_reference(r: &str) -> bool {
    r.is_empty()
        || r.contains(char::is_whitespace)
        || r.ends_with([':', '@', '/'])
        || r.starts_with([':', '@', '/'])
        || r.contains("::")
        || r.contains(":@")
}

pub(super) fn check(df: &Dockerfile, out: &mut Vec<Finding>) {
    let lex = Lexer::new(df.escape);
    let mut declared: BTreeSet<String> = PLATFORM_ARGS.iter().map(|s| s.to_string()).collect();
    // Values with defaults only, as a build without --build-arg sees them.
    let mut defaults: BTreeMap<String, String> = PLATFORM_ARGS
        .iter()
        .map(|s| (s.to_string(), "x".to_string()))
        .collect();
    for l in &df.global_arg_lines {
        let Instruction::Arg(decls) = &l.value else {
            continue;
        };
        for d in decls {
            declared.insert(d.name.clone());
            if let Some(def) = &d.default
                && let Ok(e) = lex.expand(def, &defaults)
            {
                defaults.insert(d.name.clone(), e.word);
            }
        }
    }
    let declared_env: BTreeMap<String, String> = declared
        .iter()
        .map(|k| (k.clone(), String::new()))
        .collect();
    for s in &df.stages_raw {
        let f = &s.from;
        let (line, col) = (f.line, f.column);
        let mut texts = vec![f.value.image.as_str()];
        texts.extend(f.value.platform.as_deref());
        for t in texts {
            if let Ok(e) = lex.expand(t, &declared_env) {
                for name in e.unset {
                    out.push(finding(
                        "UndefinedArgInFrom",
                        line,
                        col,
                        format!("FROM argument '{name}' is not declared"),
                    ));
                }
            }
        }
        if f.value.image.contains('$')
            && let Ok(e) = lex.expand(&f.value.image, &defaults)
            && invalid_reference(&e.word)
        {
            out.push(finding(
                "InvalidDefaultArgInFrom",
                line,
                col,
                format!(
                    "Default value for ARG {} results in empty or invalid base image name",
                    f.value.image
                ),
            ));
        }
        let Some(p) = &f.value.platform else { continue };
        if p == "$TARGETPLATFORM" || p == "${TARGETPLATFORM}" {
            out.push(finding(
                "RedundantTargetPlatform",
                line,
                col,
                "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
            ));
        } else if !p.contains('$') {
            let name = s.name.clone().unwrap_or_default();
            let named_for_it = p
                .split('/')
                .any(|part| !part.is_empty() && name.contains(&part.to_ascii_lowercase()));
            if !named_for_it {
                out.push(finding(
                    "FromPlatformFlagConstDisallowed",
                    line,
                    col,
                    format!("FROM --platform flag should not use constant value \"{p}\""),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::invalid_reference;

    #[test]
    fn dangling_tags_are_invalid() {
        assert!(invalid_reference("alpine:"));
        assert!(invalid_reference(""));
        assert!(!invalid_reference("alpine:3.20"));
    }
}
