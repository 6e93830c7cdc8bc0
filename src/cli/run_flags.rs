//! The grammar of the docker run/create flags about the process and its
//! root filesystem: --env-file, --entrypoint, --init, --read-only,
//! --tmpfs. A bad value is a usage error (exit 2) naming the flag.

use std::path::PathBuf;

use clap::Args;
use strata_executor::{Mount, TmpfsOptions};

#[derive(Debug, Args)]
pub struct RunFlags {
    /// Read environment variables from a file (docker's format: KEY=VALUE
    /// lines, KEY alone takes the caller's value, # comments); -e wins.
    #[arg(long = "env-file", value_name = "FILE", value_parser = super::kv_file::env_file)]
    pub env_files: Vec<super::EnvFile>,
    /// Replace the image's ENTRYPOINT (its CMD too); "" clears it.
    #[arg(long, value_name = "COMMAND", allow_hyphen_values = true)]
    pub entrypoint: Option<String>,
    /// Run an init as pid 1 that reaps zombies and forwards signals. strata
    /// always does: its sandbox init is pid 1 and the command its child.
    #[arg(long)]
    pub init: bool,
    /// Mount the root filesystem read-only; /tmp, /var/tmp and /run get a
    /// tmpfs each (unless mounted otherwise), as podman's --read-only does.
    #[arg(long)]
    pub read_only: bool,
    /// Mount a tmpfs: PATH[:OPTS], OPTS from size=N[k|m|g], mode=OCTAL,
    /// uid=N, gid=N, ro|rw, exec|noexec, nosuid, nodev (default noexec, as docker's).
    #[arg(long = "tmpfs", value_name = "PATH[:OPTS]", value_parser = tmpfs_arg)]
    pub tmpfs: Vec<Mount>,
}

/// `--tmpfs PATH[:OPTS]` as docker reads it.
pub fn tmpfs_arg(text: &str) -> Result<Mount, String> {
    let (path, opts) = text.split_once(':').unwrap_or((text, ""));
    if !path.starts_with('/') {
        return Err(format!("{path:?}: the path must be absolute"));
    }
    let mut size = None;
    let mut options = TmpfsOptions {
        noexec: true,
        ..TmpfsOptions::default()
    };
    for opt in opts.split(',').filter(|o| !o.is_empty()) {
        let (key, value) = opt
            .split_once('=')
            .map_or((opt, None), |(k, v)| (k, Some(v)));
        let number = |v: Option<&str>, radix: u32| {
            v.and_then(|v| u32::from_str_radix(v, radix).ok())
                .ok_or_else(|| format!("{opt:?}: expected {key}=NUMBER"))
        };
        match key {
            "size" => {
                size = Some(
                    byte_size(value.unwrap_or_default())
                        .ok_or_else(|| format!("{opt:?}: expected size=N[k|m|g]"))?,
                )
            }
            "mode" => options.mode = Some(number(value, 8)?),
            "uid" => options.uid = Some(number(value, 10)?),
            "gid" => options.gid = Some(number(value, 10)?),
            "ro" => options.readonly = true,
            "rw" => options.readonly = false,
            "exec" => options.noexec = false,
            "noexec" => options.noexec = true,
            // Always so: a tmpfs never holds setuid programs or devices.
            "nosuid" | "nodev" => {}
            _ => {
                return Err(format!(
                    "unsupported option {opt:?}: size, mode, uid, gid, ro, rw, exec, noexec, nosuid, nodev"
                ));
            }
        }
    }
    Ok(Mount::Tmpfs {
        target: PathBuf::from(path),
        size,
        options,
    })
}

/// "65536", "64k", "64m", "1g" (a trailing "b" allowed), as go-units' RAMInBytes.
fn byte_size(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_lowercase();
    let t = t.strip_suffix('b').unwrap_or(&t);
    let (digits, mult) = match t.chars().last()? {
        'k' => (&t[..t.len() - 1], 1u64 << 10),
        'm' => (&t[..t.len() - 1], 1 << 20),
        'g' => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmpfs_options_read_as_dockers() {
        let Mount::Tmpfs {
            target,
            size,
            options,
        } = tmpfs_arg("/scratch:size=64m,mode=1770,exec,uid=5").unwrap()
        else {
            panic!("not a tmpfs");
        };
        assert_eq!(target, PathBuf::from("/scratch"));
        assert_eq!(size, Some(64 << 20));
        assert_eq!(options.mode, Some(0o1770));
        assert_eq!(options.uid, Some(5));
        assert!(!options.noexec);
        let Mount::Tmpfs { options, .. } = tmpfs_arg("/t").unwrap() else {
            panic!("not a tmpfs");
        };
        assert!(options.noexec, "noexec by default, as docker");
        assert!(tmpfs_arg("rel").is_err());
        assert!(tmpfs_arg("/t:size=lots").is_err());
        assert!(tmpfs_arg("/t:suid").is_err());
    }
}
