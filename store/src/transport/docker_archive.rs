//! `docker save` archives: manifest.json lists, per image, the config file,
//! its RepoTags and the layer tar paths (uncompressed `<id>/layer.tar` in
//! the classic form, `blobs/sha256/<hex>` in newer ones; both are just
//! member paths here).

use std::io::{self, Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};
use tempfile::NamedTempFile;

use super::ingest;
use super::tar_index::TarIndex;
use super::tar_out::write_archive;
use crate::canonical;
use crate::compress;
use crate::digest::{Digest, DigestWriter};
use crate::error::{IoContext, StoreError};
use crate::image::Image;
use crate::reference::ImageRef;
use crate::store::Store;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

fn member(index: &TarIndex, name: &str) -> Result<impl io::Read + use<>, StoreError> {
    index
        .open_member(name)?
        .ok_or_else(|| StoreError::malformed("docker archive", format!("no member {name}")))
}

/// Imports the image `reference` names (or the only one); returns its new
/// manifest digest and the first RepoTag, if any.
pub fn import(
    store: &Store,
    file: &Path,
    reference: Option<&ImageRef>,
) -> Result<(Digest, Option<String>), StoreError> {
    let index = TarIndex::open(file)?;
    let bytes = ingest::read_small(member(&index, "manifest.json")?, "manifest.json")?;
    let entries: Vec<Entry> =
        serde_json::from_slice(&bytes).map_err(|e| StoreError::malformed("manifest.json", e))?;
    let tags = |e: &Entry| -> Vec<ImageRef> {
        e.repo_tags
            .iter()
            .flatten()
            .filter_map(|t| ImageRef::parse(t).ok())
            .collect()
    };
    let entry = match reference {
        Some(r) => entries
            .iter()
            .find(|e| tags(e).contains(r))
            .ok_or_else(|| StoreError::ImageNotFound(r.to_string()))?,
        None => match entries.as_slice() {
            [one] => one,
            [] => return Err(StoreError::ImageNotFound("(empty archive)".to_owned())),
            _ => return Err(StoreError::AmbiguousSource(file.display().to_string())),
        },
    };
    let config_bytes = ingest::read_small(member(&index, &entry.config)?, &entry.config)?;
    let diff_ids = ingest::parse_config(&config_bytes, entry.layers.len(), &entry.config)?;
    let mut layers = Vec::new();
    for (path, diff_id) in entry.layers.iter().zip(&diff_ids) {
        layers.push(ingest::layer(
            store,
            member(&index, path)?,
            None,
            diff_id,
            None,
        )?);
    }
    let digest = store.write_manifest(&config_bytes, layers)?;
    let first_tag = tags(entry).first().map(ToString::to_string);
    Ok((digest, first_tag))
}

/// Writes `image` in the classic `docker save` form, layers uncompressed.
pub fn export(
    store: &Store,
    image: &Image,
    file: &Path,
    reference: Option<&ImageRef>,
) -> Result<(), StoreError> {
    write_archive(file, |w| {
        let config_name = format!("{}.json", image.config_digest.hex());
        w.bytes(&config_name, &store.read_blob(&image.config_digest)?)?;
        let mut layer_names = Vec::new();
        for (desc, diff_id) in image.manifest.layers().iter().zip(image.diff_ids()?) {
            let name = format!("{}/layer.tar", diff_id.hex());
            if layer_names.contains(&name) {
                continue;
            }
            let blob_digest = Digest::from_oci(desc.digest())?;
            if blob_digest == diff_id {
                // Already the plain tar (a layer strata built): its size
                // is known, so it streams straight from the blob.
                let mut blob = store.open_blob(&blob_digest)?;
                let size = blob
                    .metadata()
                    .ctx(|| format!("stat blob {blob_digest}"))?
                    .len();
                w.dir(&format!("{}/", diff_id.hex()))?;
                w.file(&name, size, &mut blob)?;
                layer_names.push(name);
                continue;
            }
            // The tar header needs the size first: decompress to a temp file.
            let mut plain =
                NamedTempFile::new_in(store.tmp_dir()).ctx(|| "create temp layer".to_owned())?;
            let blob = store.open_blob(&blob_digest)?;
            let (_, mut tar) =
                compress::decoder(io::BufReader::new(blob)).ctx(|| "open layer".to_owned())?;
            let mut hashing = DigestWriter::new(plain.as_file_mut());
            let size = io::copy(&mut tar, &mut hashing)
                .map_err(|e| StoreError::CorruptLayer(e.to_string()))?;
            let (_, got, _) = hashing.finish();
            if got != diff_id {
                return Err(StoreError::DiffIdMismatch {
                    expected: diff_id.to_string(),
                    actual: got.to_string(),
                });
            }
            plain
                .as_file_mut()
                .seek(SeekFrom::Start(0))
                .ctx(|| "rewind temp layer".to_owned())?;
            w.dir(&format!("{}/", diff_id.hex()))?;
            w.file(&name, size, plain.as_file_mut())?;
            layer_names.push(name);
        }
        let entry = Entry {
            config: config_name,
            repo_tags: Some(reference.map(|r| r.familiar()).into_iter().collect()),
            layers: layer_names,
        };
        w.bytes("manifest.json", &canonical::to_vec(&vec![entry])?)?;
        Ok(())
    })
}
