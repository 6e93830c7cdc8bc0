//! `images`, `inspect`, `history`, `tag`, `rmi`.

use miette::Result;
use serde_json::json;
use strata_store::{Image, ImageRef, Store};

use super::store_open::{find, report};
use crate::cli::{ImageArg, ImagesArgs, ListFormat, RmiArgs, TagArgs};

fn image_size(img: &Image) -> u64 {
    img.manifest.config().size() + img.manifest.layers().iter().map(|l| l.size()).sum::<u64>()
}

fn short(hex: &str) -> &str {
    &hex[..hex.len().min(12)]
}

pub fn list(store: &Store, args: &ImagesArgs) -> Result<i32> {
    let mut rows = Vec::new();
    for named in store.names().map_err(report)? {
        // One damaged image must not hide the others; fsck says more.
        match store.image(&named.manifest_digest) {
            Ok(img) => rows.push((named.name, img)),
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
                        "id": img.config_digest.to_string(),
                        "digest": img.manifest_digest.to_string(),
                        "created": img.config.created(),
                        "size": image_size(img),
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&out).map_err(|e| miette::miette!("{e}"))?
            );
        }
        ListFormat::Table => {
            println!(
                "{:<40} {:<16} {:<14} {:<22} {:>10}",
                "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"
            );
            for (n, img) in &rows {
                let familiar = n.familiar();
                let repo = familiar
                    .rsplit_once(':')
                    .map_or(familiar.as_str(), |(r, _)| r);
                println!(
                    "{:<40} {:<16} {:<14} {:<22} {:>10}",
                    repo,
                    n.tag().unwrap_or("<none>"),
                    short(img.config_digest.hex()),
                    img.config.created().as_deref().unwrap_or("-"),
                    human(image_size(img)),
                );
            }
        }
    }
    Ok(0)
}

pub fn human(bytes: u64) -> String {
    strata_builder::cache::ByteSize(bytes).to_string()
}

pub fn inspect(store: &Store, args: &ImageArg) -> Result<i32> {
    let img = find(store, &args.image)?;
    let names: Vec<String> = store
        .names()
        .map_err(report)?
        .into_iter()
        .filter(|n| n.manifest_digest == img.manifest_digest)
        .map(|n| n.name.to_string())
        .collect();
    // The config as stored: docker's fields oci-spec's type drops
    // (Healthcheck, Shell, OnBuild) show too, as docker inspect shows them.
    let raw: serde_json::Value =
        serde_json::from_slice(&store.read_blob(&img.config_digest).map_err(report)?)
            .map_err(|e| miette::miette!("the image config {}: {e}", img.config_digest))?;
    let out = json!({
        "Id": img.config_digest.to_string(),
        "Digest": img.manifest_digest.to_string(),
        "RepoTags": names,
        "Created": img.config.created(),
        "Architecture": img.config.architecture().to_string(),
        "Os": img.config.os().to_string(),
        "Size": image_size(&img),
        "Config": raw.get("config"),
        "RootFS": img.config.rootfs(),
        "Manifest": img.manifest,
    });
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
    let img = find(store, &args.source)?;
    // Parse every name before adding any: a typo adds nothing.
    let targets = args
        .targets
        .iter()
        .map(|t| ImageRef::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(report)?;
    for target in &targets {
        store.tag(target, &img.manifest_digest).map_err(report)?;
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
            _ => match store.resolve_str(arg).map_err(report)? {
                Some(img) => {
                    let mut out = Vec::new();
                    for n in store.names().map_err(report)? {
                        if n.manifest_digest == img.manifest_digest
                            && store.untag(&n.name).map_err(report)?
                        {
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
