//! The tree-shaped filter decides every call as the seccompiler stack
//! strata loaded before did: every syscall number 0..=470 and beyond,
//! with the argument values the profiles' rules turn on, for the default
//! capability set, with CAP_SYS_ADMIN, with every capability, and for
//! hand-written profiles that use each comparison and action.

use caps::Capability;

use super::interp::{Call, run, run_stack};
use super::profile::{Host, Profile};
use super::{ARCH, Programs, compile_for, default_profile, reference};
use crate::security::DEFAULT_CAPS;

const AUDIT_ARCH_I386: u32 = 3 | 0x4000_0000;

fn host(caps: &[Capability]) -> Host<'_> {
    Host {
        caps,
        arch: ARCH.0,
        kernel: (6, 1),
    }
}

/// Argument vectors: all zero, all ones, and for each argument position
/// each constant a rule compares (and its neighbours, its other half
/// word set, and the named attacks' values) there.
fn argument_cases(profile: &Profile) -> Vec<[u64; 6]> {
    let mut values: Vec<(usize, u64)> = Vec::new();
    for rule in &profile.syscalls {
        for arg in &rule.args {
            let i = usize::from(arg.index);
            for v in [arg.value, arg.value_two, arg.value & arg.value_two] {
                for w in [
                    v,
                    v.wrapping_add(1),
                    v.wrapping_sub(1),
                    v ^ (1 << 32),
                    v | 0xffff_ffff_0000_0000,
                    v & 0xffff_ffff,
                    !v,
                ] {
                    values.push((i, w));
                }
            }
        }
    }
    // clone's namespace flags one by one and together, CLONE_THREAD
    // style flags, socket families around AF_VSOCK (40), personalities.
    let named: &[u64] = &[
        libc::CLONE_NEWUSER as u64,
        libc::CLONE_NEWNS as u64,
        libc::CLONE_NEWPID as u64,
        libc::CLONE_NEWNET as u64,
        libc::CLONE_NEWCGROUP as u64,
        (libc::CLONE_VM | libc::CLONE_FS | libc::CLONE_FILES | libc::CLONE_SIGHAND) as u64,
        (libc::CLONE_THREAD | libc::CLONE_NEWUSER) as u64,
        0x7E02_0000,
        libc::SIGCHLD as u64,
        1,
        2,
        10,
        16,
        38,
        39,
        40,
        41,
        0x0008,
        0x20000,
        0x20008,
        0x0040_0000,
        0xffff_ffff,
    ];
    for i in 0..6 {
        values.extend(named.iter().map(|&v| (i, v)));
    }
    let mut cases = vec![[0; 6], [u64::MAX; 6]];
    for (i, v) in values {
        let mut a = [0u64; 6];
        a[i] = v;
        cases.push(a);
        let mut b = [u64::MAX; 6];
        b[i] = v;
        cases.push(b);
    }
    cases.sort_unstable();
    cases.dedup();
    cases
}

/// Every number 0..=470, the x32 range's start, and numbers past any.
fn numbers() -> impl Iterator<Item = u32> {
    (0..=470).chain([
        471,
        512,
        1000,
        0x4000_0000,
        0x4000_0000 + 56,
        0x7fff_ffff,
        u32::MAX - 1,
        u32::MAX,
    ])
}

/// Asserts the same verdict for every call; returns how many were tried.
fn assert_same(profile: &Profile, caps: &[Capability]) -> usize {
    let host = host(caps);
    let old = reference::compile_for(profile, &host);
    let new = compile_for(profile, &host).unwrap().unpack().unwrap();
    assert_eq!(new.len(), 1, "one filter");
    let old_len: usize = old.iter().map(Vec::len).sum();
    assert!(new[0].len() < old_len, "{} vs {old_len}", new[0].len());
    let cases = argument_cases(profile);
    let mut tried = 0;
    for arch in [ARCH.1, AUDIT_ARCH_I386] {
        for nr in numbers() {
            for args in &cases {
                let call = Call {
                    nr,
                    arch,
                    args: *args,
                };
                assert_eq!(
                    run(&new[0], &call),
                    run_stack(&old, &call),
                    "nr {nr} arch {arch:#x} args {args:x?}"
                );
                tried += 1;
            }
        }
    }
    tried
}

