//! docker's `--env-file` and `--label-file` format (opts/file.go): one
//! `KEY=VALUE` per line, taken as written (no quotes removed, the value not
//! trimmed); `KEY` alone takes the caller's value (env) or an empty one
//! (labels); blank lines and lines starting with `#` are skipped. The
//! files are read while the command line is parsed, so a bad one is a
//! usage error (exit 2) naming the flag, the file and the line.

use std::path::Path;

/// What a line with a key alone means.
#[derive(Clone, Copy)]
enum Bare {
    /// `--env-file`: the caller's value, or nothing when it has none.
    FromEnv,
    /// `--label-file`: an empty value.
    Empty,
}

/// `--env-file FILE`, read.
#[derive(Debug, Clone)]
pub struct EnvFile(pub Vec<String>);

/// `--label-file FILE`, read.
#[derive(Debug, Clone)]
pub struct LabelFile(pub Vec<String>);

pub fn env_file(path: &str) -> Result<EnvFile, String> {
    read(Path::new(path), Bare::FromEnv).map(EnvFile)
}

pub fn label_file(path: &str) -> Result<LabelFile, String> {
    read(Path::new(path), Bare::Empty).map(LabelFile)
}

/// The `KEY=VALUE` entries of `path`, in order.
fn read(path: &Path, bare: Bare) -> Result<Vec<String>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = || format!("{}:{}", path.display(), i + 1);
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (line.trim_end(), None),
        };
        if key.is_empty() {
            return Err(format!("{}: no variable name in {line:?}", at()));
        }
        if key.chars().any(char::is_whitespace) {
            return Err(format!("{}: variable {key:?} contains whitespace", at()));
        }
        match (value, bare) {
            (Some(v), _) => out.push(format!("{key}={v}")),
            (None, Bare::Empty) => out.push(format!("{key}=")),
            (None, Bare::FromEnv) => {
                if let Ok(v) = std::env::var(key) {
                    out.push(format!("{key}={v}"));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_as_docker_reads_them() {
        let dir = std::env::temp_dir().join(format!("strata-kv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("env");
        std::fs::write(
            &f,
            "# c\n\n  A=1\nB=\"q\" \nPATH\nNOT_SET_ANYWHERE_XYZ\nC==x\n",
        )
        .unwrap();
        let got = read(&f, Bare::FromEnv).unwrap();
        let path = std::env::var("PATH").unwrap();
        assert_eq!(
            got,
            [
                "A=1".to_owned(),
                "B=\"q\" ".into(),
                format!("PATH={path}"),
                "C==x".into()
            ]
        );
        std::fs::write(&f, "A=1\nBAD KEY=2\n").unwrap();
        let err = read(&f, Bare::FromEnv).unwrap_err();
        assert!(err.contains(&format!("{}:2", f.display())), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
