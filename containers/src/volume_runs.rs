//! Foreground `strata run`s have no container record, so a run that binds
//! volumes leaves a mark in each: `volumes/<name>/runs/<run id>.json`, the
//! run's process (pid + start time + boot id). A live mark counts as a use;
//! a dead one (the run was killed) counts for nothing.

use std::path::{Path, PathBuf};

use crate::error::{ContainerError, IoContext};
use crate::process::ProcessId;

const RUNS: &str = "runs";

/// The marks of one run; dropping it removes them.
#[derive(Debug)]
pub struct RunHold {
    files: Vec<PathBuf>,
}

impl Drop for RunHold {
    fn drop(&mut self) {
        for f in &self.files {
            let _ = std::fs::remove_file(f);
        }
    }
}

/// Marks each volume dir in `dirs` as used by run `id` (this process).
pub(crate) fn hold(dirs: &[PathBuf], id: &str) -> Result<RunHold, ContainerError> {
    let me = ProcessId::current().ctx("read", "/proc/self/stat")?;
    let mut hold = RunHold { files: Vec::new() };
    for dir in dirs {
        let runs = dir.join(RUNS);
        std::fs::create_dir_all(&runs).ctx("create", &runs)?;
        crate::container::write_json(&runs, &format!("{id}.json"), &me, false)?;
        hold.files.push(runs.join(format!("{id}.json")));
    }
    Ok(hold)
}

/// The ids of the live runs marked in volume dir `dir`.
pub(crate) fn live_runs(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join(RUNS)) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let id = name.strip_suffix(".json")?.to_owned();
            let text = std::fs::read(e.path()).ok()?;
            let proc: ProcessId = serde_json::from_slice(&text).ok()?;
            proc.is_alive().then_some(id)
        })
        .collect()
}
