//! Templates: text with `{variable}` references, rendered with each value encoded for its context.
//!
//! Syntax: `{name}` refers to a variable (`name` is ASCII letters, digits, `_`, `-` or `.`);
//! `{{` and `}}` are literal braces; any other brace is an error. A value is inserted once and
//! never re-expanded, so a secret that contains `{code}` stays literal.

use std::ops::Range;

use thiserror::Error;

use crate::encode::{self, Encoding};
use crate::vars::Vars;

/// A parsed template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable(String),
}

/// Why a template cannot be parsed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TemplateError {
    /// A `{` without its `}`.
    #[error("a `{{` at character {position} is not closed; write `{{{{` for a literal brace")]
    Unclosed {
        /// 1-based character position of the `{`.
        position: usize,
    },
    /// A `}` that closes nothing.
    #[error("a `}}` at character {position} closes nothing; write `}}}}` for a literal brace")]
    LoneClosingBrace {
        /// 1-based character position of the `}`.
        position: usize,
    },
    /// `{}` or a name with characters other than letters, digits, `_`, `-`, `.`.
    #[error(
        "`{{{name}}}` is not a variable name (letters, digits, `_`, `-` and `.` only); write `{{{{` for a literal brace"
    )]
    InvalidName {
        /// The text between the braces.
        name: String,
    },
}

/// Why a template cannot be rendered with the given variables.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RenderError {
    /// The variable is not set at all.
    #[error("unknown variable {{{0}}}")]
    Unknown(String),
    /// The variable is set but empty.
    #[error("variable {{{0}}} is empty")]
    Empty(String),
    /// A header value would contain CR, LF or NUL.
    #[error("{}", match .variable {
        Some(name) => format!("variable {{{name}}} contains a line break or NUL, which a header cannot carry"),
        None => "the value contains a line break or NUL, which a header cannot carry".to_owned(),
    })]
    HeaderBreak {
        /// The variable whose value holds the break, if it is not in the literal text.
        variable: Option<String>,
    },
    /// A variable would become a `.` or `..` path segment and so change the URL's path.
    #[error("variable {{{0}}} would make a `.` or `..` path segment, which changes the URL's path")]
    DotSegment(String),
}

impl RenderError {
    /// The variable the error is about, if any.
    pub fn variable(&self) -> Option<&str> {
        match self {
            Self::Unknown(name) | Self::Empty(name) | Self::DotSegment(name) => Some(name),
            Self::HeaderBreak { variable } => variable.as_deref(),
        }
    }
}

/// Whether `name` may be used as a variable name.
pub fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Escapes literal text so that it renders to itself (doubles every brace).
pub fn escape(literal: &str) -> String {
    literal.replace('{', "{{").replace('}', "}}")
}

impl Template {
    /// Parses `source`.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = source.chars().enumerate().peekable();
        while let Some((index, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|&(_, next)| next) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    if !closed {
                        return Err(TemplateError::Unclosed {
                            position: index + 1,
                        });
                    }
                    if !is_variable_name(&name) {
                        return Err(TemplateError::InvalidName { name });
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Variable(name));
                }
                '}' if chars.peek().map(|&(_, next)| next) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => {
                    return Err(TemplateError::LoneClosingBrace {
                        position: index + 1,
                    });
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Self { parts })
    }

    /// The variables the template refers to, each once, in order of first use.
    pub fn variables(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for part in &self.parts {
            if let Part::Variable(name) = part
                && !names.contains(&name.as_str())
            {
                names.push(name);
            }
        }
        names
    }

    /// Whether the template has no variables (it renders to its literal text).
    pub fn is_literal(&self) -> bool {
        self.parts
            .iter()
            .all(|part| matches!(part, Part::Literal(_)))
    }

    /// Renders the template, encoding each variable's value for `encoding`. Every variable must be
    /// set and non-empty.
    pub fn render(&self, vars: &Vars, encoding: Encoding) -> Result<String, RenderError> {
        self.render_inner(vars, encoding, false)
    }

    /// Like [`Template::render`], but an empty variable renders as nothing instead of being an
    /// error (for optional parameters, which are dropped when they render empty).
    pub fn render_allowing_empty(
        &self,
        vars: &Vars,
        encoding: Encoding,
    ) -> Result<String, RenderError> {
        self.render_inner(vars, encoding, true)
    }

    fn render_inner(
        &self,
        vars: &Vars,
        encoding: Encoding,
        allow_empty: bool,
    ) -> Result<String, RenderError> {
        let mut out = String::new();
        // In a URL, where each variable's value landed in the host or path (for the dot-segment check).
        let mut path_values: Vec<(Range<usize>, &str)> = Vec::new();
        let mut in_query = false;
        for part in &self.parts {
            match part {
                Part::Literal(text) => {
                    in_query |= text.contains(['?', '#']);
                    out.push_str(text);
                }
                Part::Variable(name) => {
                    let value = vars
                        .get(name)
                        .ok_or_else(|| RenderError::Unknown(name.clone()))?;
                    if value.is_empty() && !allow_empty {
                        return Err(RenderError::Empty(name.clone()));
                    }
                    if encoding == Encoding::Header && encode::has_header_break(value) {
                        return Err(RenderError::HeaderBreak {
                            variable: Some(name.clone()),
                        });
                    }
                    let start = out.len();
                    out.push_str(&encode::encode(value, encoding));
                    if encoding == Encoding::Url && !in_query {
                        path_values.push((start..out.len(), name));
                    }
                }
            }
        }
        if encoding == Encoding::Header && encode::has_header_break(&out) {
            return Err(RenderError::HeaderBreak { variable: None });
        }
        if let Some(name) = dot_segment_variable(&out, &path_values) {
            return Err(RenderError::DotSegment(name.to_owned()));
        }
        Ok(out)
    }
}

/// The variable, if any, that forms (part of) a `.` or `..` segment in the path of `url`. URL
/// parsers resolve those segments (even percent-encoded as `%2e`), which would let a value remove
/// a path segment.
fn dot_segment_variable<'a>(url: &str, values: &[(Range<usize>, &'a str)]) -> Option<&'a str> {
    if values.is_empty() {
        return None;
    }
    let path_start = url.find("://").map_or(0, |i| i + 3);
    let path_end = url[path_start..]
        .find(['?', '#'])
        .map_or(url.len(), |i| path_start + i);
    let mut segment_start = path_start;
    for segment in url[path_start..path_end].split(['/', '\\']) {
        let range = segment_start..segment_start + segment.len();
        segment_start = range.end + 1;
        let lower = segment.to_ascii_lowercase().replace("%2e", ".");
        if lower != "." && lower != ".." {
            continue;
        }
        let overlapping = values
            .iter()
            .find(|(value, _)| value.start < range.end && range.start < value.end);
        if let Some((_, name)) = overlapping {
            return Some(name);
        }
    }
    None
}

#[cfg(test)]
mod tests;
