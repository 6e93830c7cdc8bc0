//! The `# check=skip=A,B;error=true` directive.

/// Which rules are skipped, which experimental rules are on, and whether
/// findings are errors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckConfig {
    pub skip: Vec<String>,
    pub skip_all: bool,
    pub experimental: Vec<String>,
    pub experimental_all: bool,
    pub error: bool,
}

/// Rules BuildKit only runs when asked with `experimental=`.
const EXPERIMENTAL: &[&str] = &["InvalidDefinitionDescription", "CopyIgnoredFile"];

impl CheckConfig {
    pub fn from_directive(value: Option<&str>) -> CheckConfig {
        let mut c = CheckConfig::default();
        for part in value.unwrap_or_default().split(';') {
            let Some((k, v)) = part.split_once('=') else {
                continue;
            };
            match k.trim().to_ascii_lowercase().as_str() {
                "skip" => {
                    for rule in v.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                        if rule.eq_ignore_ascii_case("all") {
                            c.skip_all = true;
                        } else {
                            c.skip.push(rule.to_string());
                        }
                    }
                }
                "experimental" => {
                    for rule in v.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                        if rule.eq_ignore_ascii_case("all") {
                            c.experimental_all = true;
                        } else {
                            c.experimental.push(rule.to_string());
                        }
                    }
                }
                "error" => c.error = v.trim().eq_ignore_ascii_case("true"),
                _ => {}
            }
        }
        c
    }

    /// Whether a finding of `rule` is left out of the report.
    pub fn skips(&self, rule: &str) -> bool {
        let off_experiment = EXPERIMENTAL.contains(&rule)
            && !self.experimental_all
            && !self.experimental.iter().any(|s| s == rule);
        off_experiment || self.skip_all || self.skip.iter().any(|s| s == rule)
    }
}

#[cfg(test)]
mod tests {
    use super::CheckConfig;

    #[test]
    fn skip_and_error() {
        let c = CheckConfig::from_directive(Some(
            "skip=JSONArgsRecommended,StageNameCasing;error=true",
        ));
        assert!(c.error && c.skips("StageNameCasing") && !c.skips("UndefinedVar"));
        assert!(CheckConfig::from_directive(Some("skip=all")).skips("Anything"));
        assert!(c.skips("InvalidDefinitionDescription"));
        let e = CheckConfig::from_directive(Some("experimental=InvalidDefinitionDescription"));
        assert!(!e.skips("InvalidDefinitionDescription"));
    }
}
