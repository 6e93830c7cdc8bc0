//! The grammar of `strata volume create|ls|inspect|rm|prune`.

use clap::{Args, Subcommand};

use super::ListFormat;

#[derive(Debug, Args)]
pub struct VolumeArgs {
    #[command(subcommand)]
    pub command: VolumeCommand,
}

#[derive(Debug, Subcommand)]
pub enum VolumeCommand {
    /// Create a volume (without a name: an anonymous one); print its name.
    Create {
        /// Metadata, KEY=VALUE (or KEY for an empty value).
        #[arg(short = 'l', long = "label", value_name = "KEY=VALUE")]
        labels: Vec<String>,
        /// Only `local`.
        #[arg(short, long, default_value = "local")]
        driver: String,
        #[arg(value_parser = volume_name)]
        name: Option<String>,
    },
    /// List volumes.
    #[command(alias = "list")]
    Ls {
        /// Print only names.
        #[arg(short, long)]
        quiet: bool,
        /// name=SUBSTRING, label=K[=V], dangling=true|false (no container uses it);
        /// repeated keys: any may match; different keys: all must.
        #[arg(short = 'f', long = "filter", value_name = "KEY=VALUE", value_parser = volume_filter)]
        filters: Vec<(String, String)>,
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
    },
    /// Show volumes as JSON.
    Inspect {
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Remove volumes no container uses.
    #[command(alias = "remove")]
    Rm {
        /// Remove the containers using them first (running ones are killed).
        #[arg(short, long)]
        force: bool,
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Remove the anonymous volumes no container uses (with -a, named ones too).
    Prune {
        /// Named volumes too.
        #[arg(short, long)]
        all: bool,
        /// Do not ask (strata never asks; accepted as docker spells it).
        #[arg(short, long)]
        force: bool,
    },
}

fn volume_filter(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k @ ("name" | "label"), v)) => Ok((k.to_owned(), v.to_owned())),
        Some(("dangling", v @ ("true" | "false"))) => Ok(("dangling".to_owned(), v.to_owned())),
        _ => Err(format!(
            "{text:?}: expected name=SUBSTRING, label=K[=V] or dangling=true|false"
        )),
    }
}

fn volume_name(name: &str) -> Result<String, String> {
    if strata_containers::valid_volume_name(name) {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "{name:?} is not a volume name: use letters, digits and _.- (at least 2, starting with a letter or digit)"
        ))
    }
}

/// `-v` as a clap value parser: a bad one is a usage error (exit 2).
pub fn volume_arg(spec: &str) -> Result<String, String> {
    parse_volume_arg(spec).map(|_| spec.to_owned())
}

/// What one `-v` argument asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum VolumeArg {
    /// `HOST_PATH:DST[:OPTS]`.
    Host {
        source: String,
        target: String,
        readonly: bool,
        options: strata_executor::BindOptions,
    },
    /// `NAME:DST[:OPTS]`: a named volume, created when missing.
    Named {
        name: String,
        target: String,
        readonly: bool,
        options: strata_executor::BindOptions,
    },
    /// `DST` alone: a fresh anonymous volume.
    Anonymous { target: String },
}

/// docker's reading: a source that is a valid volume name (no `/`, not
/// `.` or `..`-relative) names a volume; anything else is a host path.
pub fn parse_volume_arg(spec: &str) -> Result<VolumeArg, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (src, dst, opts) = match parts.as_slice() {
        [dst] => (None, *dst, None),
        [src, dst] => (Some(*src), *dst, None),
        [src, dst, opts] => (Some(*src), *dst, Some(*opts)),
        _ => {
            return Err(format!("{spec:?}: expected SRC:DST[:OPTIONS] or DST"));
        }
    };
    if !dst.starts_with('/') {
        return Err(format!("{spec:?}: the destination must be absolute"));
    }
    let target = dst.to_owned();
    let options = |source| match opts {
        None => Ok(super::VolumeOptions::default()),
        Some(o) => super::parse_volume_options(o, source).map_err(|e| format!("{spec:?}: {e}")),
    };
    Ok(match src {
        None => VolumeArg::Anonymous { target },
        Some("") => return Err(format!("{spec:?}: empty source")),
        Some(s) if !s.contains('/') && strata_containers::valid_volume_name(s) => {
            let o = options(super::Source::Volume)?;
            VolumeArg::Named {
                name: s.to_owned(),
                target,
                readonly: o.readonly,
                options: o.bind,
            }
        }
        Some(s) => {
            let o = options(super::Source::Host)?;
            VolumeArg::Host {
                source: s.to_owned(),
                target,
                readonly: o.readonly,
                options: o.bind,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_paths_and_bare_destinations_read_as_docker_reads_them() {
        assert_eq!(
            parse_volume_arg("data:/d:ro").unwrap(),
            VolumeArg::Named {
                name: "data".into(),
                target: "/d".into(),
                readonly: true,
                options: Default::default(),
            }
        );
        assert!(matches!(
            parse_volume_arg("/srv/x:/d").unwrap(),
            VolumeArg::Host { .. }
        ));
        assert!(matches!(
            parse_volume_arg("./x:/d").unwrap(),
            VolumeArg::Host { .. }
        ));
        assert_eq!(
            parse_volume_arg("/d").unwrap(),
            VolumeArg::Anonymous {
                target: "/d".into()
            }
        );
        assert!(parse_volume_arg("data:rel").is_err());
        assert!(parse_volume_arg("a:/b:zz").is_err());
    }
}
