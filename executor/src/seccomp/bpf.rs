//! Classic BPF as seccomp runs it: the instruction, the few opcodes a
//! filter needs, and an assembler with forward labels.
//!
//! A conditional jump reaches at most 255 instructions ahead; the
//! assembler gives a farther target a `ja` trampoline (32-bit offset) right
//! after the jump, so the code that lays out a filter need not count.

/// `struct sock_filter`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// BPF_LD | BPF_W | BPF_ABS (the first two are 0).
pub const LD_W_ABS: u16 = 0x20;
pub const ALU_AND_K: u16 = 0x04 | 0x50;
pub const JMP_JA: u16 = 0x05;
pub const JMP_JEQ_K: u16 = 0x05 | 0x10;
pub const JMP_JGT_K: u16 = 0x05 | 0x20;
pub const JMP_JGE_K: u16 = 0x05 | 0x30;
pub const RET_K: u16 = 0x06;

/// The kernel's limit on one filter (BPF_MAXINSNS).
pub const MAX_INSNS: usize = 4096;

/// `struct seccomp_data` offsets.
pub const DATA_NR: u32 = 0;
pub const DATA_ARCH: u32 = 4;

/// The offsets of argument `index`'s low and high 32-bit words.
pub fn arg_words(index: u8) -> (u32, u32) {
    let base = 16 + 8 * u32::from(index);
    if cfg!(target_endian = "little") {
        (base, base + 4)
    } else {
        (base + 4, base)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label(usize);

#[derive(Debug, Clone, Copy)]
enum Item {
    Plain(Insn),
    Jump {
        code: u16,
        k: u32,
        jt: Label,
        jf: Label,
    },
    Always(Label),
    Mark(Label),
}

/// A program under construction: instructions and labels placed in order;
/// every jump goes forward (cBPF has no backward jumps).
#[derive(Debug, Default)]
pub struct Asm {
    items: Vec<Item>,
    labels: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum AsmError {
    #[error("a jump goes backwards or to a label never placed")]
    BadTarget,
    #[error("the filter has {0} instructions, more than the kernel's 4096")]
    TooLong(usize),
}

impl Asm {
    pub fn label(&mut self) -> Label {
        self.labels += 1;
        Label(self.labels - 1)
    }

    pub fn place(&mut self, label: Label) {
        self.items.push(Item::Mark(label));
    }

    pub fn load(&mut self, offset: u32) {
        self.plain(LD_W_ABS, offset);
    }

    pub fn and(&mut self, mask: u32) {
        self.plain(ALU_AND_K, mask);
    }

    pub fn ret(&mut self, verdict: u32) {
        self.plain(RET_K, verdict);
    }

    /// `if A <code> k goto jt else goto jf`.
    pub fn jump(&mut self, code: u16, k: u32, jt: Label, jf: Label) {
        self.items.push(Item::Jump { code, k, jt, jf });
    }

    pub fn goto(&mut self, to: Label) {
        self.items.push(Item::Always(to));
    }

    fn plain(&mut self, code: u16, k: u32) {
        self.items.push(Item::Plain(Insn {
            code,
            jt: 0,
            jf: 0,
            k,
        }));
    }

    /// The instructions, with trampolines where a target is too far.
    pub fn finish(self) -> Result<Vec<Insn>, AsmError> {
        // Which jumps need a trampoline for their true / false target;
        // adding one only moves targets farther, so this settles.
        let mut far = vec![(false, false); self.items.len()];
        loop {
            let (at, labels) = self.layout(&far)?;
            let mut changed = false;
            for (i, item) in self.items.iter().enumerate() {
                if let Item::Jump { jt, jf, .. } = *item {
                    let too_far = |target: Label| -> Result<bool, AsmError> {
                        let to = labels[target.0].ok_or(AsmError::BadTarget)?;
                        let off = to.checked_sub(at[i] + 1).ok_or(AsmError::BadTarget)?;
                        Ok(off > 255)
                    };
                    let (t, f) = (too_far(jt)?, too_far(jf)?);
                    if (t && !far[i].0) || (f && !far[i].1) {
                        far[i] = (far[i].0 || t, far[i].1 || f);
                        changed = true;
                    }
                }
            }
            if !changed {
                return self.emit(&far, &at, &labels);
            }
        }
    }

    /// Each item's position, and each label's.
    fn layout(&self, far: &[(bool, bool)]) -> Result<(Vec<usize>, Vec<Option<usize>>), AsmError> {
        let mut at = Vec::with_capacity(self.items.len());
        let mut labels = vec![None; self.labels];
        let mut pc = 0;
        for (i, item) in self.items.iter().enumerate() {
            at.push(pc);
            pc += match item {
                Item::Mark(l) => {
                    labels[l.0] = Some(pc);
                    0
                }
                Item::Jump { .. } => 1 + usize::from(far[i].0) + usize::from(far[i].1),
                Item::Plain(_) | Item::Always(_) => 1,
            };
        }
        if pc > MAX_INSNS {
            return Err(AsmError::TooLong(pc));
        }
        Ok((at, labels))
    }

    fn emit(
        &self,
        far: &[(bool, bool)],
        at: &[usize],
        labels: &[Option<usize>],
    ) -> Result<Vec<Insn>, AsmError> {
        let offset = |from_next: usize, to: Label| -> Result<u32, AsmError> {
            let to = labels[to.0].ok_or(AsmError::BadTarget)?;
            let off = to.checked_sub(from_next).ok_or(AsmError::BadTarget)?;
            u32::try_from(off).map_err(|_| AsmError::TooLong(off))
        };
        let ja = |k| Insn {
            code: JMP_JA,
            jt: 0,
            jf: 0,
            k,
        };
        let mut out = Vec::with_capacity(at.last().map_or(0, |p| p + 3));
        for (i, item) in self.items.iter().enumerate() {
            match *item {
                Item::Mark(_) => {}
                Item::Plain(insn) => out.push(insn),
                Item::Always(to) => out.push(ja(offset(at[i] + 1, to)?)),
                Item::Jump { code, k, jt, jf } => {
                    let (ft, ff) = far[i];
                    let next = at[i] + 1 + usize::from(ft) + usize::from(ff);
                    // A trampoline sits right after the jump: the true
                    // one first, then the false one.
                    let near = |to: Label| -> Result<u8, AsmError> {
                        // Checked by `finish`: no near target is > 255 away.
                        u8::try_from(offset(next, to)? + u32::from(ft) + u32::from(ff))
                            .map_err(|_| AsmError::BadTarget)
                    };
                    let t = if ft { 0 } else { near(jt)? };
                    let f = if ff { u8::from(ft) } else { near(jf)? };
                    out.push(Insn {
                        code,
                        jt: t,
                        jf: f,
                        k,
                    });
                    if ft {
                        out.push(ja(offset(at[i] + 2, jt)?));
                    }
                    if ff {
                        out.push(ja(offset(next, jf)?));
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_far_target_gets_a_trampoline_and_a_near_one_a_direct_jump() {
        let mut asm = Asm::default();
        let (near, far) = (asm.label(), asm.label());
        asm.jump(JMP_JEQ_K, 7, far, near);
        asm.place(near);
        for _ in 0..300 {
            asm.ret(1);
        }
        asm.place(far);
        asm.ret(2);
        let prog = asm.finish().unwrap();
        assert_eq!(prog.len(), 1 + 1 + 300 + 1);
        assert_eq!((prog[0].jt, prog[0].jf), (0, 1));
        assert_eq!(prog[1].code, JMP_JA);
        assert_eq!(1 + 1 + prog[1].k as usize, 302);
        assert_eq!(prog[302].k, 2);
    }

    #[test]
    fn a_backward_jump_is_refused() {
        let mut asm = Asm::default();
        let back = asm.label();
        asm.place(back);
        asm.ret(0);
        asm.goto(back);
        assert!(matches!(asm.finish(), Err(AsmError::BadTarget)));
    }
}
