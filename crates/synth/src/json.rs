//! Writing compact JSON by hand: faster than building `serde_json::Value`s,
//! and the keys stay in the order real servers write them (`resourceType`
//! first).

use std::fmt::{self, Write};

use chrono::{Datelike, NaiveDate};

/// A string value, quoted and escaped.
pub(crate) struct Q<'a>(pub &'a str);

impl fmt::Display for Q<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        let mut start = 0;
        for (i, c) in self.0.char_indices() {
            let escaped = match c {
                '"' => Some("\\\""),
                '\\' => Some("\\\\"),
                '\n' => Some("\\n"),
                '\r' => Some("\\r"),
                '\t' => Some("\\t"),
                c if (c as u32) < 0x20 => None,
                _ => continue,
            };
            f.write_str(&self.0[start..i])?;
            match escaped {
                Some(e) => f.write_str(e)?,
                None => write!(f, "\\u{:04x}", c as u32)?,
            }
            start = i + c.len_utf8();
        }
        f.write_str(&self.0[start..])?;
        f.write_char('"')
    }
}

/// A date as `YYYY-MM-DD` (without chrono's formatting machinery).
pub(crate) struct D(pub NaiveDate);

impl fmt::Display for D {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }
}

/// A number with `decimals` places, without a trailing `.0…` run
/// (`45`, `13.2`, `0.87`).
pub(crate) struct N(pub f64, pub usize);

impl fmt::Display for N {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = format!("{:.*}", self.1, self.0);
        if s.contains('.') {
            while s.ends_with('0') {
                s.pop();
            }
            if s.ends_with('.') {
                s.pop();
            }
        }
        if s == "-0" {
            s = "0".into();
        }
        f.write_str(&s)
    }
}

/// `{"system":…,"code":…,"display":…}`
pub(crate) fn coding(s: &mut String, system: &str, code: &str, display: &str) {
    let _ = write!(
        s,
        r#"{{"system":{},"code":{},"display":{}}}"#,
        Q(system),
        Q(code),
        Q(display)
    );
}

/// `{"coding":[one coding],"text":…}`
pub(crate) fn concept(s: &mut String, system: &str, code: &str, display: &str, text: &str) {
    s.push_str(r#"{"coding":["#);
    coding(s, system, code, display);
    let _ = write!(s, r#"],"text":{}}}"#, Q(text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_json() {
        let raw = "a \"quoted\" \\ back\nslash\u{1}µ";
        let written = Q(raw).to_string();
        let back: String = serde_json::from_str(&written).unwrap();
        assert_eq!(back, raw);
    }

    #[test]
    fn numbers_drop_trailing_zeros() {
        assert_eq!(N(45.0, 0).to_string(), "45");
        assert_eq!(N(13.20, 1).to_string(), "13.2");
        assert_eq!(N(13.0, 1).to_string(), "13");
        assert_eq!(N(0.871, 2).to_string(), "0.87");
        assert_eq!(N(-0.001, 1).to_string(), "0");
    }

    #[test]
    fn dates_are_iso() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        assert_eq!(D(d).to_string(), "2026-03-05");
    }
}
