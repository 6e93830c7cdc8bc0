//! A build's `--progress json` events.

use serde_json::Value;

/// The lines of `out` that are JSON values; other lines are skipped.
pub fn json_lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Step events that ran (not cached) and have a cache key: filesystem steps.
pub fn fs_steps_run(events: &[Value]) -> Vec<(u64, u64)> {
    stage_steps(events, |e| e["cached"] == false && !e["key"].is_null())
}

pub fn fs_steps_cached(events: &[Value]) -> Vec<(u64, u64)> {
    stage_steps(events, |e| e["cached"] == true)
}

/// (stage, step) of the `step_done` events `pick` accepts.
fn stage_steps(events: &[Value], pick: impl Fn(&Value) -> bool) -> Vec<(u64, u64)> {
    events
        .iter()
        .filter(|e| e["event"] == "step_done" && pick(e))
        .map(|e| {
            (
                e["stage"].as_u64().unwrap_or(0),
                e["step"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// `step_explain` reasons, by step index.
pub fn explanations(events: &[Value]) -> Vec<(u64, String)> {
    events
        .iter()
        .filter(|e| e["event"] == "step_explain")
        .map(|e| {
            (
                e["step"].as_u64().unwrap_or(u64::MAX),
                e["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}