fn all_caps() -> Vec<Capability> {
    caps::all().into_iter().collect()
}

#[test]
fn dockers_profile_decides_every_call_as_before_with_the_default_caps() {
    assert!(assert_same(&default_profile(), DEFAULT_CAPS) > 471 * 50);
}

#[test]
fn dockers_profile_decides_every_call_as_before_with_cap_sys_admin() {
    let mut caps = DEFAULT_CAPS.to_vec();
    caps.push(Capability::CAP_SYS_ADMIN);
    assert_same(&default_profile(), &caps);
}

#[test]
fn dockers_profile_decides_every_call_as_before_with_every_cap() {
    assert_same(&default_profile(), &all_caps());
}

#[test]
fn every_comparison_and_action_of_a_json_profile_decides_as_before() {
    let json = r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"syscalls":[
        {"names":["read","write","close","fstat"],"action":"SCMP_ACT_ALLOW"},
        {"names":["openat"],"action":"SCMP_ACT_ALLOW","args":[
            {"index":2,"value":4294967296,"op":"SCMP_CMP_LT"},
            {"index":3,"value":7,"op":"SCMP_CMP_NE"}]},
        {"names":["openat"],"action":"SCMP_ACT_ALLOW","args":[
            {"index":1,"value":18446744069414584320,"valueTwo":4294967296,"op":"SCMP_CMP_MASKED_EQ"}]},
        {"names":["mmap"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":4294967297,"op":"SCMP_CMP_GE"}]},
        {"names":["mmap"],"action":"SCMP_ACT_ALLOW","args":[{"index":5,"value":12,"op":"SCMP_CMP_LE"}]},
        {"names":["mprotect"],"action":"SCMP_ACT_ALLOW","args":[{"index":4,"value":8589934591,"op":"SCMP_CMP_GT"}]},
        {"names":["write"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":0,"value":77,"op":"SCMP_CMP_EQ"}]},
        {"names":["close"],"action":"SCMP_ACT_TRAP","args":[{"index":0,"value":1000,"op":"SCMP_CMP_GT"}]},
        {"names":["fstat"],"action":"SCMP_ACT_LOG"},
        {"names":["getpid"],"action":"SCMP_ACT_TRACE","errnoRet":3},
        {"names":["getpid","gettid"],"action":"SCMP_ACT_ERRNO","errnoRet":38},
        {"names":["kill"],"action":"SCMP_ACT_KILL"},
        {"names":["kill"],"action":"SCMP_ACT_ERRNO","errnoRet":13,"args":[{"index":1,"value":9,"op":"SCMP_CMP_EQ"}]},
        {"names":["not_a_syscall","read"],"action":"SCMP_ACT_ERRNO","errnoRet":5,"args":[{"index":0,"value":3,"op":"SCMP_CMP_EQ"}]}]}"#;
    let profile: Profile = serde_json::from_str(json).unwrap();
    assert_same(&profile, DEFAULT_CAPS);
}

#[test]
fn a_default_allow_profile_decides_every_call_as_before() {
    let json = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
        {"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
        {"names":["unshare"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":268435456,"valueTwo":268435456,"op":"SCMP_CMP_MASKED_EQ"}]}]}"#;
    let profile: Profile = serde_json::from_str(json).unwrap();
    assert_same(&profile, DEFAULT_CAPS);
}

#[test]
fn the_filter_crosses_the_exec_unchanged() {
    let progs = compile_for(&default_profile(), &host(DEFAULT_CAPS)).unwrap();
    let back = progs.unpack().unwrap();
    assert_eq!(Programs::pack(&back), progs);
    assert!(Programs(vec!["12".into()]).unpack().is_none());
}
