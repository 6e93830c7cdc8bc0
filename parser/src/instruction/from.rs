//! `FROM [--platform=P] IMAGE [AS NAME]`.

use serde::Serialize;

use super::flags::{Kind, parse_flags};
use crate::ast::Node;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct From {
    /// As written: expanded with global ARGs by the plan.
    pub image: String,
    /// Lower-cased stage name.
    pub name: Option<String>,
    /// As written, like `image`.
    pub platform: Option<String>,
    /// The `AS` keyword as written (for the FromAsCasing lint).
    pub as_keyword: Option<String>,
}

pub(crate) fn valid_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
}

pub(super) fn parse(node: &Node, values: &[&str]) -> Result<From, String> {
    let flags = parse_flags(&node.flags, &[("platform", Kind::String)])?;
    let (image, name, as_keyword) = match values {
        [image] => (image, None, None),
        [image, kw, name] if kw.eq_ignore_ascii_case("as") => {
            let lower = name.to_ascii_lowercase();
            if !valid_stage_name(&lower) {
                return Err(format!(
                    "invalid name for build stage: \"{name}\", name can't start with a number or contain symbols"
                ));
            }
            (image, Some(lower), Some(kw.to_string()))
        }
        [_, _, _] => {
            return Err(
                "FROM requires either one or three arguments, and the second must be AS".into(),
            );
        }
        _ => return Err("FROM requires either one or three arguments".into()),
    };
    Ok(From {
        image: image.to_string(),
        name,
        platform: flags.string("platform"),
        as_keyword,
    })
}
