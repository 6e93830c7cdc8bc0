//! The canonical text of the key inputs that are not plain strings: a RUN's
//! network here, its mounts and the instruction itself in the parser
//! (`Instruction::canonical`, `Mount::canonical`). Written out by hand,
//! never from `Debug` or serde's field order, so renaming a variant or
//! reordering a struct cannot change a key; the tests pin every form.

use strata_executor::Network;
use strata_parser::Mount;

use crate::solve::BuildNetwork;

/// The network's kind: `host`, `none`, `namespace` (not the namespace's
/// path, which differs between builds) or `sandbox` (a namespace of the
/// step's own, out through pasta: what a step sees differs from the
/// host's network, so the two key apart, as BuildKit's NetMode does).
pub fn network(network: &BuildNetwork) -> &'static str {
    match network {
        BuildNetwork::Sandbox => "sandbox",
        BuildNetwork::Fixed(Network::Host) => "host",
        BuildNetwork::Fixed(Network::None) => "none",
        BuildNetwork::Fixed(Network::Namespace(_) | Network::Userspace { .. }) => "namespace",
    }
}

/// A `RUN --mount` as one JSON object (see `Mount::canonical`).
pub fn mount(m: &Mount) -> String {
    m.canonical()
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_parser::Sharing;

    #[test]
    fn networks_are_named_by_kind() {
        let fixed = |n| network(&BuildNetwork::Fixed(n));
        assert_eq!(fixed(Network::Host), "host");
        assert_eq!(fixed(Network::None), "none");
        assert_eq!(
            fixed(Network::Namespace("/run/netns/a".into())),
            fixed(Network::Namespace("/run/netns/b".into())),
        );
        assert_eq!(fixed(Network::Namespace("/x".into())), "namespace");
        assert_eq!(network(&BuildNetwork::Sandbox), "sandbox");
    }

    #[test]
    fn every_mount_kind_has_a_pinned_text() {
        let cases = [
            (
                Mount::Bind {
                    target: "/src".into(),
                    source: Some("app".into()),
                    from: None,
                    rw: true,
                },
                r#"{"type":"bind","target":"/src","source":"app","from":null,"rw":true}"#,
            ),
            (
                Mount::Cache {
                    id: Some("go".into()),
                    target: "/root/.cache".into(),
                    sharing: Sharing::Locked,
                    mode: Some(0o755),
                    uid: Some(1000),
                    gid: None,
                    from: Some("base".into()),
                    source: Some("/seed".into()),
                    ro: false,
                },
                r#"{"type":"cache","id":"go","target":"/root/.cache","sharing":"locked","mode":493,"uid":1000,"gid":null,"from":"base","source":"/seed","ro":false}"#,
            ),
            (
                Mount::Tmpfs {
                    target: "/tmp".into(),
                    size: Some(1 << 20),
                },
                r#"{"type":"tmpfs","target":"/tmp","size":1048576}"#,
            ),
            (
                Mount::Secret {
                    id: Some("token".into()),
                    target: None,
                    env: Some("TOKEN".into()),
                    required: true,
                    mode: Some(0o400),
                    uid: None,
                    gid: Some(0),
                },
                r#"{"type":"secret","id":"token","target":null,"env":"TOKEN","required":true,"mode":256,"uid":null,"gid":0}"#,
            ),
            (
                Mount::Ssh {
                    id: None,
                    target: Some("/ssh".into()),
                    required: false,
                    mode: None,
                    uid: None,
                    gid: None,
                },
                r#"{"type":"ssh","id":null,"target":"/ssh","required":false,"mode":null,"uid":null,"gid":null}"#,
            ),
        ];
        for (m, want) in cases {
            assert_eq!(mount(&m), want);
        }
    }
}
