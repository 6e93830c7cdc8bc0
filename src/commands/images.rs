//! `images`, `inspect`, `history`, `tag`, `rmi`.

use miette::Result;
use serde_json::json;
use strata_store::{Digest, Image, ImageRef, Store, Stored};

use super::store_open::{find, report};
use crate::cli::{ImageArg, ImagesArgs, ListFormat, RmiArgs, TagArgs};

fn image_size(img: &Image) -> u64 {
    img.manifest.config().size() + img.manifest.layers().iter().map(|l| l.size()).sum::<u64>()
}

fn short(hex: &str) -> &str {
    &hex[..hex.len().min(12)]
}

/// One line of `images`: an image, or an index shown once with its platforms.
struct Row {
    id: Digest,
    digest: Digest,
    created: Option<String>,
    size: u64,
    platforms: Vec<String>,
}

fn row(stored: &Stored) -> Row {
    match stored {
        Stored::Image(img) => Row {
            id: img.config_digest,
            digest: img.manifest_digest,
            created: img.config.created().clone(),
            size: image_size(img),
            platforms: vec![img.platform().to_string()],
        },
        // The index is the image, as docker's containerd store shows it:
        // its digest is the id, its size what all its platforms take.
        Stored::Index(index) => Row {
            id: index.digest,
            digest: index.digest,
            created: index
                .images
                .iter()
                .filter_map(|p| p.image.config.created().clone())
                .max(),
            size: index.images.iter().map(|p| image_size(&p.image)).sum(),
            platforms: index.platforms().iter().map(|p| p.to_string()).collect(),
        },
    }
}

