//! `system fsck`'s look at containers: every record readable, its dirs and
//! its image present and pinned, no pin left by a removed container, and
//! nothing of a finished run left on the networks (no attachment of a
//! dead owner, no pasta, no namespace file: strata_network::fsck). A
//! container whose monitor died is settled on the way (marked exited), as
//! any command does.

use crate::error::ContainerError;
use crate::registry::Containers;

#[derive(Debug, Default)]
pub struct ContainersReport {
    pub checked: usize,
    pub problems: Vec<String>,
}

pub fn fsck(containers: &Containers) -> Result<ContainersReport, ContainerError> {
    let store = containers.store();
    let mut report = ContainersReport::default();
    let mut ids = std::collections::BTreeSet::new();
    for c in containers.list()? {
        report.checked += 1;
        ids.insert(c.id().to_owned());
        let name = format!("container {} ({})", c.config.short_id(), c.config.name);
        if let Err(e) = c.refresh() {
            report.problems.push(format!("{name}: state: {e}"));
        }
        for sub in ["upper", "work"] {
            if !c.dir().join(sub).is_dir() {
                report.problems.push(format!("{name}: no {sub}/ dir"));
            }
        }
        let image = store.image(&c.config.image_digest);
        if let Err(e) = image {
            report
                .problems
                .push(format!("{name}: image {}: {e}", c.config.image_digest));
        }
        if !crate::pins::path(store, c.id()).is_file() {
            report.problems.push(format!(
                "{name}: its image is not pinned (gc could take it)"
            ));
        }
    }
    // After the records: the command reaped what dead monitors left, and
    // each refresh above settled a container whose monitor died.
    report.problems.extend(strata_network::fsck(store.root()));
    let pins = store.cache_dir().join("containers");
    if let Ok(entries) = std::fs::read_dir(&pins) {
        for e in entries.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            if let Some(id) = file.strip_suffix(".json")
                && !ids.contains(id)
            {
                report.problems.push(format!(
                    "cache/containers/{file}: a pin of no container (remove it)"
                ));
            }
        }
    }
    Ok(report)
}
