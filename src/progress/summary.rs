//! Lines for events that belong to no stage, worded the same by every
//! human-readable renderer.

use strata_builder::Event;

use super::secs;

/// Bytes for a person: `1.0 GB`, `12.3 MB`, `512 B` (powers of 1000).
fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1000.0;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// The line for an image written, a warning or an image pulled; None for
/// the stage and step events each renderer shows its own way.
pub fn summary_line(e: &Event) -> Option<String> {
    match e {
        Event::ImageWritten { manifest, tags, .. } => {
            Some(format!("image {manifest} {}", tags.join(" ")))
        }
        Event::Warning { message } => Some(format!("warning: {message}")),
        Event::CacheImported {
            source,
            records,
            mounts: 0,
        } => Some(format!("cache: {records} records from {source}")),
        Event::CacheImported {
            source,
            records,
            mounts,
        } => Some(format!(
            "cache: {records} records and {mounts} cache mounts from {source}"
        )),
        Event::CacheImportFailed { message } => Some(format!("warning: --cache-from: {message}")),
        Event::ImagePulled {
            name,
            manifest,
            duration_ms,
        } => Some(format!(
            "pulled {name} {manifest} in {}",
            secs(*duration_ms)
        )),
        Event::ContextHashed {
            files,
            bytes,
            hashed_files,
            hashed_bytes,
            duration_ms,
            ..
        } => {
            let rate = match (*hashed_bytes, *duration_ms) {
                (0, _) | (_, 0) => String::new(),
                (b, ms) => format!(", {}/s", size(b.saturating_mul(1000) / ms)),
            };
            Some(format!(
                "context: {files} files ({}), {hashed_files} read and hashed ({}) in {}{rate}",
                size(*bytes),
                size(*hashed_bytes),
                secs(*duration_ms)
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashed(hashed_bytes: u64, duration_ms: u64) -> Event {
        Event::ContextHashed {
            stage: 0,
            step: 1,
            files: 20_000,
            bytes: 1_000_000_000,
            hashed_files: if hashed_bytes > 0 { 20_000 } else { 0 },
            hashed_bytes,
            duration_ms,
        }
    }

    #[test]
    fn the_context_line_gives_sizes_and_the_hashing_rate() {
        assert_eq!(
            summary_line(&hashed(1_000_000_000, 400)).as_deref(),
            Some("context: 20000 files (1.0 GB), 20000 read and hashed (1.0 GB) in 0.4s, 2.5 GB/s")
        );
        assert_eq!(
            summary_line(&hashed(0, 12)).as_deref(),
            Some("context: 20000 files (1.0 GB), 0 read and hashed (0 B) in 0.0s"),
            "no rate when nothing was read"
        );
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1_500), "1.5 kB");
    }
}
