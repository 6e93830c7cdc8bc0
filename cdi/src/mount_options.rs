//! A CDI mount edit's `options`, read as runc reads an OCI mount's: the
//! words strata can apply, and an error for any other (a device whose
//! mount silently lost a flag it asked for is worse than one refused).

use serde::Serialize;

/// What a mount edit's options ask for; the default is a writable `rbind`
/// with suid, devices and exec allowed and the propagation left alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MountOptions {
    pub readonly: bool,
    pub nosuid: bool,
    pub nodev: bool,
    pub noexec: bool,
    /// `rbind` (the default) or `bind`.
    pub recursive: bool,
    /// `private`, `rprivate`, `slave`, `rslave`, `shared` or `rshared`.
    pub propagation: Option<String>,
}

impl Default for MountOptions {
    fn default() -> Self {
        Self {
            readonly: false,
            nosuid: false,
            nodev: false,
            noexec: false,
            recursive: true,
            propagation: None,
        }
    }
}

const PROPAGATIONS: [&str; 6] = [
    "private", "rprivate", "slave", "rslave", "shared", "rshared",
];

impl MountOptions {
    /// Reads `options` in order, a later word overriding an earlier one
    /// (`ro,rw` is writable), as mount(8) does.
    pub fn parse(options: &[String]) -> Result<Self, String> {
        let mut out = Self::default();
        for word in options {
            match word.as_str() {
                "ro" | "readonly" => out.readonly = true,
                "rw" => out.readonly = false,
                "nosuid" => out.nosuid = true,
                "suid" => out.nosuid = false,
                "nodev" => out.nodev = true,
                "dev" => out.nodev = false,
                "noexec" => out.noexec = true,
                "exec" => out.noexec = false,
                "bind" => out.recursive = false,
                "rbind" => out.recursive = true,
                p if PROPAGATIONS.contains(&p) => out.propagation = Some(p.to_owned()),
                other => {
                    return Err(format!(
                        "unsupported mount option {other:?} (supported: ro, rw, nosuid, \
                         suid, nodev, dev, noexec, exec, bind, rbind, {})",
                        PROPAGATIONS.join(", ")
                    ));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Result<MountOptions, String> {
        MountOptions::parse(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn nvidia_ctk_options_read_as_flags() {
        let o = parse(&["ro", "nosuid", "nodev", "bind", "rslave"]).unwrap();
        assert_eq!(
            o,
            MountOptions {
                readonly: true,
                nosuid: true,
                nodev: true,
                noexec: false,
                recursive: false,
                propagation: Some("rslave".into()),
            }
        );
    }

    #[test]
    fn no_options_are_a_writable_rbind() {
        assert_eq!(parse(&[]).unwrap(), MountOptions::default());
        assert!(parse(&[]).unwrap().recursive);
    }

    #[test]
    fn a_later_word_overrides_an_earlier_one() {
        let o = parse(&["noexec", "ro", "exec", "rw"]).unwrap();
        assert!(!o.noexec && !o.readonly);
    }

    #[test]
    fn an_unknown_option_is_refused_by_name() {
        let e = parse(&["nosuid", "idmap"]).unwrap_err();
        assert!(e.contains("\"idmap\""), "{e}");
    }
}
