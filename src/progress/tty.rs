//! `--progress tty`: one indicatif line per stage (parallel stages each
//! get theirs), finished steps printed above the bars with their duration
//! or CACHED, the last output line of a running step shown on its bar.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use strata_builder::Event;

use super::labels::StepLabels;
use super::secs;
use super::summary::summary_line;

pub struct Tty {
    multi: MultiProgress,
    bars: Mutex<HashMap<usize, (ProgressBar, String)>>,
    texts: StepLabels,
}

impl Tty {
    pub fn new() -> Self {
        Self {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(HashMap::new()),
            texts: StepLabels::default(),
        }
    }

    pub fn event(&self, e: &Event) {
        if let Some(line) = summary_line(e) {
            let _ = self.multi.println(line);
            return;
        }
        let mut bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        match e {
            Event::StageStart { stage, name, steps } => {
                let bar = self.multi.add(ProgressBar::new(*steps as u64));
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} [{prefix}] {pos}/{len} {elapsed:>4} {wide_msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(name.clone());
                bar.enable_steady_tick(Duration::from_millis(120));
                bars.insert(*stage, (bar, name.clone()));
            }
            Event::StepStart {
                stage, step, text, ..
            } => {
                self.texts.remember(*stage, *step, text.clone());
                if let Some((bar, _)) = bars.get(stage) {
                    bar.set_message(text.clone());
                }
            }
            Event::StepOutput { stage, line, .. } => {
                if let Some((bar, _)) = bars.get(stage) {
                    bar.set_message(format!("| {line}"));
                }
            }
            Event::StepExplain {
                stage,
                step,
                reason,
            } => {
                let name = bars.get(stage).map(|b| b.1.clone()).unwrap_or_default();
                let _ = self.multi.println(format!(
                    "  [{name}] step {}: cache miss: {reason}",
                    step + 1
                ));
            }
            Event::StepDone {
                stage,
                step,
                cached,
                duration_ms,
                ..
            } => {
                let text = self.texts.get(*stage, *step);
                if let Some((bar, name)) = bars.get(stage) {
                    bar.inc(1);
                    let done = if *cached {
                        "CACHED".to_string()
                    } else {
                        secs(*duration_ms)
                    };
                    let _ = self
                        .multi
                        .println(format!("✔ [{name} {}] {text}  {done}", step + 1));
                }
            }
            Event::StageDone { stage, duration_ms } => {
                if let Some((bar, name)) = bars.get(stage) {
                    bar.finish_and_clear();
                    let _ = self
                        .multi
                        .println(format!("✔ [{name}] done in {}", secs(*duration_ms)));
                }
            }
            Event::LayerWritten { digest, size, .. } => {
                let _ = self
                    .multi
                    .println(format!("  layer {digest} ({size} bytes)"));
            }
            // Written by summary_line above.
            Event::ImageWritten { .. }
            | Event::Warning { .. }
            | Event::ImagePulled { .. }
            | Event::ContextHashed { .. } => {}
        }
    }

    pub fn finish(&self) {
        for (bar, _) in self.bars.lock().unwrap_or_else(|p| p.into_inner()).values() {
            bar.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}
