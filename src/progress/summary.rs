//! Lines for events that belong to no stage, worded the same by every
//! human-readable renderer.

use strata_builder::build::Event;

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
