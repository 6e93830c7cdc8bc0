//! The OPTS of `-v SRC:DST:OPTS`: docker's and podman's comma-separated
//! mount options, read into read-only and the executor's bind options.

use strata_executor::{BindOptions, Propagation};

/// What the options of one `-v` ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VolumeOptions {
    pub readonly: bool,
    pub bind: BindOptions,
}

/// Whether the source is a host path (every option) or a named volume
/// (only ro/rw and the nosuid/nodev/noexec flags, as podman takes them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Host,
    Volume,
}

/// Reads `opts` (`ro,nosuid,rslave`); an unknown option, one that does not
/// fit the source, or two of the same kind (`ro,rw`) is refused, naming it.
pub fn parse_volume_options(opts: &str, source: Source) -> Result<VolumeOptions, String> {
    let mut out = VolumeOptions::default();
    let mut seen: Vec<&str> = Vec::new();
    for word in opts.split(',') {
        let kind = match word {
            "ro" | "rw" => {
                out.readonly = word == "ro";
                "ro/rw"
            }
            "nosuid" | "suid" => {
                out.bind.nosuid = word == "nosuid";
                "nosuid/suid"
            }
            "nodev" | "dev" => {
                out.bind.nodev = word == "nodev";
                "nodev/dev"
            }
            "noexec" | "exec" => {
                out.bind.noexec = word == "noexec";
                "noexec/exec"
            }
            "bind" | "rbind" if source == Source::Host => {
                out.bind.recursive = word == "rbind";
                "bind/rbind"
            }
            // SELinux relabelling: podman skips it on a host without
            // SELinux, and strata never labels, so the words are accepted
            // for scripts written for such hosts and change nothing.
            "z" | "Z" if source == Source::Host => "z/Z",
            _ => match Propagation::from_option(word) {
                Some(p) if source == Source::Host => {
                    out.bind.propagation = Some(p);
                    "propagation"
                }
                _ => {
                    let allowed = match source {
                        Source::Host => {
                            "ro, rw, nosuid, suid, nodev, dev, noexec, exec, bind, rbind, \
                             private, rprivate, shared, rshared, slave, rslave, z, Z"
                        }
                        Source::Volume => "ro, rw, nosuid, suid, nodev, dev, noexec, exec",
                    };
                    return Err(format!(
                        "option {word:?} is not supported here (expected a comma-separated list of {allowed})"
                    ));
                }
            },
        };
        if seen.contains(&kind) {
            return Err(format!("option {word:?}: {kind} given more than once"));
        }
        seen.push(kind);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_binds_take_flags_recursion_and_propagation() {
        let o = parse_volume_options("ro,nosuid,noexec,bind,rslave,Z", Source::Host).unwrap();
        assert!(o.readonly);
        assert!(o.bind.nosuid && o.bind.noexec && !o.bind.nodev);
        assert!(!o.bind.recursive);
        assert_eq!(o.bind.propagation, Some(Propagation::RSlave));
    }

    #[test]
    fn named_volumes_take_only_the_flags() {
        let o = parse_volume_options("nodev,rw", Source::Volume).unwrap();
        assert!(o.bind.nodev && !o.readonly);
        let e = parse_volume_options("rshared", Source::Volume).unwrap_err();
        assert!(e.contains("\"rshared\""), "{e}");
    }

    #[test]
    fn unknown_empty_and_repeated_options_are_refused_by_name() {
        assert!(
            parse_volume_options("zz", Source::Host)
                .unwrap_err()
                .contains("\"zz\"")
        );
        assert!(parse_volume_options("ro,", Source::Host).is_err());
        assert!(
            parse_volume_options("ro,rw", Source::Host)
                .unwrap_err()
                .contains("\"rw\"")
        );
        assert!(parse_volume_options("slave,shared", Source::Host).is_err());
    }
}
