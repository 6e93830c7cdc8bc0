//! Rendering build events: indicatif bars on a terminal, plain lines for
//! logs, one JSON object per line, or nothing (quiet).

mod labels;
mod plain;
mod summary;
mod tty;

use std::io::Write;

use strata_builder::Event;

use crate::cli::ProgressMode;

pub enum Renderer {
    Tty(tty::Tty),
    Plain(plain::Plain),
    /// With the compose service whose build it is, put in each object.
    Json(Option<String>),
    Quiet,
}

impl Renderer {
    pub fn new(mode: ProgressMode) -> Self {
        match mode {
            ProgressMode::Tty => Renderer::Tty(tty::Tty::new()),
            ProgressMode::Plain | ProgressMode::Auto => Renderer::Plain(plain::Plain::default()),
            ProgressMode::Json => Renderer::Json(None),
            ProgressMode::Quiet => Renderer::Quiet,
        }
    }

    /// A compose service's build: lines and objects carry its name (a
    /// terminal gets plain lines too, several builds interleave).
    pub fn for_service(mode: ProgressMode, service: &str) -> Self {
        match mode {
            ProgressMode::Json => Renderer::Json(Some(service.to_owned())),
            ProgressMode::Quiet => Renderer::Quiet,
            _ => Renderer::Plain(plain::Plain::for_service(service)),
        }
    }

    pub fn event(&self, event: Event) {
        match self {
            Renderer::Tty(t) => t.event(&event),
            Renderer::Plain(p) => p.event(&event),
            Renderer::Json(service) => {
                let line = match service {
                    None => serde_json::to_string(&event),
                    Some(svc) => serde_json::to_value(&event).and_then(|mut object| {
                        if let Some(o) = object.as_object_mut() {
                            o.insert("service".into(), svc.clone().into());
                        }
                        serde_json::to_string(&object)
                    }),
                };
                if let Ok(line) = line {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{line}");
                }
                // What --cache-from did is also said to the person on
                // stderr, as in every other mode.
                if let Event::CacheImported { .. } | Event::CacheImportFailed { .. } = event
                    && let Some(line) = summary::summary_line(&event)
                {
                    eprintln!("{line}");
                }
            }
            // A --cache-from that could not be read is said even with -q:
            // it is why every step ran.
            Renderer::Quiet => {
                if let Event::CacheImportFailed { .. } = event
                    && let Some(line) = summary::summary_line(&event)
                {
                    eprintln!("{line}");
                }
            }
        }
    }

    pub fn finish(&self) {
        if let Renderer::Tty(t) = self {
            t.finish();
        }
    }
}

/// Seconds with one decimal, as build logs show durations.
pub(crate) fn secs(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}
