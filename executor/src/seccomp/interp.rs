//! A userspace classic-BPF interpreter for seccomp filters, as the kernel
//! runs them: what the tests use to compare two filters' verdicts.

use super::bpf::{self, Insn};

/// `struct seccomp_data`.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub nr: u32,
    pub arch: u32,
    pub args: [u64; 6],
}

impl Call {
    fn word(&self, offset: u32) -> u32 {
        let mut data = [0u8; 64];
        data[0..4].copy_from_slice(&self.nr.to_ne_bytes());
        data[4..8].copy_from_slice(&self.arch.to_ne_bytes());
        for (i, a) in self.args.iter().enumerate() {
            data[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_ne_bytes());
        }
        let at = offset as usize;
        assert!(
            at.is_multiple_of(4) && at + 4 <= 64,
            "load out of seccomp_data: {offset}"
        );
        u32::from_ne_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
    }
}

/// One filter's return value for `call`.
pub fn run(prog: &[Insn], call: &Call) -> u32 {
    let (mut a, mut pc) = (0u32, 0usize);
    loop {
        let insn = prog
            .get(pc)
            .unwrap_or_else(|| panic!("ran off the end at {pc}"));
        pc += 1;
        let jump = |taken: bool| usize::from(if taken { insn.jt } else { insn.jf });
        match insn.code {
            bpf::LD_W_ABS => a = call.word(insn.k),
            bpf::ALU_AND_K => a &= insn.k,
            bpf::JMP_JA => pc += insn.k as usize,
            bpf::JMP_JEQ_K => pc += jump(a == insn.k),
            bpf::JMP_JGT_K => pc += jump(a > insn.k),
            bpf::JMP_JGE_K => pc += jump(a >= insn.k),
            bpf::RET_K => return insn.k,
            code => panic!("opcode {code:#x} at {} is not interpreted", pc - 1),
        }
    }
}

/// The verdict of filters loaded in this order (kernel/seccomp.c
/// seccomp_run_filters): the newest runs first and the strictest action
/// wins, an older filter only replacing a strictly stricter one.
pub fn run_stack(progs: &[Vec<Insn>], call: &Call) -> u32 {
    let action = |v: u32| (v & 0xffff_0000) as i32;
    let mut verdict = super::policy::RET_ALLOW;
    for prog in progs.iter().rev() {
        let v = run(prog, call);
        if action(v) < action(verdict) {
            verdict = v;
        }
    }
    verdict
}
