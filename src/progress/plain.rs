//! `--progress plain`: one line per event on stderr, for CI logs.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;

use strata_builder::Event;

use super::labels::StepLabels;
use super::secs;
use super::summary::summary_line;

#[derive(Default)]
pub struct Plain {
    /// "[stage n/total] text" of each started step, for end-of-step lines.
    steps: StepLabels,
    names: Mutex<HashMap<usize, String>>,
}

impl Plain {
    pub fn event(&self, e: &Event) {
        let mut err = std::io::stderr().lock();
        if let Some(line) = summary_line(e) {
            let _ = writeln!(err, "{line}");
            return;
        }
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
                self.steps.remember(*stage, *step, label.clone());
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
                let label = self.steps.get(*stage, *step);
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
            // Written by summary_line above.
            Event::ImageWritten { .. }
            | Event::Warning { .. }
            | Event::ImagePulled { .. }
            | Event::ContextHashed { .. } => {
                return;
            }
        };
    }
}
