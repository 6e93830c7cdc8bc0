//! `strata cache ls`: the build cache records, one row each.

use miette::{Result, miette};
use strata_builder::cache::CacheDir;
use strata_store::Store;

use crate::cli::{CacheArgs, CacheCommand, ListFormat};

pub fn run(store: &Store, args: &CacheArgs) -> Result<i32> {
    let dir = CacheDir::open(&store.cache_dir().join("steps")).map_err(|e| miette!("{e}"))?;
    let records = dir.list().map_err(|e| miette!("{e}"))?;
    match &args.command {
        CacheCommand::Ls { format } => match format {
            ListFormat::Json => {
                let text = serde_json::to_string_pretty(&records).map_err(|e| miette!("{e}"))?;
                println!("{text}");
            }
            ListFormat::Table => {
                println!(
                    "{:<14} {:<8} {:>5}  {:<22} STEP",
                    "ID", "LAYER", "USES", "LAST USED"
                );
                for r in &records {
                    let id = &r.key.hex()[..12];
                    let layer = if r.snapshot.is_some() { "yes" } else { "empty" };
                    let last = strata_builder::config::apply::rfc3339(r.last_used);
                    let step = format!("[{}] {}", r.origin.stage, r.origin.text);
                    println!("{id:<14} {layer:<8} {:>5}  {last:<22} {step}", r.use_count);
                }
            }
        },
    }
    Ok(0)
}
