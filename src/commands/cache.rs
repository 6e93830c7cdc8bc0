//! `strata cache ls|du|inspect|prune`: the build cache, seen into.

use miette::{Result, miette};
use strata_builder::cache::usage::{self, CacheEntry};
use strata_builder::cache::{ByteSize, CacheDir, EntryKind, PruneOptions, git_checkouts, mounts};
use strata_store::{SnapshotId, Store};

use crate::cli::{CacheArgs, CacheCommand, CachePruneArgs, ListFormat};

pub fn run(store: &Store, args: &CacheArgs) -> Result<i32> {
    let cache = CacheDir::open(store).map_err(|e| miette!("{e}"))?;
    match &args.command {
        CacheCommand::Ls { format } => ls(&cache, *format),
        CacheCommand::Du { format } => du(&cache, *format),
        CacheCommand::Inspect { id } => inspect(&cache, id),
        CacheCommand::Prune(p) => prune(store, p),
    }
}

fn entries(cache: &CacheDir) -> Result<Vec<CacheEntry>> {
    usage::entries(cache).map_err(|e| miette!("{e}"))
}

fn json(value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| miette!("{e}"))?;
    println!("{text}");
    Ok(())
}

fn ls(cache: &CacheDir, format: ListFormat) -> Result<i32> {
    let entries = entries(cache)?;
    if let ListFormat::Json = format {
        json(&entries)?;
        return Ok(0);
    }
    let now = strata_builder::cache::record::now();
    println!(
        "{:<14} {:<6} {:>9} {:<7} {:<8} {:>10} {:>10} {:>5}  STEP",
        "ID", "KIND", "SIZE", "SHARED", "IN USE", "CREATED", "LAST USED", "USES"
    );
    for e in &entries {
        let kind = kind_label(e.kind);
        let yes = |b: bool| if b { "yes" } else { "no" };
        println!(
            "{:<14} {:<6} {:>9} {:<7} {:<8} {:>10} {:>10} {:>5}  {}",
            &e.id[..e.id.len().min(12)],
            kind,
            ByteSize(e.size).to_string(),
            yes(e.shared),
            yes(e.in_use),
            age(now, e.created),
            age(now, e.last_used),
            e.use_count,
            step_label(e)
        );
    }
    Ok(0)
}

fn kind_label(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Step => "step",
        EntryKind::Mount => "mount",
        EntryKind::GitCheckout => "git",
    }
}

/// `[stage] TEXT (dir/Dockerfile)`: the Dockerfile shortened to its last
/// two components, enough to tell projects apart in a table.
fn step_label(e: &CacheEntry) -> String {
    let parts: Vec<&str> = e.dockerfile.rsplit('/').take(2).collect();
    if parts.iter().all(|p| p.is_empty()) {
        return e.description.clone();
    }
    let short: Vec<&str> = parts.into_iter().rev().collect();
    format!("{} ({})", e.description, short.join("/"))
}

/// `3m ago`: coarse, for a table.
fn age(now: u64, then: u64) -> String {
    let s = now.saturating_sub(then);
    let (n, unit) = match s {
        0..60 => (s, "s"),
        60..3600 => (s / 60, "m"),
        3600..86400 => (s / 3600, "h"),
        _ => (s / 86400, "d"),
    };
    format!("{n}{unit} ago")
}

fn du(cache: &CacheDir, format: ListFormat) -> Result<i32> {
    let t = usage::totals(&entries(cache)?);
    match format {
        ListFormat::Json => json(&t)?,
        ListFormat::Table => {
            println!("{:<12} {}", "ENTRIES", t.entries);
            println!("{:<12} {}", "TOTAL", ByteSize(t.total));
            println!("{:<12} {}", "RECLAIMABLE", ByteSize(t.reclaimable));
            println!("{:<12} {}", "IN USE", ByteSize(t.in_use));
        }
    }
    Ok(0)
}

