//! Where each variable sits in the config's `Env` list, so ENV replaces
//! and expansion looks up in constant time: a Dockerfile of 100,000 ENV
//! lines would otherwise rescan the whole list on every line.

use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct EnvIndex {
    slots: HashMap<String, usize>,
    /// The length of the list the index covers.
    covered: usize,
}

/// The name of a `NAME=value` entry.
pub fn name_of(entry: &str) -> &str {
    entry.split_once('=').map_or(entry, |(k, _)| k)
}

impl EnvIndex {
    pub fn of(env: &[String]) -> Self {
        let mut index = EnvIndex::default();
        for (i, e) in env.iter().enumerate() {
            index.slots.insert(name_of(e).to_string(), i);
        }
        index.covered = env.len();
        index
    }

    /// The position of `name` in `env`. The index is checked against the
    /// list (anyone may edit the config's list), and rebuilt when stale.
    pub fn find(&mut self, env: &[String], name: &str) -> Option<usize> {
        match self.peek(env, name) {
            Lookup::Found(i) => Some(i),
            Lookup::Absent => None,
            Lookup::Stale => {
                *self = EnvIndex::of(env);
                self.slots.get(name).copied()
            }
        }
    }

    /// As [`EnvIndex::find`] without repairing: a stale index falls back
    /// to a scan.
    pub fn get<'a>(&self, env: &'a [String], name: &str) -> Option<&'a str> {
        let i = match self.peek(env, name) {
            Lookup::Found(i) => i,
            Lookup::Absent => return None,
            Lookup::Stale => env.iter().rposition(|e| name_of(e) == name)?,
        };
        Some(env[i].split_once('=').map_or("", |(_, v)| v))
    }

    /// Records `name` appended to the list at `slot`.
    pub fn push(&mut self, name: &str, slot: usize) {
        self.slots.insert(name.to_string(), slot);
        self.covered = slot + 1;
    }

    fn peek(&self, env: &[String], name: &str) -> Lookup {
        match self.slots.get(name) {
            Some(&i) if env.get(i).is_some_and(|e| name_of(e) == name) => Lookup::Found(i),
            Some(_) => Lookup::Stale,
            // Absent from an index that covers the whole list is absent.
            None if self.covered == env.len() => Lookup::Absent,
            None => Lookup::Stale,
        }
    }
}

enum Lookup {
    Found(usize),
    Absent,
    Stale,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_entries_and_survives_edits_behind_its_back() {
        let mut env = vec!["PATH=/bin".to_string(), "A=1".to_string()];
        let mut index = EnvIndex::of(&env);
        assert_eq!(index.get(&env, "A"), Some("1"));
        assert_eq!(index.get(&env, "B"), None);
        env.push("B=2".into());
        index.push("B", 2);
        assert_eq!(index.find(&env, "B"), Some(2));
        // Edited directly: the index notices and rebuilds.
        env.remove(0);
        assert_eq!(index.get(&env, "B"), Some("2"));
        assert_eq!(index.find(&env, "A"), Some(0));
        assert_eq!(index.find(&env, "PATH"), None);
    }
}
