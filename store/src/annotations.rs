//! OCI annotations (string keys to string values) on an index, a manifest
//! or a descriptor. Kept sorted so the JSON they land in is canonical, and
//! left out of that JSON when empty, so an image without any keeps the
//! digest it had before annotations existed.

use std::collections::{BTreeMap, HashMap};

use oci_spec::image::Descriptor;
use serde::{Deserialize, Deserializer, Serialize};

use crate::index::REF_NAME;
use crate::pulled_through::PULLED_THROUGH;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Annotations(BTreeMap<String, String>);

/// `"annotations": null`, which some writers put, is none.
impl<'de> Deserialize<'de> for Annotations {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Annotations, D::Error> {
        Ok(Annotations(
            Option::<BTreeMap<String, String>>::deserialize(d)?.unwrap_or_default(),
        ))
    }
}

impl Annotations {
    pub fn new() -> Annotations {
        Annotations::default()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Sets `key`; a later value for the same key wins, as buildx's flags do.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.insert(key.into(), value.into());
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// What a descriptor says besides the name the layout gives it: the
    /// ref.name annotation belongs to the entry, not to what it points at,
    /// and so does the index a pull went through (the store's own key).
    pub fn of_descriptor(d: &Descriptor) -> Annotations {
        Annotations(
            d.annotations()
                .iter()
                .flatten()
                .filter(|(k, _)| k.as_str() != REF_NAME && k.as_str() != PULLED_THROUGH)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// These annotations, and `ref_name` as the ref.name one when given, in
    /// the form oci-spec's descriptor takes (None when there are none).
    pub fn for_descriptor(&self, ref_name: Option<&str>) -> Option<HashMap<String, String>> {
        let mut out: HashMap<String, String> = self.0.clone().into_iter().collect();
        if let Some(r) = ref_name {
            out.insert(REF_NAME.to_owned(), r.to_owned());
        }
        (!out.is_empty()).then_some(out)
    }
}

impl From<BTreeMap<String, String>> for Annotations {
    fn from(m: BTreeMap<String, String>) -> Annotations {
        Annotations(m)
    }
}

impl FromIterator<(String, String)> for Annotations {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Annotations {
        Annotations(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::image::MediaType;

    #[test]
    fn null_is_no_annotations() {
        let a: Annotations = serde_json::from_str("null").unwrap_or_else(|_| annotated());
        assert!(a.is_empty());
        let b: Annotations = serde_json::from_str(r#"{"k":"v"}"#).unwrap_or_default();
        assert_eq!(b.get("k"), Some("v"));
    }

    fn annotated() -> Annotations {
        [("x".to_owned(), "y".to_owned())].into_iter().collect()
    }

    #[test]
    fn a_descriptors_ref_name_is_not_one_of_its_annotations() {
        let mut d = Descriptor::new(MediaType::ImageIndex, 1, crate::Digest::of(b"x").to_oci());
        d.set_annotations(Some(HashMap::from([
            (REF_NAME.to_owned(), "app:1".to_owned()),
            ("org.example.k".to_owned(), "v".to_owned()),
        ])));
        let a = Annotations::of_descriptor(&d);
        assert_eq!(a.iter().collect::<Vec<_>>(), [("org.example.k", "v")]);
        let back = a.for_descriptor(Some("app:2")).unwrap_or_default();
        assert_eq!(back.get(REF_NAME).map(String::as_str), Some("app:2"));
        assert_eq!(back.len(), 2);
        assert_eq!(Annotations::new().for_descriptor(None), None);
    }

    #[test]
    fn the_index_a_pull_went_through_is_not_one_of_its_annotations() {
        let mut d = Descriptor::new(
            MediaType::ImageManifest,
            1,
            crate::Digest::of(b"x").to_oci(),
        );
        d.set_annotations(Some(HashMap::from([
            (
                PULLED_THROUGH.to_owned(),
                crate::Digest::of(b"i").to_string(),
            ),
            ("org.example.k".to_owned(), "v".to_owned()),
        ])));
        let a = Annotations::of_descriptor(&d);
        assert_eq!(a.iter().collect::<Vec<_>>(), [("org.example.k", "v")]);
    }
}
