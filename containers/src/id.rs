//! Container ids and names.

use std::hash::{BuildHasher, Hasher};

/// 64 hex digits, as docker's: four independently seeded 64-bit hashes of
/// the clock and pid (std's RandomState draws its keys from the OS).
pub(crate) fn new_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    (0..4)
        .map(|i: u8| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(now);
            h.write_u32(std::process::id());
            h.write_u8(i);
            format!("{:016x}", h.finish())
        })
        .collect()
}

/// docker's rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub(crate) fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

const ADJECTIVES: &[&str] = &[
    "brave", "calm", "eager", "fond", "gentle", "happy", "keen", "lucid", "merry", "nifty",
    "proud", "quiet", "sharp", "tender", "vivid", "witty",
];
const NOUNS: &[&str] = &[
    "babbage", "curie", "darwin", "euler", "fermi", "gauss", "hopper", "kepler", "lovelace",
    "noether", "pascal", "ritchie", "shannon", "turing", "volta", "wozniak",
];

/// adjective_noun from the id's digits, as docker names containers; a
/// number is added if that name is taken.
pub(crate) fn default_name(id: &str, taken: impl Fn(&str) -> bool) -> String {
    let digit = |i: usize| {
        id.as_bytes()
            .get(i)
            .and_then(|b| (*b as char).to_digit(16))
            .unwrap_or(0) as usize
    };
    let base = format!("{}_{}", ADJECTIVES[digit(0)], NOUNS[digit(1)]);
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}{n}"))
        .find(|n| !taken(n))
        .unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_64_hex_digits_and_differ() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn names_follow_dockers_rule() {
        assert!(valid_name("web-1.a_b"));
        assert!(!valid_name("-web"));
        assert!(!valid_name("a/b"));
        assert!(!valid_name(""));
    }

    #[test]
    fn a_taken_default_name_gets_a_number() {
        let first = default_name("00", |_| false);
        assert_eq!(first, "brave_babbage");
        assert_eq!(default_name("00", |n| n == first), "brave_babbage2");
    }
}
