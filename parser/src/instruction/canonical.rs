//! A stable text form of an instruction, for cache keys.

use super::Instruction;

impl Instruction {
    /// The keyword followed by every typed field as JSON. Field order is
    /// the struct order and there are no hash maps, so equal instructions
    /// always give equal text, whatever flag order the Dockerfile used.
    pub fn canonical(&self) -> String {
        let body = serde_json::to_string(self).unwrap_or_else(|e| format!("{e}"));
        format!("{} {}", self.keyword(), body)
    }
}

#[cfg(test)]
mod tests {
    use crate::parse_instruction;

    #[test]
    fn flag_order_does_not_matter() {
        let a = parse_instruction("COPY --link --chown=1:1 a b").unwrap();
        let b = parse_instruction("copy --chown=1:1 --link a b").unwrap();
        assert_eq!(a.canonical(), b.canonical());
        let c = parse_instruction("COPY --chown=1:2 --link a b").unwrap();
        assert_ne!(a.canonical(), c.canonical());
    }
}
