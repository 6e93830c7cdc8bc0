//! What a profile decides for each syscall, before any BPF is laid out.
//!
//! A profile groups syscalls by action. The verdict for a call is the
//! strictest of: the default action, if no allow rule matches the call;
//! the action of every other group whose rules match it; allow. Strictness
//! is the kernel's order of actions (kill > trap > errno > trace > log >
//! allow), and a tie goes to the group first seen later in the profile:
//! clone3's ENOSYS beats the default's EPERM, as libseccomp would have it.
//! (This is the verdict the kernel gives a stack of one-action filters,
//! which is how strata laid the profile out before it had its own
//! compiler, so the policy is the same; see the tests in `equivalence`.)

use std::cmp::Reverse;
use std::collections::BTreeMap;

use super::profile::{Action, Arg, Host, Op, Profile};

pub const RET_KILL_PROCESS: u32 = 0x8000_0000;
pub const RET_KILL_THREAD: u32 = 0;
pub const RET_TRAP: u32 = 0x0003_0000;
pub const RET_ERRNO: u32 = 0x0005_0000;
pub const RET_TRACE: u32 = 0x7ff0_0000;
pub const RET_LOG: u32 = 0x7ffc_0000;
pub const RET_ALLOW: u32 = 0x7fff_0000;

/// A seccomp return value as an action, for the kernel's strictness order
/// (`ACTION_ONLY` in kernel/seccomp.c: lower is stricter).
fn strictness(verdict: u32) -> i32 {
    (verdict & 0xffff_0000) as i32
}

/// One 64-bit comparison of an argument: `arg & mask <op> value` (the
/// mask is all ones but for `MaskedEq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cond {
    pub index: u8,
    pub op: Op,
    pub mask: u64,
    pub value: u64,
}

/// Conditions that must all hold.
pub type Conjunction = Vec<Cond>;

/// When a candidate verdict applies to a call of its syscall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    Always,
    /// One of the conjunctions holds.
    AnyOf(Vec<Conjunction>),
    /// None of them holds (the default, when allow rules have arguments).
    NoneOf(Vec<Conjunction>),
}

/// A verdict that applies when its condition holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub verdict: u32,
    pub when: When,
}

/// A syscall's verdict: fixed, or the first candidate that applies, in
/// strictness order, else allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Fixed(u32),
    Checked(Vec<Candidate>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// For syscalls the profile does not name.
    pub default: u32,
    pub syscalls: BTreeMap<u32, Decision>,
}

/// A group's syscalls: `None` matches whatever the arguments.
type Chains = BTreeMap<u32, Option<Vec<Conjunction>>>;

/// The policy of `profile` on `host`; `nr` numbers a syscall by name
/// (names of other architectures' calls are skipped, as libseccomp does).
pub fn policy(profile: &Profile, host: &Host, nr: impl Fn(&str) -> Option<u32>) -> Policy {
    let default = verdict(profile.default_action, profile.default_errno_ret, None);
    // Groups by verdict, in first-seen order.
    let mut groups: Vec<(u32, Chains)> = Vec::new();
    for rule in profile.syscalls.iter().filter(|r| r.applies(host)) {
        let v = verdict(rule.action, rule.errno_ret, profile.default_errno_ret);
        let at = match groups.iter().position(|(g, _)| *g == v) {
            Some(i) => i,
            None => {
                groups.push((v, Chains::new()));
                groups.len() - 1
            }
        };
        let conds: Conjunction = rule.args.iter().map(cond).collect();
        for n in rule.all_names().filter_map(&nr) {
            let entry = groups[at].1.entry(n).or_insert_with(|| Some(Vec::new()));
            match entry {
                // Matching whatever the arguments absorbs any conditions.
                None => {}
                Some(_) if conds.is_empty() => *entry = None,
                Some(list) => list.push(conds.clone()),
            }
        }
    }

    // (verdict on a match, verdict otherwise, syscalls), in the order
    // that breaks ties: a later one wins.
    let mut parts: Vec<(u32, u32, Chains)> = Vec::new();
    if default != RET_ALLOW {
        let allowed = groups
            .iter()
            .find(|(v, _)| *v == RET_ALLOW)
            .map(|(_, c)| c.clone())
            .unwrap_or_default();
        parts.push((RET_ALLOW, default, allowed));
    }
    for (v, chains) in groups {
        if v != RET_ALLOW && v != default {
            parts.push((v, RET_ALLOW, chains));
        }
    }

    let named: std::collections::BTreeSet<u32> = parts
        .iter()
        .flat_map(|(_, _, c)| c.keys().copied())
        .collect();
    let syscalls = named.into_iter().map(|n| (n, decide(n, &parts))).collect();
    Policy { default, syscalls }
}

