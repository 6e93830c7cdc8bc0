//! CopyIgnoredFile: a COPY/ADD source from the build context that the
//! context's ignore rules exclude, so the build would not find it. The
//! parser reads no files: the caller says what is excluded.

use super::finding;
use crate::dockerfile::Dockerfile;
use crate::instruction::Instruction;
use crate::lint::Finding;

/// Whether a clean, context-relative path is excluded from the context.
pub type Excluded<'a> = &'a dyn Fn(&str) -> bool;

pub(in crate::lint) fn check(df: &Dockerfile, excluded: Excluded<'_>, out: &mut Vec<Finding>) {
    for stage in &df.stages_raw {
        for inst in &stage.instructions {
            let (verb, sources) = match &inst.value {
                // A source of another stage or image is not the context's.
                Instruction::Copy(c) if c.from.is_none() => ("Copy", &c.sources),
                Instruction::Add(a) => ("Add", &a.sources),
                _ => continue,
            };
            for src in sources {
                if is_remote(src) || src.contains('$') {
                    continue;
                }
                let Some(rel) = clean(src) else { continue };
                if excluded(&rel) {
                    out.push(finding(
                        "CopyIgnoredFile",
                        inst.line,
                        inst.column,
                        format!(
                            "Attempting to {verb} file {src:?} that is excluded by .dockerignore"
                        ),
                    ));
                }
            }
        }
    }
}

fn is_remote(src: &str) -> bool {
    src.contains("://") || src.starts_with("git@")
}

/// `./a//b/` -> `a/b`; the context root itself (`.`, `/`) is never
/// excluded as a whole.
fn clean(src: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for p in src.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(text: &str, excluded: &[&str]) -> Vec<(usize, String)> {
        let df = crate::parse(text).expect("parse");
        let mut out = Vec::new();
        check(&df, &|p| excluded.contains(&p), &mut out);
        out.into_iter().map(|f| (f.line, f.message)).collect()
    }

    #[test]
    fn an_excluded_context_source_is_reported_as_buildkit_words_it() {
        assert_eq!(
            findings(
                "FROM scratch\nCOPY ./tmp/helloworld.txt /h\nADD tmp/x.tar kept.txt /d/\n",
                &["tmp/helloworld.txt", "tmp/x.tar"],
            ),
            vec![
                (
                    2,
                    "Attempting to Copy file \"./tmp/helloworld.txt\" that is excluded by .dockerignore"
                        .to_string()
                ),
                (
                    3,
                    "Attempting to Add file \"tmp/x.tar\" that is excluded by .dockerignore"
                        .to_string()
                ),
            ]
        );
    }

    #[test]
    fn sources_not_from_the_context_are_not_checked() {
        assert!(
            findings(
                "FROM scratch AS a\nFROM scratch\nCOPY --from=a tmp/x /x\nADD https://e.com/tmp/x /x\nCOPY . /\nCOPY $V /v\n",
                &["tmp/x", "https:/e.com/tmp/x", "", "$V"],
            )
            .is_empty()
        );
    }
}
