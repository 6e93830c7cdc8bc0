//! Cache keys and source digests hash sequences of fields; each field is
//! length-prefixed so that no two different sequences hash the same
//! ("ab","c" vs "a","bc"). The result is the store's one `Digest`.

use sha2::{Digest as _, Sha256};
use strata_store::Digest;

#[derive(Default)]
pub struct FieldHasher(Sha256);

impl FieldHasher {
    pub fn new() -> Self {
        Self(Sha256::new())
    }

    pub fn field(&mut self, data: impl AsRef<[u8]>) -> &mut Self {
        let data = data.as_ref();
        self.0.update((data.len() as u64).to_le_bytes());
        self.0.update(data);
        self
    }

    pub fn finish(self) -> Digest {
        Digest::from_bytes(self.0.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector_of_empty_input() {
        assert_eq!(
            Digest::of(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn round_trips_through_text_and_rejects_garbage() {
        let d = Digest::of(b"strata");
        assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
        assert!("sha256:xyz".parse::<Digest>().is_err());
        assert!(d.to_string().to_uppercase().parse::<Digest>().is_err());
    }

    #[test]
    fn text_is_the_display_form() {
        let d = Digest::of(b"strata");
        assert_eq!(&d.text()[..], d.to_string().as_bytes());
    }

    #[test]
    fn fields_are_delimited() {
        let mut a = FieldHasher::new();
        a.field("ab").field("c");
        let mut b = FieldHasher::new();
        b.field("a").field("bc");
        assert_ne!(a.finish(), b.finish());
    }
}
