//! Every way `strata build` fails, as a table: the input, what stderr
//! says, and the exit code. An error about the Dockerfile is shown as
//! `strata check` shows one: `FILE:LINE:COL: message`, then the line and a
//! caret under the column; a failed RUN names the file and line too. A
//! malformed flag value (--secret, --output, --compression, --platform,
//! --build-arg, -t, --cache-to, --source-modes, --cache-args,
//! --build-context, --annotation, --label) is a usage error and exits 2,
//! before anything is built; a failed build exits 1.
//! malformed flag value (--secret, --ssh, --add-host, --shm-size, --ulimit,
//! --output, --compression, --platform, --build-arg, -t, --cache-to) is a
//! usage error and exits 2, before anything is built; a failed build
//! exits 1.

mod support;

use std::fs;
use std::path::Path;

use support::cli::{run, stderr};
use support::env::Env;

/// Where the error points: line, column, and that line's text.
struct Place {
    line: usize,
    column: usize,
    text: &'static str,
}

struct Case {
    name: &'static str,
    dockerfile: &'static str,
    /// `{dir}` is replaced by a directory of this case's own.
    flags: &'static [&'static str],
    code: i32,
    place: Option<Place>,
    says: &'static [&'static str],
}

const fn at(line: usize, column: usize, text: &'static str) -> Option<Place> {
    Some(Place { line, column, text })
}

const SIMPLE: &str = "FROM busybox\nRUN true\n";

