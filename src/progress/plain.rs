//! `--progress plain`: one line per event on stderr, for CI logs.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;

use strata_builder::build::Event;

use super::secs;

#[derive(Default)]
pub struct Plain {
    /// (stage, step) -> (stage name, step text), for end-of-step lines.
    steps: Mutex<HashMap<(usize, usize), String>>,
    names: Mutex<HashMap<usize, String>>,
}

impl Plain {
    pub fn event(&self, e: &Event) {
        let mut err = std::io::stderr().lock();
        let names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        let name = |stage: &usize| names.get(stage).cloned().unwrap_or_default();
        let _ = match e {
            Event::StageStart { stage, name, .. } => {
                drop(names);
                self.names
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(*stage, name.clone());
                return;
            }
            Event::StepStart {
                stage,
                step,
                total,
                text,
                ..
            } => {
                let label = format!("[{} {}/{}] {}", name(stage), step + 1, total, text);
                self.steps
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert((*stage, *step), label.clone());
                writeln!(err, "{label}")
            }
            Event::StepOutput { stage, line, .. } => writeln!(err, "  {} | {line}", name(stage)),
            Event::StepExplain {
                stage,
                step,
                reason,
            } => {
                writeln!(
                    err,
                    "  {} step {}: cache miss: {reason}",
                    name(stage),
                    step + 1
                )
            }
            Event::StepDone {
                stage,
                step,
                cached,
                duration_ms,
                ..
            } => {
                let label = self
                    .steps
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&(*stage, *step))
                    .cloned()
                    .unwrap_or_default();
                if *cached {
                    writeln!(err, "{label}: CACHED")
                } else {
                    writeln!(err, "{label}: DONE {}", secs(*duration_ms))
                }
            }
            Event::StageDone { stage, duration_ms } => {
                writeln!(
                    err,
                    "[{}] stage done in {}",
                    name(stage),
                    secs(*duration_ms)
                )
            }
            Event::LayerWritten {
                digest,
                size,
                duration_ms,
                ..
            } => writeln!(
                err,
                "layer {digest} ({size} bytes) in {}",
                secs(*duration_ms)
            ),
            Event::ImageWritten { manifest, tags, .. } => {
                writeln!(err, "image {manifest} {}", tags.join(" "))
            }
            Event::Warning { message } => writeln!(err, "warning: {message}"),
        };
    }
}