fn inspect(cache: &CacheDir, id: &str) -> Result<i32> {
    let store = cache.store();
    if let Some(rec) = cache.find(id).map_err(|e| miette!("{e}"))? {
        let entry = entries(cache)?.into_iter().find(|e| e.id == rec.key.hex());
        let snapshot_dir = rec
            .snapshot
            .as_deref()
            .and_then(|s| SnapshotId::new(s).ok())
            .and_then(|s| store.snapshot_dir(&s));
        json(&serde_json::json!({
            "id": rec.key.hex(),
            "kind": "step",
            "step": rec.origin,
            "inputs": rec.inputs,
            "snapshot": rec.snapshot,
            "snapshot_dir": snapshot_dir,
            "layers": rec.layers,
            "size": entry.as_ref().map(|e| e.size),
            "in_use": entry.as_ref().map(|e| e.in_use),
            "shared": entry.as_ref().map(|e| e.shared),
            "created": rec.created,
            "last_used": rec.last_used,
            "use_count": rec.use_count,
        }))?;
        return Ok(0);
    }
    let mounts = mounts::list(store).map_err(|e| miette!("{e}"))?;
    if let Some(m) = mounts.into_iter().find(|m| m.name.starts_with(id)) {
        json(&serde_json::json!({
            "id": m.name,
            "kind": "mount",
            "mount": m.meta,
            "dir": m.dir,
            "size": usage::tree_size(&m.dir),
        }))?;
        return Ok(0);
    }
    let checkouts = git_checkouts::list(store).map_err(|e| miette!("{e}"))?;
    if let Some(c) = checkouts.into_iter().find(|c| c.commit.starts_with(id)) {
        json(&serde_json::json!({
            "id": c.commit,
            "kind": "git_checkout",
            "checkout": c.meta,
            "dir": c.dir,
            "size": usage::tree_size(&c.dir),
        }))?;
        return Ok(0);
    }
    Err(miette!(
        "no cache entry {id:?} (or the prefix is not unique); see `strata cache ls`"
    ))
}

fn prune(store: &Store, args: &CachePruneArgs) -> Result<i32> {
    let opts = PruneOptions {
        all: args.all,
        keep_storage: args.keep_storage.map(|b| b.0),
        // With several filters the narrowest (longest unused) wins.
        unused_for: args.filters.iter().max().copied(),
    };
    if args.dry_run {
        return dry_run(store, &opts, args.format);
    }
    let report = strata_builder::cache::prune(store, &opts).map_err(|e| miette!("{e}"))?;
    if let ListFormat::Json = args.format {
        json(&report)?;
        return Ok(0);
    }
    println!(
        "removed {} records, {} cache mounts, {} git checkouts; freed {}",
        report.records_removed,
        report.mounts_removed,
        report.checkouts_removed,
        ByteSize(report.bytes_freed)
    );
    Ok(0)
}

/// `prune --dry-run`: the entries a prune would take, with its reasons.
fn dry_run(store: &Store, opts: &PruneOptions, format: ListFormat) -> Result<i32> {
    let planned =
        strata_builder::cache::prune_plan::dry_run(store, opts).map_err(|e| miette!("{e}"))?;
    if let ListFormat::Json = format {
        json(&planned)?;
        return Ok(0);
    }
    let now = strata_builder::cache::record::now();
    println!(
        "{:<14} {:<6} {:>9} {:>10}  {:<40}  STEP",
        "ID", "KIND", "SIZE", "LAST USED", "REASON"
    );
    for p in &planned {
        let e = &p.entry;
        let kind = kind_label(e.kind);
        println!(
            "{:<14} {:<6} {:>9} {:>10}  {:<40}  {}",
            &e.id[..e.id.len().min(12)],
            kind,
            ByteSize(e.size).to_string(),
            age(now, e.last_used),
            p.reason,
            step_label(e)
        );
    }
    let count = |k: EntryKind| planned.iter().filter(|p| p.entry.kind == k).count();
    println!(
        "would remove {} records, {} cache mounts, {} git checkouts; about {} \
         (nothing removed: --dry-run)",
        count(EntryKind::Step),
        count(EntryKind::Mount),
        count(EntryKind::GitCheckout),
        ByteSize(planned.iter().map(|p| p.entry.size).sum())
    );
    Ok(0)
}
