//! `import`, `pull`, `push`: images in and out of the store.

use miette::Result;
use strata_store::{Compression, ImageRef, LayerOptions, TransportRef};

use super::export_report::reporter;
use super::store_open::{find, report};
use crate::cli::{ImportArgs, PullArgs, PushArgs};
use strata_store::{Store, Stored};

fn source_date_epoch() -> Option<u64> {
    std::env::var("SOURCE_DATE_EPOCH").ok()?.trim().parse().ok()
}

pub fn import(store: &Store, args: &ImportArgs) -> Result<i32> {
    let name = ImageRef::parse(&args.name).map_err(report)?;
    let compression: Compression = args.compression.parse().map_err(report)?;
    let opts = LayerOptions {
        compression,
        source_date_epoch: source_date_epoch(),
    };
    let _busy = store.lock_shared().map_err(report)?;
    let digest = match &args.platform {
        Some(platform) => {
            let image = store
                .import_rootfs_as(&args.rootfs, &opts, platform)
                .map_err(report)?;
            store.join_index(&name, &image, platform).map_err(report)?;
            image
        }
        None => store
            .import_rootfs(&args.rootfs, Some(&name), &opts)
            .map_err(report)?,
    };
    println!("{digest}");
    Ok(0)
}

pub fn pull(store: &Store, args: &PullArgs) -> Result<i32> {
    let name = args
        .name
        .as_deref()
        .map(ImageRef::parse)
        .transpose()
        .map_err(report)?;
    if let Some(source) = args.source.strip_prefix("docker://") {
        return super::registry::pull(
            store,
            source,
            name.as_ref(),
            args.all_platforms,
            &args.registry,
        );
    }
    let Some(source) = TransportRef::parse(&args.source).map_err(report)? else {
        // A plain name: the store is looked at first; registries come later.
        let image = store.resolve_str(&args.source).map_err(report)?;
        return match image {
            Some(img) => {
                if let Some(n) = &name {
                    store.tag(n, &img.manifest_digest).map_err(report)?;
                }
                println!("{}", img.manifest_digest);
                Ok(0)
            }
            None => Err(miette::miette!(
                "{} is not in the store, and pulling from a registry is not supported yet",
                args.source
            )),
        };
    };
    let _busy = store.lock_shared().map_err(report)?;
    let platform = match &args.registry.platform {
        Some(p) => Some(
            p.parse::<strata_store::Platform>()
                .map_err(|e| miette::miette!("--platform: {e}"))?,
        ),
        None => None,
    };
    let digest = match args.all_platforms {
        true => store.import_all_platforms_from(&source, name.as_ref()),
        false => store.import_from_for(&source, name.as_ref(), platform.as_ref()),
    }
    .map_err(report)?;
    println!("{digest}");
    Ok(0)
}

pub fn push(store: &Store, args: &PushArgs, quiet: bool) -> Result<i32> {
    let compression: Compression = args
        .compression
        .parse()
        .map_err(|e| miette::miette!("--compression {}: {e}", args.compression))?;
    // The compressed blobs and manifest are named by nothing until sent.
    let _busy = store.lock_shared().map_err(report)?;
    let index = match store.resolve_top(&args.image).map_err(report)? {
        Some(top) => match store.stored(&top).map_err(report)? {
            Stored::Index(index) => Some(index),
            Stored::Image(_) => None,
        },
        None => None,
    };
    let image = match &index {
        Some(_) => None,
        None => Some(find(store, &args.image)?),
    };
    if let Some(dest) = args.dest.strip_prefix("docker://") {
        return match (&index, &image) {
            (Some(index), _) => {
                super::registry::push_index(store, index, dest, compression, &args.registry, quiet)
            }
            (None, Some(image)) => {
                super::registry::push(store, image, dest, compression, &args.registry, quiet)
            }
            (None, None) => Err(miette::miette!("image {} not found", args.image)),
        };
    }
    let dest: TransportRef = args.dest.parse().map_err(report)?;
    let name = ImageRef::parse(&args.image)
        .ok()
        .filter(|n| n.digest().is_none());
    let dest = dest.with_default_reference(name.as_ref());
    // The layout's entry says what the store's entry for this name says.
    let digest = match (&index, &image) {
        (Some(index), _) => {
            let annotations = store
                .annotations_of(&args.image, &index.digest)
                .map_err(report)?;
            store.export_index_annotated(index, &dest, compression, &reporter(quiet), &annotations)
        }
        (None, Some(image)) => {
            let annotations = store
                .annotations_of(&args.image, &image.manifest_digest)
                .map_err(report)?;
            store.export_annotated(image, &dest, compression, &reporter(quiet), &annotations)
        }
        (None, None) => return Err(miette::miette!("image {} not found", args.image)),
    }
    .map_err(report)?;
    println!("{digest}");
    Ok(0)
}
