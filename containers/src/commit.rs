//! `commit`: a container's upper dir becomes one new layer on top of its
//! image's. The cost is a tar of what the container changed (the same path
//! a RUN step's diff takes), never a walk of the image.

use oci_spec::image::HistoryBuilder;
use strata_store::{Compression, Digest, ImageRef, LayerOptions};

use crate::container::Container;
use crate::error::ContainerError;
use crate::registry::Containers;
use crate::status::Status;
use crate::time::Timestamp;

#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// The history entry's comment (`-m`).
    pub message: Option<String>,
    pub author: Option<String>,
    /// Freeze a running container while its changes are read (docker's
    /// default), so the layer is one moment's state.
    pub pause: bool,
    /// `-c INSTRUCTION`s, in order.
    pub changes: Vec<crate::ConfigChange>,
}

/// Writes the image and names it `name` when given; returns its manifest
/// digest. The caller holds the container's lock.
pub fn commit(
    containers: &Containers,
    c: &Container,
    name: Option<&ImageRef>,
    opts: &CommitOptions,
) -> Result<Digest, ContainerError> {
    let store = containers.store();
    // The new blobs are named only at the end: gc must wait.
    let _busy = store.lock_shared()?;
    let state = c.refresh()?;
    let freezer = match (&state.freezer, state.status) {
        (Some(f), Status::Running) if opts.pause => {
            f.freeze()?;
            Some(f)
        }
        _ => None,
    };
    let layer = store.write_layer(
        &c.upper(),
        &LayerOptions {
            compression: Compression::None,
            source_date_epoch: None,
        },
    );
    if let Some(f) = freezer {
        f.thaw()?;
    }
    let layer = layer?;
    let base = store.image(&c.config.image_digest)?;
    let mut config = base.config.clone();
    config
        .rootfs_mut()
        .diff_ids_mut()
        .push(layer.diff_id.to_string());
    // Seconds, as docker's and strata build's image times.
    let now = humantime::format_rfc3339_seconds(Timestamp::now().0).to_string();
    let mut entry = HistoryBuilder::default()
        .created(now.clone())
        .created_by(format!("strata commit {}", c.config.short_id()));
    if let Some(m) = &opts.message {
        entry = entry.comment(m.clone());
    }
    if let Some(a) = &opts.author {
        entry = entry.author(a.clone());
        config.set_author(Some(a.clone()));
    }
    let entry = entry
        .build()
        .map_err(|e| ContainerError::Commit(e.to_string()))?;
    config
        .history_mut()
        .get_or_insert_with(Vec::new)
        .push(entry);
    config.set_created(Some(now));
    if !opts.changes.is_empty() {
        let mut cfg = config.config().clone().unwrap_or_default();
        crate::config_change::apply_changes(&opts.changes, &mut cfg);
        config.set_config(Some(cfg));
    }
    let mut layers = base.manifest.layers().clone();
    layers.push(layer.descriptor);
    if config.rootfs().diff_ids().len() != layers.len() {
        return Err(ContainerError::Commit(
            "the base image's layers and diff_ids differ in number".into(),
        ));
    }
    let digest = crate::commit_image::write_image(store, &base.config_digest, &config, &layers)?;
    if let Some(name) = name {
        store.tag(name, &digest)?;
    }
    Ok(digest)
}
