//! The cgroup v2 device policy: the rule list assembled by hand into a
//! BPF_PROG_TYPE_CGROUP_DEVICE program (as runc's devicefilter does), which
//! the kernel runs on every mknod and open of a device node by a member of
//! the cgroup it is attached to. It returns 1 to allow, 0 to deny (EPERM).
//!
//! The context is `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major;
//! u32 minor; }`, where `access_type` is the device type in its low 16
//! bits and the requested access (a bit set) in the high 16.

use crate::sys::BpfInsn;
use crate::{DeviceKind, DeviceRule};

// The kernel's encoding (include/uapi/linux/bpf_common.h, bpf.h).
const LDX_MEM_W: u8 = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const ALU_AND_K: u8 = 0x54; // BPF_ALU | BPF_AND | BPF_K
const ALU_RSH_K: u8 = 0x74; // BPF_ALU | BPF_RSH | BPF_K
const ALU_MOV_X: u8 = 0xbc; // BPF_ALU | BPF_MOV | BPF_X
const JMP_JNE_K: u8 = 0x55; // BPF_JMP | BPF_JNE | BPF_K
const JMP_JNE_X: u8 = 0x5d; // BPF_JMP | BPF_JNE | BPF_X
const ALU64_MOV_K: u8 = 0xb7; // BPF_ALU64 | BPF_MOV | BPF_K
const EXIT: u8 = 0x95; // BPF_JMP | BPF_EXIT

const DEV_BLOCK: i32 = 1; // BPF_DEVCG_DEV_BLOCK
const DEV_CHAR: i32 = 2; // BPF_DEVCG_DEV_CHAR
const ACC_MKNOD: i32 = 1; // BPF_DEVCG_ACC_MKNOD
const ACC_READ: i32 = 2; // BPF_DEVCG_ACC_READ
const ACC_WRITE: i32 = 4; // BPF_DEVCG_ACC_WRITE
const ACC_ALL: i32 = ACC_MKNOD | ACC_READ | ACC_WRITE;

// Registers: r1 holds the context on entry and is scratch afterwards.
const CTX: u8 = 1;
const TYPE: u8 = 2;
const ACCESS: u8 = 3;
const MAJOR: u8 = 4;
const MINOR: u8 = 5;
const TMP: u8 = 1;

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> BpfInsn {
    BpfInsn {
        code,
        regs: dst | (src << 4),
        off,
        imm,
    }
}

/// The program for `rules`: allow what any rule allows, deny the rest.
/// Each rule is one block that jumps to the next block on a mismatch.
pub(crate) fn assemble(rules: &[DeviceRule]) -> Vec<BpfInsn> {
    let mut prog = vec![
        insn(LDX_MEM_W, TYPE, CTX, 0, 0),
        insn(ALU_AND_K, TYPE, 0, 0, 0xffff),
        insn(LDX_MEM_W, ACCESS, CTX, 0, 0),
        insn(ALU_RSH_K, ACCESS, 0, 0, 16),
        insn(LDX_MEM_W, MAJOR, CTX, 4, 0),
        insn(LDX_MEM_W, MINOR, CTX, 8, 0),
    ];
    for rule in rules {
        let block = rule_block(rule);
        prog.extend(block);
    }
    prog.push(insn(ALU64_MOV_K, 0, 0, 0, 0));
    prog.push(insn(EXIT, 0, 0, 0, 0));
    prog
}

