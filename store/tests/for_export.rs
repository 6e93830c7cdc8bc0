//! `Store::for_export`, `compressed_layer`, `uncompressed_layer`: how an
//! image's layers leave the store, and how gc treats what they remember.

use std::fs;

use strata_store::{
    Compression, Descriptor, Digest, ImageConfiguration, LayerOptions, MediaType, Store,
};

type R = Result<(), Box<dyn std::error::Error>>;

const GZIP: Compression = Compression::Gzip { level: 6 };
const ZSTD: Compression = Compression::Zstd { level: 3 };

/// A one-file layer written with `compression`: (descriptor, diff_id).
fn layer(
    store: &Store,
    content: &str,
    compression: Compression,
) -> Result<(Descriptor, Digest), Box<dyn std::error::Error>> {
    let dir = store.tempdir()?;
    // Enough repetition that compression visibly shrinks it.
    fs::write(dir.path().join("f"), content.repeat(10_000))?;
    let l = store.write_layer(
        dir.path(),
        &LayerOptions {
            compression,
            source_date_epoch: Some(1_700_000_000),
        },
    )?;
    Ok((l.descriptor, l.diff_id))
}

fn image(
    store: &Store,
    layers: &[(Descriptor, Digest)],
) -> Result<Digest, Box<dyn std::error::Error>> {
    let mut config = ImageConfiguration::default();
    let mut rootfs = config.rootfs().clone();
    rootfs.set_diff_ids(layers.iter().map(|(_, d)| d.to_string()).collect());
    config.set_rootfs(rootfs);
    let descriptors: Vec<Descriptor> = layers.iter().map(|(d, _)| d.clone()).collect();
    Ok(store.write_image(&config, &descriptors)?)
}

fn memo(store: &Store, plain: &Digest) -> std::path::PathBuf {
    store
        .cache_dir()
        .join("compressed")
        .join(format!("{}.json", plain.hex()))
}

#[test]
fn uncompressed_layers_are_compressed_and_compressed_ones_kept() -> R {
    let t = tempfile::tempdir()?;
    let store = Store::open(t.path())?;
    let base = layer(&store, "base ", GZIP)?;
    let built = layer(&store, "built ", Compression::None)?;
    assert_eq!(*built.0.media_type(), MediaType::ImageLayer);
    let img = store.image(&image(&store, &[base.clone(), built.clone()])?)?;

    let out = store.for_export(&img, ZSTD)?;
    assert_ne!(out.manifest_digest, img.manifest_digest);
    assert_eq!(out.config_digest, img.config_digest, "config unchanged");
    assert_eq!(
        out.manifest.layers()[0],
        base.0,
        "compressed layer sent as is"
    );
    let sent = &out.manifest.layers()[1];
    assert_eq!(*sent.media_type(), MediaType::ImageLayerZstd);
    assert!(sent.size() < built.0.size());
    assert_eq!(
        store.image(&out.manifest_digest)?.diff_ids()?,
        img.diff_ids()?
    );
    // The compressed blob unpacks to the layer's tar.
    let back = store.uncompressed_layer(sent, &built.1, None)?;
    assert_eq!(back, built.0);
    Ok(())
}

#[test]
fn nothing_to_compress_gives_the_image_itself() -> R {
    let t = tempfile::tempdir()?;
    let store = Store::open(t.path())?;
    let built = layer(&store, "built ", Compression::None)?;
    let img = store.image(&image(&store, &[built])?)?;
    assert_eq!(
        store.for_export(&img, Compression::None)?.manifest_digest,
        img.manifest_digest
    );
    let gz = store.image(&image(&store, &[layer(&store, "gz ", GZIP)?])?)?;
    assert_eq!(
        store.for_export(&gz, ZSTD)?.manifest_digest,
        gz.manifest_digest
    );
    Ok(())
}

#[test]
fn a_layer_is_compressed_once_and_again_after_its_blob_is_gone() -> R {
    let t = tempfile::tempdir()?;
    let store = Store::open(t.path())?;
    let (plain, diff_id) = layer(&store, "once ", Compression::None)?;
    let count = std::sync::atomic::AtomicUsize::new(0);
    let img = store.image(&image(&store, &[(plain.clone(), diff_id)])?)?;
    let report = |_| {
        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    };
    let first = store.for_export_with(&img, GZIP, &report)?;
    let second = store.for_export_with(&img, GZIP, &report)?;
    assert_eq!(first.manifest_digest, second.manifest_digest);
    assert_eq!(
        count.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "compressed once"
    );
    assert!(memo(&store, &diff_id).is_file());

    let gz = Digest::from_oci(first.manifest.layers()[0].digest())?;
    fs::remove_file(store.blob_path(&gz))?;
    let third = store.for_export_with(&img, GZIP, &report)?;
    assert_eq!(
        third.manifest_digest, first.manifest_digest,
        "same bytes again"
    );
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert!(store.has_blob(&gz));
    Ok(())
}

#[test]
fn gc_keeps_the_memos_of_live_layers_drops_the_rest_and_fsck_stays_clean() -> R {
    let t = tempfile::tempdir()?;
    let store = Store::open(t.path())?;
    let (plain, diff_id) = layer(&store, "gc ", Compression::None)?;
    let digest = image(&store, &[(plain, diff_id)])?;
    let name = strata_store::ImageRef::parse("app:1")?;
    store.tag(&name, &digest)?;
    let img = store.image(&digest)?;
    let exported = store.for_export(&img, GZIP)?;
    let gz = Digest::from_oci(exported.manifest.layers()[0].digest())?;
    let junk = store.cache_dir().join("compressed/not-a-digest.json");
    fs::write(&junk, "{")?;
    assert!(store.fsck()?.is_clean(), "memos are not records to check");

    // app:1 still uses the layer: its gzip form stays, so it is compressed
    // once.
    store.gc()?;
    assert!(memo(&store, &diff_id).is_file(), "kept for a live layer");
    assert!(store.has_blob(&gz));
    assert!(!junk.exists());
    assert!(store.fsck()?.is_clean());
    assert!(store.image(&digest).is_ok(), "the image itself stays");

    // Once nothing names the image, the layer, its gzip form and the memo go.
    store.untag(&name)?;
    store.gc()?;
    assert!(
        !memo(&store, &diff_id).exists(),
        "its gzip blob was unnamed"
    );
    assert!(!store.has_blob(&gz));
    assert!(store.fsck()?.is_clean());
    Ok(())
}

#[test]
fn an_adopted_compressed_layer_gives_its_plain_blob_and_is_remembered() -> R {
    let t = tempfile::tempdir()?;
    let store = Store::open(t.path())?;
    let (gz, diff_id) = layer(&store, "adopt ", GZIP)?;
    let plain = store.uncompressed_layer(&gz, &diff_id, Some(GZIP))?;
    assert_eq!(Digest::from_oci(plain.digest())?, diff_id);
    assert_eq!(*plain.media_type(), MediaType::ImageLayer);
    // Exporting the plain layer sends the adopted bytes, compressing nothing.
    let count = std::sync::atomic::AtomicUsize::new(0);
    let img = store.image(&image(&store, &[(plain, diff_id)])?)?;
    let out = store.for_export_with(&img, GZIP, &|_| {
        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    })?;
    assert_eq!(out.manifest.layers()[0], gz);
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 0);

    // A blob whose tar is not the diff_id is refused.
    let (other, _) = layer(&store, "other ", ZSTD)?;
    let wrong = Digest::of(b"not this layer");
    assert!(store.uncompressed_layer(&other, &wrong, None).is_err());
    assert!(!store.has_blob(&wrong));
    Ok(())
}
