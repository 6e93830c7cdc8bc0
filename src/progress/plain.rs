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
    /// A compose service's name: its builds' lines say whose they are, the
    /// steps as docker compose names them (`[web 1/2] RUN ...`), the other
    /// lines after `web | `.
    service: Option<String>,
}

impl Plain {
    pub fn for_service(service: &str) -> Self {
        Plain {
            service: Some(service.to_owned()),
            ..Plain::default()
        }
    }

    pub fn event(&self, e: &Event) {
        let mut err = std::io::stderr().lock();
        if let Some(line) = summary_line(e) {
            let _ = match &self.service {
                Some(svc) => writeln!(err, "{svc} | {line}"),
                None => writeln!(err, "{line}"),
            };
            return;
        }
        let names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        let name = |stage: &usize| {
            let stage = names.get(stage).cloned().unwrap_or_default();
            match &self.service {
                Some(svc) if stage.is_empty() => svc.clone(),
                Some(svc) => format!("{svc} {stage}"),
                None => stage,
            }
        };
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
            } => {
                let lead = self
                    .service
                    .as_ref()
                    .map_or(String::new(), |s| format!("{s} | "));
                writeln!(
                    err,
                    "{lead}layer {digest} ({size} bytes) in {}",
                    secs(*duration_ms)
                )
            }
            // Written by summary_line above.
            Event::ImageWritten { .. }
            | Event::Warning { .. }
            | Event::CacheImported { .. }
            | Event::CacheImportFailed { .. }
            | Event::ImagePulled { .. }
            | Event::ContextHashed { .. } => {
                return;
            }
        };
    }
}
