//! `system df`, `system gc`, `system fsck`.

use miette::Result;
use strata_store::Store;

use super::images::human;
use super::store_open::report;
use crate::cli::{SystemArgs, SystemCommand};

pub fn run(store: &Store, args: &SystemArgs) -> Result<i32> {
    match &args.command {
        SystemCommand::Df => {
            let du = store.disk_usage().map_err(report)?;
            println!("{:<12} {:>8} {:>12}", "TYPE", "COUNT", "SIZE");
            println!("{:<12} {:>8} {:>12}", "images", du.images, "-");
            println!(
                "{:<12} {:>8} {:>12}",
                "blobs",
                du.blobs,
                human(du.blob_bytes)
            );
            println!(
                "{:<12} {:>8} {:>12}",
                "snapshots",
                du.snapshots,
                human(du.snapshot_bytes)
            );
            println!("{:<12} {:>8} {:>12}", "cache", "-", human(du.cache_bytes));
            let (volumes, volume_bytes) = super::volumes::usage(store)?;
            println!(
                "{:<12} {:>8} {:>12}",
                "volumes",
                volumes,
                human(volume_bytes)
            );
            println!("{:<12} {:>8} {:>12}", "tmp", "-", human(du.tmp_bytes));
            println!("reclaimable by gc: {}", human(du.reclaimable_bytes));
            if du.tmp_recent_bytes > 0 {
                println!(
                    "tmp/ leftovers younger than {} minutes ({}) are reclaimable once older: gc removes them then",
                    strata_store::TMP_GRACE.as_secs() / 60,
                    human(du.tmp_recent_bytes)
                );
            }
            Ok(0)
        }
        SystemCommand::Gc => {
            let r = store.gc().map_err(report)?;
            println!(
                "removed {} blobs and {} snapshots, freed {}",
                r.blobs_removed,
                r.snapshots_removed,
                human(r.bytes_freed)
            );
            Ok(0)
        }
        SystemCommand::Fsck => {
            let r = store.fsck().map_err(report)?;
            for p in &r.problems {
                println!("{p}");
            }
            println!(
                "checked {} blobs, {} snapshots, {} names: {}",
                r.blobs_checked,
                r.snapshots_checked,
                r.images_checked,
                if r.is_clean() {
                    "ok".to_owned()
                } else {
                    format!("{} problems", r.problems.len())
                }
            );
            // Volumes first: the containers' count line stays the last.
            let volumes = super::volumes::fsck(store)?;
            let containers = super::containers::fsck(store)?;
            Ok(if r.is_clean() && containers && volumes {
                0
            } else {
                1
            })
        }
        SystemCommand::Prune { volumes, force: _ } => {
            if *volumes {
                super::volumes::prune_anonymous(store)?;
            }
            let r = store.gc().map_err(report)?;
            println!(
                "removed {} blobs and {} snapshots, freed {}",
                r.blobs_removed,
                r.snapshots_removed,
                human(r.bytes_freed)
            );
            Ok(0)
        }
    }
}
