//! A stable text form of an instruction, for cache keys: the keyword, then
//! every typed field as JSON, written out here field by field (never from
//! `Debug` or serde's field order, so reordering a struct or renaming a
//! variant cannot change a key). Equal instructions give equal text
//! whatever flag order the Dockerfile used. The text is the JSON earlier
//! versions hashed, so their cache records still hit; `tests` pin it for
//! every instruction.

use std::fmt::Write;
use std::time::Duration;

use super::{
    Add, ArgDecl, Command, Copy, From, Healthcheck, HealthcheckOptions, Instruction, Mount,
    NetworkMode, Onbuild, Run, Security, Sharing,
};
use crate::Heredoc;

impl Instruction {
    pub fn canonical(&self) -> String {
        format!("{} {}", self.keyword(), instruction(self))
    }
}

impl Mount {
    /// The mount as one JSON object, `type` first (part of a RUN's
    /// canonical text, and a key input of its own).
    pub fn canonical(&self) -> String {
        mount(self)
    }
}

/// `{"Variant":value}`, as each instruction is tagged.
fn instruction(i: &Instruction) -> String {
    let (tag, value) = match i {
        Instruction::From(f) => ("From", from(f)),
        Instruction::Run(r) => ("Run", run(r)),
        Instruction::Copy(c) => ("Copy", copy(c)),
        Instruction::Add(a) => ("Add", add(a)),
        Instruction::Env(p) => ("Env", pairs(p)),
        Instruction::Arg(d) => ("Arg", array(d.iter().map(arg))),
        Instruction::Label(p) => ("Label", pairs(p)),
        Instruction::Expose(v) => ("Expose", strings(v)),
        Instruction::Volume(v) => ("Volume", strings(v)),
        Instruction::User(s) => ("User", quoted(s)),
        Instruction::Workdir(s) => ("Workdir", quoted(s)),
        Instruction::Entrypoint(c) => ("Entrypoint", command(c)),
        Instruction::Cmd(c) => ("Cmd", command(c)),
        Instruction::Shell(v) => ("Shell", strings(v)),
        Instruction::StopSignal(s) => ("StopSignal", quoted(s)),
        Instruction::Healthcheck(h) => ("Healthcheck", healthcheck(h)),
        Instruction::Onbuild(o) => ("Onbuild", onbuild(o)),
        Instruction::Maintainer(s) => ("Maintainer", quoted(s)),
    };
    tagged(tag, value)
}

fn from(f: &From) -> String {
    object([
        ("image", quoted(&f.image)),
        ("name", optional(f.name.as_deref())),
        ("platform", optional(f.platform.as_deref())),
        ("as_keyword", optional(f.as_keyword.as_deref())),
    ])
}

fn run(r: &Run) -> String {
    object([
        ("command", command(&r.command)),
        ("mounts", array(r.mounts.iter().map(mount))),
        ("mount_specs", strings(&r.mount_specs)),
        (
            "network",
            optional(r.network.map(|n| match n {
                NetworkMode::Default => "default",
                NetworkMode::None => "none",
                NetworkMode::Host => "host",
            })),
        ),
        (
            "security",
            optional(r.security.map(|s| match s {
                Security::Sandbox => "sandbox",
                Security::Insecure => "insecure",
            })),
        ),
        ("devices", strings(&r.devices)),
        ("heredocs", heredocs(&r.heredocs)),
    ])
}

fn copy(c: &Copy) -> String {
    object([
        ("sources", strings(&c.sources)),
        ("dest", quoted(&c.dest)),
        ("from", optional(c.from.as_deref())),
        ("chown", optional(c.chown.as_deref())),
        ("chmod", optional(c.chmod.as_deref())),
        ("link", flag(c.link)),
        ("parents", flag(c.parents)),
        ("exclude", strings(&c.exclude)),
        ("heredocs", heredocs(&c.heredocs)),
    ])
}

fn add(a: &Add) -> String {
    object([
        ("sources", strings(&a.sources)),
        ("dest", quoted(&a.dest)),
        ("chown", optional(a.chown.as_deref())),
        ("chmod", optional(a.chmod.as_deref())),
        ("link", flag(a.link)),
        ("keep_git_dir", flag(a.keep_git_dir)),
        ("checksum", optional(a.checksum.as_deref())),
        ("unpack", a.unpack.map_or_else(null, flag)),
        ("exclude", strings(&a.exclude)),
        ("heredocs", heredocs(&a.heredocs)),
    ])
}

fn arg(d: &ArgDecl) -> String {
    object([
        ("name", quoted(&d.name)),
        ("default", optional(d.default.as_deref())),
    ])
}

