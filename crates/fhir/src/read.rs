//! Telling a Bundle from other JSON, and reading one with a clear error.

use std::fmt;

use serde_json::Value;

use crate::model::Bundle;

/// Why text could not be read as a Bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// Not JSON: serde's message and where (1-based line and column).
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON, but not an object with `"resourceType": "Bundle"`; `found` is the
    /// `resourceType` it has, if any, or what the JSON is.
    NotABundle { found: String },
    /// A Bundle whose own elements do not have FHIR's shape (e.g. `entry`
    /// that is not an array).
    Shape { message: String },
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::Syntax {
                line,
                column,
                message,
            } => write!(
                f,
                "not valid JSON at line {line}, column {column}: {message}"
            ),
            BundleError::NotABundle { found } => {
                write!(
                    f,
                    "not a FHIR Bundle: {found}; expected \"resourceType\": \"Bundle\""
                )
            }
            BundleError::Shape { message } => write!(f, "the Bundle cannot be read: {message}"),
        }
    }
}

impl std::error::Error for BundleError {}

/// Text without a byte order mark.
fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Reads a FHIR Bundle from JSON text (a leading byte order mark is allowed).
pub fn read_bundle(text: &str) -> Result<Bundle, BundleError> {
    let value: Value =
        serde_json::from_str(without_bom(text)).map_err(|e| BundleError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
    let found = match &value {
        Value::Object(map) => match map.get("resourceType") {
            Some(Value::String(t)) if t == "Bundle" => None,
            Some(Value::String(t)) => Some(format!("the resourceType is {t:?}")),
            Some(other) => Some(format!("the resourceType is {other}, not a string")),
            None => Some("the JSON object has no resourceType".to_string()),
        },
        Value::Array(_) => Some("the JSON is an array, not an object".to_string()),
        other => Some(format!("the JSON is {other}, not an object")),
    };
    if let Some(found) = found {
        return Err(BundleError::NotABundle { found });
    }
    serde_json::from_value(value).map_err(|e| BundleError::Shape {
        message: e.to_string(),
    })
}

/// Whether the text is a JSON object whose top-level `resourceType` is
/// `"Bundle"`. Cheap: it reads the top-level keys without building anything,
/// and stops at `resourceType`; it never panics. Whitespace and a byte order
/// mark before the object are allowed. Text that breaks off after
/// `"resourceType": "Bundle"` still counts (reading it then says where).
pub fn is_bundle(text: &str) -> bool {
    let mut s = Scanner {
        bytes: without_bom(text).as_bytes(),
        at: 0,
    };
    s.top_level_resource_type().as_deref() == Some("Bundle")
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.ws();
        (self.peek()? == b).then(|| self.at += 1)
    }

    /// A JSON string (the quotes included); its raw content, escapes undone
    /// only as far as needed to compare with plain ASCII keys.
    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut out = Vec::new();
        loop {
            let b = self.peek()?;
            self.at += 1;
            match b {
                b'"' => return Some(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    let e = self.peek()?;
                    self.at += 1;
                    out.push(e);
                    if e == b'u' {
                        // \uXXXX: kept as written; such a key is not "resourceType".
                        self.at = self.at.checked_add(4)?;
                        if self.at > self.bytes.len() {
                            return None;
                        }
                    }
                }
                _ => out.push(b),
            }
        }
    }

    /// Skips one JSON value (roughly: strings and brackets are followed;
    /// anything else up to the next `,` `}` or `]`).
    fn skip_value(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.checked_sub(1)?;
                            if depth == 0 {
                                self.at += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.at += 1;
                }
            }
            _ => {
                while !matches!(self.peek()?, b',' | b'}' | b']') {
                    self.at += 1;
                }
                Some(())
            }
        }
    }

    fn top_level_resource_type(&mut self) -> Option<String> {
        self.eat(b'{')?;
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            if key == "resourceType" {
                self.ws();
                return self.string();
            }
            self.skip_value()?;
            self.eat(b',')?;
        }
    }
}
