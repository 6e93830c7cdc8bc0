//! One stderr line per layer compressed on its way out of the store: the
//! first push or export of a built image pays the compression, and says so.

use strata_store::CompressedLayer;

/// The reporter `Store::for_export_with` / `export_with` call; silent with -q.
pub fn reporter(quiet: bool) -> impl Fn(CompressedLayer) + Sync {
    move |c: CompressedLayer| {
        if !quiet {
            eprintln!("{}", line(&c));
        }
    }
}

fn line(c: &CompressedLayer) -> String {
    format!(
        "compressed {} ({}): {} -> {} in {:.2} s",
        short(&c.plain.to_string()),
        c.compression,
        megabytes(c.plain_size),
        megabytes(c.size),
        c.elapsed.as_secs_f64()
    )
}

fn short(digest: &str) -> &str {
    digest.get(..19).unwrap_or(digest)
}

fn megabytes(n: u64) -> String {
    format!("{:.1} MB", n as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use strata_store::{Compression, Digest};

    #[test]
    fn a_line_names_the_layer_the_compression_and_the_sizes() {
        let c = CompressedLayer {
            plain: Digest::of(b"tar"),
            plain_size: 96_000_000,
            digest: Digest::of(b"gz"),
            size: 30_100_000,
            compression: Compression::Gzip { level: 6 },
            elapsed: Duration::from_millis(1920),
        };
        let text = line(&c);
        assert!(text.starts_with(&format!("compressed {}", &c.plain.to_string()[..19])));
        assert!(
            text.ends_with("(gzip:6): 96.0 MB -> 30.1 MB in 1.92 s"),
            "{text}"
        );
    }
}
