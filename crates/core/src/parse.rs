//! Reading `willis-record/1` text (JSON or TOML) into a validated [`Record`].

use std::path::Path;

use chrono::NaiveDate;

use crate::error::{RecordError, RecordSyntax};
use crate::knowledge::Knowledge;
use crate::record::Record;
use crate::wire::RecordFile;

/// Largest record file accepted (a long diary is well under a megabyte).
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// Parses a JSON record and validates it.
pub fn parse_json(text: &str) -> Result<Record, RecordError> {
    record_file_from_json(text)?.validate(Knowledge::get())
}

/// Parses a TOML record and validates it.
pub fn parse_toml(text: &str) -> Result<Record, RecordError> {
    record_file_from_toml(text)?.validate(Knowledge::get())
}

/// Reads a record file; `.toml` files are TOML, everything else JSON.
pub fn read_record(path: &Path) -> Result<Record, RecordError> {
    read_record_file(path)?.validate(Knowledge::get())
}

/// Reads a record file and refuses facts dated after `today` (see
/// [`RecordFile::refuse_future`]): what a front end that knows the date calls.
pub fn read_record_on(path: &Path, today: NaiveDate) -> Result<Record, RecordError> {
    read_record_file(path)?.validate_on(Knowledge::get(), today)
}

/// Reads a record file without validating it (size limit, JSON or TOML by the
/// `.toml` extension, errors with the field path).
pub fn read_record_file(path: &Path) -> Result<RecordFile, RecordError> {
    let text = read_text(path)?;
    if is_toml(path) {
        record_file_from_toml(&text)
    } else {
        record_file_from_json(&text)
    }
}

/// Whether a file is read as TOML: its name ends in `.toml`.
pub fn is_toml(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
}

/// The text of a file that should hold a record, refused unread when it is
/// larger than [`MAX_RECORD_BYTES`].
pub fn read_text(path: &Path) -> Result<String, RecordError> {
    let io = |message: String| RecordError::Io {
        path: path.display().to_string(),
        message,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| io(e.to_string()))?
        .len();
    if size > MAX_RECORD_BYTES as u64 {
        return Err(io(format!(
            "the file is {size} bytes; records larger than {MAX_RECORD_BYTES} bytes are refused"
        )));
    }
    std::fs::read_to_string(path).map_err(|e| io(e.to_string()))
}

/// The unvalidated file, for adapters that edit a record before validating it.
pub fn record_file_from_json(text: &str) -> Result<RecordFile, RecordError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let file: RecordFile = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            RecordError::Syntax {
                format: RecordSyntax::Json,
                line: inner.line(),
                column: inner.column(),
                message: strip_position(&inner.to_string()),
            }
        } else {
            invalid(path, strip_position(&inner.to_string()))
        }
    })?;
    de.end().map_err(|e| RecordError::Syntax {
        format: RecordSyntax::Json,
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    Ok(file)
}

pub fn record_file_from_toml(text: &str) -> Result<RecordFile, RecordError> {
    // Syntax first, so that a broken file reports its line rather than a field.
    let value: toml::Value = text.parse().map_err(|e: toml::de::Error| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
        RecordError::Syntax {
            format: RecordSyntax::Toml,
            line,
            column,
            // The toml crate gives some errors (a lone carriage return) no words.
            message: match e.message().trim() {
                "" => "unexpected character".to_string(),
                m => m.to_string(),
            },
        }
    })?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        invalid(path, e.into_inner().message().to_string())
    })
}

fn invalid(path: String, message: String) -> RecordError {
    let path = if path == "." || path.is_empty() {
        "record".to_string()
    } else {
        path
    };
    // serde speaks of Rust types; people expect words.
    let message = message
        .replace("expected f64", "expected a number")
        .replace("expected i64", "expected a whole number")
        .replace("expected a boolean", "expected true or false")
        .replace("invalid type: ", "");
    RecordError::Invalid { path, message }
}

/// serde_json appends " at line L column C"; the error already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
