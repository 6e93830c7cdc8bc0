//! `strata import`: a root filesystem (a directory, or a tar of one in any
//! compression) becomes a one-layer image.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use strata_platform::Platform;

use oci_spec::image::{Arch, ConfigBuilder, HistoryBuilder, ImageConfiguration, Os, RootFs};

use crate::compress;
use crate::digest::Digest;
use crate::error::{IoContext, StoreError};
use crate::layer::{self, ApplyOptions, LayerOptions, WhiteoutMode};
use crate::reference::ImageRef;
use crate::snapshot::{BlobRecord, SnapshotId, SnapshotMeta};
use crate::store::Store;
use crate::time;

const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl Store {
    /// Imports `source` as a one-layer image named `name`; returns the
    /// manifest digest. A tar is unpacked (checked like any layer) into a
    /// snapshot first, so the image's layer is made by our own writer.
    pub fn import_rootfs(
        &self,
        source: &Path,
        name: Option<&ImageRef>,
        opts: &LayerOptions,
    ) -> Result<Digest, StoreError> {
        let digest = self.import_rootfs_as(source, opts, &Platform::host())?;
        if let Some(name) = name {
            self.tag(name, &digest)?;
        }
        Ok(digest)
    }

    /// Imports `source` as an unnamed one-layer image whose config says
    /// `platform` (the tree is taken as it is: nothing checks that its
    /// programs are for that platform).
    pub fn import_rootfs_as(
        &self,
        source: &Path,
        opts: &LayerOptions,
        platform: &Platform,
    ) -> Result<Digest, StoreError> {
        let meta = source
            .metadata()
            .ctx(|| format!("stat {}", source.display()))?;
        let info = if meta.is_dir() {
            self.write_layer(source, opts)?
        } else {
            let tmp = self.tempdir()?;
            let fs_dir = tmp.path().join("fs");
            std::fs::create_dir(&fs_dir).ctx(|| format!("mkdir {}", fs_dir.display()))?;
            let file = File::open(source).ctx(|| format!("open {}", source.display()))?;
            let (_, tar) = compress::decoder(BufReader::new(file))
                .map_err(|e| StoreError::CorruptLayer(e.to_string()))?;
            let apply = ApplyOptions {
                whiteouts: WhiteoutMode::Remove,
                ..self.apply_options()
            };
            layer::apply_layer(tar, &fs_dir, &apply)
                .map_err(|e| e.in_layer(&source.display().to_string()))?;
            let info = self.write_layer(&fs_dir, opts)?;
            // Keep the unpacked tree: it is this image's layer snapshot.
            let meta = SnapshotMeta {
                diff_id: Some(info.diff_id),
                written_in_boot: None,
                blobs: vec![BlobRecord {
                    compression: opts.compression.to_string(),
                    source_date_epoch: opts.source_date_epoch,
                    media_type: info.descriptor.media_type().to_string(),
                    digest: Digest::from_oci(info.descriptor.digest())?,
                    size: info.descriptor.size(),
                }],
            };
            self.commit_snapshot_with(&fs_dir, &SnapshotId::for_layer(&info.diff_id), &meta)?;
            info
        };
        let created = time::rfc3339(time::now_or_epoch());
        let mut config = ImageConfiguration::default();
        config.set_architecture(Arch::from(platform.architecture.as_str()));
        config.set_os(Os::from(platform.os.as_str()));
        config.set_variant(platform.variant.clone());
        config.set_created(Some(created.clone()));
        config.set_config(Some(
            ConfigBuilder::default()
                .env(vec![DEFAULT_PATH.to_owned()])
                .build()?,
        ));
        let mut rootfs = RootFs::default();
        rootfs.set_diff_ids(vec![info.diff_id.to_string()]);
        config.set_rootfs(rootfs);
        config.set_history(Some(vec![
            HistoryBuilder::default()
                .created(created)
                // No source path: the same tree imported from two places must give
                // the same image (reproducible digests, shared remote caches).
                .created_by("strata import")
                .build()?,
        ]));
        self.write_image(&config, std::slice::from_ref(&info.descriptor))
    }
}
