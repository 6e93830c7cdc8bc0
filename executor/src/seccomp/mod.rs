//! Seccomp: Docker-format profiles compiled to classic BPF by our own
//! compiler. The parent compiles (once per profile and capability set,
//! see [`compiled`]); the workload only loads the result.
//!
//! [`policy`] decides each syscall's verdict from the profile's groups;
//! [`tree`] lays that out as one filter searching the syscall number in a
//! balanced tree, which the kernel loads and runs far cheaper than a
//! linear list (see tree.rs for the numbers).

mod bpf;
mod default_profile;
mod policy;
mod profile;
#[cfg(target_arch = "x86_64")]
mod syscalls_x86_64;
mod tree;

#[cfg(all(test, target_arch = "x86_64"))]
mod equivalence;
#[cfg(test)]
mod interp;
#[cfg(all(test, target_arch = "x86_64"))]
mod reference;

use std::fmt::Write;
use std::sync::{Arc, Mutex};

use caps::Capability;
use serde::{Deserialize, Serialize};

pub use bpf::Insn;
pub use default_profile::default_profile;
pub use profile::{Action, Arg, Filter, Op, Profile, Rule};
use profile::{Host, parse_kernel};

/// Why a profile cannot be turned into a filter.
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    #[error(
        "seccomp filters are only built for x86_64 here; use --security-opt seccomp=unconfined"
    )]
    UnsupportedArch,
    #[error("seccomp profile: {0}")]
    Compile(#[from] bpf::AsmError),
}

/// Compiled filters, in the order they are loaded. Each crosses the exec
/// to the init as one hex string (16 digits an instruction): a RUN step
/// sends a few hundred instructions, which as a JSON array of numbers
/// cost more to print and parse than the rest of the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Programs(Vec<String>);

impl Programs {
    fn pack(programs: &[Vec<Insn>]) -> Self {
        Self(
            programs
                .iter()
                .map(|prog| {
                    let mut text = String::with_capacity(prog.len() * 16);
                    for f in prog {
                        // Writing into a String cannot fail.
                        let _ = write!(text, "{:016x}", pack(f));
                    }
                    text
                })
                .collect(),
        )
    }

