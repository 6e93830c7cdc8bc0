//! `ps --format TEMPLATE`: the subset of docker's Go templates that ps
//! formats use, `{{.Field}}` placeholders in text, `\t` and `\n` as
//! docker reads them, and a `table` prefix that adds the header row and
//! aligns the tab-separated columns (docker's tabwriter, 3 spaces apart).

use miette::{Result, miette};

/// One piece of a parsed template.
#[derive(Debug, PartialEq)]
enum Part {
    Text(String),
    Field(Field),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// `{{.Label "KEY"}}`: one label's value.
    Label(String),
    Id,
    Names,
    Image,
    ImageId,
    Command,
    CreatedAt,
    RunningFor,
    Status,
    State,
    Labels,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        if let Some(arg) = name.strip_prefix("Label ") {
            let key = arg.trim().strip_prefix('"')?.strip_suffix('"')?;
            return Some(Field::Label(key.to_owned()));
        }
        Some(match name {
            "ID" => Field::Id,
            "Names" => Field::Names,
            "Image" => Field::Image,
            "ImageID" => Field::ImageId,
            "Command" => Field::Command,
            "CreatedAt" => Field::CreatedAt,
            "RunningFor" => Field::RunningFor,
            "Status" => Field::Status,
            "State" => Field::State,
            "Labels" => Field::Labels,
            _ => return None,
        })
    }

    /// The column header docker prints for it.
    fn header(&self) -> &'static str {
        match self {
            Field::Label(_) => "LABEL",
            Field::Id => "CONTAINER ID",
            Field::Names => "NAMES",
            Field::Image => "IMAGE",
            Field::ImageId => "IMAGE ID",
            Field::Command => "COMMAND",
            Field::CreatedAt => "CREATED AT",
            Field::RunningFor => "CREATED",
            Field::Status => "STATUS",
            Field::State => "STATE",
            Field::Labels => "LABELS",
        }
    }
}

/// One row's field values.
pub type Row<'a> = Box<dyn Fn(&Field) -> String + 'a>;

pub struct Template {
    parts: Vec<Part>,
    table: bool,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template> {
        let (table, body) = match text.strip_prefix("table") {
            Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => {
                (true, rest.trim_start())
            }
            _ => (false, text),
        };
        let body = body.replace("\\t", "\t").replace("\\n", "\n");
        let mut parts = Vec::new();
        let mut rest = body.as_str();
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let end = rest[start..]
                .find("}}")
                .ok_or_else(|| miette!("--format {text:?}: an unclosed {{{{"))?;
            let inner = rest[start + 2..start + end].trim();
            let name = inner.strip_prefix('.').ok_or_else(|| {
                miette!("--format {text:?}: {{{{{inner}}}}} is not a field (write {{{{.Names}}}})")
            })?;
            let field = Field::parse(name).ok_or_else(|| {
                miette!(
                    "--format {text:?}: no field {name:?}; the fields are ID, Names, Image, ImageID, Command, CreatedAt, RunningFor, Status, State, Labels, Label \"KEY\""
                )
            })?;
            parts.push(Part::Field(field));
            rest = &rest[start + end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template { parts, table })
    }

    fn render(&self, value: &dyn Fn(&Field) -> String) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Field(f) => value(f),
            })
            .collect()
    }

    /// The output for `rows`, each given as its field values.
    pub fn print(&self, rows: &[Row<'_>]) {
        let mut lines: Vec<String> = Vec::new();
        if self.table {
            lines.push(self.render(&|f| f.header().to_owned()));
        }
        lines.extend(rows.iter().map(|r| self.render(r.as_ref())));
        if !self.table {
            for l in lines {
                println!("{l}");
            }
            return;
        }
        let cells: Vec<Vec<&str>> = lines.iter().map(|l| l.split('\t').collect()).collect();
        let mut widths: Vec<usize> = Vec::new();
        for row in &cells {
            for (i, cell) in row.iter().enumerate() {
                if widths.len() <= i {
                    widths.push(0);
                }
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        for row in &cells {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:<w$}   ", w = widths[i]));
                }
            }
            println!("{}", line.trim_end());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_text_and_escapes_are_parsed_and_bad_fields_refused() {
        let t = Template::parse("{{.ID}}\\t{{ .Names }}!").unwrap();
        assert!(!t.table);
        assert_eq!(
            t.parts,
            [
                Part::Field(Field::Id),
                Part::Text("\t".into()),
                Part::Field(Field::Names),
                Part::Text("!".into()),
            ]
        );
        assert!(Template::parse("table {{.Names}}").unwrap().table);
        let t = Template::parse("{{ .Label \"tier\" }}").unwrap();
        assert_eq!(t.parts, [Part::Field(Field::Label("tier".into()))]);
        assert!(Template::parse("{{.Nope}}").is_err());
        assert!(Template::parse("{{Names}}").is_err());
        assert!(Template::parse("{{.Names").is_err());
    }
}