fn cases() -> Vec<Case> {
    vec![
        // The Dockerfile.
        Case {
            name: "parse error: an unknown flag",
            dockerfile: "FROM busybox\nCOPY --bogus=1 a b\n",
            flags: &[],
            code: 1,
            place: at(2, 1, "COPY --bogus=1 a b"),
            says: &["unknown flag: --bogus"],
        },
        Case {
            name: "parse error: an instruction without its argument",
            dockerfile: "FROM busybox\nARG\n",
            flags: &[],
            code: 1,
            place: at(2, 1, "ARG"),
            says: &["ARG requires at least one argument"],
        },
        Case {
            name: "plan error: a --target no stage has (about the whole file)",
            dockerfile: "FROM busybox AS a\nRUN true\n",
            flags: &["--target", "nosuch"],
            code: 1,
            place: None,
            says: &["target stage \"nosuch\" could not be found"],
        },
        Case {
            name: "FROM an image not in the store, pulling forbidden",
            dockerfile: "FROM nosuchimage:9\nRUN true\n",
            flags: &["--pull", "never"],
            code: 1,
            place: at(1, 1, "FROM nosuchimage:9"),
            says: &["nosuchimage:9", "not in the store"],
        },
        // A step.
        Case {
            name: "step error: a COPY source missing from the context",
            dockerfile: "FROM busybox\nCOPY nothere /x\n",
            flags: &[],
            code: 1,
            place: at(2, 1, "COPY nothere /x"),
            says: &["step 1/1", "nothere", "build context"],
        },
        Case {
            name: "step error: RUN --security=insecure without the entitlement",
            dockerfile: "FROM busybox\nRUN --security=insecure true\n",
            flags: &[],
            code: 1,
            place: at(2, 1, "RUN --security=insecure true"),
            says: &["security.insecure"],
        },
        Case {
            name: "step error: COPY of a git repository (only ADD fetches one)",
            dockerfile: "FROM busybox\nCOPY git@example.com:org/repo.git /src\n",
            flags: &[],
            code: 1,
            place: at(2, 1, "COPY git@example.com:org/repo.git /src"),
            says: &["source can't be a git ref for COPY"],
        },
        Case {
            name: "step error: ADD of a git repository nothing serves",
            dockerfile: "FROM busybox\nADD git://127.0.0.1:1/repo.git#main /src\n",
            flags: &[],
            code: 1,
            place: at(2, 1, "ADD git://127.0.0.1:1/repo.git#main /src"),
            says: &["step 1/1", "git git://127.0.0.1:1/repo.git:"],
        },
        Case {
            name: "step error: a required ssh mount without --ssh",
            dockerfile: "FROM busybox\nRUN --mount=type=ssh,id=deploy,required true\n",
            flags: &[],
            code: 1,
            place: at(2, 1, "RUN --mount=type=ssh,id=deploy,required true"),
            says: &["no ssh agent \"deploy\"", "--ssh deploy"],
        },
        Case {
            name: "step error: a required RUN --device no CDI spec defines (not run without it)",
            dockerfile: "FROM busybox\nRUN --device=/dev/fuse,required true\n",
            flags: &["--cdi-spec-dir", "{dir}"],
            code: 1,
            place: at(2, 1, "RUN --device=/dev/fuse,required true"),
            says: &["required device \"/dev/fuse\" is not registered"],
        },
        Case {
            name: "parse error: RUN --device= without a name",
            dockerfile: "FROM busybox\nRUN --device= true\n",
            flags: &[],
            code: 1,
            place: at(2, 1, "RUN --device= true"),
            says: &["no device name"],
        },
        Case {
            name: "parse error: RUN --device with an unknown key",
            dockerfile: "FROM busybox\nRUN --device=vendor1.com/device=foo,color=red true\n",
            flags: &[],
            code: 1,
            place: at(2, 1, "RUN --device=vendor1.com/device=foo,color=red true"),
            says: &["unexpected key 'color'"],
        },
        Case {
            name: "parse error: RUN --device with required not a bool",
            dockerfile: "FROM busybox\nRUN --device=vendor1.com/device=foo,required=maybe true\n",
            flags: &[],
            code: 1,
            place: at(
                2,
                1,
                "RUN --device=vendor1.com/device=foo,required=maybe true",
            ),
            says: &["invalid value for required: maybe"],
        },
        Case {
            name: "a RUN whose command fails",
            dockerfile: "FROM busybox\nRUN true\n  RUN echo said-this; exit 3\n",
            flags: &[],
            code: 1,
            place: at(3, 3, "  RUN echo said-this; exit 3"),
            says: &[
                "step 2/2 (line 3) failed",
                "exit code 3",
                "last output:\n  said-this",
            ],
        },
        // The command line: usage errors.
        Case {
            name: "--secret without id= and src=",
            dockerfile: SIMPLE,
            flags: &["--secret", "token"],
            code: 2,
            place: None,
            says: &["--secret \"token\": want id=ID,src=PATH"],
        },
        Case {
            name: "--ssh without an id",
            dockerfile: SIMPLE,
            flags: &["--ssh", "=/tmp/key"],
            code: 2,
            place: None,
            says: &["--ssh \"=/tmp/key\": want default, ID, ID=SOCKET or ID=KEYFILE"],
        },
        Case {
            name: "--ssh of a key file that does not exist",
            dockerfile: SIMPLE,
            flags: &["--ssh", "deploy={dir}/no-such-key"],
            code: 1,
            place: None,
            says: &["no-such-key is not a key file or an agent socket"],
        },
        Case {
            name: "--add-host without an IP",
            dockerfile: SIMPLE,
            flags: &["--add-host", "registry.internal"],
            code: 2,
            place: None,
            says: &["--add-host \"registry.internal\": expected NAME:IP"],
        },
        Case {
            name: "--shm-size that is no size",
            dockerfile: SIMPLE,
            flags: &["--shm-size", "lots"],
            code: 2,
            place: None,
            says: &["--shm-size \"lots\""],
        },
        Case {
            name: "--output of an unknown type",
            dockerfile: SIMPLE,
            flags: &["--output", "type=floppy,dest={dir}/x"],
            code: 2,
            place: None,
            says: &["--output"],
        },
        Case {
            name: "--output without dest=",
            dockerfile: SIMPLE,
            flags: &["--output", "type=oci"],
            code: 2,
            place: None,
            says: &["--output \"type=oci\": dest=PATH is required"],
        },
        Case {
            name: "--compression of an unknown algorithm",
            dockerfile: SIMPLE,
            flags: &["--compression", "lz"],
            code: 2,
            place: None,
            says: &["--compression lz", "expected gzip|zstd|none"],
        },
        Case {
            name: "--platform with too many parts",
            dockerfile: SIMPLE,
            flags: &["--platform", "a/b/c/d"],
            code: 2,
            place: None,
            says: &["--platform", "a/b/c/d"],
        },
        Case {
            name: "--build-arg without a name",
            dockerfile: SIMPLE,
            flags: &["--build-arg", "=x"],
            code: 2,
            place: None,
            says: &["--build-arg"],
        },
        Case {
            name: "-t that is no image name",
            dockerfile: SIMPLE,
            flags: &["-t", "Bad Name"],
            code: 2,
            place: None,
            says: &["-t \"Bad Name\"", "invalid image reference"],
        },
        Case {
            name: "--cache-to of an unknown type",
            dockerfile: SIMPLE,
            flags: &["--cache-to", "type=s3,ref=x"],
            code: 2,
            place: None,
            says: &["--cache-to"],
        },
        Case {
            name: "--cache-to whose cache-mounts is not a boolean",
            dockerfile: SIMPLE,
            flags: &["--cache-to", "type=local,dest={dir}/c,cache-mounts=maybe"],
            code: 2,
            place: None,
            says: &["cache-mounts must be true or false"],
        },
        Case {
            name: "--source-modes of an unknown rule",
            dockerfile: SIMPLE,
            flags: &["--source-modes", "strip"],
            code: 2,
            place: None,
            says: &["--source-modes must be keep or normalize"],
        },
        Case {
            name: "--cache-args of an unknown rule",
            dockerfile: SIMPLE,
            flags: &["--cache-args", "some"],
            code: 2,
            place: None,
            says: &["--cache-args must be all or referenced"],
        },
        Case {
            name: "--secret with an unknown cache= rule",
            dockerfile: SIMPLE,
            flags: &["--secret", "id=token,src={dir}/Dockerfile,cache=always"],
            code: 2,
            place: None,
            says: &["cache must be content or none"],
        },
        Case {
            name: "--build-context that is no NAME=VALUE",
            dockerfile: SIMPLE,
            flags: &["--build-context", "novalue"],
            code: 2,
            place: None,
            says: &["--build-context", "expected NAME=VALUE"],
        },
        Case {
            name: "--build-context of an unsupported kind",
            dockerfile: SIMPLE,
            flags: &["--build-context", "x=https://example.com/r.git"],
            code: 2,
            place: None,
            says: &[
                "--build-context",
                "only a directory, docker-image:// and oci-layout://",
            ],
        },
        Case {
            name: "--annotation on an index, for a build that makes none",
            dockerfile: SIMPLE,
            flags: &["--annotation", "index:org.example=1"],
            code: 2,
            place: None,
            says: &[
                "--annotation index:org.example=1",
                "a build for one platform makes no image index",
            ],
        },
        Case {
            name: "--annotation of an unknown type",
            dockerfile: SIMPLE,
            flags: &["--annotation", "manifests[linux/amd64]:org.example=1"],
            code: 2,
            place: None,
            says: &[
                "manifests[linux/amd64]:org.example=1",
                "unknown annotation type manifests",
            ],
        },
        Case {
            name: "--annotation for a platform that does not parse",
            dockerfile: SIMPLE,
            flags: &[
                "--annotation",
                "manifest[linux/arm64/v8/extra]:org.example=1",
            ],
            code: 2,
            place: None,
            says: &["manifest[linux/arm64/v8/extra]:org.example=1", "platform"],
        },
        Case {
            name: "--annotation on the index, for one platform",
            dockerfile: SIMPLE,
            flags: &["--annotation", "index[linux/amd64]:org.example=1"],
            code: 2,
            place: None,
            says: &["index[linux/amd64]:org.example=1", "takes no [PLATFORM]"],
        },
        Case {
            name: "--label without a value",
            dockerfile: SIMPLE,
            flags: &["--label", "novalue"],
            code: 2,
            place: None,
            says: &["--label", "a label is K=V"],
        },
        Case {
            name: "--allow with an unknown entitlement",
            dockerfile: SIMPLE,
            flags: &["--allow", "network.hots"],
            code: 2,
            place: None,
            says: &["--allow", "unknown entitlement network.hots"],
        },
        Case {
            name: "--allow device with an unknown key",
            dockerfile: SIMPLE,
            flags: &["--allow", "device=vendor1.com/device=foo,color=red"],
            code: 2,
            place: None,
            says: &["--allow", "unknown device config key \"color\""],
        },
        // The command line: failures (well-formed, but not possible).
        Case {
            name: "--secret whose source is missing",
            dockerfile: SIMPLE,
            flags: &["--secret", "id=token,src={dir}/missing"],
            code: 1,
            place: None,
            says: &["is not a readable file"],
        },
        Case {
            name: "--iidfile in a directory that does not exist",
            dockerfile: SIMPLE,
            flags: &["--iidfile", "{dir}/no/dir/iid"],
            code: 1,
            place: None,
            says: &["--iidfile", "no directory"],
        },
        Case {
            name: "--output under a file",
            dockerfile: SIMPLE,
            flags: &["--output", "type=oci,dest={dir}/Dockerfile/out"],
            code: 1,
            place: None,
            says: &["--output"],
        },
        Case {
            name: "-f naming no file",
            dockerfile: SIMPLE,
            flags: &["-f", "{dir}/Nofile"],
            code: 1,
            place: None,
            says: &["Nofile", "No such file"],
        },
        Case {
            name: "--metadata-file in a directory that does not exist",
            dockerfile: SIMPLE,
            flags: &["--metadata-file", "{dir}/no/dir/meta.json"],
            code: 1,
            place: None,
            says: &["--metadata-file", "no directory"],
        },
        Case {
            name: "--build-context naming a directory that does not exist",
            dockerfile: SIMPLE,
            flags: &["--build-context", "extra={dir}/missing"],
            code: 1,
            place: None,
            says: &["--build-context extra:", "missing"],
        },
        Case {
            name: "--build-context naming an OCI layout that is not one",
            dockerfile: SIMPLE,
            flags: &["--build-context", "base=oci-layout://{dir}"],
            code: 1,
            place: None,
            says: &["--build-context base:", "index.json"],
        },
    ]
}

