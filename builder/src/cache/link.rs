//! `COPY --link` / `ADD --link` in the key chain. Such a layer is made on
//! an empty directory and stacked over its parent (BuildKit's MergeOp), so
//! its own key leaves the parent out: after the base image changes, the
//! layer is reused as it is, same snapshot, same blob. What builds on it
//! still depends on both, so the chain continues from a key of the pair.

use super::key::Parent;
use crate::field_hasher::FieldHasher;
use strata_store::Digest;

/// The parent a linked layer's own key names: none, as it was copied
/// onto an empty directory.
pub fn linked_parent() -> Parent {
    Parent::Scratch
}

/// The key the steps after a linked layer build on: the layer `layer`
/// stacked over `below`. A change of either misses them.
pub fn stacked(below: &Parent, layer: &Digest) -> Digest {
    let mut h = FieldHasher::new();
    h.field("strata-linked-layer-v1");
    match below {
        Parent::Scratch => h.field("scratch"),
        Parent::Image(d) => h.field("image").field(d),
        Parent::Step(k) => h.field("step").field(k.to_string()),
    };
    h.field(layer.to_string());
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_after_a_linked_layer_depends_on_what_lies_below_and_the_layer() {
        let layer = Digest::of(b"layer");
        let a = stacked(&Parent::Image("sha256:a".into()), &layer);
        assert_eq!(a, stacked(&Parent::Image("sha256:a".into()), &layer));
        assert_ne!(a, stacked(&Parent::Image("sha256:b".into()), &layer));
        assert_ne!(
            a,
            stacked(&Parent::Image("sha256:a".into()), &Digest::of(b"x"))
        );
        assert_ne!(a, layer, "not the layer's own key");
    }

    /// Pinned: a change here misses every step after a linked layer.
    #[test]
    fn the_stacked_key_is_pinned() {
        assert_eq!(
            stacked(&Parent::Scratch, &Digest::of(b"layer")).to_string(),
            "sha256:e65d1b85922577f643f127150fd627b449843d6d90fd143ef938bc0d7db60615"
        );
    }
}
