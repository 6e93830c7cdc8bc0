//! Seccomp: Docker-format profiles compiled to BPF with the pure-Rust
//! `seccompiler` backend. The parent compiles (once per profile and
//! capability set, see [`compiled`]); the workload only loads the result.
//!
//! One BPF filter has one match action, so a profile becomes a stack: first
//! "allowed syscalls, else the default action", then one filter per other
//! action ("these syscalls get X, else allow"). The kernel runs every
//! filter and keeps the strictest verdict, the latest filter winning a tie:
//! clone3's ENOSYS beats the default's EPERM, as libseccomp would have it.

mod default_profile;
mod profile;
#[cfg(target_arch = "x86_64")]
mod syscalls_x86_64;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use caps::Capability;
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use serde::{Deserialize, Serialize};

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
    Compile(String),
}

/// Compiled filters, in the order they are loaded. Each crosses the exec
/// to the init as one hex string (16 digits an instruction): a RUN step
/// sends a thousand-odd instructions, which as a JSON array of numbers
/// cost more to print and parse than the rest of the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Programs(Vec<String>);

impl Programs {
    fn pack(programs: &[BpfProgram]) -> Self {
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
    pub fn unpack(&self) -> Option<Vec<BpfProgram>> {
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

fn pack(f: &seccompiler::sock_filter) -> u64 {
    (u64::from(f.code) << 48) | (u64::from(f.jt) << 40) | (u64::from(f.jf) << 32) | u64::from(f.k)
}

fn unpack(w: u64) -> seccompiler::sock_filter {
    seccompiler::sock_filter {
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
fn syscall_nr(name: &str) -> Option<i64> {
    let table = syscalls_x86_64::X86_64;
    table
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .map(|i| table[i].1)
}

#[cfg(target_arch = "x86_64")]
const ARCH: (TargetArch, &str) = (TargetArch::x86_64, "amd64");

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
            arch: ARCH.1,
            kernel,
        };
        compile_for(profile, &host)
    }
}

/// One syscall's rules: `None` matches it whatever its arguments.
type Chains = BTreeMap<i64, Option<Vec<SeccompRule>>>;

#[cfg(target_arch = "x86_64")]
fn compile_for(profile: &Profile, host: &Host) -> Result<Programs, SeccompError> {
    let default = action(profile.default_action, profile.default_errno_ret, None);
    // Grouped by action, in first-seen order.
    let mut groups: Vec<(SeccompAction, Chains)> = Vec::new();
    for rule in profile.syscalls.iter().filter(|r| r.applies(host)) {
        let act = action(rule.action, rule.errno_ret, profile.default_errno_ret);
        let at = match groups.iter().position(|(a, _)| *a == act) {
            Some(i) => i,
            None => {
                groups.push((act, Chains::new()));
                groups.len() - 1
            }
        };
        let chains = &mut groups[at].1;
        let conditions = rule
            .args
            .iter()
            .map(condition)
            .collect::<Result<Vec<_>, _>>()?;
        for nr in rule.all_names().filter_map(syscall_nr) {
            let entry = chains.entry(nr).or_insert_with(|| Some(Vec::new()));
            match (entry.as_mut(), conditions.is_empty()) {
                (_, true) => *entry = None,
                (Some(rules), false) => {
                    rules.push(
                        SeccompRule::new(conditions.clone())
                            .map_err(|e| SeccompError::Compile(e.to_string()))?,
                    );
                }
                (None, false) => {}
            }
        }
    }
    let mut filters = Vec::new();
    if default != SeccompAction::Allow {
        let allowed = groups
            .iter()
            .find(|(a, _)| *a == SeccompAction::Allow)
            .map(|(_, c)| c.clone())
            .unwrap_or_default();
        filters.push(build(allowed, default.clone(), SeccompAction::Allow)?);
    }
    for (act, chains) in groups {
        if act != SeccompAction::Allow && act != default {
            filters.push(build(chains, SeccompAction::Allow, act)?);
        }
    }
    Ok(Programs::pack(&filters))
}

#[cfg(target_arch = "x86_64")]
fn build(
    chains: Chains,
    mismatch: SeccompAction,
    matched: SeccompAction,
) -> Result<BpfProgram, SeccompError> {
    let rules = chains
        .into_iter()
        .map(|(nr, rules)| (nr, rules.unwrap_or_default()))
        .collect();
    let filter = SeccompFilter::new(rules, mismatch, matched, ARCH.0)
        .map_err(|e| SeccompError::Compile(e.to_string()))?;
    BpfProgram::try_from(filter).map_err(|e| SeccompError::Compile(e.to_string()))
}

fn action(act: Action, errno: Option<u32>, default_errno: Option<u32>) -> SeccompAction {
    let errno = errno.or(default_errno).unwrap_or(libc::EPERM as u32);
    match act {
        Action::Allow => SeccompAction::Allow,
        Action::Errno => SeccompAction::Errno(errno),
        Action::KillThread => SeccompAction::KillThread,
        Action::KillProcess => SeccompAction::KillProcess,
        Action::Trap => SeccompAction::Trap,
        Action::Trace => SeccompAction::Trace(errno),
        Action::Log => SeccompAction::Log,
    }
}

/// libseccomp compares all 64 bits of an argument; so do we.
fn condition(arg: &Arg) -> Result<SeccompCondition, SeccompError> {
    let op = match arg.op {
        Op::Ne => SeccompCmpOp::Ne,
        Op::Lt => SeccompCmpOp::Lt,
        Op::Le => SeccompCmpOp::Le,
        Op::Eq => SeccompCmpOp::Eq,
        Op::Ge => SeccompCmpOp::Ge,
        Op::Gt => SeccompCmpOp::Gt,
        Op::MaskedEq => SeccompCmpOp::MaskedEq(arg.value),
    };
    let value = if arg.op == Op::MaskedEq {
        arg.value_two
    } else {
        arg.value
    };
    SeccompCondition::new(arg.index, SeccompCmpArgLen::Qword, op, value)
        .map_err(|e| SeccompError::Compile(e.to_string()))
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::security::DEFAULT_CAPS;

    #[test]
    fn the_default_profile_compiles_to_an_allow_list_and_clone3s_enosys() {
        let progs = compile(&default_profile(), DEFAULT_CAPS).unwrap();
        let back = progs.unpack().unwrap();
        assert_eq!(back.len(), 2);
        assert!(back.iter().all(|p| p.len() < 4096), "BPF_MAXINSNS");
        assert_eq!(Programs::pack(&back), progs);
        // clone3 gets ENOSYS (38) so libc falls back to clone, as in Docker.
        let enosys = u32::from(SeccompAction::Errno(38));
        assert!(back[1].iter().any(|f| f.k == enosys));
    }

    #[test]
    fn cap_sys_admin_drops_the_clone3_filter_and_allows_mount() {
        let mut caps = DEFAULT_CAPS.to_vec();
        caps.push(Capability::CAP_SYS_ADMIN);
        let with = compile(&default_profile(), &caps).unwrap();
        let without = compile(&default_profile(), DEFAULT_CAPS).unwrap();
        let (with, without) = (with.unpack().unwrap(), without.unpack().unwrap());
        assert_eq!(with.len(), 1);
        assert!(with[0].len() > without[0].len());
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