fn build(env: &Env, ctx: &Path, case: &Case) -> (i32, String) {
    let dir = ctx.display().to_string();
    let flags: Vec<String> = case
        .flags
        .iter()
        .map(|f| f.replace("{dir}", &dir))
        .collect();
    let mut cmd = env.strata();
    cmd.args(["build", "--progress", "plain"])
        .args(&flags)
        .arg(ctx);
    let out = run(&mut cmd);
    (out.status.code().unwrap_or(-1), stderr(&out))
}

#[test]
fn every_error_path_of_build_says_what_and_where_and_exits_with_its_code() {
    let env = Env::new();
    let mut wrong = Vec::new();
    for (i, case) in cases().iter().enumerate() {
        let ctx = env.path(&format!("case-{i}"));
        fs::create_dir_all(&ctx).unwrap();
        fs::write(ctx.join("Dockerfile"), case.dockerfile).unwrap();
        let (code, err) = build(&env, &ctx, case);
        let mut want: Vec<String> = case.says.iter().map(|s| s.to_string()).collect();
        if let Some(p) = &case.place {
            let file = ctx.join("Dockerfile").display().to_string();
            let gutter = format!("{} | ", p.line);
            want.push(format!("error: {file}:{}:{}: ", p.line, p.column));
            want.push(format!("\n{gutter}{}\n", p.text));
            want.push(format!(
                "\n{}{}^\n",
                " ".repeat(gutter.len()),
                " ".repeat(p.column - 1)
            ));
        }
        if code != case.code {
            wrong.push(format!(
                "{}: exit {code}, want {}:\n{err}",
                case.name, case.code
            ));
        }
        for w in &want {
            if !err.contains(w.as_str()) {
                wrong.push(format!("{}: no {w:?} in:\n{err}", case.name));
            }
        }
        if case.place.is_none() && err.contains(" | ") {
            wrong.push(format!("{}: an excerpt of no line:\n{err}", case.name));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn a_dockerfile_from_stdin_is_named_stdin() {
    let env = Env::new();
    let ctx = env.path("ctx");
    fs::create_dir_all(&ctx).unwrap();
    let mut cmd = env.strata();
    cmd.args(["build", "--progress", "plain", "-f", "-"])
        .arg(&ctx)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"FROM busybox\nCOPY --bogus=1 a b\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("error: <stdin>:2:1: unknown flag: --bogus\n2 | COPY --bogus=1 a b\n"),
        "{err}"
    );
}
