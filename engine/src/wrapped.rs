//! Where the access token sits in a wrapped token response.
//!
//! Most services answer `{"access_token": …}` (RFC 6749 §5.1). Some wrap it: Instagram documents
//! `{"data": [{"access_token": …}]}`, Slack puts a user token under `authed_user`. A preset says
//! where with a path such as `data[0].access_token` ([`EndpointSettings::token_path`]); the other
//! fields (`expires_in`, `refresh_token` …) are read from the same object as the token.
//!
//! [`EndpointSettings::token_path`]: crate::settings::EndpointSettings::token_path

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;
use thiserror::Error;

/// The longest path accepted, in characters (a path is a handful of names).
pub const MAX_PATH_LEN: usize = 200;

/// A parsed token path: the steps to the object holding the token, and the token's field name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenPath {
    steps: Vec<Step>,
    name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Why a token path cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PathError {
    /// An empty name between dots, or a path that starts or ends with a dot.
    #[error(
        "`{0}` has an empty name: write names separated by single dots, e.g. data[0].access_token"
    )]
    EmptyName(String),
    /// A `[` without a number and `]` after it.
    #[error("`{0}` has an index that is not a number in brackets, e.g. data[0]")]
    BadIndex(String),
    /// A character other than letters, digits, `_`, `-` and `$` in a name.
    #[error("`{path}` has {what} in a name: names hold letters, digits, `_`, `-` and `$`")]
    BadCharacter {
        /// The whole path.
        path: String,
        /// The character, described.
        what: String,
    },
    /// The path ends in an index: its last part must name the token's field.
    #[error("`{0}` must end with the name of the token's field, e.g. data[0].access_token")]
    EndsInIndex(String),
    /// Longer than [`MAX_PATH_LEN`].
    #[error("the token path is longer than {MAX_PATH_LEN} characters")]
    TooLong,
}

impl TokenPath {
    /// The usual place: `access_token` at the top level.
    pub fn top_level() -> Self {
        Self {
            steps: Vec::new(),
            name: "access_token".to_owned(),
        }
    }

    /// Reads `data[0].access_token`; an empty (or blank) path is [`TokenPath::top_level`].
    pub fn parse(path: &str) -> Result<Self, PathError> {
        let path = path.trim();
        if path.is_empty() {
            return Ok(Self::top_level());
        }
        if path.chars().count() > MAX_PATH_LEN {
            return Err(PathError::TooLong);
        }
        let mut steps = Vec::new();
        for part in path.split('.') {
            let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
            if key.is_empty() {
                return Err(PathError::EmptyName(path.to_owned()));
            }
            if let Some(c) = key
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$')))
            {
                return Err(PathError::BadCharacter {
                    path: path.to_owned(),
                    what: crate::input::describe_char(c),
                });
            }
            steps.push(Step::Key(key.to_owned()));
            while !rest.is_empty() {
                let index = rest
                    .strip_prefix('[')
                    .and_then(|inner| inner.split_once(']'))
                    .and_then(|(number, after)| {
                        let digits =
                            !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
                        digits.then(|| number.parse::<usize>().ok().map(|n| (n, after)))?
                    });
                let Some((index, after)) = index else {
                    return Err(PathError::BadIndex(path.to_owned()));
                };
                steps.push(Step::Index(index));
                rest = after;
            }
        }
        match steps.pop() {
            Some(Step::Key(name)) => Ok(Self { steps, name }),
            _ => Err(PathError::EndsInIndex(path.to_owned())),
        }
    }

    /// Whether this is the plain `access_token` at the top level.
    pub fn is_top_level(&self) -> bool {
        self.steps.is_empty() && self.name == "access_token"
    }

    /// The object that holds the token and the token's field name, if the path leads to an
    /// object in `fields` (the response's top level).
    pub(crate) fn find(
        &self,
        fields: &BTreeMap<String, Value>,
    ) -> Option<(BTreeMap<String, Value>, &str)> {
        if self.steps.is_empty() {
            return fields
                .contains_key(&self.name)
                .then(|| (fields.clone(), self.name.as_str()));
        }
        let (Step::Key(first), rest) = self.steps.split_first()? else {
            return None;
        };
        let mut value = fields.get(first)?;
        for step in rest {
            value = match step {
                Step::Key(key) => value.as_object()?.get(key)?,
                Step::Index(index) => value.as_array()?.get(*index)?,
            };
        }
        let object = value.as_object()?;
        object.contains_key(&self.name).then(|| {
            // `extend` inserts one by one; `collect()` would add a stable sort to the wasm.
            let mut inner = BTreeMap::new();
            inner.extend(object.iter().map(|(k, v)| (k.clone(), v.clone())));
            (inner, self.name.as_str())
        })
    }
}

impl fmt::Display for TokenPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, step) in self.steps.iter().enumerate() {
            match step {
                Step::Key(key) if position == 0 => write!(f, "{key}")?,
                Step::Key(key) => write!(f, ".{key}")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        if self.steps.is_empty() {
            write!(f, "{}", self.name)
        } else {
            write!(f, ".{}", self.name)
        }
    }
}

#[cfg(test)]
mod tests;