/// One rule's checks, each jumping past the block's end on a mismatch,
/// then "allow".
fn rule_block(rule: &DeviceRule) -> Vec<BpfInsn> {
    // (code, dst, src, imm) of each check; the offsets come once the
    // block's length is known.
    let mut checks: Vec<(u8, u8, u8, i32)> = Vec::new();
    // `a` rules check no type.
    if let Some(kind) = rule.kind {
        let kind = match kind {
            DeviceKind::Char => DEV_CHAR,
            DeviceKind::Block => DEV_BLOCK,
        };
        checks.push((JMP_JNE_K, TYPE, 0, kind));
    }
    let allowed = [
        (rule.access.mknod, ACC_MKNOD),
        (rule.access.read, ACC_READ),
        (rule.access.write, ACC_WRITE),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .fold(0, |bits, (_, bit)| bits | bit);
    if allowed != ACC_ALL {
        // The request must be a subset: (access & allowed) == access.
        checks.push((ALU_MOV_X, TMP, ACCESS, 0));
        checks.push((ALU_AND_K, TMP, 0, allowed));
        checks.push((JMP_JNE_X, TMP, ACCESS, 0));
    }
    if let Some(major) = rule.major {
        checks.push((JMP_JNE_K, MAJOR, 0, imm(major)));
    }
    if let Some(minor) = rule.minor {
        checks.push((JMP_JNE_K, MINOR, 0, imm(minor)));
    }
    // Two instructions of "allow" follow the checks.
    let len = checks.len() + 2;
    let mut block: Vec<BpfInsn> = checks
        .iter()
        .enumerate()
        .map(|(i, &(code, dst, src, imm))| {
            let is_jump = code == JMP_JNE_K || code == JMP_JNE_X;
            // From the instruction after this one to the block's end.
            let off = if is_jump { (len - i - 1) as i16 } else { 0 };
            insn(code, dst, src, off, imm)
        })
        .collect();
    block.push(insn(ALU64_MOV_K, 0, 0, 0, 1));
    block.push(insn(EXIT, 0, 0, 0, 0));
    block
}

/// A major or minor as the 32-bit immediate the kernel sign-extends and
/// compares with the zero-extended context field: numbers past i32::MAX
/// (no real device has one) could never match, so they are clamped to a
/// value no device has.
fn imm(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(-1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device_rules::ALLOWED;

    /// A tiny interpreter of the instructions `assemble` emits, so the
    /// program's decisions are checked here; the kernel's are the escape
    /// suite's.
    fn run(prog: &[BpfInsn], kind: i32, access: i32, major: u32, minor: u32) -> u64 {
        let ctx = [((access << 16) | kind) as u32, major, minor];
        let mut r = [0u64; 11];
        let mut pc = 0usize;
        loop {
            let i = prog[pc];
            let (dst, src) = ((i.regs & 0xf) as usize, (i.regs >> 4) as usize);
            pc += 1;
            match i.code {
                LDX_MEM_W => {
                    assert_eq!(src, CTX as usize);
                    r[dst] = u64::from(ctx[i.off as usize / 4]);
                }
                ALU_AND_K => r[dst] = u64::from(r[dst] as u32 & i.imm as u32),
                ALU_RSH_K => r[dst] = u64::from((r[dst] as u32) >> i.imm),
                ALU_MOV_X => r[dst] = u64::from(r[src] as u32),
                ALU64_MOV_K => r[dst] = i.imm as i64 as u64,
                JMP_JNE_K if r[dst] != i.imm as i64 as u64 => pc += i.off as usize,
                JMP_JNE_X if r[dst] != r[src] => pc += i.off as usize,
                JMP_JNE_K | JMP_JNE_X => {}
                EXIT => return r[0],
                code => panic!("unexpected opcode {code:#x}"),
            }
        }
    }

    const READ: i32 = ACC_READ;
    const WRITE: i32 = ACC_WRITE;

    #[test]
    fn the_program_allows_the_harmless_nodes_and_mknod_of_any() {
        let prog = assemble(ALLOWED);
        for (major, minor) in [(1, 3), (1, 5), (1, 9), (5, 0), (5, 2), (136, 7)] {
            assert_eq!(run(&prog, DEV_CHAR, READ | WRITE, major, minor), 1);
        }
        assert_eq!(run(&prog, DEV_BLOCK, ACC_MKNOD, 7, 0), 1);
        assert_eq!(run(&prog, DEV_CHAR, ACC_MKNOD, 1, 11), 1);
    }

    #[test]
    fn the_program_denies_opening_disks_and_the_kernel_log() {
        let prog = assemble(ALLOWED);
        assert_eq!(run(&prog, DEV_BLOCK, READ, 7, 0), 0, "loop0");
        assert_eq!(run(&prog, DEV_BLOCK, READ | ACC_MKNOD, 8, 0), 0, "sda");
        assert_eq!(run(&prog, DEV_CHAR, READ, 1, 11), 0, "kmsg");
        assert_eq!(run(&prog, DEV_CHAR, WRITE, 1, 1), 0, "mem");
        // The char rules do not leak to block devices of the same number.
        assert_eq!(run(&prog, DEV_BLOCK, READ, 1, 3), 0);
    }

    #[test]
    fn the_program_has_one_block_per_rule_and_ends_denying() {
        let prog = assemble(ALLOWED);
        let allows = prog
            .windows(2)
            .filter(|w| w[0] == insn(ALU64_MOV_K, 0, 0, 0, 1) && w[1].code == EXIT)
            .count();
        assert_eq!(allows, ALLOWED.len());
        assert_eq!(
            &prog[prog.len() - 2..],
            [insn(ALU64_MOV_K, 0, 0, 0, 0), insn(EXIT, 0, 0, 0, 0)]
        );
        // Every jump lands inside the program.
        for (pc, i) in prog.iter().enumerate() {
            if i.code == JMP_JNE_K || i.code == JMP_JNE_X {
                assert!(pc + 1 + (i.off as usize) < prog.len());
            }
        }
    }

    #[test]
    fn a_grant_allows_only_its_access_on_its_node() {
        let grants: Vec<DeviceRule> = ["c 1:11 r", "a 7:* rw"]
            .iter()
            .map(|r| r.parse().unwrap())
            .collect();
        let prog = assemble(&crate::device_rules::with_grants(&grants));
        assert_eq!(run(&prog, DEV_CHAR, READ, 1, 11), 1, "kmsg read granted");
        assert_eq!(run(&prog, DEV_CHAR, WRITE, 1, 11), 0, "kmsg write not");
        assert_eq!(run(&prog, DEV_CHAR, READ | WRITE, 1, 11), 0);
        assert_eq!(
            run(&prog, DEV_BLOCK, READ | WRITE, 7, 3),
            1,
            "a covers block"
        );
        assert_eq!(run(&prog, DEV_CHAR, WRITE, 7, 0), 1, "and char");
        assert_eq!(run(&prog, DEV_BLOCK, READ, 8, 0), 0, "sda still denied");
    }
}
