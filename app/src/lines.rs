//! The `name=value` line format of the query, body and header editors (pure; unit-tested natively).
//!
//! One parameter per line; `name?=value` marks a parameter as optional (dropped when its value
//! renders empty). Blank lines are ignored. Whitespace around the name and the value is trimmed.

use engine::Param;

/// A line of an editor that is not `name=value`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The line has no `=`.
    #[error("line {line}: write it as name=value")]
    MissingEquals {
        /// 1-based line number.
        line: usize,
    },
    /// The part before `=` is empty.
    #[error("line {line}: the name before = is empty")]
    EmptyName {
        /// 1-based line number.
        line: usize,
    },
}

/// Parses an editor's text into parameters.
pub fn parse_params(text: &str) -> Result<Vec<Param>, LineError> {
    let mut params = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let (name, value) = raw
            .split_once('=')
            .ok_or(LineError::MissingEquals { line })?;
        let name = name.trim();
        let (name, optional) = match name.strip_suffix('?') {
            Some(stripped) => (stripped.trim_end(), true),
            None => (name, false),
        };
        if name.is_empty() {
            return Err(LineError::EmptyName { line });
        }
        params.push(Param {
            name: name.to_owned(),
            value: value.trim().to_owned(),
            optional,
        });
    }
    Ok(params)
}

/// Writes parameters in the editor format, one per line.
pub fn format_params(params: &[Param]) -> String {
    params
        .iter()
        .map(|param| {
            format!(
                "{}{}={}",
                param.name,
                if param.optional { "?" } else { "" },
                param.value
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Splits a one-per-line list (scopes, callback parameters), dropping blank lines and surrounding
/// whitespace.
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(name: &str, value: &str, optional: bool) -> Param {
        Param {
            name: name.to_owned(),
            value: value.to_owned(),
            optional,
        }
    }

    #[test]
    fn parses_names_values_and_optional_marks() {
        let text = "grant_type={grant_type}\n\n  code = {code} \nscope?={scope}\nx=a=b\nempty=";
        assert_eq!(
            parse_params(text).unwrap(),
            vec![
                param("grant_type", "{grant_type}", false),
                param("code", "{code}", false),
                param("scope", "{scope}", true),
                param("x", "a=b", false),
                param("empty", "", false),
            ]
        );
    }

    #[test]
    fn reports_the_line_of_a_bad_entry() {
        assert_eq!(
            parse_params("a=1\nno equals"),
            Err(LineError::MissingEquals { line: 2 })
        );
        assert_eq!(
            parse_params("a=1\n\n=x"),
            Err(LineError::EmptyName { line: 3 })
        );
        assert_eq!(parse_params("?=x"), Err(LineError::EmptyName { line: 1 }));
        assert_eq!(
            LineError::MissingEquals { line: 2 }.to_string(),
            "line 2: write it as name=value"
        );
    }

    #[test]
    fn format_then_parse_gives_the_same_parameters() {
        let params = vec![
            param("a", "{x}", false),
            param("b", "", true),
            param("c", "1=2", false),
        ];
        let text = format_params(&params);
        assert_eq!(text, "a={x}\nb?=\nc=1=2");
        assert_eq!(parse_params(&text).unwrap(), params);
    }

    #[test]
    fn lists_drop_blank_lines_and_spaces() {
        assert_eq!(
            parse_list(" openid \n\nemail\r\n  \n"),
            vec!["openid", "email"]
        );
        assert!(parse_list("").is_empty());
    }
}
