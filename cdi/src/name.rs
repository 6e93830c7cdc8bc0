//! CDI's name rules: a kind is `vendor/class`, a qualified device name
//! `vendor/class=name` (the cdi package's pkg/parser).

/// `(vendor, class)` of `vendor/class`; `None` when either part is missing.
pub fn parse_qualifier(kind: &str) -> Option<(&str, &str)> {
    match kind.split_once('/') {
        Some((v, c)) if !v.is_empty() && !c.is_empty() => Some((v, c)),
        _ => None,
    }
}

/// Whether `device` is `vendor/class=name` with each part valid: what
/// `strata run --device` sends to CDI rather than treating as a host path.
pub fn is_qualified_name(device: &str) -> bool {
    let Some((kind, name)) = device.split_once('=') else {
        return false;
    };
    let Some((vendor, class)) = parse_qualifier(kind) else {
        return false;
    };
    !device.starts_with('/')
        && validate_vendor_or_class("vendor", vendor).is_ok()
        && validate_vendor_or_class("class", class).is_ok()
        && validate_device_name(name).is_ok()
}

/// A letter first, a letter or digit last, `_ - .` allowed between.
pub(crate) fn validate_vendor_or_class(what: &str, name: &str) -> Result<(), String> {
    let bytes = name.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return Err(format!("invalid {what}: empty name"));
    };
    if !first.is_ascii_alphabetic() {
        return Err(format!(
            "invalid {what} {name:?}: should start with a letter"
        ));
    }
    if let Some(c) = middle(bytes).find(|c| !c.is_ascii_alphanumeric() && !b"_-.".contains(c)) {
        return Err(format!(
            "invalid {what} {name:?}: invalid character {:?}",
            c as char
        ));
    }
    if !last.is_ascii_alphanumeric() {
        return Err(format!(
            "invalid {what} {name:?}: should end with a letter or digit"
        ));
    }
    Ok(())
}

/// A letter or digit at both ends, `_ - . :` allowed between.
pub(crate) fn validate_device_name(name: &str) -> Result<(), String> {
    let bytes = name.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return Err("invalid (empty) device name".into());
    };
    if !first.is_ascii_alphanumeric() {
        return Err(format!(
            "invalid device name {name:?}: should start with a letter or digit"
        ));
    }
    if let Some(c) = middle(bytes).find(|c| !c.is_ascii_alphanumeric() && !b"_-.:".contains(c)) {
        return Err(format!(
            "invalid device name {name:?}: invalid character {:?}",
            c as char
        ));
    }
    if !last.is_ascii_alphanumeric() {
        return Err(format!(
            "invalid device name {name:?}: should end with a letter or digit"
        ));
    }
    Ok(())
}

fn middle(bytes: &[u8]) -> impl Iterator<Item = u8> + '_ {
    bytes
        .get(1..bytes.len().saturating_sub(1))
        .unwrap_or_default()
        .iter()
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qualified_name_has_vendor_class_and_name() {
        assert!(is_qualified_name("vendor1.com/device=foo"));
        assert!(is_qualified_name("nvidia.com/gpu=0"));
        assert!(is_qualified_name("example.com/class=a:b"));
        for not in [
            "/dev/fuse",
            "vendor1.com/device",
            "vendor1.com/device=",
            "device=foo",
            "1vendor.com/device=foo",
            "vendor.com/device=-foo",
            "vendor.com/de vice=foo",
        ] {
            assert!(!is_qualified_name(not), "{not}");
        }
    }

    #[test]
    fn kind_parts_follow_the_cdi_rules() {
        assert!(validate_vendor_or_class("vendor", "a").is_ok());
        assert!(validate_vendor_or_class("vendor", "vendor-1.com").is_ok());
        assert!(validate_vendor_or_class("class", "gpu_").is_err());
        assert!(validate_vendor_or_class("class", "").is_err());
        assert!(validate_device_name("0").is_ok());
        assert!(validate_device_name("a=b").is_err());
    }
}
