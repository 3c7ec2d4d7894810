use std::fmt;

/// A value that failed validation; `field` names it the way the API's JSON does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidValue {
    /// JSON-pointer-like path of the offending field, relative to the value being built.
    pub field: String,
    /// What is wrong, for a human.
    pub message: String,
}

impl InvalidValue {
    /// A validation error for `field`.
    pub fn new(field: impl Into<String>, message: impl fmt::Display) -> Self {
        Self {
            field: field.into(),
            message: message.to_string(),
        }
    }

    /// The same error with `prefix` prepended to its field path (`/to` + `/postal_code`).
    pub fn under(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}{}", self.field)
        };
        self
    }
}
