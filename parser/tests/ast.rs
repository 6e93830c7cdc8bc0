//! The line layer: node line spans, heredocs, directives, escape char,
//! CRLF and BOM, and the typed instructions built on it.

use strata_parser::{Command, Instruction, Mount, parse, parse_ast, parse_instruction};

#[test]
fn node_line_spans_match_buildkit_testfile_line() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/conformance/buildkit/parser/testfile-line/Dockerfile"
    );
    let text = std::fs::read_to_string(path).expect("testfile-line");
    let ast = parse_ast(&text).expect("parses");
    let spans: Vec<(usize, usize)> = ast
        .nodes
        .iter()
        .map(|n| (n.start_line, n.end_line))
        .collect();
    assert_eq!(spans, vec![(5, 5), (11, 12), (17, 31)]);
    assert_eq!(ast.warnings.len(), 1, "one empty continuation warning");
}

#[test]
fn heredocs_are_read_with_their_bodies() {
    let text = "FROM a\nRUN <<EOF\necho $HOME\nEOF\nCOPY <<-\"ONE\" <<TWO /dst/\n\tx\n\tONE\ny\nTWO\nRUN echo done\n";
    let ast = parse_ast(text).expect("parses");
    assert_eq!(ast.nodes.len(), 4);
    let run = &ast.nodes[1];
    assert_eq!(run.heredocs[0].content, "echo $HOME\n");
    assert!(run.heredocs[0].expand);
    let copy = &ast.nodes[2];
    assert_eq!((copy.start_line, copy.end_line), (5, 9));
    assert_eq!(copy.heredocs[0].name, "ONE");
    assert!(copy.heredocs[0].chomp && !copy.heredocs[0].expand);
    assert_eq!(copy.heredocs[1].content, "y\n");
    assert_eq!(ast.nodes[3].start_line, 10);
}

#[test]
fn heredoc_sources_are_separated_from_paths() {
    let i = parse_instruction("COPY <<EOF file /dst/\nhello\nEOF").expect("parses");
    let Instruction::Copy(c) = i else {
        panic!("not COPY")
    };
    assert_eq!(c.sources, vec!["file"]);
    assert_eq!(c.heredocs[0].content, "hello\n");
}

#[test]
fn heredocs_are_not_recognised_in_json_or_other_instructions() {
    let ast = parse_ast("FROM a\nRUN [\"<<EOF\"]\nUSER <<EOF\n").expect("parses");
    assert!(ast.nodes.iter().all(|n| n.heredocs.is_empty()));
}

#[test]
fn backtick_escape_directive_changes_continuations() {
    let ast = parse_ast("# escape=`\nFROM a\nRUN dir c:\\ `\n  /w\n").expect("parses");
    assert_eq!(ast.escape, '`');
    assert_eq!(ast.nodes[1].values(), vec!["dir c:\\   /w"]);
}

#[test]
fn directives_after_a_comment_are_plain_comments() {
    let ast = parse_ast("# hello\n# escape=`\nFROM a\n").expect("parses");
    assert_eq!(ast.escape, '\\');
    assert!(ast.directives.escape.is_none());
}

#[test]
fn syntax_and_check_directives_are_kept() {
    let df = parse("# syntax=docker/dockerfile:1\n# check=skip=all\nFROM a\n").expect("parses");
    assert_eq!(
        df.directives.syntax.expect("syntax").value,
        "docker/dockerfile:1"
    );
    assert_eq!(df.directives.check.expect("check").value, "skip=all");
}

#[test]
fn crlf_and_bom_are_tolerated() {
    let ast = parse_ast("\u{feff}FROM a\r\nRUN x \\\r\n  y\r\n").expect("parses");
    assert_eq!(ast.nodes[1].values(), vec!["x   y"]);
}

#[test]
fn exec_and_shell_forms() {
    assert_eq!(
        parse_instruction("CMD [\"a\", \"b\"]").expect("parses"),
        Instruction::Cmd(Command::Exec(vec!["a".into(), "b".into()]))
    );
    // Invalid JSON falls back to the shell form, as in BuildKit.
    assert_eq!(
        parse_instruction("CMD ['a']").expect("parses"),
        Instruction::Cmd(Command::Shell("['a']".into()))
    );
}

#[test]
fn run_flags_are_typed() {
    let i = parse_instruction(
        "RUN --network=none --security=insecure --mount=type=secret,id=tok,env=TOKEN true",
    )
    .expect("parses");
    let Instruction::Run(r) = i else {
        panic!("not RUN")
    };
    assert_eq!(r.network, Some(strata_parser::NetworkMode::None));
    assert_eq!(r.security, Some(strata_parser::Security::Insecure));
    assert!(
        matches!(&r.mounts[0], Mount::Secret { id: Some(id), env: Some(e), .. } if id == "tok" && e == "TOKEN")
    );
}

#[test]
fn onbuild_keeps_the_trigger_and_its_text() {
    let Instruction::Onbuild(o) = parse_instruction("ONBUILD RUN echo hi").expect("parses") else {
        panic!("not ONBUILD")
    };
    assert_eq!(o.raw, "RUN echo hi");
    assert_eq!(
        *o.trigger,
        Instruction::Run(match parse_instruction("RUN echo hi") {
            Ok(Instruction::Run(r)) => r,
            other => panic!("{other:?}"),
        })
    );
    assert!(parse_instruction("ONBUILD ONBUILD RUN x").is_err());
}

#[test]
fn healthcheck_options_are_durations() {
    let Instruction::Healthcheck(strata_parser::Healthcheck::Check(h)) =
        parse_instruction("HEALTHCHECK --interval=1m30s --retries=2 CMD curl -f localhost")
            .expect("parses")
    else {
        panic!("not a check")
    };
    assert_eq!(h.interval, Some(std::time::Duration::from_secs(90)));
    assert_eq!(h.retries, Some(2));
    assert_eq!(h.test, Command::Shell("curl -f localhost".into()));
    assert!(parse_instruction("HEALTHCHECK --interval=10us CMD x").is_err());
}

#[test]
fn very_long_lines_are_rejected_not_crashed_on() {
    let text = format!("FROM a\nRUN {}\n", "x".repeat(70_000));
    let err = parse_ast(&text).expect_err("too long");
    assert_eq!(err.line, 2);
}
