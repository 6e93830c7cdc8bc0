//! The compiler strata used before its own (commit 7d5b5be's
//! seccomp/mod.rs, kept verbatim but for its output type): a stack of
//! seccompiler filters, one per action. Test-only: the oracle that
//! `equivalence` checks the tree-shaped filter against.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

use super::Insn;
use super::profile::{Action, Arg, Host, Op, Profile};

/// The old syscall lookup, numbers as seccompiler wants them.
fn syscall_nr(name: &str) -> Option<i64> {
    super::syscall_nr(name).map(i64::from)
}

const ARCH: TargetArch = TargetArch::x86_64;

/// The filters in load order.
pub fn compile_for(profile: &Profile, host: &Host) -> Vec<Vec<Insn>> {
    old_compile_for(profile, host)
        .unwrap()
        .into_iter()
        .map(|p| {
            p.into_iter()
                .map(|f| Insn {
                    code: f.code,
                    jt: f.jt,
                    jf: f.jf,
                    k: f.k,
                })
                .collect()
        })
        .collect()
}

/// seccompiler's errors, as text.
type SeccompError = String;

/// One syscall's rules: `None` matches it whatever its arguments.
type Chains = BTreeMap<i64, Option<Vec<SeccompRule>>>;

fn old_compile_for(profile: &Profile, host: &Host) -> Result<Vec<BpfProgram>, SeccompError> {
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
                    rules.push(SeccompRule::new(conditions.clone()).map_err(|e| e.to_string())?);
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
    Ok(filters)
}

fn build(
    chains: Chains,
    mismatch: SeccompAction,
    matched: SeccompAction,
) -> Result<BpfProgram, SeccompError> {
    let rules = chains
        .into_iter()
        .map(|(nr, rules)| (nr, rules.unwrap_or_default()))
        .collect();
    let filter = SeccompFilter::new(rules, mismatch, matched, ARCH).map_err(|e| e.to_string())?;
    BpfProgram::try_from(filter).map_err(|e| e.to_string())
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
    SeccompCondition::new(arg.index, SeccompCmpArgLen::Qword, op, value).map_err(|e| e.to_string())
}
