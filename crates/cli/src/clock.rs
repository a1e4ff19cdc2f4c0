//! Today's date and the two questions of time every plan answers.
//!
//! - `--as-of DATE`: the date the plan is made for. Results, diary nights and
//!   medicines dated later are left out, for a record file and for the journal
//!   alike, whenever they were typed in. Default: today.
//! - `--known-at TIME`: the journal as it stood at that moment; entries,
//!   corrections and undos recorded later are not applied. Journal only.
//!
//! Today comes from the system clock, or from `WILLIS_TODAY=YYYY-MM-DD` when it
//! is set: the test suite uses it to prove that nothing depends on the day the
//! tests run. It is not meant for everyday use.

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// The environment variable that overrides today's date (tests only).
pub const TODAY_VAR: &str = "WILLIS_TODAY";

/// Today, in local time (or `WILLIS_TODAY`).
pub fn today() -> anyhow::Result<NaiveDate> {
    match std::env::var(TODAY_VAR) {
        Ok(text) if !text.trim().is_empty() => {
            parse_date(text.trim()).map_err(|e| anyhow::anyhow!("{TODAY_VAR}: {e}"))
        }
        _ => Ok(Local::now().date_naive()),
    }
}

/// A date as YYYY-MM-DD, for clap.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a valid date; use YYYY-MM-DD, e.g. 2026-03-01"))
}

/// A moment for `--known-at`: RFC 3339 (`2026-11-20T18:30:00Z`,
/// `2026-11-20T18:30:00+01:00`), a local time (`2026-11-20T18:30`,
/// `2026-11-20 18:30:00`), or a date alone, meaning the end of that day in
/// local time.
pub fn parse_moment(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = |naive: NaiveDateTime| {
        Local
            .from_local_datetime(&naive)
            .latest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| format!("{s:?} does not exist in the local time zone"))
    };
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, format) {
            return local(naive);
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let end = day
            .and_hms_nano_opt(23, 59, 59, 999_999_999)
            .ok_or_else(|| format!("{s:?} is not a valid date"))?;
        return local(end);
    }
    Err(format!(
        "{s:?} is not a moment; use a date (2026-11-20, the end of that day), a local \
         time (2026-11-20T18:30) or RFC 3339 (2026-11-20T18:30:00Z)"
    ))
}

/// `--as-of` and `--known-at`, shared by every command that makes a plan.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct When {
    /// The date the plan is made for (YYYY-MM-DD; default: today). Results,
    /// diary nights and medicines dated later are left out, whenever they were
    /// entered.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Journal only: use the journal as it stood at this moment (a date means
    /// the end of that day; or 2026-11-20T18:30, or RFC 3339). Entries,
    /// corrections and undos recorded later are not applied.
    #[arg(long, value_name = "TIME", value_parser = parse_moment)]
    pub known_at: Option<DateTime<Utc>>,
}

impl When {
    /// The plan's date: `--as-of`, or today.
    pub fn as_of(&self) -> anyhow::Result<NaiveDate> {
        match self.as_of {
            Some(day) => Ok(day),
            None => today(),
        }
    }

    /// Refuses `--known-at` where there is no journal.
    pub fn for_file(&self) -> anyhow::Result<()> {
        if self.known_at.is_some() {
            anyhow::bail!(
                "--known-at asks what the journal held at a moment; a record file has no \
                 history, so leave it out or plan from the journal (--db)"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_in_every_accepted_shape() {
        let utc = parse_moment("2026-11-20T18:30:00Z").unwrap();
        assert_eq!(utc.to_rfc3339(), "2026-11-20T18:30:00+00:00");
        let offset = parse_moment("2026-11-20T18:30:00+01:00").unwrap();
        assert_eq!(offset.to_rfc3339(), "2026-11-20T17:30:00+00:00");
        let local = parse_moment("2026-11-20T18:30").unwrap();
        assert_eq!(local, parse_moment("2026-11-20 18:30:00").unwrap());
        let end_of_day = parse_moment("2026-11-20").unwrap();
        assert!(end_of_day > local);
        assert!(end_of_day < parse_moment("2026-11-21T00:00").unwrap());
        let err = parse_moment("yesterday").unwrap_err();
        assert!(err.contains("RFC 3339"), "{err}");
    }

    #[test]
    fn dates_name_the_accepted_shape() {
        assert!(parse_date("2026-02-30").unwrap_err().contains("YYYY-MM-DD"));
        assert_eq!(
            parse_date("2026-02-28").unwrap(),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
    }
}
