//! `RUN --device=NAME[,required[=BOOL]]`, as BuildKit reads it
//! (frontend/dockerfile/instructions/commands_rundevice.go): CSV fields,
//! the name bare or as `name=`; a device is optional unless `required`.

use super::mount::csv_fields;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDevice {
    /// A CDI name (`vendor/class`, `vendor/class=name`, `=*`) or a class.
    pub name: String,
    pub required: bool,
}

pub fn parse_device(value: &str) -> Result<RunDevice, String> {
    let mut d = RunDevice {
        name: String::new(),
        required: false,
    };
    let fields = csv_fields(value).map_err(|e| format!("failed to parse csv devices: {e}"))?;
    for field in fields {
        let (key, val) = match field.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), Some(v)),
            None => (field.to_ascii_lowercase(), None),
        };
        match (key.as_str(), val) {
            ("required", None) => d.required = true,
            ("required", Some(v)) => {
                d.required = go_bool(v).ok_or_else(|| format!("invalid value for required: {v}"))?
            }
            ("name", Some(_)) if !d.name.is_empty() => {
                return Err(format!("device name already set to {}", d.name));
            }
            ("name", Some(v)) => d.name = v.to_string(),
            // The name itself may hold `=` (vendor/class=name).
            _ if d.name.is_empty() => d.name = field.clone(),
            (_, None) => return Err(format!("invalid field '{field}' must be a key=value pair")),
            (k, Some(_)) => {
                return Err(format!(
                    "unexpected key '{k}' in '{field}' (the keys are name and required)"
                ));
            }
        }
    }
    if d.name.is_empty() {
        return Err(format!("--device={value}: no device name"));
    }
    Ok(d)
}

/// Go's strconv.ParseBool, which BuildKit parses the flag with.
fn go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_alone_is_optional() {
        let d = parse_device("vendor1.com/device=foo").unwrap();
        assert_eq!(
            (d.name.as_str(), d.required),
            ("vendor1.com/device=foo", false)
        );
    }

    #[test]
    fn required_is_a_flag_or_a_bool() {
        assert!(
            parse_device("vendor1.com/device=foo,required")
                .unwrap()
                .required
        );
        assert!(
            !parse_device("vendor1.com/device=foo,required=false")
                .unwrap()
                .required
        );
        let d = parse_device("name=vendor1.com/device,required=true").unwrap();
        assert_eq!((d.name.as_str(), d.required), ("vendor1.com/device", true));
        assert!(
            parse_device("x,required=maybe")
                .unwrap_err()
                .contains("invalid value for required")
        );
    }

    #[test]
    fn unknown_keys_a_second_name_and_no_name_are_refused() {
        assert!(
            parse_device("foo,color=red")
                .unwrap_err()
                .contains("unexpected key 'color'")
        );
        assert!(parse_device("foo,bar").unwrap_err().contains("key=value"));
        assert!(
            parse_device("foo,name=bar")
                .unwrap_err()
                .contains("already set")
        );
        assert!(parse_device("").unwrap_err().contains("no device name"));
        assert!(
            parse_device("required")
                .unwrap_err()
                .contains("no device name")
        );
    }
}
