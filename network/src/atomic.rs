//! Files are written beside their target and renamed into place, so a
//! reader sees the old content or the new, never half.

use std::path::Path;

use crate::error::{Result, io};

pub fn write(path: &Path, data: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, data).map_err(io("write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(io("rename into place", path))
}

/// Removes a file, counting an absent one as removed.
pub fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io("remove", path)(e)),
        _ => Ok(()),
    }
}

/// 32 random bytes as hex: ids for networks and attachments.
pub fn random_id() -> Result<String> {
    let mut bytes = [0u8; 32];
    let mut f = std::fs::File::open("/dev/urandom").map_err(io("open", "/dev/urandom"))?;
    std::io::Read::read_exact(&mut f, &mut bytes).map_err(io("read", "/dev/urandom"))?;
    Ok(hex::encode(bytes))
}