    /// The programs back; `None` if the text was not written by [`pack`].
    pub fn unpack(&self) -> Option<Vec<Vec<Insn>>> {
        self.0
            .iter()
            .map(|text| {
                let bytes = text.as_bytes();
                if bytes.len() % 16 != 0 {
                    return None;
                }
                bytes
                    .chunks(16)
                    .map(|word| {
                        let word = std::str::from_utf8(word).ok()?;
                        u64::from_str_radix(word, 16).ok().map(unpack)
                    })
                    .collect()
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn pack(f: &Insn) -> u64 {
    (u64::from(f.code) << 48) | (u64::from(f.jt) << 40) | (u64::from(f.jf) << 32) | u64::from(f.k)
}

fn unpack(w: u64) -> Insn {
    Insn {
        code: (w >> 48) as u16,
        jt: (w >> 40) as u8,
        jf: (w >> 32) as u8,
        k: w as u32,
    }
}

/// `profile` compiled for a workload with `caps`, memoized: a build runs
/// many steps with the same policy and compiles it once.
pub fn compiled(profile: &Profile, caps: &[Capability]) -> Result<Arc<Programs>, SeccompError> {
    type Memo = Mutex<Vec<(Profile, Vec<Capability>, Arc<Programs>)>>;
    static MEMO: Memo = Mutex::new(Vec::new());
    let mut memo = MEMO.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, _, progs)) = memo.iter().find(|(p, c, _)| p == profile && c == caps) {
        return Ok(progs.clone());
    }
    let progs = Arc::new(compile(profile, caps)?);
    memo.push((profile.clone(), caps.to_vec(), progs.clone()));
    Ok(progs)
}

/// Syscall number by name on this architecture; names of other
/// architectures' calls are absent, and rules naming them are skipped, as
/// libseccomp does.
#[cfg(target_arch = "x86_64")]
fn syscall_nr(name: &str) -> Option<u32> {
    let table = syscalls_x86_64::X86_64;
    table
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .and_then(|i| u32::try_from(table[i].1).ok())
}

/// Go's name of this architecture and its AUDIT_ARCH_* (linux/audit.h:
/// EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE).
#[cfg(target_arch = "x86_64")]
const ARCH: (&str, u32) = ("amd64", 62 | 0x8000_0000 | 0x4000_0000);

pub fn compile(profile: &Profile, caps: &[Capability]) -> Result<Programs, SeccompError> {
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (profile, caps);
        Err(SeccompError::UnsupportedArch)
    }
    #[cfg(target_arch = "x86_64")]
    {
        let release = rustix::system::uname();
        let kernel = parse_kernel(&release.release().to_string_lossy()).unwrap_or((0, 0));
        let host = Host {
            caps,
            arch: ARCH.0,
            kernel,
        };
        compile_for(profile, &host)
    }
}

#[cfg(target_arch = "x86_64")]
fn compile_for(profile: &Profile, host: &Host) -> Result<Programs, SeccompError> {
    let policy = policy::policy(profile, host, syscall_nr);
    let filter = tree::assemble(&policy, ARCH.1)?;
    Ok(Programs::pack(&[filter]))
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::interp::{Call, run};
    use super::*;
    use crate::security::DEFAULT_CAPS;

    fn verdict(caps: &[Capability], name: &str, args: [u64; 6]) -> u32 {
        let progs = compile(&default_profile(), caps).unwrap().unpack().unwrap();
        let nr = syscall_nr(name).unwrap();
        run(
            &progs[0],
            &Call {
                nr,
                arch: ARCH.1,
                args,
            },
        )
    }

    const EPERM: u32 = policy::RET_ERRNO | libc::EPERM as u32;

    #[test]
    fn the_default_profile_allows_io_denies_keyctl_and_gives_clone3_enosys() {
        let progs = compile(&default_profile(), DEFAULT_CAPS).unwrap();
        let back = progs.unpack().unwrap();
        assert_eq!(back.len(), 1);
        assert!(back[0].len() < 400, "a tree, not a list: {}", back[0].len());
        assert_eq!(verdict(DEFAULT_CAPS, "read", [0; 6]), policy::RET_ALLOW);
        assert_eq!(verdict(DEFAULT_CAPS, "keyctl", [0; 6]), EPERM);
        // clone3 gets ENOSYS (38) so libc falls back to clone, as in Docker.
        let enosys = policy::RET_ERRNO | 38;
        assert_eq!(verdict(DEFAULT_CAPS, "clone3", [0; 6]), enosys);
        let newuser = libc::CLONE_NEWUSER as u64;
        assert_eq!(
            verdict(DEFAULT_CAPS, "clone", [newuser, 0, 0, 0, 0, 0]),
            EPERM
        );
        let fork = libc::SIGCHLD as u64;
        assert_eq!(
            verdict(DEFAULT_CAPS, "clone", [fork, 0, 0, 0, 0, 0]),
            policy::RET_ALLOW
        );
    }

    #[test]
    fn cap_sys_admin_drops_clone3s_enosys_and_allows_mount() {
        let mut caps = DEFAULT_CAPS.to_vec();
        caps.push(Capability::CAP_SYS_ADMIN);
        assert_eq!(verdict(DEFAULT_CAPS, "mount", [0; 6]), EPERM);
        assert_eq!(verdict(&caps, "mount", [0; 6]), policy::RET_ALLOW);
        assert_eq!(verdict(&caps, "clone3", [0; 6]), policy::RET_ALLOW);
    }

    #[test]
    fn a_docker_json_profile_parses() {
        let json = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
            {"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#;
        let profile: Profile = serde_json::from_str(json).unwrap();
        let progs = compile(&profile, DEFAULT_CAPS).unwrap();
        assert_eq!(progs.len(), 1);
        assert!(Programs(vec!["12".into()]).unpack().is_none());
    }

    #[test]
    fn every_name_of_the_table_is_sorted_for_lookup() {
        let t = syscalls_x86_64::X86_64;
        assert!(t.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(syscall_nr("close"), Some(3));
        assert_eq!(syscall_nr("keyctl"), Some(250));
    }
}
