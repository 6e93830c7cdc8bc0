//! `strata build -`: the build context as a tar on stdin (plain or
//! compressed, told by its magic bytes), Dockerfile inside it, as `docker
//! build - < ctx.tar`. It is unpacked through the store's tar applier
//! (entries and links confined to the directory, no devices, no
//! whiteouts) into a temporary directory of the store, removed when the
//! build ends.

use std::path::Path;

use miette::{Result, miette};
use strata_store::Store;
use strata_store::layer::{ApplyOptions, apply_layer};

/// Whether the context argument says stdin.
pub fn is_stdin(context: &Path) -> bool {
    context.as_os_str() == "-"
}

/// Reads stdin's tar into a fresh directory; returns the directory that
/// holds it as `context/` (removed when the value is dropped).
pub fn unpack(store: &Store) -> Result<impl AsRef<Path>> {
    let dir = store
        .tempdir()
        .map_err(|e| miette!("a directory for the context from stdin: {e}"))?;
    let archive = dir.path().join("context.tar");
    let mut file =
        std::fs::File::create(&archive).map_err(|e| miette!("{}: {e}", archive.display()))?;
    std::io::copy(&mut std::io::stdin().lock(), &mut file)
        .map_err(|e| miette!("reading the context from stdin: {e}"))?;
    drop(file);
    let root = dir.path().join("context");
    std::fs::create_dir(&root).map_err(|e| miette!("{}: {e}", root.display()))?;
    let reader = strata_builder::copy::archive::open(&archive)
        .map_err(|e| miette!("the context from stdin: {e}"))?;
    apply_layer(
        reader,
        &root,
        &ApplyOptions::archive(None, store.max_layer_size()),
    )
    .map_err(|e| miette!("the context from stdin is not a tar archive: {e}"))?;
    std::fs::remove_file(&archive).map_err(|e| miette!("{}: {e}", archive.display()))?;
    Ok(dir)
}
