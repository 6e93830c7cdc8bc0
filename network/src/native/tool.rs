//! The two tools strata's own wiring drives, iproute2 and nftables, both
//! read a script on stdin: one process per change, its stderr the error.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// Runs `cmd` with `script` on stdin. `what` names it in errors, and
/// `package` says where the binary comes from when it cannot start.
pub(super) fn run_script(mut cmd: Command, what: &str, package: &str, script: &str) -> Result<()> {
    let fail = |msg: String| Error::Tool {
        tool: what.to_owned(),
        msg,
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot start it ({e}); install Debian's {package}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(script.as_bytes());
        let _ = stdin.write_all(b"\n");
    }
    let out = child.wait_with_output().map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        return Err(fail(String::from_utf8_lossy(&out.stderr).trim().to_owned()));
    }
    Ok(())
}
