//! The end of a build: layer blobs for the target stage's snapshots
//! (written in parallel, uncompressed), the config and manifest, names,
//! exports (where the layers get compressed).

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Instant;

use rayon::prelude::*;
use strata_store::{Descriptor, Digest, ImageRef, TransportRef};

use super::state::{Layer, StageState};
use super::{BuildError, Event, Session};
use crate::cache::LayerRecord;
use crate::config::RootFs;
use crate::config::apply::rfc3339;

/// `--output type=oci|oci-archive|docker-archive,dest=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Oci(PathBuf),
    OciArchive(PathBuf),
    DockerArchive(PathBuf),
}

impl FromStr for Output {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut kind = None;
        let mut dest = None;
        for field in s.split(',') {
            match field.split_once('=') {
                Some(("type", v)) => kind = Some(v.to_string()),
                Some(("dest", v)) => dest = Some(PathBuf::from(v)),
                _ => return Err(format!("--output {s:?}: unknown field {field:?}")),
            }
        }
        let dest = dest.ok_or_else(|| format!("--output {s:?}: dest=PATH is required"))?;
        match kind.as_deref() {
            Some("oci") => Ok(Output::Oci(dest)),
            Some("oci-archive") => Ok(Output::OciArchive(dest)),
            Some("docker-archive") | Some("docker") => Ok(Output::DockerArchive(dest)),
            other => Err(format!(
                "--output {s:?}: type must be oci, oci-archive or docker-archive, not {other:?}"
            )),
        }
    }
}

impl Output {
    pub(crate) fn transport(&self, name: Option<&ImageRef>) -> TransportRef {
        let reference = name.and_then(|n| n.tag().map(str::to_string));
        match self {
            Output::Oci(dir) => TransportRef::OciDir {
                dir: dir.clone(),
                reference,
            },
            Output::OciArchive(file) => TransportRef::OciArchive {
                file: file.clone(),
                reference,
            },
            Output::DockerArchive(file) => TransportRef::DockerArchive {
                file: file.clone(),
                reference: name.cloned(),
            },
        }
    }
}

/// Writes the image of `state`; returns (manifest digest, config digest).
pub(crate) fn write_image(
    session: &Session,
    state: &StageState,
) -> Result<(Digest, Digest), BuildError> {
    let opts = super::local_layer_options(session.opts);
    let variant = crate::cache::layer_variant(&opts);
    let layers: Vec<(Descriptor, Digest)> = state
        .layers
        .par_iter()
        .map(|layer| -> Result<(Descriptor, Digest), BuildError> {
            match layer {
                Layer::Base {
                    descriptor,
                    diff_id,
                    ..
                } => Ok(((**descriptor).clone(), *diff_id)),
                Layer::Step { dir, key } => {
                    let started = Instant::now();
                    let info = session.store.write_layer(dir, &opts)?;
                    let digest = Digest::from_oci(info.descriptor.digest())?;
                    session.events.emit(Event::LayerWritten {
                        digest,
                        diff_id: info.diff_id,
                        size: info.descriptor.size(),
                        duration_ms: started.elapsed().as_millis() as u64,
                    });
                    let layer = LayerRecord {
                        digest,
                        diff_id: info.diff_id,
                        size: info.descriptor.size(),
                        media_type: info.descriptor.media_type().to_string(),
                    };
                    session.cache.record_layer(key, &variant, layer)?;
                    Ok((info.descriptor, info.diff_id))
                }
            }
        })
        .collect::<Result<_, _>>()?;
    let mut config = state.config.image.clone();
    if !session.opts.labels.is_empty() {
        let labels = config.config.labels.get_or_insert_with(Default::default);
        labels.extend(session.opts.labels.clone());
    }
    config.rootfs = RootFs {
        kind: "layers".to_string(),
        diff_ids: layers.iter().map(|(_, d)| d.to_string()).collect(),
    };
    config.created = match session.opts.source_date_epoch {
        Some(epoch) => Some(rfc3339(epoch)),
        None => state.created.clone(),
    };
    let config_bytes = config.to_json();
    let config_digest = Digest::of(&config_bytes);
    let descriptors: Vec<Descriptor> = layers.into_iter().map(|(d, _)| d).collect();
    let annotations =
        super::annotation::for_manifest(&session.opts.annotations, &session.opts.platform);
    let manifest_digest =
        session
            .store
            .write_manifest_annotated(&config_bytes, descriptors, &annotations)?;
    // With no index, the manifest's descriptor is the name's entry (the
    // store's, an OCI layout's), as BuildKit's exporter places it.
    let descriptor = super::annotation::for_manifest_descriptor(
        &session.opts.annotations,
        &session.opts.platform,
    );
    let mut names = Vec::new();
    for tag in &session.opts.tags {
        let name = ImageRef::parse(tag).map_err(strata_store::StoreError::from)?;
        session
            .store
            .tag_annotated(&name, &manifest_digest, &descriptor)?;
        names.push(name);
    }
    if !session.opts.outputs.is_empty() {
        let image = session.store.image(&manifest_digest)?;
        for out in &session.opts.outputs {
            session.store.export_annotated(
                &image,
                &out.transport(names.first()),
                session.opts.compression,
                &|_| {},
                &descriptor,
            )?;
        }
    }
    session.events.emit(Event::ImageWritten {
        manifest: manifest_digest,
        config: Some(config_digest),
        tags: names.iter().map(|n| n.to_string()).collect(),
    });
    Ok((manifest_digest, config_digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_specs() {
        assert_eq!(
            "type=oci,dest=/tmp/x".parse::<Output>(),
            Ok(Output::Oci("/tmp/x".into()))
        );
        assert_eq!(
            "dest=a.tar,type=docker-archive".parse::<Output>(),
            Ok(Output::DockerArchive("a.tar".into()))
        );
        assert!("type=oci".parse::<Output>().is_err());
        assert!("type=registry,dest=x".parse::<Output>().is_err());
    }
}
