//! Errors for people: each names where in the record the problem is, the value and
//! what would have been accepted.

use std::fmt;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordError {
    /// The text is not JSON or TOML at all.
    #[error("{format} syntax error at line {line}, column {column}: {message}")]
    Syntax {
        format: RecordSyntax,
        line: usize,
        column: usize,
        message: String,
    },
    /// A field has the wrong shape or an unacceptable value.
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    /// The file could not be read.
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
}

impl RecordError {
    /// The field path (`labs[2].unit`), when the error is about one field.
    pub fn path(&self) -> Option<&str> {
        match self {
            RecordError::Invalid { path, .. } => Some(path),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordSyntax {
    Json,
    Toml,
}

impl fmt::Display for RecordSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordSyntax::Json => "JSON",
            RecordSyntax::Toml => "TOML",
        })
    }
}
