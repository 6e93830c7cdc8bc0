//! Lines for events that belong to no stage, worded the same by every
//! human-readable renderer.

use strata_builder::build::Event;

use super::secs;

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
        _ => None,
    }
}
