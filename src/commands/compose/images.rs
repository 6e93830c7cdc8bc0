//! `strata compose images [-q] [--format json] [SERVICE...]`: the image of
//! each of the project's containers, as the store holds it (the digest the
//! container was made from, so a re-tagged name does not mislead).

use miette::{IntoDiagnostic, Result};
use serde_json::json;
use strata_store::Store;

use crate::cli::{ComposeArgs, ComposeImagesArgs, ListFormat};
use crate::commands::containers::{self as ctr};
use crate::commands::store_open::report;

pub fn run(store: &Store, args: &ComposeArgs, a: &ComposeImagesArgs) -> Result<i32> {
    let Some(scope) = super::scope::resolve(args)? else {
        return Ok(super::EXIT_INVALID_PROJECT);
    };
    scope.check_services(&a.services)?;
    let containers = ctr::open(store)?;
    let mut rows = Vec::new();
    for c in scope.containers(&containers, &a.services)? {
        let image = match store
            .resolve_str(&c.config.image_digest.to_string())
            .map_err(report)?
        {
            Some(i) => Some(i),
            None => store.resolve_str(&c.config.image).map_err(report)?,
        };
        let (id, size) = image.as_ref().map_or((String::new(), 0), |i| {
            let size = i.manifest.config().size()
                + i.manifest.layers().iter().map(|l| l.size()).sum::<u64>();
            (i.config_digest.to_string(), size)
        });
        let (repo, tag) = split_name(&c.config.image);
        rows.push(json!({
            "ID": id,
            "ContainerName": c.config.name,
            "Repository": repo,
            "Tag": tag,
            "Size": size,
        }));
    }
    if a.quiet {
        let mut ids: Vec<&str> = rows.iter().filter_map(|r| r["ID"].as_str()).collect();
        ids.dedup();
        for id in ids {
            println!("{id}");
        }
        return Ok(0);
    }
    match a.format {
        ListFormat::Json => println!("{}", serde_json::to_string(&rows).into_diagnostic()?),
        ListFormat::Table => {
            let cells: Vec<[String; 5]> = rows
                .iter()
                .map(|r| {
                    let s = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
                    let id = s("ID");
                    let short = id.strip_prefix("sha256:").unwrap_or(&id);
                    [
                        s("ContainerName"),
                        s("Repository"),
                        s("Tag"),
                        short[..short.len().min(12)].to_owned(),
                        crate::commands::images::human(r["Size"].as_u64().unwrap_or(0)),
                    ]
                })
                .collect();
            let header = ["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"].map(str::to_owned);
            print_table(&header, &cells);
        }
    }
    Ok(0)
}

/// REPOSITORY and TAG as docker prints a familiar name (`bb`, `1`).
fn split_name(image: &str) -> (String, String) {
    match strata_store::ImageRef::parse(image) {
        Ok(r) => {
            let familiar = r.familiar();
            let repo = familiar
                .rsplit_once(':')
                .filter(|(_, t)| !t.contains('/'))
                .map_or(familiar.as_str(), |(r, _)| r)
                .to_owned();
            (repo, r.tag().unwrap_or("<none>").to_owned())
        }
        Err(_) => (image.to_owned(), "<none>".to_owned()),
    }
}

pub fn print_table<const N: usize>(header: &[String; N], rows: &[[String; N]]) {
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    for row in std::iter::once(header).chain(rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:w$}"))
            .collect();
        println!("{}", line.join("   ").trim_end());
    }
}
