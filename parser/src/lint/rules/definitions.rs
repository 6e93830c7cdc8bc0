//! InvalidDefinitionDescription (experimental): a comment right above
//! `FROM ... AS name` or `ARG name` is read as its description, so it must
//! start with that name.

use super::finding;
use crate::ast::Node;
use crate::dockerfile::Dockerfile;
use crate::lint::Finding;

fn defined_names(n: &Node) -> Option<(&'static str, Vec<String>)> {
    let values = n.values();
    match n.lower_keyword().as_str() {
        "arg" => Some((
            "arguments",
            values
                .iter()
                .map(|w| w.split_once('=').map_or(*w, |(k, _)| k).to_string())
                .collect(),
        )),
        "from" => match values[..] {
            [_, _, name] => Some(("build stages", vec![name.to_string()])),
            _ => None,
        },
        _ => None,
    }
}

pub(super) fn check(df: &Dockerfile, out: &mut Vec<Finding>) {
    for n in &df.ast.nodes {
        let Some(last) = n.comments.last() else {
            continue;
        };
        let Some((what, names)) = defined_names(n) else {
            continue;
        };
        let first_word = last.split(' ').next().unwrap_or_default();
        if names.is_empty() || names.iter().any(|k| k == first_word) {
            continue;
        }
        let example = if names.len() > 1 {
            "<arg_key>"
        } else {
            names[0].as_str()
        };
        out.push(finding(
            "InvalidDefinitionDescription",
            n.start_line,
            n.column,
            format!("Comment for {what} should follow the format: `# {example} <description>`"),
        ));
    }
}
