//! The automatic cache limit applied after every build. The first of these
//! that is set wins:
//!
//! 1. `strata build --cache-limit SIZE`
//! 2. the `STRATA_CACHE_LIMIT` environment variable
//! 3. the first line of `ROOT/cache/limit` in the store
//! 4. 10% of the store's filesystem or 20 GB, whichever is smaller.
//!
//! A value is a size (`5GB`, `512MiB`, `0`) or `none` to switch it off.

use std::path::Path;

use strata_store::Store;

use strata_parser::size::{BadSize, ByteSize};

pub const ENV: &str = "STRATA_CACHE_LIMIT";
/// The file in `cache/` holding a store's own limit.
pub const FILE: &str = "limit";
const CAP: u64 = 20_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheLimit {
    Bytes(u64),
    Unlimited,
}

impl std::str::FromStr for CacheLimit {
    type Err = BadSize;
    fn from_str(s: &str) -> Result<Self, BadSize> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "off" | "unlimited" => Ok(CacheLimit::Unlimited),
            _ => s.parse::<ByteSize>().map(|b| CacheLimit::Bytes(b.0)),
        }
    }
}

impl CacheLimit {
    /// The limit for `store`, given the flag and environment values (the
    /// caller reads the environment, so this stays testable).
    pub fn resolve(
        store: &Store,
        flag: Option<CacheLimit>,
        env: Option<&str>,
    ) -> Result<CacheLimit, BadSize> {
        if let Some(limit) = flag {
            return Ok(limit);
        }
        if let Some(v) = env.filter(|v| !v.trim().is_empty()) {
            return v.parse();
        }
        let file = store.cache_dir().join(FILE);
        if let Ok(text) = std::fs::read_to_string(&file)
            && let Some(line) = text.lines().map(str::trim).find(|l| !l.is_empty())
        {
            return line.parse();
        }
        Ok(CacheLimit::Bytes(default_for(store.root())))
    }

    pub fn bytes(self) -> Option<u64> {
        match self {
            CacheLimit::Bytes(b) => Some(b),
            CacheLimit::Unlimited => None,
        }
    }
}

/// 10% of the filesystem holding `root`, at most 20 GB.
pub fn default_for(root: &Path) -> u64 {
    match strata_store::fs_space::total_bytes(root) {
        Ok(total) => (total / 10).min(CAP),
        Err(_) => CAP,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_beats_the_environment_beats_the_store_file() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path()).unwrap();
        let r = |f, e| CacheLimit::resolve(&store, f, e).unwrap();
        let default = r(None, None);
        assert!(matches!(default, CacheLimit::Bytes(b) if b > 0 && b <= CAP));
        std::fs::write(store.cache_dir().join(FILE), "\n3MB\n").unwrap();
        assert_eq!(r(None, None), CacheLimit::Bytes(3_000_000));
        assert_eq!(r(None, Some("2kB")), CacheLimit::Bytes(2000));
        assert_eq!(
            r(Some(CacheLimit::Unlimited), Some("2kB")),
            CacheLimit::Unlimited
        );
        assert!(CacheLimit::resolve(&store, None, Some("lots")).is_err());
        assert!("lots".parse::<CacheLimit>().is_err());
    }
}
