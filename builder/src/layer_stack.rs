//! The snapshot directories of an image or stage, in the one order the
//! builder keeps them: lowest (the base's first layer) first, the order a
//! manifest lists layers, `Store::layer_snapshots` returns them and the
//! executor's overlay takes them. Readers that want the top first (the
//! merged view, overlayfs's `lowerdir=`) ask for [`LayerStack::topmost_first`].

use std::path::PathBuf;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerStack {
    lowest_first: Vec<PathBuf>,
}

impl LayerStack {
    pub fn lowest_first(dirs: Vec<PathBuf>) -> Self {
        Self { lowest_first: dirs }
    }

    /// The stack with `top` over everything in it.
    pub fn with_top(&self, top: PathBuf) -> Self {
        let mut lowest_first = self.lowest_first.clone();
        lowest_first.push(top);
        Self { lowest_first }
    }

    pub fn dirs_lowest_first(&self) -> &[PathBuf] {
        &self.lowest_first
    }

    pub fn topmost_first(&self) -> impl Iterator<Item = &PathBuf> {
        self.lowest_first.iter().rev()
    }

    pub fn is_empty(&self) -> bool {
        self.lowest_first.is_empty()
    }
}

impl From<LayerStack> for Vec<PathBuf> {
    /// The dirs lowest first, as the executor's `Rootfs::Overlay` takes them.
    fn from(s: LayerStack) -> Self {
        s.lowest_first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_grows_on_top_and_reads_either_way() {
        let s = LayerStack::lowest_first(vec!["base".into(), "mid".into()]).with_top("top".into());
        assert_eq!(
            s.dirs_lowest_first(),
            [PathBuf::from("base"), "mid".into(), "top".into()]
        );
        let top_down: Vec<&PathBuf> = s.topmost_first().collect();
        assert_eq!(
            top_down,
            [&PathBuf::from("top"), &"mid".into(), &"base".into()]
        );
    }
}
