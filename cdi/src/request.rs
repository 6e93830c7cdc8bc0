//! What a container asks for: a name in one of BuildKit's forms
//! (`vendor/class`, `vendor/class=name`, `vendor/class=*`, or a class
//! annotation's value), required or optional.

use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRequest {
    pub name: String,
    pub required: bool,
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
