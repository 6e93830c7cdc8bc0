//! `RUN --device=NAME[,required[=BOOL]]` (BuildKit's
//! frontend/dockerfile/instructions/commands_rundevice.go): CSV fields, the
//! name bare or as `name=`; a device is optional unless `required`.

use crate::error::Error;
use crate::registry::parse_go_bool;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRequest {
    pub name: String,
    pub required: bool,
}

impl std::str::FromStr for DeviceRequest {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self, Error> {
        let mut d = DeviceRequest {
            name: String::new(),
            required: false,
        };
        for field in csv_fields(value)? {
            let (key, val) = match field.split_once('=') {
                Some((k, v)) => (k.to_ascii_lowercase(), Some(v)),
                None => (field.to_ascii_lowercase(), None),
            };
            match (key.as_str(), val) {
                ("required", None) => d.required = true,
                ("required", Some(v)) => {
                    d.required = parse_go_bool(v)
                        .ok_or_else(|| Error::Flag(format!("invalid value for required: {v}")))?
                }
                ("name", Some(v)) if d.name.is_empty() => d.name = v.to_string(),
                ("name", Some(_)) => {
                    return Err(Error::Flag(format!(
                        "device name already set to {}",
                        d.name
                    )));
                }
                // The name itself may hold `=` (vendor/class=name).
                _ if d.name.is_empty() => d.name = field.clone(),
                (_, None) => {
                    return Err(Error::Flag(format!(
                        "invalid field '{field}' must be a key=value pair"
                    )));
                }
                (k, Some(_)) => {
                    return Err(Error::Flag(format!(
                        "unexpected key '{k}' in '{field}' (want name or required)"
                    )));
                }
            }
        }
        if d.name.is_empty() {
            return Err(Error::Flag(format!("--device={value}: no device name")));
        }
        Ok(d)
    }
}

/// Go's encoding/csv on one line, as BuildKit's csvvalue reads flags:
/// fields split on commas, a field in double quotes may hold commas and
/// `""` for a quote.
pub(crate) fn csv_fields(s: &str) -> Result<Vec<String>, Error> {
    let mut fields = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err(Error::Flag(format!("{s}: unterminated quote"))),
                }
            }
            match chars.next() {
                None | Some(',') => {}
                Some(c) => return Err(Error::Flag(format!("{s}: {c:?} after a quoted field"))),
            }
        } else {
            for c in chars.by_ref() {
                if c == ',' {
                    break;
                }
                field.push(c);
            }
        }
        fields.push(field);
        if chars.peek().is_none() {
            break;
        }
    }
    if s.ends_with(',') {
        fields.push(String::new());
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<DeviceRequest, String> {
        s.parse().map_err(|e: Error| e.to_string())
    }

    #[test]
    fn the_name_alone_is_optional() {
        let d = parse("vendor1.com/device=foo").unwrap();
        assert_eq!(
            (d.name.as_str(), d.required),
            ("vendor1.com/device=foo", false)
        );
    }

    #[test]
    fn required_is_a_flag_or_a_bool() {
        assert!(parse("vendor1.com/device=foo,required").unwrap().required);
        assert!(
            !parse("vendor1.com/device=foo,required=false")
                .unwrap()
                .required
        );
        assert!(
            parse("name=vendor1.com/device,required=true")
                .unwrap()
                .required
        );
        assert!(
            parse("x,required=maybe")
                .unwrap_err()
                .contains("invalid value for required")
        );
    }

    #[test]
    fn unknown_keys_and_a_second_name_are_refused() {
        assert!(
            parse("foo,color=red")
                .unwrap_err()
                .contains("unexpected key 'color'")
        );
        assert!(parse("foo,bar").unwrap_err().contains("key=value"));
        assert!(parse("foo,name=bar").unwrap_err().contains("already set"));
        assert!(parse("").unwrap_err().contains("no device name"));
    }
}
