//! `build --add-host` and `--shm-size` read for every RUN of the build; a
//! malformed value is a usage error (exit 2) before anything is built.

use std::net::IpAddr;

use strata_builder::cache::ByteSize;

use super::build_failure::Failure;

pub fn add_hosts(flags: &[String]) -> Result<Vec<(String, IpAddr)>, Failure> {
    flags
        .iter()
        .map(|f| super::run_network::parse_add_host(f).map_err(|e| Failure::Usage(e.to_string())))
        .collect()
}

/// Docker's `--shm-size`: binary units (`64m` is 64 MiB), more than 0.
pub fn shm_size(flag: Option<&str>) -> Result<Option<u64>, Failure> {
    let Some(text) = flag else {
        return Ok(None);
    };
    match ByteSize::parse_binary(text) {
        Ok(ByteSize(n)) if n > 0 => Ok(Some(n)),
        Ok(_) => Err(Failure::Usage(format!(
            "--shm-size {text:?}: must be more than 0"
        ))),
        Err(e) => Err(Failure::Usage(format!("--shm-size {text:?}: {e}"))),
    }
}
