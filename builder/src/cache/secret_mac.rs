//! Secret contents in a step's key (`--secret id=X,src=F,cache=content`,
//! docker/buildx#551): a changed secret reruns the steps that mount it, yet
//! the key, the record and `cache inspect` show only an HMAC-SHA256 of the
//! content under a random key of this store. A plain hash would let anyone
//! who reads the cache test guesses of a short secret (a password, a token
//! with a known prefix); the keyed hash cannot be checked without the key.
//!
//! The key is 32 random bytes in `ROOT/cache/secret-key`, mode 0600, made
//! by the first build that needs it. So the records of two stores never
//! match on a keyed secret (an export carries the MAC, and another store
//! computes a different one): the step runs again there, which is the safe
//! way to fail.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use strata_store::Store;

use super::RecordError;

const KEY_LEN: usize = 32;
const BLOCK: usize = 64;

/// This store's secret-hashing key.
pub struct SecretMac {
    key: [u8; KEY_LEN],
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RecordError + '_ {
    move |source| RecordError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl SecretMac {
    /// Reads the store's key, making it first if there is none. Two builds
    /// racing to make it agree: each writes its own candidate and links it
    /// into place, and the one that loses reads the winner's.
    pub fn open(store: &Store) -> Result<SecretMac, RecordError> {
        let path = store.cache_dir().join("secret-key");
        if let Some(key) = read_key(&path)? {
            return Ok(SecretMac { key });
        }
        let dir = store.cache_dir();
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let mut key = [0u8; KEY_LEN];
        let urandom = Path::new("/dev/urandom");
        std::fs::File::open(urandom)
            .and_then(|mut f| f.read_exact(&mut key))
            .map_err(io_err(urandom))?;
        let tmp: PathBuf = dir.join(format!(".secret-key.{}", std::process::id()));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        f.write_all(&key)
            .and_then(|()| f.sync_all())
            .map_err(io_err(&tmp))?;
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(SecretMac { key }),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key(&path)?
                .map(|key| SecretMac { key })
                .ok_or_else(|| io_err(&path)(std::io::ErrorKind::InvalidData.into())),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    /// `hmac-sha256:<hex>` of `content`.
    pub fn of(&self, content: &[u8]) -> String {
        format!(
            "hmac-sha256:{}",
            hex::encode(hmac_sha256(&self.key, content))
        )
    }
}

/// The key in `path`; `None` when there is no file. A file of another
/// length is an error rather than a silent new key, which would rerun
/// every keyed step.
fn read_key(path: &Path) -> Result<Option<[u8; KEY_LEN]>, RecordError> {
    match std::fs::read(path) {
        Ok(bytes) => bytes.try_into().map(Some).map_err(|_| {
            io_err(path)(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the secret key is not 32 bytes",
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// HMAC (RFC 2104) over SHA-256, for keys up to one block.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; BLOCK];
    block[..key.len().min(BLOCK)].copy_from_slice(&key[..key.len().min(BLOCK)]);
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_key_is_made_once_private_and_kept() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path()).unwrap();
        let a = SecretMac::open(&store).unwrap().of(b"s3cret");
        let b = SecretMac::open(&store).unwrap().of(b"s3cret");
        assert_eq!(a, b);
        assert_ne!(a, SecretMac::open(&store).unwrap().of(b"other"));
        let meta = std::fs::metadata(store.cache_dir().join("secret-key")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let other = tempfile::tempdir().unwrap();
        let elsewhere = Store::open(other.path()).unwrap();
        assert_ne!(SecretMac::open(&elsewhere).unwrap().of(b"s3cret"), a);
    }
}