fn command(c: &Command) -> String {
    match c {
        Command::Exec(args) => tagged("Exec", strings(args)),
        Command::Shell(s) => tagged("Shell", quoted(s)),
    }
}

fn healthcheck(h: &Healthcheck) -> String {
    match h {
        Healthcheck::None => quoted("None"),
        Healthcheck::Check(o) => tagged("Check", check(o)),
    }
}

fn check(o: &HealthcheckOptions) -> String {
    object([
        ("test", command(&o.test)),
        ("interval", o.interval.map_or_else(null, duration)),
        ("timeout", o.timeout.map_or_else(null, duration)),
        ("start_period", o.start_period.map_or_else(null, duration)),
        (
            "start_interval",
            o.start_interval.map_or_else(null, duration),
        ),
        ("retries", o.retries.map_or_else(null, |r| r.to_string())),
    ])
}

/// Whole seconds and the nanoseconds beyond them.
fn duration(d: Duration) -> String {
    object([
        ("secs", d.as_secs().to_string()),
        ("nanos", d.subsec_nanos().to_string()),
    ])
}

fn onbuild(o: &Onbuild) -> String {
    object([
        ("trigger", instruction(&o.trigger)),
        ("raw", quoted(&o.raw)),
    ])
}

fn heredocs(h: &[Heredoc]) -> String {
    array(h.iter().map(|h| {
        object([
            ("name", quoted(&h.name)),
            ("content", quoted(&h.content)),
            ("expand", flag(h.expand)),
            ("chomp", flag(h.chomp)),
            ("fd", h.fd.to_string()),
        ])
    }))
}

fn mount(m: &Mount) -> String {
    let number = |n: Option<u32>| n.map_or_else(null, |n| n.to_string());
    match m {
        Mount::Bind {
            target,
            source,
            from,
            rw,
        } => object([
            ("type", quoted("bind")),
            ("target", quoted(target)),
            ("source", optional(source.as_deref())),
            ("from", optional(from.as_deref())),
            ("rw", flag(*rw)),
        ]),
        Mount::Cache {
            id,
            target,
            sharing,
            mode,
            uid,
            gid,
            from,
            source,
            ro,
        } => object([
            ("type", quoted("cache")),
            ("id", optional(id.as_deref())),
            ("target", quoted(target)),
            ("sharing", quoted(sharing_name(*sharing))),
            ("mode", number(*mode)),
            ("uid", number(*uid)),
            ("gid", number(*gid)),
            ("from", optional(from.as_deref())),
            ("source", optional(source.as_deref())),
            ("ro", flag(*ro)),
        ]),
        Mount::Tmpfs { target, size } => object([
            ("type", quoted("tmpfs")),
            ("target", quoted(target)),
            ("size", size.map_or_else(null, |s| s.to_string())),
        ]),
        Mount::Secret {
            id,
            target,
            env,
            required,
            mode,
            uid,
            gid,
        } => object([
            ("type", quoted("secret")),
            ("id", optional(id.as_deref())),
            ("target", optional(target.as_deref())),
            ("env", optional(env.as_deref())),
            ("required", flag(*required)),
            ("mode", number(*mode)),
            ("uid", number(*uid)),
            ("gid", number(*gid)),
        ]),
        Mount::Ssh {
            id,
            target,
            required,
            mode,
            uid,
            gid,
        } => object([
            ("type", quoted("ssh")),
            ("id", optional(id.as_deref())),
            ("target", optional(target.as_deref())),
            ("required", flag(*required)),
            ("mode", number(*mode)),
            ("uid", number(*uid)),
            ("gid", number(*gid)),
        ]),
    }
}

fn sharing_name(s: Sharing) -> &'static str {
    match s {
        Sharing::Shared => "shared",
        Sharing::Private => "private",
        Sharing::Locked => "locked",
    }
}

// The JSON pieces: objects keep the order their fields are listed in.