pub fn list(store: &Store, args: &ImagesArgs) -> Result<i32> {
    let mut rows = Vec::new();
    for named in store.names().map_err(report)? {
        // One damaged image must not hide the others; fsck says more.
        match store.stored(&named.manifest_digest) {
            Ok(stored) => {
                let mut row = row(&stored);
                // podman's column: the digest the registry knows the pull
                // by, the index's when one platform was pulled through one.
                if let Some(index) = named.pulled_through {
                    row.digest = index;
                }
                rows.push((named.name, row))
            }
            Err(e) => eprintln!("warning: {}: {e}", named.name),
        }
    }
    rows.sort_by_key(|(n, _)| n.to_string());
    match args.format {
        ListFormat::Json => {
            let out: Vec<_> = rows
                .iter()
                .map(|(n, img)| {
                    json!({
                        "name": n.to_string(),
                        "repository": n.name(),
                        "tag": n.tag(),
                        "id": img.id.to_string(),
                        "digest": img.digest.to_string(),
                        "created": img.created,
                        "size": img.size,
                        "platforms": img.platforms,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&out).map_err(|e| miette::miette!("{e}"))?
            );
        }
        ListFormat::Table => {
            // podman's column, after TAG: the digest a pull by digest takes.
            let digest_column = |d: &str| match args.digests {
                true => format!("{d:<72}"),
                false => String::new(),
            };
            println!(
                "{:<40} {:<16} {}{:<14} {:<22} {:>10}  PLATFORMS",
                "REPOSITORY",
                "TAG",
                digest_column("DIGEST"),
                "IMAGE ID",
                "CREATED",
                "SIZE"
            );
            for (n, img) in &rows {
                let familiar = n.familiar();
                let repo = familiar
                    .rsplit_once(':')
                    .map_or(familiar.as_str(), |(r, _)| r);
                println!(
                    "{:<40} {:<16} {}{:<14} {:<22} {:>10}  {}",
                    repo,
                    n.tag().unwrap_or("<none>"),
                    digest_column(&img.digest.to_string()),
                    short(&img.id.hex()),
                    img.created.as_deref().unwrap_or("-"),
                    human(img.size),
                    img.platforms.join(","),
                );
            }
        }
    }
    Ok(0)
}

pub fn human(bytes: u64) -> String {
    strata_builder::cache::ByteSize(bytes).to_string()
}

fn named(store: &Store, digest: &Digest) -> Result<Vec<ImageRef>> {
    Ok(store
        .names()
        .map_err(report)?
        .into_iter()
        .filter(|n| n.manifest_digest == *digest)
        .map(|n| n.name)
        .collect())
}

/// `REPOSITORY@INDEX` for each name of `digest` pulled through a registry
/// index: podman knows a pulled platform by the index's digest as well.
fn pulled_through(store: &Store, digest: &Digest) -> Result<Vec<String>> {
    Ok(store
        .names()
        .map_err(report)?
        .into_iter()
        .filter(|n| n.manifest_digest == *digest)
        .filter_map(|n| Some(format!("{}@{}", n.name.name(), n.pulled_through?)))
        .collect())
}

fn names_of(store: &Store, digest: &Digest) -> Result<Vec<String>> {
    Ok(named(store, digest)?
        .iter()
        .map(|n| n.to_string())
        .collect())
}

/// podman's RepoDigests: `REPOSITORY@DIGEST` for each repository naming
/// the image and each digest it is known by (an index's entry: its own
/// manifest's and the index's), sorted, without repeats.
fn repo_digests(names: &[ImageRef], digests: &[Digest]) -> Vec<String> {
    let mut out: Vec<String> = names
        .iter()
        .flat_map(|n| digests.iter().map(move |d| format!("{}@{d}", n.name())))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn image_json(store: &Store, img: &Image, names: Vec<String>) -> Result<serde_json::Value> {
    // The config as stored: docker's fields oci-spec's type drops
    // (Healthcheck, Shell, OnBuild) show too, as docker inspect shows them.
    let raw: serde_json::Value =
        serde_json::from_slice(&store.read_blob(&img.config_digest).map_err(report)?)
            .map_err(|e| miette::miette!("the image config {}: {e}", img.config_digest))?;
    Ok(json!({
        "Id": img.config_digest.to_string(),
        "Digest": img.manifest_digest.to_string(),
        "RepoTags": names,
        "Created": img.config.created(),
        "Architecture": img.config.architecture().to_string(),
        "Os": img.config.os().to_string(),
        "Variant": img.config.variant(),
        "Size": image_size(img),
        "Config": raw.get("config"),
        "RootFS": img.config.rootfs(),
        "Manifest": img.manifest,
    }))
}

pub fn inspect(store: &Store, args: &ImageArg) -> Result<i32> {
    let top = store.resolve_top(&args.image).map_err(report)?;
    let stored = match &top {
        Some(d) => Some(store.stored(d).map_err(report)?),
        None => None,
    };
    let out = match stored {
        Some(Stored::Index(index)) => {
            let index_names = named(store, &index.digest)?;
            let mut manifests = Vec::new();
            for p in &index.images {
                let own = named(store, &p.image.manifest_digest)?;
                let mut one =
                    image_json(store, &p.image, own.iter().map(|n| n.to_string()).collect())?;
                let repos: Vec<ImageRef> = own.into_iter().chain(index_names.clone()).collect();
                one["RepoDigests"] = json!(repo_digests(
                    &repos,
                    &[p.image.manifest_digest, index.digest]
                ));
                one["Platform"] = json!(p.platform);
                one["DescriptorAnnotations"] = json!(p.annotations);
                manifests.push(one);
            }
            json!({
                "Id": index.digest.to_string(),
                "Digest": index.digest.to_string(),
                "MediaType": index.media_type,
                "RepoTags": names_of(store, &index.digest)?,
                "RepoDigests": repo_digests(&index_names, &[index.digest]),
                "Platforms": index.platforms(),
                "Annotations": index.annotations,
                "DescriptorAnnotations": store
                    .annotations_of(&args.image, &index.digest)
                    .map_err(report)?,
                "Index": serde_json::from_slice::<serde_json::Value>(
                    &store.read_blob(&index.digest).map_err(report)?
                ).map_err(|e| miette::miette!("index {}: {e}", index.digest))?,
                "Manifests": manifests,
            })
        }
        _ => {
            let img = find(store, &args.image)?;
            let names = named(store, &img.manifest_digest)?;
            let mut one = image_json(store, &img, names.iter().map(|n| n.to_string()).collect())?;
            let mut digests = repo_digests(&names, &[img.manifest_digest]);
            digests.extend(pulled_through(store, &img.manifest_digest)?);
            digests.sort();
            digests.dedup();
            one["RepoDigests"] = json!(digests);
            one["DescriptorAnnotations"] = json!(
                store
                    .annotations_of(&args.image, &img.manifest_digest)
                    .map_err(report)?
            );
            one
        }
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&out).map_err(|e| miette::miette!("{e}"))?
    );
    Ok(0)
}

pub fn history(store: &Store, args: &ImageArg) -> Result<i32> {
    let img = find(store, &args.image)?;
    let mut layers = img.manifest.layers().iter();
    let mut rows = Vec::new();
    for h in img.config.history().iter().flatten() {
        let size = if h.empty_layer().unwrap_or(false) {
            0
        } else {
            layers.next().map_or(0, |l| l.size())
        };
        rows.push((
            h.created().clone().unwrap_or_else(|| "-".into()),
            h.created_by().clone().unwrap_or_default(),
            size,
            h.comment().clone().unwrap_or_default(),
        ));
    }
    println!(
        "{:<22} {:<60} {:>10}  COMMENT",
        "CREATED", "CREATED BY", "SIZE"
    );
    for (created, by, size, comment) in rows.iter().rev() {
        println!("{created:<22} {by:<60} {:>10}  {comment}", human(*size));
    }
    Ok(0)
}

pub fn tag(store: &Store, args: &TagArgs) -> Result<i32> {
    // A name of an index names the index, not this machine's entry of it.
    let index = match store.resolve_top(&args.source).map_err(report)? {
        Some(d) => matches!(store.stored(&d), Ok(Stored::Index(_))).then_some(d),
        None => None,
    };
    let top = match index {
        Some(d) => d,
        None => find(store, &args.source)?.manifest_digest,
    };
    // Parse every name before adding any: a typo adds nothing.
    let targets = args
        .targets
        .iter()
        .map(|t| ImageRef::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(report)?;
    // The new name's entry says what the source's says.
    let annotations = store.annotations_of(&args.source, &top).map_err(report)?;
    for target in &targets {
        store
            .tag_annotated(target, &top, &annotations)
            .map_err(report)?;
    }
    Ok(0)
}

pub fn rmi(store: &Store, args: &RmiArgs) -> Result<i32> {
    let mut failed = false;
    for arg in &args.images {
        // A name removes that name; a digest or id removes every name of it.
        let by_name = ImageRef::parse(arg).ok().filter(|r| r.digest().is_none());
        if !args.force
            && let Some(users) =
                super::containers::users_of_last_name(store, arg, by_name.is_some())?
        {
            eprintln!(
                "error: image {arg} is used by container {users}: remove the container first, or rmi -f"
            );
            failed = true;
            continue;
        }
        let removed = match &by_name {
            Some(name) if store.untag(name).map_err(report)? => vec![name.to_string()],
            // What the id or digest names at the top: an index's names go
            // with it, not its host entry's.
            _ => match store.resolve_top(arg).map_err(report)? {
                Some(top) => {
                    let mut out = Vec::new();
                    for n in store.names().map_err(report)? {
                        if n.manifest_digest == top && store.untag(&n.name).map_err(report)? {
                            out.push(n.name.to_string());
                        }
                    }
                    out
                }
                None => Vec::new(),
            },
        };
        if removed.is_empty() {
            eprintln!("error: image {arg} not found");
            failed = true;
        }
        for r in removed {
            println!("Untagged: {r}");
        }
    }
    Ok(i32::from(failed))
}
