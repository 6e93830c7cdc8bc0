//! What each started step is called, kept for its end-of-step line; events
//! arrive from parallel stages, hence the lock.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct StepLabels(Mutex<HashMap<(usize, usize), String>>);

impl StepLabels {
    pub fn remember(&self, stage: usize, step: usize, label: String) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((stage, step), label);
    }

    /// The step's label, or empty when its start was never seen.
    pub fn get(&self, stage: usize, step: usize) -> String {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(stage, step))
            .cloned()
            .unwrap_or_default()
    }
}