fn object<const N: usize>(fields: [(&str, String); N]) -> String {
    let body: Vec<String> = fields
        .into_iter()
        .map(|(k, v)| format!("{}:{v}", quoted(k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

fn tagged(tag: &str, value: String) -> String {
    object([(tag, value)])
}

fn array(items: impl Iterator<Item = String>) -> String {
    format!("[{}]", items.collect::<Vec<_>>().join(","))
}

fn strings(v: &[String]) -> String {
    array(v.iter().map(|s| quoted(s)))
}

fn pairs(p: &[(String, String)]) -> String {
    array(
        p.iter()
            .map(|(k, v)| format!("[{},{}]", quoted(k), quoted(v))),
    )
}

fn optional(s: Option<&str>) -> String {
    s.map_or_else(null, quoted)
}

fn null() -> String {
    "null".to_string()
}

fn flag(b: bool) -> String {
    b.to_string()
}

/// `s` as a JSON string: `"` and `\` escaped, control characters as
/// `\n`, `\t`, ... or `\u00xx`.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::quoted;
    use crate::parse_instruction;

    /// One instruction of a Dockerfile, heredoc bodies included.
    fn instruction(line: &str) -> crate::Instruction {
        if line.starts_with("FROM") {
            return parse_instruction(line).unwrap();
        }
        let df = crate::parse(&format!("FROM scratch\n{line}\n"))
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        df.stages_raw[0].instructions[0].value.clone()
    }

    #[test]
    fn flag_order_does_not_matter() {
        let a = parse_instruction("COPY --link --chown=1:1 a b").unwrap();
        let b = parse_instruction("copy --chown=1:1 --link a b").unwrap();
        assert_eq!(a.canonical(), b.canonical());
        let c = parse_instruction("COPY --chown=1:2 --link a b").unwrap();
        assert_ne!(a.canonical(), c.canonical());
    }

    #[test]
    fn every_instruction_has_a_pinned_canonical_text() {
        for (line, want) in PINS {
            assert_eq!(instruction(line).canonical(), *want, "{line}");
        }
    }

    #[test]
    fn strings_are_escaped_as_json() {
        assert_eq!(quoted("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quoted("l1\nl2\t\u{1}\r"), r#""l1\nl2\t\u0001\r""#);
        assert_eq!(quoted("é/ü"), "\"é/ü\"");
    }

    /// What each instruction's key text is: a change here changes cache
    /// keys, and must bump the key version (cache/key.rs in the builder).
    const PINS: &[(&str, &str)] = &[
        (
            "FROM --platform=linux/arm64 busybox:1 AS build",
            r#"FROM {"From":{"image":"busybox:1","name":"build","platform":"linux/arm64","as_keyword":"AS"}}"#,
        ),
        (
            "FROM scratch",
            r#"FROM {"From":{"image":"scratch","name":null,"platform":null,"as_keyword":null}}"#,
        ),
        (
            "RUN echo \"hi\" && ls",
            r#"RUN {"Run":{"command":{"Shell":"echo \"hi\" && ls"},"mounts":[],"mount_specs":[],"network":null,"security":null,"devices":[],"heredocs":[]}}"#,
        ),
        (
            "RUN [\"/bin/sh\", \"-c\", \"true\"]",
            r#"RUN {"Run":{"command":{"Exec":["/bin/sh","-c","true"]},"mounts":[],"mount_specs":[],"network":null,"security":null,"devices":[],"heredocs":[]}}"#,
        ),
        (
            "RUN --mount=type=cache,target=/c,id=x,sharing=locked,mode=0755,uid=1 --mount=type=bind,source=a,target=/a,rw --network=none --security=insecure make",
            r#"RUN {"Run":{"command":{"Shell":"make"},"mounts":[{"type":"cache","id":"x","target":"/c","sharing":"locked","mode":493,"uid":1,"gid":null,"from":null,"source":null,"ro":false},{"type":"bind","target":"/a","source":"a","from":null,"rw":true}],"mount_specs":["type=cache,target=/c,id=x,sharing=locked,mode=0755,uid=1","type=bind,source=a,target=/a,rw"],"network":"none","security":"insecure","devices":[],"heredocs":[]}}"#,
        ),
        (
            "RUN --mount=type=tmpfs,target=/t,size=1m --mount=type=secret,id=s,env=S,required --mount=type=ssh --device=/dev/fuse true",
            r#"RUN {"Run":{"command":{"Shell":"true"},"mounts":[{"type":"tmpfs","target":"/t","size":1048576},{"type":"secret","id":"s","target":null,"env":"S","required":true,"mode":null,"uid":null,"gid":null},{"type":"ssh","id":null,"target":null,"required":false,"mode":null,"uid":null,"gid":null}],"mount_specs":["type=tmpfs,target=/t,size=1m","type=secret,id=s,env=S,required","type=ssh"],"network":null,"security":null,"devices":["/dev/fuse"],"heredocs":[]}}"#,
        ),
        (
            "COPY --from=build --chown=1:2 --chmod=644 --link --parents --exclude=*.md a b /dst/",
            r#"COPY {"Copy":{"sources":["a","b"],"dest":"/dst/","from":"build","chown":"1:2","chmod":"644","link":true,"parents":true,"exclude":["*.md"],"heredocs":[]}}"#,
        ),
        (
            "COPY <<EOF /x\nhello\nEOF",
            r#"COPY {"Copy":{"sources":[],"dest":"/x","from":null,"chown":null,"chmod":null,"link":false,"parents":false,"exclude":[],"heredocs":[{"name":"EOF","content":"hello\n","expand":true,"chomp":false,"fd":0}]}}"#,
        ),
        (
            "ADD --chown=app --chmod=755 --keep-git-dir --checksum=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef --unpack=false --exclude=x --link http://e/x.tgz /d",
            r#"ADD {"Add":{"sources":["http://e/x.tgz"],"dest":"/d","chown":"app","chmod":"755","link":true,"keep_git_dir":true,"checksum":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","unpack":false,"exclude":["x"],"heredocs":[]}}"#,
        ),
        (
            "ADD a.tar /",
            r#"ADD {"Add":{"sources":["a.tar"],"dest":"/","chown":null,"chmod":null,"link":false,"keep_git_dir":false,"checksum":null,"unpack":null,"exclude":[],"heredocs":[]}}"#,
        ),
        (
            "RUN <<-EOT bash\n\techo tab\nEOT",
            r#"RUN {"Run":{"command":{"Shell":"<<-EOT bash"},"mounts":[],"mount_specs":[],"network":null,"security":null,"devices":[],"heredocs":[{"name":"EOT","content":"\techo tab\n","expand":true,"chomp":true,"fd":0}]}}"#,
        ),
        (
            "ENV A=1 B=\"two words\"",
            r#"ENV {"Env":[["A","1"],["B","\"two words\""]]}"#,
        ),
        (
            "ARG V=1 W",
            r#"ARG {"Arg":[{"name":"V","default":"1"},{"name":"W","default":null}]}"#,
        ),
        (
            "LABEL a=b \"c d\"=e",
            r#"LABEL {"Label":[["a","b"],["\"c d\"","e"]]}"#,
        ),
        (
            "EXPOSE 80/tcp 53/udp",
            r#"EXPOSE {"Expose":["80/tcp","53/udp"]}"#,
        ),
        (
            "VOLUME [\"/data\", \"/logs\"]",
            r#"VOLUME {"Volume":["/data","/logs"]}"#,
        ),
        ("USER app:app", r#"USER {"User":"app:app"}"#),
        ("WORKDIR /app/$X", r#"WORKDIR {"Workdir":"/app/$X"}"#),
        (
            "ENTRYPOINT [\"/bin/app\", \"--flag\"]",
            r#"ENTRYPOINT {"Entrypoint":{"Exec":["/bin/app","--flag"]}}"#,
        ),
        ("CMD run it", r#"CMD {"Cmd":{"Shell":"run it"}}"#),
        (
            "SHELL [\"/bin/bash\", \"-c\"]",
            r#"SHELL {"Shell":["/bin/bash","-c"]}"#,
        ),
        (
            "STOPSIGNAL SIGTERM",
            r#"STOPSIGNAL {"StopSignal":"SIGTERM"}"#,
        ),
        (
            "HEALTHCHECK --interval=30s --timeout=1500ms --start-period=1m --start-interval=2s --retries=3 CMD curl -f http://x/",
            r#"HEALTHCHECK {"Healthcheck":{"Check":{"test":{"Shell":"curl -f http://x/"},"interval":{"secs":30,"nanos":0},"timeout":{"secs":1,"nanos":500000000},"start_period":{"secs":60,"nanos":0},"start_interval":{"secs":2,"nanos":0},"retries":3}}}"#,
        ),
        (
            "HEALTHCHECK CMD [\"true\"]",
            r#"HEALTHCHECK {"Healthcheck":{"Check":{"test":{"Exec":["true"]},"interval":null,"timeout":null,"start_period":null,"start_interval":null,"retries":null}}}"#,
        ),
        ("HEALTHCHECK NONE", r#"HEALTHCHECK {"Healthcheck":"None"}"#),
        (
            "ONBUILD RUN make",
            r#"ONBUILD {"Onbuild":{"trigger":{"Run":{"command":{"Shell":"make"},"mounts":[],"mount_specs":[],"network":null,"security":null,"devices":[],"heredocs":[]}},"raw":"RUN make"}}"#,
        ),
        (
            "MAINTAINER me <me@example.com>",
            r#"MAINTAINER {"Maintainer":"me <me@example.com>"}"#,
        ),
    ];
}
