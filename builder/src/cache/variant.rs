//! The name of a layer variant in cache records: the compression and the
//! SOURCE_DATE_EPOCH the layer blob was made with (`none`, `gzip:6@1700000000`).
//! A build records its store layers as `none` (+`@epoch`); exports record
//! the compressed variants they send.

use strata_store::{Compression, LayerOptions};

pub fn layer_variant(opts: &LayerOptions) -> String {
    match opts.source_date_epoch {
        Some(e) => format!("{}@{e}", opts.compression),
        None => opts.compression.to_string(),
    }
}

/// The options a variant name stands for; `None` for a name this version
/// cannot read.
pub fn parse_variant(name: &str) -> Option<LayerOptions> {
    let (compression, epoch) = match name.split_once('@') {
        Some((c, e)) => (c, Some(e.parse::<u64>().ok()?)),
        None => (name, None),
    };
    Some(LayerOptions {
        compression: compression.parse::<Compression>().ok()?,
        source_date_epoch: epoch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names_round_trip() {
        for opts in [
            LayerOptions {
                compression: Compression::None,
                source_date_epoch: None,
            },
            LayerOptions {
                compression: Compression::Gzip { level: 6 },
                source_date_epoch: Some(1_700_000_000),
            },
            LayerOptions {
                compression: Compression::Zstd { level: 19 },
                source_date_epoch: None,
            },
        ] {
            assert_eq!(parse_variant(&layer_variant(&opts)), Some(opts));
        }
        assert_eq!(parse_variant("gzip:6@soon"), None);
        assert_eq!(parse_variant("lz4"), None);
    }
}
