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
    Json,
    Quiet,
}

impl Renderer {
    pub fn new(mode: ProgressMode) -> Self {
        match mode {
            ProgressMode::Tty => Renderer::Tty(tty::Tty::new()),
            ProgressMode::Plain | ProgressMode::Auto => Renderer::Plain(plain::Plain::default()),
            ProgressMode::Json => Renderer::Json,
            ProgressMode::Quiet => Renderer::Quiet,
        }
    }

    pub fn event(&self, event: Event) {
        match self {
            Renderer::Tty(t) => t.event(&event),
            Renderer::Plain(p) => p.event(&event),
            Renderer::Json => {
                if let Ok(line) = serde_json::to_string(&event) {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{line}");
                }
            }
            Renderer::Quiet => {}
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
