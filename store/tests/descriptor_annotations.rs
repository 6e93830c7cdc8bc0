//! A name's entry in index.json carries its descriptor's annotations
//! (buildx's `index-descriptor`): given when the name is made, kept by a
//! later name for the same digest, and left to each name when two names
//! of one digest say different things.

use strata_store::{Annotations, Compression, ImageConfiguration, ImageRef, LayerOptions, Store};

type R = Result<(), Box<dyn std::error::Error>>;

fn annotations(pairs: &[(&str, &str)]) -> Annotations {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn each_name_keeps_its_entrys_annotations() -> R {
    let t = tempfile::tempdir()?;
    let store = Store::open(&t.path().join("s"))?;
    let dir = store.tempdir()?;
    std::fs::write(dir.path().join("f"), "x")?;
    let layer = store.write_layer(
        dir.path(),
        &LayerOptions {
            compression: Compression::None,
            source_date_epoch: Some(1),
        },
    )?;
    let mut config = ImageConfiguration::default();
    let mut rootfs = config.rootfs().clone();
    rootfs.set_diff_ids(vec![layer.diff_id.to_string()]);
    config.set_rootfs(rootfs);
    let digest = store.write_image(&config, &[layer.descriptor])?;

    let one = ImageRef::parse("one:1")?;
    let two = ImageRef::parse("two:1")?;
    let three = ImageRef::parse("three:1")?;
    store.tag_annotated(&one, &digest, &annotations(&[("k", "one")]))?;
    store.tag(&two, &digest)?;
    assert_eq!(
        store.name_annotations(&two)?,
        Some(annotations(&[("k", "one")])),
        "a plain tag keeps what the digest's entry said"
    );
    store.tag_annotated(&three, &digest, &annotations(&[("k", "three")]))?;
    assert_eq!(
        store.annotations_of("one:1", &digest)?.get("k"),
        Some("one")
    );
    assert_eq!(
        store.annotations_of("three:1", &digest)?.get("k"),
        Some("three")
    );
    assert_eq!(
        store.annotations_of(&digest.to_string(), &digest)?.get("k"),
        Some("three"),
        "a digest takes the latest entry"
    );
    assert_eq!(store.name_annotations(&ImageRef::parse("none:1")?)?, None);
    Ok(())
}
