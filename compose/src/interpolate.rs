//! Interpolation of a whole compose file: every string value (not the keys)
//! goes through [`template::substitute`]; `x-` extension fields too, as in
//! compose-go, so an anchor defined there still interpolates where used.

use indexmap::IndexMap;

use crate::node::{Kind, Node};
use crate::path::KeyPath;
use crate::template::{self, TemplateError};

#[derive(Debug)]
pub struct InterpolationError {
    pub node: Node,
    pub path: KeyPath,
    pub error: TemplateError,
}

/// Interpolates `node` in place with `env`; returns the names of unset
/// variables that were replaced by empty strings (compose warns of each).
pub fn interpolate(
    node: &mut Node,
    env: &IndexMap<String, String>,
) -> Result<Vec<String>, Box<InterpolationError>> {
    let mut unset = Vec::new();
    let lookup = |k: &str| env.get(k).cloned();
    walk(node, &KeyPath::root(), &lookup, &mut unset)?;
    unset.dedup();
    Ok(unset)
}

fn walk(
    node: &mut Node,
    path: &KeyPath,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<(), Box<InterpolationError>> {
    let text = match &mut node.kind {
        Kind::Str(s) => s.clone(),
        Kind::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                walk(item, &path.index(i), lookup, unset)?;
            }
            return Ok(());
        }
        Kind::Map(m) => {
            for (k, v) in m.iter_mut() {
                walk(v, &path.key(k), lookup, unset)?;
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    if !text.contains('$') {
        return Ok(());
    }
    match template::substitute(&text, &lookup) {
        Ok((out, names)) => {
            for n in names {
                if !unset.contains(&n) {
                    unset.push(n);
                }
            }
            node.kind = Kind::Str(out);
            Ok(())
        }
        Err(error) => Err(Box::new(InterpolationError {
            node: node.clone(),
            path: path.clone(),
            error,
        })),
    }
}
