//! Hand-made broken Dockerfiles (testdata/broken/NAME.Dockerfile): `strata
//! check` rejects each with exactly the line in NAME.err, as
//! `FILE:LINE:COL: message`, then the source line and a caret; never a panic.

use std::path::PathBuf;
use std::process::Command;

fn broken_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/broken"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testdata/broken")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_broken_dockerfile_gives_one_located_error_with_a_caret() {
    let files = broken_files();
    assert!(files.len() >= 20, "only {} broken Dockerfiles", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let expected = std::fs::read_to_string(file.with_extension("err"))
            .expect("NAME.err beside NAME.Dockerfile");
        let out = Command::new(env!("CARGO_BIN_EXE_strata"))
            .arg("check")
            .arg(file)
            .output()
            .expect("running strata");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        let want = format!("{}:{}", file.display(), expected.trim_end());
        let line_no = expected.split(':').next().unwrap_or_default();
        let ok = out.status.code() == Some(1)
            && lines.first() == Some(&want.as_str())
            && lines
                .get(1)
                .is_some_and(|l| l.starts_with(&format!("{line_no} | ")))
            && lines.get(2).is_some_and(|l| l.trim_end().ends_with('^'))
            && lines.len() == 3;
        if !ok {
            failures.push(format!(
                "{}: exit {:?}\nwant: {want}\ngot:\n{stderr}",
                file.display(),
                out.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_caret_sits_under_the_reported_column() {
    let file = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/broken/indented_unknown_instruction.Dockerfile"
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["parse", "--format", "json"])
        .arg(&file)
        .output()
        .expect("running strata");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    let source_col = lines[1].find("WORKDIRR").expect("source line shown");
    assert_eq!(lines[2].find('^'), Some(source_col), "{stderr}");
}
