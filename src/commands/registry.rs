//! `strata pull docker://...` and `strata push IMAGE docker://...`: the
//! registry transport, with credentials from the docker config file (or
//! --creds) and a progress display.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use miette::{Result, miette};
use strata_store::registry::{
    BlobOutcome, ClientOptions, Credentials, ManifestKind, Platform, TransferEvent,
    pull_all_platforms, pull_image, push_artifact, push_image,
};
use strata_store::{Compression, Image, ImageRef, Store, StoredIndex};

use super::export_report::reporter;
use super::store_open::report;
use crate::cli::RegistryOpts;

pub fn pull(
    store: &Store,
    source: &str,
    name: Option<&ImageRef>,
    all_platforms: bool,
    opts: &RegistryOpts,
) -> Result<i32> {
    let source = ImageRef::parse(source).map_err(report)?;
    if all_platforms {
        let options = client_options(source.registry(), opts)?;
        let display = Display::new();
        let _busy = store.lock_shared().map_err(report)?;
        let digest = pull_all_platforms(store, &source, &options, &|e| display.event(e))
            .map_err(|e| miette!("pull {}: {e}", source.familiar()))?;
        display.finish();
        if let Some(n) = name {
            store.tag(n, &digest).map_err(report)?;
        }
        println!("{digest}");
        return Ok(0);
    }
    let image = pull_one(store, &source, opts, true)?;
    if let Some(n) = name {
        store.tag(n, &image.manifest_digest).map_err(report)?;
    }
    println!("{}", image.manifest_digest);
    Ok(0)
}

/// Pulls one platform's image of `source` and names it `source`; prints
/// the blobs' progress when `blobs`, nothing else (`compose up` pulls
/// through it).
pub fn pull_one(
    store: &Store,
    source: &ImageRef,
    opts: &RegistryOpts,
    blobs: bool,
) -> Result<Image> {
    let platform = match &opts.platform {
        Some(p) => p.parse::<Platform>().map_err(|e| miette!("{e}"))?,
        None => Platform::host(),
    };
    let options = client_options(source.registry(), opts)?;
    let display = Display::new();
    let _busy = store.lock_shared().map_err(report)?;
    let image = pull_image(store, source, &platform, &options, &|e| {
        if blobs {
            display.event(e)
        }
    })
    .map_err(|e| miette!("pull {}: {e}", source.familiar()))?;
    display.finish();
    Ok(image)
}

/// Pushes `image` with its uncompressed layers compressed as `compression`
/// says. The caller holds the store's shared lock.
pub fn push(
    store: &Store,
    image: &Image,
    dest: &str,
    compression: Compression,
    opts: &RegistryOpts,
    quiet: bool,
) -> Result<i32> {
    let dest = ImageRef::parse(dest).map_err(report)?;
    let options = client_options(dest.registry(), opts)?;
    let image = store
        .for_export_with(image, compression, &reporter(quiet))
        .map_err(|e| miette!("push {}: {e}", dest.familiar()))?;
    let display = Display::new();
    let digest = push_image(store, &image, &dest, None, &options, &|e| display.event(e))
        .map_err(|e| miette!("push {}: {e}", dest.familiar()))?;
    display.finish();
    println!("{digest}");
    Ok(0)
}

/// Pushes every platform's image of `index` (by digest, layers compressed
/// as for [`push`]) and then the index under `dest`'s tag.
pub fn push_index(
    store: &Store,
    index: &StoredIndex,
    dest: &str,
    compression: Compression,
    opts: &RegistryOpts,
    quiet: bool,
) -> Result<i32> {
    let dest = ImageRef::parse(dest).map_err(report)?;
    let options = client_options(dest.registry(), opts)?;
    let fail = |e: &dyn std::fmt::Display| miette!("push {}: {e}", dest.familiar());
    let out = store
        .index_for_export(index, compression, &reporter(quiet))
        .map_err(|e| fail(&e))?;
    let display = Display::new();
    for p in &out.images {
        let by_digest = ImageRef::parse(&format!("{}@{}", dest.name(), p.image.manifest_digest))
            .map_err(report)?;
        push_image(store, &p.image, &by_digest, None, &options, &|e| {
            display.event(e)
        })
        .map_err(|e| fail(&e))?;
    }
    let bytes = store.read_blob(&out.digest).map_err(report)?;
    let digest = push_artifact(
        store,
        &dest,
        ManifestKind::OciIndex,
        &bytes,
        &[],
        None,
        &options,
        &|e| display.event(e),
    )
    .map_err(|e| fail(&e))?;
    display.finish();
    println!("{digest}");
    Ok(0)
}

fn client_options(host: &str, opts: &RegistryOpts) -> Result<ClientOptions> {
    let mut options = match &opts.creds {
        Some(c) => {
            let (username, password) = c
                .split_once(':')
                .ok_or_else(|| miette!("--creds wants USER:PASSWORD"))?;
            ClientOptions {
                credentials: Some(Credentials {
                    username: username.to_owned(),
                    password: password.to_owned(),
                }),
                tls_verify: opts.tls_verify,
                ..ClientOptions::default()
            }
        }
        None => ClientOptions::from_docker_config(host, opts.authfile.as_deref(), opts.tls_verify)
            .map_err(|e| miette!("{e}"))?,
    };
    options.jobs = opts.jobs.max(1);
    Ok(options)
}

/// One bar per blob on a terminal; one line per finished blob otherwise.
struct Display {
    multi: Option<MultiProgress>,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Display {
    fn new() -> Display {
        let multi = std::io::stderr()
            .is_terminal()
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Display {
            multi,
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn event(&self, e: TransferEvent) {
        let mut bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        match (&self.multi, e) {
            (Some(multi), TransferEvent::Started { digest, size }) => {
                let bar = multi.add(ProgressBar::new(size));
                if let Ok(style) =
                    ProgressStyle::with_template("{prefix} [{bar:30}] {bytes}/{total_bytes} {msg}")
                {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_prefix(short(&digest.to_string()));
                bars.insert(digest.to_string(), bar);
            }
            (Some(_), TransferEvent::Bytes { digest, done }) => {
                if let Some(bar) = bars.get(&digest.to_string()) {
                    bar.set_position(done);
                }
            }
            (Some(_), TransferEvent::Finished { digest, outcome }) => {
                if let Some(bar) = bars.get(&digest.to_string()) {
                    bar.finish_with_message(word(outcome));
                }
            }
            (None, TransferEvent::Finished { digest, outcome }) => {
                eprintln!("{} {}", short(&digest.to_string()), word(outcome));
            }
            (None, _) => {}
        }
    }

    fn finish(&self) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }
}

fn short(digest: &str) -> String {
    digest.chars().take(19).collect()
}

fn word(outcome: BlobOutcome) -> &'static str {
    match outcome {
        BlobOutcome::Skipped => "exists",
        BlobOutcome::Mounted => "mounted",
        BlobOutcome::Transferred => "done",
    }
}