fn decide(nr: u32, parts: &[(u32, u32, Chains)]) -> Decision {
    let mut cands: Vec<(usize, Candidate)> = Vec::new();
    for (i, (on_match, otherwise, chains)) in parts.iter().enumerate() {
        let (verdict, when) = match chains.get(&nr) {
            None => (*otherwise, When::Always),
            Some(None) => (*on_match, When::Always),
            Some(Some(conj)) if *on_match == RET_ALLOW => (*otherwise, When::NoneOf(conj.clone())),
            Some(Some(conj)) => (*on_match, When::AnyOf(conj.clone())),
        };
        if verdict != RET_ALLOW {
            cands.push((i, Candidate { verdict, when }));
        }
    }
    cands.sort_by_key(|(i, c)| (strictness(c.verdict), Reverse(*i)));
    let mut checked: Vec<Candidate> = Vec::new();
    for (_, c) in cands {
        let last = c.when == When::Always;
        checked.push(c);
        if last {
            break;
        }
    }
    match checked.as_slice() {
        [] => Decision::Fixed(RET_ALLOW),
        [
            Candidate {
                verdict,
                when: When::Always,
            },
            ..,
        ] => Decision::Fixed(*verdict),
        _ => Decision::Checked(checked),
    }
}

/// The seccomp return value of an action.
pub fn verdict(act: Action, errno: Option<u32>, default_errno: Option<u32>) -> u32 {
    let data = errno.or(default_errno).unwrap_or(libc::EPERM as u32) & 0xffff;
    match act {
        Action::Allow => RET_ALLOW,
        Action::Errno => RET_ERRNO | data,
        Action::KillThread => RET_KILL_THREAD,
        Action::KillProcess => RET_KILL_PROCESS,
        Action::Trap => RET_TRAP,
        Action::Trace => RET_TRACE | data,
        Action::Log => RET_LOG,
    }
}

/// Docker's files give `MaskedEq` as (mask, datum); the datum is compared
/// masked. libseccomp compares all 64 bits of an argument; so do we.
fn cond(arg: &Arg) -> Cond {
    match arg.op {
        Op::MaskedEq => Cond {
            index: arg.index,
            op: Op::MaskedEq,
            mask: arg.value,
            value: arg.value_two & arg.value,
        },
        op => Cond {
            index: arg.index,
            op,
            mask: u64::MAX,
            value: arg.value,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::DEFAULT_CAPS;

    const HOST: Host = Host {
        caps: DEFAULT_CAPS,
        arch: "amd64",
        kernel: (6, 1),
    };

    fn profile(json: &str) -> Profile {
        serde_json::from_str(json).unwrap()
    }

    fn nr(name: &str) -> Option<u32> {
        ["read", "write", "clone", "socket"]
            .iter()
            .position(|n| *n == name)
            .map(|i| i as u32)
    }

    #[test]
    fn an_allow_list_with_arguments_falls_back_to_the_default_when_none_holds() {
        let p = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
            {"names":["read"],"action":"SCMP_ACT_ALLOW"},
            {"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":40,"op":"SCMP_CMP_NE"}]}]}"#,
        );
        let pol = policy(&p, &HOST, nr);
        let eperm = RET_ERRNO | 1;
        assert_eq!(pol.default, eperm);
        assert_eq!(pol.syscalls[&0], Decision::Fixed(RET_ALLOW));
        let Decision::Checked(c) = &pol.syscalls[&3] else {
            panic!("socket is checked");
        };
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].verdict, eperm);
        assert!(matches!(&c[0].when, When::NoneOf(v) if v.len() == 1));
    }

    #[test]
    fn a_stricter_action_is_checked_first_and_a_later_group_wins_a_tie() {
        let p = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
            {"names":["clone","write"],"action":"SCMP_ACT_ALLOW"},
            {"names":["clone"],"action":"SCMP_ACT_ERRNO","errnoRet":38,"args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]},
            {"names":["clone"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]},
            {"names":["write"],"action":"SCMP_ACT_ERRNO","errnoRet":5}]}"#,
        );
        let pol = policy(&p, &HOST, nr);
        let Decision::Checked(c) = &pol.syscalls[&2] else {
            panic!("clone is checked");
        };
        let order: Vec<u32> = c.iter().map(|c| c.verdict).collect();
        assert_eq!(order, [RET_KILL_PROCESS, RET_ERRNO | 38]);
        assert_eq!(pol.syscalls[&1], Decision::Fixed(RET_ERRNO | 5));
    }
}
